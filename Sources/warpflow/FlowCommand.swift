import ArgumentParser
import Foundation
import MediaIO
import Flow
import Pipeline
import Raster
import WarpFlowFilters
import FrameRateJob
import LoopJob

/// `warpflow flow`: dense optical flow between two images (written as `.flo`), or the
/// colour-wheel video of the flow between consecutive frames of a video (the `flow` filter),
/// forward or backward, with optional occlusion masks in both cases.
struct FlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "Dense optical flow: two images to a .flo file, or a video to a colour-wheel flow video.",
        discussion: """
        warpflow flow a.png b.png -o a_b.flo [--backward] [--visualize a_b.png] [--occlusion occ.png]
        warpflow flow clip.mp4 -o flow.mp4 [--backward] [--occlusion masks] [--flow-preset fast] [--max 20]

        Flow is in pixels: pixel p of the first image moves to p + (u, v) in the second. --backward computes second → first (for a video: frame k → frame k-1 instead of k-1 → k).

        --occlusion writes the occlusion mask of the computed flow (forward-backward check; white = a pixel of the flow's source picture that is not visible in the other). Two images: one PNG. A video: a directory (occ_000001.png for frames 0 → 1, …; occ_000001_backward.png for frames 1 → 0 with --backward) or a pattern with %d such as masks/%04d.png; occluded pixels are also drawn black in the colour video.

        For .flo files of every frame pair of a video, use the flow filter: warpflow run clip.mp4 -o out.mp4 -vf "flow=mode=pass:direction=both:occlusion=1:flo=flows"
        """
    )

    @Argument(help: "Two images (PNG, JPEG, any format FFmpeg reads), or one video.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output: a .flo file for two images, a video (.mp4) for a video.")
    var output: String

    @Option(name: .customLong("flow-preset"), help: "Optical flow preset.")
    var flowPreset: FlowEstimator.Preset = .medium

    @Flag(help: "Compute the backward flow: second → first image, or frame k → k-1 of a video.")
    var backward = false

    @Option(help: "Also write occlusion masks (forward-backward check, white = occluded): two images: this PNG; a video: this directory or %d pattern (occluded pixels also drawn black).")
    var occlusion: String?

    @Option(help: "Two images: also write the colour-wheel picture of the flow to this PNG.")
    var visualize: String?

    @Option(help: "Flow length in pixels shown fully saturated (default: the largest in each picture).")
    var max: Double?

    @OptionGroup var threadOption: ThreadOption
    @OptionGroup(title: "Video input") var range: InputRangeOptions

    @OptionGroup(title: "Video output") var encoder: EncoderOptions
    @OptionGroup var out: OutputOptions

    func validate() throws {
        guard inputs.count == 1 || inputs.count == 2 else { throw ValidationError("give two images or one video") }
        for input in inputs { try checkOutputPath(input, output) }
        if inputs.count == 1, visualize != nil { throw ValidationError("--visualize is for two images; a video's output is already the visualisation") }
        if inputs.count == 2, range.start != nil || range.duration != nil { throw ValidationError("--start and --duration are for a video") }
        if inputs.count == 1, let occlusion, !occlusion.contains("%"),
           ["png", "jpg", "jpeg", "bmp", "tif", "tiff"].contains((occlusion as NSString).pathExtension.lowercased()) {
            throw ValidationError("for a video, --occlusion takes a directory or a pattern with %d (such as masks/%04d.png), not the single file \(occlusion)")
        }
        for written in [output, occlusion, visualize].compactMap({ $0 }) {
            if let input = inputs.first(where: { sameFile($0, written) }) {
                throw ValidationError("the output \(written) is the input file \(input); choose another output path")
            }
        }
        if inputs.count == 1 { _ = try videoSettings() }
    }

    /// The `flow` filter's settings for a video, checked (an error names the flag).
    func videoSettings() throws -> FlowSettings {
        var settings = FlowSettings()
        settings.preset = flowPreset
        settings.mode = .color
        settings.direction = backward ? .backward : .forward
        settings.maximum = max ?? 0
        settings.threads = threadOption.count ?? 0
        if let occlusion {
            settings.occlusion = true
            settings.occ = occlusion
        }
        return try validatedFlags(settings)
    }

    func run() throws {
        try runReportingErrors {
            if inputs.count == 2 { try runPair() } else { try runVideo() }
        }
    }

    private func runPair() throws {
        let estimator = FlowEstimator(preset: flowPreset, threads: threadOption.count)
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
            let seconds = ms / 1000
            try printReport(BasicReport(summary: ReportSummary(input: .files(inputs), output: output, seconds: seconds)) { c in
                try c.value(flow.width, "width")
                try c.value(flow.height, "height")
                try c.value(flowPreset.rawValue, "flow_preset")
                try c.value(backward ? "backward" : "forward", "direction")
                try c.number(mean, "mean_magnitude")
                try c.number(magnitudes.max, "max_magnitude")
                try c.number(occludedFraction, "occluded_fraction")
            })
        } else {
            print(String(format: "%@: %d×%d flow (%@), mean %.2f px, max %.2f px, %.1f ms", output, flow.width, flow.height,
                         flowPreset.rawValue, mean, magnitudes.max, ms)
                  + (occludedFraction.map { String(format: ", %.1f%% occluded", $0 * 100) } ?? ""))
        }
    }

    private func runVideo() throws {
        let filters = try range.filters(for: inputs[0]) + [try FlowFilter(settings: videoSettings())]
            let bar = ProgressBar(label: "flow", quiet: out.quiet || out.json)
        let result = try PipelineRunner(input: inputs[0], output: output, filters: filters, settings: encoder.settings, copyAudio: false)
            .run(progress: bar.update, cancellation: Interrupts.token)
        bar.finish()
        if out.json {
            try printReport(BasicReport(summary: ReportSummary(
                input: .file(inputs[0]), output: output, seconds: result.elapsedSeconds, framesIn: result.framesIn,
                framesOut: result.framesOut, warnings: result.warnings)) { c in
                try c.number(framesPerSecond(result.framesIn, result.elapsedSeconds), "frames_per_second")
                try c.value(flowPreset.rawValue, "flow_preset")
                try c.value(backward ? "backward" : "forward", "direction")
                try c.value(occlusion, "occlusion")
            })
        } else {
            for w in result.warnings { printError("warpflow: warning: \(w)") }
            print(String(format: "%@: %d %@ flow frames in %.2f s (%.1f fps)", output, result.framesOut, backward ? "backward" : "forward",
                         result.elapsedSeconds, Double(result.framesIn) / Swift.max(result.elapsedSeconds, 1e-9))
                  + (occlusion.map { ", occlusion masks in \($0)" } ?? ""))
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
