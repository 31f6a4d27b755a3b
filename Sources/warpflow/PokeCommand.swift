import AnimateJob
import ArgumentParser
import Foundation
import LoopJob
import MediaIO
import PokeJob

/// `warpflow poke STILL --spectrum S --at X,Y --force DX,DY -o out.mp4`: interactive dynamics.
struct PokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poke",
        abstract: "Poke a still picture and watch it respond, from a motion spectrum's modes (Generative Image Dynamics).",
        discussion: """
        warpflow loop tree.mp4 -o tree.safetensors --spectrum-only
        warpflow poke tree.png --spectrum tree.safetensors --at 320,140 --force 12,0 -o poked.mp4 [--gif]
        warpflow poke tree.png --spectrum tree.safetensors --at 100,80 --force 0,8 --at 400,90 --force -6,0 --damping 0.1 -o two.mp4

        Each frequency of the spectrum is a mode of the scene with its shape. A poke (a pixel pulled by a force, then released) excites every mode by the force projected on its shape there; each mode rings as a damped oscillator at its frequency (k × the clip's fps ÷ the window length); the still is moved by the sum, rendered by softmax splatting. A poke where nothing moved in the clip moves nothing; twice the force gives twice the motion. Positions and forces are pixels of the still, which must have the spectrum's shape (a frame of the clip).
        """
    )

    @Argument(help: "The still picture (an image, or a video's first frame).")
    var still: String
    @Option(help: "The spectrum file (.safetensors): from warpflow loop --spectrum-only, or a dataset shard (its first sample).")
    var spectrum: String
    @Option(help: "A poked pixel, X,Y in the still's pixels (repeat with --force for several pokes).")
    var at: [String] = []
    @Option(help: "The force of the poke at the same position in the list, DX,DY pixels.")
    var force: [String] = []
    @Option(name: .shortAndLong, help: "Output MP4, or GIF when it ends in .gif.")
    var output: String
    @Option(help: ArgumentHelp(PokeSettings.help("damping")))
    var damping = PokeSettings().damping
    @Option(help: ArgumentHelp(PokeSettings.help("duration")))
    var duration = PokeSettings().duration
    @Option(help: ArgumentHelp(PokeSettings.help("fps")))
    var fps = PokeSettings().fps
    @Option(name: .customLong("spectrum-fps"), help: ArgumentHelp(PokeSettings.help("spectrum_fps")))
    var spectrumFPS = PokeSettings().spectrumFPS
    @Option(help: ArgumentHelp(PokeSettings.help("alpha")))
    var alpha = PokeSettings().alpha
    @Option(name: .customLong("tear-guard"), help: ArgumentHelp(PokeSettings.help("guard")))
    var tearGuard = PokeSettings().tearGuard
    @Flag(help: "Also write an animated GIF beside the MP4 (same name, .gif).")
    var gif = false
    @OptionGroup var threadOption: ThreadOption
    @OptionGroup var encoder: EncoderOptions
    @OptionGroup var out: OutputOptions

    func validate() throws {
        try checkOutputPath(still, output)
        if sameFile(spectrum, output) { throw ValidationError("the output \(output) is the spectrum file; choose another output path") }
        _ = try pokes()
        _ = try settings()
    }

    /// The pokes, --at and --force paired in order.
    func pokes() throws -> [Poke] {
        guard !at.isEmpty else { throw ValidationError("give at least one poke: --at X,Y --force DX,DY") }
        guard at.count == force.count else {
            throw ValidationError("--at given \(at.count) times but --force \(force.count): give one force per poked pixel")
        }
        return try zip(at, force).enumerated().map { i, pair in
            guard let p = Poke.pair(pair.0) else { throw ValidationError("--at \(pair.0): expected X,Y, two numbers such as 120,80") }
            guard let f = Poke.pair(pair.1) else { throw ValidationError("--force \(pair.1): expected DX,DY, two numbers such as 6,0") }
            guard abs(f.0) <= 10_000, abs(f.1) <= 10_000 else { throw ValidationError("--force \(pair.1) (poke \(i + 1)): at most 10000 pixels") }
            return Poke(x: p.0, y: p.1, dx: f.0, dy: f.1)
        }
    }

    /// The job's settings for these flags, checked (an error names the flag).
    func settings() throws -> PokeSettings {
        var s = PokeSettings()
        s.damping = damping
        s.duration = duration
        s.fps = fps
        s.spectrumFPS = spectrumFPS
        s.alpha = alpha
        s.tearGuard = tearGuard
        s.threads = threadOption.count ?? 0
        return try validatedFlags(s)
    }

    func run() throws {
        try runReportingErrors {
            let started = Date()
            let modes = try LoopSpectrumFile.modes(path: spectrum)
            let picture = try StillSource(path: still).load()
            let poker = try Poker(settings: settings(), spectrum: modes.spectrum, spectrumFPS: modes.fps, still: picture,
                                  names: (still, spectrum))
            var response = try poker.prepare(try pokes())
            let (rate, gifPath) = try writeRendered(count: response.count, fps: poker.settings.fps, width: poker.still.width, height: poker.still.height,
                                            pixelFormat: poker.still.pixelFormat, output: output, gif: gif, encoder: encoder, out: out,
                                            label: "poke") { try response.frame($0) }
            let seconds = Date().timeIntervalSince(started)
            let hz = poker.basis.frequencies
            if out.json {
                try printReport(BasicReport(summary: ReportSummary(input: .files([still, spectrum]), output: output, seconds: seconds,
                                                                   framesIn: 1, framesOut: response.count)) { c in
                    try c.value(hz.count, "modes")
                    try c.number(hz.first, "lowest_frequency")
                    try c.number(hz.last, "highest_frequency")
                    try c.number(poker.settings.damping, "damping")
                    try c.value(rate.description, "frame_rate")
                    try c.number(response.largestDisplacement, "largest_displacement")
                    try c.number(response.guardedFraction, "guarded_fraction")
                    try c.value(gifPath, "gif")
                })
            } else {
                print(String(format: "%@: %d frames at %@ fps, %d modes (%.2f–%.2f Hz), largest displacement %.1f px in %.2f s",
                             output, response.count, rate.description, hz.count, hz.first ?? 0, hz.last ?? 0, response.largestDisplacement, seconds)
                      + (gifPath.map { ", GIF \($0)" } ?? ""))
            }
        }
    }
}
