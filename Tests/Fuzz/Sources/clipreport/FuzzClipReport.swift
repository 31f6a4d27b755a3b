// libFuzzer target `clipreport`: the input bytes as a dataset clip report
// (`clips/clip-NNNNNN.json`, read by a resumed build and by `warpflow dataset merge`).
// A report that parses must survive what merge does with it (histogram merge, percentiles,
// scales) and round-trip through its own writer unchanged. Nothing may trap.
// Build and run: see Tests/Fuzz/README.md.
import Dataset
import Foundation
import Motion

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClipReport(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = count > 0 && start != nil ? Data(bytes: start!, count: count) : Data()
    let report: ClipReport
    do {
        report = try ClipReport(data: data, path: "fuzz.json")
    } catch {
        guard let e = error as? DatasetError, e.subject == "fuzz.json" else {
            fatalError("fuzz-clipreport: unexpected error: \(error)")
        }
        return 0
    }
    var merged = report.histogram
    _ = try? merged.merge(report.histogram)
    for p in [0.5, 50, 97, 100] {
        for k in 0..<report.histogram.frequencies {
            let v = report.histogram.percentile(p, frequency: k)
            guard v.isFinite, v >= 0 else { fatalError("fuzz-clipreport: percentile \(p) of k \(k) is \(v)") }
        }
        _ = report.histogram.scales(percentile: p)
    }
    guard let again = try? ClipReport(data: report.serialized(), path: "fuzz.json") else {
        fatalError("fuzz-clipreport: a parsed report does not parse again after writing")
    }
    guard again == report else { fatalError("fuzz-clipreport: the report changed in a write/read round trip") }
    return 0
}
