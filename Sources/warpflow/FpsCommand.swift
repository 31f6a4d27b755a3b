import ArgumentParser
import Foundation
import MediaIO
import Flow
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob

/// `warpflow fps IN -o OUT --fps 60`: frame-rate upscaling by motion-compensated interpolation.
struct FpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fps",
        abstract: "Change a video's frame rate, inventing the missing frames by warping neural ODEs.",
        discussion: """
        Original frames that fall on the output grid are kept bit-exact; audio is copied and stays in sync; no frame is morphed across a scene cut.

        Examples:
          warpflow fps in.mp4 -o out.mp4 --fps 60
          warpflow fps in.mp4 -o out.mp4 --fps 60000/1001 --method flow
          warpflow fps in.mp4 -o out.mp4 --factor 2.5 --scene-threshold 12 --json
        """
    )

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case node, flow, blend, dup
    }

    enum Dedup: String, ExpressibleByArgument, CaseIterable {
        case auto, off
    }

    enum Sampling: String, ExpressibleByArgument, CaseIterable {
        case bilinear, bicubic
    }

    enum ScenePolicy: String, ExpressibleByArgument, CaseIterable {
        case `repeat`, blend
    }

    @Argument(help: "Input video.")
    var input: String

    @Option(name: .shortAndLong, help: "Output file (.mp4 or .mov).")
    var output: String

    @Option(help: "Output frame rate: 60, 60000/1001, 29.97.")
    var fps: String?

    @Option(help: "Output rate as a multiple (≥ 1) of the input's rate, e.g. 2 or 2.5.")
    var factor: String?

    @Option(help: "How frames are invented: node (warping neural ODE), flow (linear flow warping), blend, dup.")
    var method: Method = .node

    @Option(name: .customLong("scene-threshold"), help: "Scene-cut score threshold 0…100 (as FFmpeg's scdet); 0 = no detection.")
    var sceneThreshold: Double = 10

    @Option(name: .customLong("scene-policy"), help: "What fills the frames across a scene cut: repeat or blend.")
    var scenePolicy: ScenePolicy = .repeat

    @Option(name: .customLong("flow-preset"), help: "Optical flow preset: auto (medium on a grid at most 400 px wide), ultrafast, fast, medium, high.")
    var flowPreset: String = "auto"

    @Option(help: "Velocity-field fit steps per level (node); 0 = symmetric flow initialisation only.")
    var fit: Int?

    @Option(help: "Symmetric variational refinement of node's field: fixed-point iterations per level (0 = the field from the flows).")
    var refine: Int?

    @Option(help: "Steps that read the flows along the motion for node's initial field (0 = plain symmetric average at each pixel).")
    var midpoint: Int?

    @Option(help: "How luma is read at the warped positions: bicubic (Catmull-Rom, sharper) or bilinear (faster); chroma is read bilinearly.")
    var sampling: Sampling = .bicubic

    @Option(help: "Repeated frames: auto drops runs of up to two repeats (animation on twos or threes, stalled captures) and re-times them along the motion; off keeps every frame.")
    var dedup: Dedup = .auto

    @Flag(name: .customLong("no-acceleration"), help: "Node: two-frame trajectories only (no acceleration from the frames before and after each pair).")
    var noAcceleration = false

    @Flag(name: .customLong("no-occlusion"), help: "Blend both frames everywhere instead of weighting them by visibility.")
    var noOcclusion = false

    @OptionGroup var threadOption: ThreadOption
    @OptionGroup var range: InputRangeOptions

    @OptionGroup var encoder: EncoderOptions
    @OptionGroup var out: OutputOptions

    @Flag(name: .customLong("no-audio"), help: "Do not copy the audio streams.")
    var noAudio = false

    func validate() throws {
        try checkOutputPath(input, output)
        switch (fps, factor) {
        case (nil, nil): throw ValidationError("give the output rate with --fps (e.g. 60 or 60000/1001) or --factor (e.g. 2)")
        case (.some, .some): throw ValidationError("give --fps or --factor, not both")
        case (let rate?, nil):
            guard let r = Rational(parsing: rate), r.isPositive, r.doubleValue <= 1000 else {
                throw ValidationError("--fps \(rate): expected a positive rate up to 1000 such as 60, 60000/1001 or 29.97")
            }
        case (nil, let f?):
            guard let r = Rational(parsing: f), !(r < Rational(1, 1)), r.doubleValue <= 1000 else {
                throw ValidationError("--factor \(f): expected a number from 1 to 1000 such as 2 or 2.5")
            }
        }
        guard sceneThreshold.isFinite, (0...100).contains(sceneThreshold) else {
            throw ValidationError("--scene-threshold \(sceneThreshold): expected a score within 0…100")
        }
        guard flowPreset == "auto" || FlowEstimator.Preset(rawValue: flowPreset) != nil else {
            throw ValidationError("--flow-preset \(flowPreset): expected auto or one of \(FlowEstimator.Preset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let fit, !(0...200).contains(fit) { throw ValidationError("--fit \(fit): expected 0…200 steps") }
        if let refine, !(0...100).contains(refine) { throw ValidationError("--refine \(refine): expected 0…100 iterations") }
        if let midpoint, !(0...8).contains(midpoint) { throw ValidationError("--midpoint \(midpoint): expected 0…8 steps") }
    }

    /// The `fps` filter's chain text for these options.
    var chain: String {
        var parts = [fps.map { "fps=\($0)" } ?? "factor=\(factor ?? "1")", "method=\(method.rawValue)",
                     "scene=\(sceneThreshold)", "scene_policy=\(scenePolicy.rawValue)", "preset=\(flowPreset)",
                     "occlusion=\(noOcclusion ? 0 : 1)", "accel=\(noAcceleration ? 0 : 1)", "dedup=\(dedup.rawValue)", "sampling=\(sampling.rawValue)", "threads=\(threadOption.count ?? 0)"]
        if let fit { parts.append("fit=\(fit)") }
        if let midpoint { parts.append("midpoint=\(midpoint)") }
        if let refine { parts.append("refine=\(refine)") }
        return "fps=" + parts.joined(separator: ":")
    }

    func run() throws {
        try runReportingErrors {
            let filters = try FilterRegistry.standard.makeChain(chain)
            guard let filter = filters.first as? FpsFilter else { throw CommandError("the fps filter is not registered") }
            let result = try runPipeline(label: "fps", input: input, output: output, filters: try range.filters(for: input) + filters,
                                         encoder: encoder, out: out, copyAudio: !noAudio)
            try report(result, filter.statistics)
        }
    }

    private func report(_ r: PipelineResult, _ s: FpsStatistics) throws {
        if out.json {
            try printReport(BasicReport(summary: ReportSummary(
                input: .file(r.inputPath), output: r.outputPath, seconds: r.elapsedSeconds, framesIn: r.framesIn,
                framesOut: r.framesOut, warnings: r.warnings)) { c in
                try c.value(s.framesInterpolated, "frames_interpolated")
                try c.value(s.droppedFrames, "frames_dropped")
                try c.value(s.sceneCuts, "scene_cuts")
                try c.value(method.rawValue, "method")
                try c.value(s.outputRate.description, "output_fps")
                try c.number(s.outputRate.doubleValue, "output_fps_value")
                try c.number(framesPerSecond(r.framesOut, r.elapsedSeconds), "frames_per_second")
                try c.number(s.flowSeconds, "flow_seconds")
                try c.number(s.fitSeconds, "fit_seconds")
                try c.value(s.pairs, "pairs")
                try c.number(s.meanFoldedFraction, "folded_fraction")
                try c.number(s.maximumFoldedFraction, "folded_fraction_max")
                try c.value(s.smoothingRounds, "smoothing_rounds")
                try c.number(s.meanOutOfGridFraction, "out_of_grid_fraction")
                try c.value(s.repeatsDropped, "repeats_dropped")
                try c.value(s.acceleratedPairs, "accelerated_pairs")
                try c.number(s.meanAccelerationAgreement, "acceleration_agreement")
                try c.value(OutputFormatReport(r.outputFormat), "output_format")
                try c.value(r.audioPacketsCopied, "audio_packets")
            })
            return
        }
        for w in r.warnings { printError("warpflow: warning: \(w)") }
        print(String(format: "%@: %d frames in, %d out (%d invented by %@, %d scene cuts) at %@ fps in %.2f s",
                     r.outputPath, r.framesIn, r.framesOut, s.framesInterpolated, method.rawValue, s.sceneCuts,
                     s.outputRate.description, r.elapsedSeconds))
    }
}
