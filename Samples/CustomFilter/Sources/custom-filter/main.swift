// Registers the third-party `invert` filter next to warpflow's built-ins, runs a chain with
// it, and checks the result by decoding it again.
import Foundation
import InvertFilter
import MediaIO
import Pipeline
import WarpFlowFilters

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: custom-filter IN OUT [CHAIN]\n".utf8))
    exit(2)
}
let (input, output) = (arguments[1], arguments[2])
let chain = arguments.count > 3 ? arguments[3] : "invert,null"

var registry = FilterRegistry.standard
registry.register(InvertFilter.self)

do {
    try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let result = try PipelineRunner(input: input, output: output, filters: registry.makeChain(chain),
                                    settings: EncoderSettings(crf: 0, preset: "ultrafast")).run()
    // Check: same frame count, and the first frame's luma is the negative of the input's.
    let source = try VideoReader(path: input), written = try VideoReader(path: output)
    guard let a = try source.nextFrame(), let b = try written.nextFrame() else { throw MediaError(.decodeFailed, path: output, "no frames") }
    var mismatches = 0
    a.withPlane(0) { pa, sa, w, h in
        b.withPlane(0) { pb, sb, _, _ in
            for y in 0..<h { for x in 0..<w where pb[y * sb + x] != 255 &- pa[y * sa + x] { mismatches += 1 } }
        }
    }
    var count = 1
    while try written.nextFrame() != nil { count += 1 }
    guard count == result.framesIn, mismatches == 0 else {
        FileHandle.standardError.write(Data("custom-filter: check failed: \(count) frames of \(result.framesIn), \(mismatches) luma mismatches\n".utf8))
        exit(1)
    }
    print("custom-filter: \(output): \(count) frames through \"\(chain)\", first frame's luma inverted exactly")
} catch {
    FileHandle.standardError.write(Data("custom-filter: error: \(error)\n".utf8))
    exit(1)
}
