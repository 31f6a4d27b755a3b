import ArgumentParser
import Foundation
import MediaIO
import Motion
import Pipeline
import Raster
import WarpFlowFilters

/// `warpflow flow`: dense optical flow between two images (written as `.flo`), or the
/// colour-wheel video of the flow between consecutive frames of a video.
struct FlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "Dense optical flow: two images to a .flo file, or a video to a colour-wheel flow video.",
        discussion: """
        warpflow flow a.png b.png -o a_b.flo [--visualize a_b.png] [--occlusion occ.png]
        warpflow flow clip.mp4 -o flow.mp4 [--preset fast] [--max 20]
        Flow is in pixels: pixel p of the first image moves to p + (u, v) in the second.
        """
    )

    @Argument(help: "Two images (PNG, JPEG, any format FFmpeg reads), or one video.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output: a .flo file for two images, a video (.mp4) for a video.")
    var output: String

    @Option(help: "Estimator preset: \(FlowEstimator.Preset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: String = "medium"

    @Flag(help: "Two images: compute the backward flow (second → first).")
    var backward = false

    @Option(help: "Two images: also write the occlusion mask (forward-backward check) to this PNG (white = occluded).")
    var occlusion: String?

    @Option(help: "Two images: also write the colour-wheel picture of the flow to this PNG.")
    var visualize: String?

    @Option(help: "Flow length in pixels shown fully saturated (default: the largest in each picture).")
    var max: Double?

    @Option(help: "Worker threads (default: all processors).")
    var threads: Int?

    @Option(help: "Video output: x264 constant rate factor, 0…51 (0 = lossless).")
    var crf: Double = 18
    @OptionGroup var out: OutputOptions

    func validate() throws {
        guard inputs.count == 1 || inputs.count == 2 else { throw ValidationError("give two images or one video") }
        guard FlowEstimator.Preset(rawValue: preset) != nil else {
            throw ValidationError("--preset must be one of \(FlowEstimator.Preset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (0...51).contains(crf) else { throw ValidationError("--crf must be within 0…51") }
        if inputs.count == 1, visualize != nil { throw ValidationError("--visualize is for two images; a video's output is already the visualisation") }
        // The `flow` filter computes forward flow only and has no occlusion output yet.
        if inputs.count == 1, backward { throw ValidationError("--backward is for two images; the flow filter computes forward flow") }
        if inputs.count == 1, occlusion != nil { throw ValidationError("--occlusion is for two images; the flow filter has no occlusion output yet") }
        for written in [output, occlusion, visualize].compactMap({ $0 }) {
            if let input = inputs.first(where: { sameFile($0, written) }) {
                throw ValidationError("the output \(written) is the input file \(input); choose another output path")
            }
        }
    }

    func run() throws {
        try runReportingErrors {
            if inputs.count == 2 { try runPair() } else { try runVideo() }
        }
    }

    private func runPair() throws {
        let estimator = FlowEstimator(preset: FlowEstimator.Preset(rawValue: preset) ?? .medium, threads: threads)
        let first = try Self.loadLuma(inputs[0]), second = try Self.loadLuma(inputs[1])
        guard first.width == second.width, first.height == second.height else {
            throw MotionError.sizeMismatch(what: "\(inputs[0]) and \(inputs[1])", firstWidth: first.width, firstHeight: first.height,
                                           secondWidth: second.width, secondHeight: second.height)
        }
        let (a, b) = backward ? (second, first) : (first, second)
        let clock = ContinuousClock()
        var flow = FlowField(width: 1, height: 1)
        let elapsed = try clock.measure { flow = try estimator.flow(from: a, to: b) }
        try flow.write(floPath: output)
        var occludedFraction: Double?
        if let occlusion {
            let reverse = try estimator.flow(from: b, to: a)
            let mask = try flow.occlusionMask(backward: reverse)
            occludedFraction = Double(mask.data.reduce(0, +)) / Double(mask.count)
            try ImageWriter.writePNG(PlanarImage(planes: [mask]), to: occlusion)
        }
        if let visualize {
            try ImageWriter.writePNG(flow.colorWheel(maxMagnitude: max.map { Float($0) }), to: visualize)
        }
        var magnitudes = (sum: 0.0, max: 0.0)
        for i in 0..<flow.u.count {
            let m = Double((flow.u.data[i] * flow.u.data[i] + flow.v.data[i] * flow.v.data[i]).squareRoot())
            magnitudes.sum += m
            magnitudes.max = Swift.max(magnitudes.max, m)
        }
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) * 1e-15
        let mean = magnitudes.sum / Double(Swift.max(flow.u.count, 1))
        if out.json {
            var result: [String: Any] = ["output": output, "width": flow.width, "height": flow.height, "preset": preset,
                                         "direction": backward ? "backward" : "forward", "milliseconds": ms,
                                         "mean_magnitude": mean, "max_magnitude": magnitudes.max]
            result["occluded_fraction"] = occludedFraction ?? NSNull()
            try printJSON(result)
        } else if !out.quiet {
            print(String(format: "%@: %d×%d flow (%@), mean %.2f px, max %.2f px, %.1f ms", output, flow.width, flow.height,
                         preset, mean, magnitudes.max, ms)
                  + (occludedFraction.map { String(format: ", %.1f%% occluded", $0 * 100) } ?? ""))
        }
    }

    private func runVideo() throws {
        var chain = "flow=preset=\(preset):mode=color"
        if let max { chain += ":max=\(max)" }
        if let threads { chain += ":threads=\(threads)" }
        let filters = try FilterRegistry.standard.makeChain(chain)
        let interrupt = InterruptHandler()
        let bar = ProgressBar(label: "flow", quiet: out.quiet || out.json)
        let result = try PipelineRunner(input: inputs[0], output: output, filters: filters, settings: EncoderSettings(crf: crf), copyAudio: false)
            .run(progress: bar.update, cancellation: interrupt.token)
        bar.finish()
        if out.json {
            try printJSON(["input": inputs[0], "output": output, "frames": result.framesOut, "seconds": result.elapsedSeconds,
                           "fps": result.elapsedSeconds > 0 ? Double(result.framesIn) / result.elapsedSeconds : 0, "preset": preset])
        } else if !out.quiet {
            print(String(format: "%@: %d flow frames in %.2f s (%.1f fps)", output, result.framesOut, result.elapsedSeconds,
                         Double(result.framesIn) / Swift.max(result.elapsedSeconds, 1e-9)))
        }
    }

    /// The first picture of an image (or video) file as luma in [0, 1].
    static func loadLuma(_ path: String) throws -> Plane {
        let reader = try VideoReader(path: path)
        guard let frame = try reader.nextFrame() else {
            throw MediaError(.decodeFailed, path: path, "no picture could be decoded")
        }
        return try FrameConverter().luma(frame)
    }
}
