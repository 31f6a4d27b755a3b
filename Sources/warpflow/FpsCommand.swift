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

    @Argument(help: "Input video.")
    var input: String

    @Option(name: .shortAndLong, help: "Output file (.mp4 or .mov).")
    var output: String

    @Option(help: "Output frame rate: 60, 60000/1001, 29.97.")
    var fps: String?

    @Option(help: "Output rate as a multiple (≥ 1) of the input's rate, e.g. 2 or 2.5.")
    var factor: String?

    @Option(help: ArgumentHelp(FpsSettings.help("method")))
    var method = FpsSettings().method

    @Option(name: .customLong("scene-threshold"), help: ArgumentHelp(FpsSettings.help("scene")))
    var sceneThreshold = FpsSettings().sceneThreshold

    @Option(name: .customLong("scene-policy"), help: ArgumentHelp(FpsSettings.help("scene_policy")))
    var scenePolicy = FpsSettings().scenePolicy

    @Option(name: .customLong("flow-preset"), help: ArgumentHelp(FpsSettings.help("preset")))
    var flowPreset = FpsSettings().flowPreset

    @Option(help: ArgumentHelp(FpsSettings.help("fit")))
    var fit = FpsSettings().fit

    @Option(help: ArgumentHelp(FpsSettings.help("refine")))
    var refine = FpsSettings().refine

    @Option(help: ArgumentHelp(FpsSettings.help("midpoint")))
    var midpoint = FpsSettings().midpoint

    @Option(help: ArgumentHelp(FpsSettings.help("sampling")))
    var sampling = FpsSettings().sampling

    @Option(help: ArgumentHelp(FpsSettings.help("dedup")))
    var dedup = FpsSettings().dedup

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
        _ = try settings()
    }

    /// The `fps` filter's settings for these flags, checked against `FpsSettings`' ranges (an
    /// error names the flag).
    func settings() throws -> FpsSettings {
        var s = FpsSettings()
        if let fps { s.rate = Rational(parsing: fps) ?? s.rate }
        if let factor { s.factor = Rational(parsing: factor) ?? s.factor }
        s.method = method
        s.sceneThreshold = sceneThreshold
        s.scenePolicy = scenePolicy
        s.flowPreset = flowPreset
        s.occlusion = !noOcclusion
        s.acceleration = !noAcceleration
        s.dedup = dedup
        s.sampling = sampling
        s.threads = threadOption.count ?? 0
        s.fit = fit
        s.midpoint = midpoint
        s.refine = refine
        return try validatedFlags(s)
    }

    func run() throws {
        try runReportingErrors {
            let filter = try FpsFilter(settings: settings())
            let result = try runPipeline(label: "fps", input: input, output: output, filters: try range.filters(for: input) + [filter],
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
