// The README's "library in 15 lines", compiled by `make test` so the README cannot drift from
// the API, and runnable:  swift run library-tour IN OUT_FOLDER
// It runs a chain over IN into OUT_FOLDER/tour.mp4, writes the optical flow between the
// first frames of IN as OUT_FOLDER/f<index>.flo, and renders the frame between the first two.
import Foundation
import Flow
import Spectral
import Pipeline
import Raster
import WarpFlowFilters
import FrameRateJob
import LoopJob
import WarpingNODE

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: library-tour IN OUT_FOLDER\n".utf8))
    exit(2)
}
let (input, folder) = (arguments[1], arguments[2])

do {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

    // --- README: a whole job: decode → filters → encode, audio copied, bounded memory.
    let filters = try FilterRegistry.standard.makeChain("scale=w=320:h=-2,blend=fps=60")
    let result = try PipelineRunner(input: input, output: folder + "/tour.mp4", filters: filters,
                                    settings: EncoderSettings(crf: 18)).run { _ in }
    print("library-tour: \(result.outputPath): \(result.framesIn) frames in, \(result.framesOut) out")

    // --- README: frame by frame: optical flow between consecutive frames (first 3 frames here).
    let reader = try VideoReader(path: input), converter = FrameConverter()
    let estimator = FlowEstimator(preset: .fast)
    var previous: Plane?
    var written = 0
    while written < 2, let frame = try reader.nextFrame() {
        let luma = try converter.luma(frame)
        if let previous {
            try estimator.flow(from: previous, to: luma).write(floPath: folder + "/f\(frame.index).flo")
            written += 1
        }
        previous = luma
    }
    print("library-tour: \(written) .flo files in \(folder)")

    // --- README: the frame halfway between two decoded frames, by a warping neural ODE.
    let pairReader = try VideoReader(path: input)
    if let f0 = try pairReader.nextFrame(), let f1 = try pairReader.nextFrame() {
        let pair = try FrameInterpolator().prepare(first: f0, second: f1)   // flows, velocity field
        let middle = try pair.render(at: 0.5)                               // any t in [0, 1]
        print("library-tour: \(middle.width)×\(middle.height) \(middle.pixelFormat) frame at t = 0.5, "
              + "folded fraction \(pair.statistics.foldedFraction)")
    }
} catch {
    FileHandle.standardError.write(Data("library-tour: error: \(error)\n".utf8))
    exit(1)
}
