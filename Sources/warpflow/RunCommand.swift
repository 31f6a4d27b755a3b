import ArgumentParser
import Foundation
import MediaIO
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob

/// Encoder choices shared by the commands that write video.
struct EncoderOptions: ParsableArguments {
    enum Codec: String, ExpressibleByArgument, CaseIterable {
        case h264, hevc
    }

    @Option(help: "Constant rate factor, 0…51 (0 = lossless).")
    var crf: Double = 18

    @Option(help: "Constant quantiser, 0…51 (0 = lossless); overrides --crf.")
    var qp: Int?

    @Option(help: "Encoder preset: ultrafast … veryslow.")
    var preset: String = "medium"

    @Option(help: "Video codec.")
    var codec: Codec = .h264

    @Option(name: .customLong("pix-fmt"), help: "Output pixel format (e.g. yuv420p, yuv444p); default: the input's when the encoder takes it.")
    var pixelFormat: String?

    @Option(help: "Most frames between keyframes, 1…100000 (1 = every frame a keyframe); default: the encoder's (`loop`: 1).")
    var keyint: Int?

    func validate() throws {
        guard (0...51).contains(crf) else { throw ValidationError("--crf must be within 0…51") }
        if let qp, !(0...51).contains(qp) { throw ValidationError("--qp must be within 0…51") }
        if let keyint, !(1...100_000).contains(keyint) { throw ValidationError("--keyint must be within 1…100000") }
        let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"]
        guard presets.contains(preset) else { throw ValidationError("--preset must be one of \(presets.joined(separator: ", "))") }
        if let pixelFormat, PixelFormat(name: pixelFormat) == nil { throw ValidationError("unknown pixel format \"\(pixelFormat)\"") }
    }

    var settings: EncoderSettings {
        EncoderSettings(codec: codec == .h264 ? .h264 : .hevc, crf: crf, qp: qp, preset: preset,
                        pixelFormat: pixelFormat.flatMap { PixelFormat(name: $0) }, keyframeInterval: keyint)
    }
}

/// `warpflow run IN -o OUT -vf CHAIN`: decode → filters → encode.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Decode a video, pass it through a filter chain, and encode an MP4 (audio copied).",
        discussion: "Chains use FFmpeg's syntax: -vf \"scale=w=640:h=-2,blend=fps=60000/1001\". See `warpflow filters`."
    )

    @Argument(help: "Input video.")
    var input: String

    @Option(name: .shortAndLong, help: "Output file (.mp4 or .mov).")
    var output: String

    @Option(name: .customLong("vf", withSingleDash: true), help: "Filter chain.")
    var chain: String = "null"

    @OptionGroup var encoder: EncoderOptions
    @OptionGroup var range: InputRangeOptions
    @OptionGroup var out: OutputOptions

    @Flag(name: .customLong("no-audio"), help: "Do not copy the audio streams.")
    var noAudio = false

    func validate() throws {
        try checkOutputPath(input, output)
    }

    func run() throws {
        try runReportingErrors {
            let filters = try range.filters(for: input) + FilterRegistry.standard.makeChain(chain)
            try report(try runPipeline(label: "run", input: input, output: output, filters: filters,
                                       encoder: encoder, out: out, copyAudio: !noAudio))
        }
    }

    private func report(_ r: PipelineResult) throws {
        // Every warning, the damaged-input one included, goes to --json as to the terminal.
        var warnings = r.warnings
        let stats = r.decodeStats
        if stats.sawDamage {
            warnings.append("damaged input: \(stats.packetsRejected) packets rejected, \(stats.framesLost) frames lost"
                            + (stats.truncated ? ", file truncated" : ""))
        }
        if out.json {
            let d = r.decodeStats
            try printReport(BasicReport(summary: ReportSummary(
                input: .file(r.inputPath), output: r.outputPath, seconds: r.elapsedSeconds, framesIn: r.framesIn,
                framesOut: r.framesOut, warnings: warnings)) { c in
                try c.number(framesPerSecond(r.framesIn, r.elapsedSeconds), "frames_per_second")
                try c.value(OutputFormatReport(r.outputFormat), "output_format")
                try c.value(r.audioPacketsCopied, "audio_packets")
                try c.value(d, "decode")
            })
            return
        }
        for w in warnings { printError("warpflow: warning: \(w)") }
        print(String(format: "%@: %d frames in, %d out (%@ %@ fps) in %.2f s", r.outputPath, r.framesIn, r.framesOut,
                     "\(r.outputFormat.width)×\(r.outputFormat.height)", r.outputFormat.frameRate.description, r.elapsedSeconds))
    }
}

/// Runs `filters` from `input` to `output` as the video-writing subcommands do: Ctrl-C
/// cancels, a progress bar shows unless `--quiet` or `--json`, and the result is returned for
/// the command's own report.
func runPipeline(label: String, input: String, output: String, filters: [any VideoFilter], encoder: EncoderOptions,
                 out: OutputOptions, copyAudio: Bool, settings: EncoderSettings? = nil, staged: Bool = false,
                 observer: FrameSink? = nil) throws -> PipelineResult {
    let bar = ProgressBar(label: label, quiet: out.quiet || out.json)
    var runner = PipelineRunner(input: input, output: output, filters: filters, settings: settings ?? encoder.settings, copyAudio: copyAudio)
    runner.stagesOutput = staged
    runner.observer = observer
    let result = try runner.run(progress: bar.update, cancellation: Interrupts.token)
    bar.finish()
    return result
}

/// Throws a `ValidationError` when `output` cannot be put in place (`checkOutputFile`) or
/// names the input file (see `sameFile`).
func checkOutputPath(_ input: String, _ output: String) throws {
    try checkOutputFile(output)
    if sameFile(input, output) {
        throw ValidationError("the output \(output) is the input file; choose another output path")
    }
}

/// Whether two paths name the same file: the same resolved path, or (for existing files) the
/// same device and inode, which also catches hard links.
func sameFile(_ a: String, _ b: String) -> Bool {
    let ua = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath()
    let ub = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath()
    if ua.path == ub.path { return true }
    var sa = stat(), sb = stat()
    guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
}
