// Registers the third-party `invert` filter next to warpflow's built-ins, runs a chain with
// it, and checks the result by decoding it again.
//
//     swift run custom-filter IN OUT [CHAIN]      (CHAIN defaults to "invert,null")
import Foundation
import InvertFilter
import MediaIO
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob

/// Writes `text` to stderr and exits with `status`.
func fail(_ text: String, status: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("custom-filter: \(text)\n".utf8))
    exit(status)
}

let arguments = CommandLine.arguments
guard arguments.count == 3 || arguments.count == 4 else { fail("usage: custom-filter IN OUT [CHAIN]", status: 2) }
let (input, output) = (arguments[1], arguments[2])
let chain = arguments.count > 3 ? arguments[3] : "invert,null"

var registry = FilterRegistry.standard
registry.register(InvertFilter.self)

do {
    let filters = try registry.makeChain(chain)
    let folder = (output as NSString).deletingLastPathComponent
    if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    // Lossless, so the check below can demand exact values.
    let result = try PipelineRunner(input: input, output: output, filters: filters,
                                    settings: EncoderSettings(crf: 0, preset: "ultrafast")).run()

    // Check 1: the file holds exactly the frames the pipeline reported.
    let written = try VideoReader(path: output)
    var count = 0
    while try written.nextFrame() != nil { count += 1 }
    guard count == result.framesOut, count > 0 else {
        fail("check failed: \(output) decodes to \(count) frames, the pipeline wrote \(result.framesOut)")
    }

    // Check 2: when the chain is only `invert`/`null`, the output has as many frames as the input
    // and every output picture's luma is the exact negative of the input's.
    let onlyInversion = filters.allSatisfy { type(of: $0).name == InvertFilter.name || type(of: $0).name == "null" }
    var detail = "luma not compared (the chain changes more than the values)"
    if onlyInversion {
        let source = try VideoReader(path: input), again = try VideoReader(path: output)
        var frames = 0, mismatches = 0
        while let a = try source.nextFrame() {
            guard let b = try again.nextFrame() else {
                fail("check failed: \(output) ends after \(frames) frames, \(input) has more")
            }
            guard a.width == b.width, a.height == b.height else {
                fail("check failed: frame \(frames) is \(b.width)×\(b.height), the input's is \(a.width)×\(a.height)")
            }
            a.withPlane(0) { pa, sa, w, h in
                b.withPlane(0) { pb, sb, _, _ in
                    for y in 0..<h { for x in 0..<w where pb[y * sb + x] != 255 &- pa[y * sa + x] { mismatches += 1 } }
                }
            }
            frames += 1
        }
        guard try again.nextFrame() == nil else { fail("check failed: \(output) has more frames than \(input)") }
        guard mismatches == 0, frames == count else {
            fail("check failed: \(mismatches) luma samples differ from the input's negative over \(frames) of \(count) frames")
        }
        detail = "luma of all \(frames) frames is the input's exact negative"
    }
    print("custom-filter: \(output): \(count) frames through \"\(chain)\" (\(result.outputFormat.width)×\(result.outputFormat.height), "
          + "\(result.outputFormat.frameRate) fps); \(detail)")
} catch {
    fail("error: \(error)")
}
