// libFuzzer target `jobargs`: the values the animate and poke commands parse, on the input as
// text: `StillSource.parse` (`FILE` or `FILE@SECONDS`) and `Poke.pair` (`X,Y`, `DX,DY`).
// Nothing may trap; `StillSource.parse` fails only with `AnimateError`s that quote the input;
// a success has a non-empty path, a time that is finite and ≥ 0 when given, and prints back as
// text that parses to itself; a pair is two finite numbers, and the text has one comma.
// Build and run: see Tests/Fuzz/README.md.
import AnimateJob
import PokeJob
import Foundation

private func fail(_ message: String) -> Never { fatalError("fuzz-jobargs: \(message)") }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJobArgs(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
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
    if let (a, b) = Poke.pair(text) {
        guard a.isFinite, b.isFinite, text.filter({ $0 == "," }).count == 1 else { fail("\"\(text)\" gave the pair (\(a), \(b))") }
    }
    return 0
}
