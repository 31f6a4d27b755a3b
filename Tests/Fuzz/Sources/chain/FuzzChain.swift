// libFuzzer target `chain`: filter-chain text → parser → option tables → filters → configure.
// Every rejection must be a thrown `FilterError`; a trap (overflow, bad index, precondition)
// or any other error type is a finding. Build and run: see Tests/Fuzz/README.md.
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob

// libFuzzer calls the entry point from one thread only, so harness state needs no isolation.
nonisolated(unsafe) private let registry = FilterRegistry.standard

/// Stream formats a built chain is configured for, as the runner would (each filter's output
/// format feeds the next filter): an ordinary clip, a tiny one, a 10-bit one with a huge
/// time base, one with no known rate or frame count, and one with extreme declared values.
private let formats: [StreamFormat] = [
    StreamFormat(width: 640, height: 360, pixelFormat: .yuv420p, timeBase: Rational(1, 30000),
                 frameRate: Rational(30000, 1001), frameCount: 90),
    StreamFormat(width: 2, height: 2, pixelFormat: .gray, timeBase: Rational(1, 1), frameRate: Rational(1, 1), frameCount: 1),
    StreamFormat(width: 1920, height: 1080, pixelFormat: .yuv420p10, timeBase: Rational(1, 2_000_000_000),
                 frameRate: Rational(2_000_000_000, 1), frameCount: Int(Int32.max)),
    StreamFormat(width: 64, height: 48, pixelFormat: .rgb24, timeBase: Rational(1, 90000), frameRate: Rational(0, 1)),
    // What a crafted file can declare (FFmpeg's rates and time bases are 32-bit fractions):
    // a rate and a time base of large coprime terms, and the largest picture and frame count.
    StreamFormat(width: 16384, height: 16384, pixelFormat: .yuv444p, timeBase: Rational(1, Int64(Int32.max)),
                 frameRate: Rational(Int64(Int32.max), 2_147_483_629), frameCount: Int.max),
]

/// A thrown error must be a `FilterError` whose syntax position lies inside the text.
private func check(_ error: Error, text: String) {
    guard let filterError = error as? FilterError else {
        fatalError("fuzz-chain: a \(type(of: error)) escaped as a chain error: \(error)")
    }
    if case .syntax(_, let position, _) = filterError, !(0...Array(text).count).contains(position) {
        fatalError("fuzz-chain: syntax error position \(position) outside the \(Array(text).count)-character chain")
    }
    _ = filterError.description
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChain(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)

    // 1. The whole chain, as `warpflow run -vf TEXT` builds it, then configured like the runner.
    do {
        let filters = try registry.makeChain(text)
        for input in formats {
            var format = input
            var cut: KeptTimeRange?
            for filter in filters {
                // `flow` creates the folders its flo=/occ= patterns name in configure: keep the
                // fuzzer off the file system.
                if filter is FlowFilter { continue }
                do {
                    format = try filter.configure(input: format)
                } catch {
                    check(error, text: text)
                    break
                }
                if let range = filter.keptTimeRange { cut = cut.map { $0.then(range) } ?? range }
                _ = filter.window
                _ = filter.isFinished
            }
            _ = cut
            _ = format.description
        }
    } catch {
        check(error, text: text)
    }

    // 2. Each parsed filter's arguments through every filter's option table and initialiser,
    //    whatever name the chain gave (so all tables and `init(options:)` see every argument list).
    if let specs = try? ChainParser.parse(text) {
        for spec in specs.prefix(4) {
            for type in registry.types {
                do {
                    let values = try OptionParser.values(for: type, arguments: spec.arguments)
                    _ = try type.init(options: values)
                } catch {
                    check(error, text: text)
                }
            }
        }
    }

    // 3. The raw text as a value of every option of every filter.
    if count <= 256 {
        for type in registry.types {
            for option in type.options {
                do { _ = try OptionParser.parse(text, as: option, filter: type.name) } catch { check(error, text: text) }
            }
        }
    }
    return 0
}
