// libFuzzer target `stillsource`: `StillSource.parse` (the `animate` command's `FILE` or
// `FILE@SECONDS`) on the input as text. Nothing may trap; failures must be `AnimateError`s that
// quote the input; a success has a non-empty path, a time that is finite and ≥ 0 when given,
// and prints back as text that parses to itself.
// Build and run: see Tests/Fuzz/README.md.
import AnimateJob
import Foundation

private func fail(_ message: String) -> Never { fatalError("fuzz-stillsource: \(message)") }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStillSource(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    do {
        let source = try StillSource.parse(text)
        guard !source.path.isEmpty else { fail("\"\(text)\" gave an empty path") }
        if let time = source.time {
            guard time.isFinite, time >= 0 else { fail("\"\(text)\" gave the time \(time)") }
            guard source.path + text[text.lastIndex(of: "@")!...] == text else { fail("\"\(text)\": path and time do not make the text") }
        } else {
            guard source.path == text else { fail("\"\(text)\" gave the path \"\(source.path)\"") }
        }
        guard (try? StillSource.parse(source.description)) == source else { fail("\"\(text)\" does not print back: \(source)") }
    } catch let error as AnimateError {
        guard text.isEmpty || "\(error)".contains(text) else { fail("\"\(text)\": the error does not quote the input: \(error)") }
    } catch {
        fail("\"\(text)\" threw \(type(of: error)), not AnimateError")
    }
    return 0
}
