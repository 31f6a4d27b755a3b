// libFuzzer target `clipreport`: the input bytes as a dataset clip report
// (`clips/clip-NNNNNN.json`, read by a resumed build and by `warpflow dataset merge`).
// A report that parses must survive what merge does with it (histogram merge, percentiles,
// scales) and round-trip through its own writer unchanged. Nothing may trap.
// Build and run: see Tests/Fuzz/README.md.
import DatasetJob
import Tensors
import Foundation
import Flow

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
    // Everything but Doubles must come back identical; Doubles within a few ulps (a JSON number
    // with many digits need not survive Foundation's writer and reader to the last bit), and
    // stage seconds within the writer's rounding to 1e-6.
    var a = again, b = report
    guard rounded(a.seconds.decode, b.seconds.decode), rounded(a.seconds.flow, b.seconds.flow),
          rounded(a.seconds.dft, b.seconds.dft), rounded(a.seconds.write, b.seconds.write),
          a.samples.count == b.samples.count,
          zip(a.samples, b.samples).allSatisfy({ close($0.meanMotion, $1.meanMotion) && close($0.maxMotion, $1.maxMotion)
              && close($0.globalMotion, $1.globalMotion) }) else {
        fatalError("fuzz-clipreport: a number changed in a write/read round trip")
    }
    a.seconds = b.seconds
    for i in a.samples.indices {
        a.samples[i].meanMotion = b.samples[i].meanMotion
        a.samples[i].maxMotion = b.samples[i].maxMotion
        a.samples[i].globalMotion = b.samples[i].globalMotion
    }
    guard a == b else { fatalError("fuzz-clipreport: the report changed in a write/read round trip") }
    return 0
}

/// `written` is `x` rounded to 1e-6 (within a few ulps), or `x` itself.
private func rounded(_ written: Double, _ x: Double) -> Bool {
    close(written, x) || abs(written - x) <= 5e-7 + 1e-12 * abs(x)
}

/// Equal within 1e-12 relative (or both tiny).
private func close(_ x: Double, _ y: Double) -> Bool {
    x == y || abs(x - y) <= 1e-12 * max(abs(x), abs(y)) || (abs(x) < 1e-300 && abs(y) < 1e-300)
}
