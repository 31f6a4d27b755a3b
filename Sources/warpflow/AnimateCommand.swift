import AnimateJob
import ArgumentParser
import Foundation
import MediaIO
import Pipeline

extension AnimateEase: ExpressibleByArgument {}
extension AnimateMethod: ExpressibleByArgument {}
extension AnimateFit: ExpressibleByArgument {}

/// `warpflow animate A B -o anim.mp4`: a smooth animation between two pictures.
struct AnimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "animate",
        abstract: "A smooth animation between two pictures, by a warping neural ODE (no colour is invented).",
        discussion: """
        warpflow animate before.png after.png -o anim.mp4 [--gif] [--pingpong]
        warpflow animate clip.mp4@1.5 clip.mp4@3.0 -o anim.gif --frames 30 --ease linear

        A picture is an image file, or the frame of a video shown at a time (FILE@SECONDS). One velocity field is fitted to the pair's correspondences (searched up to --reach of the picture) and integrated to every frame's time; A and B are pulled back along it and blended by time and visibility. The first and last frames are A and B exactly; the field is smoothed until no frame's warp folds (folded_fraction in --json).
        """
    )

    @Argument(help: "The first picture: an image, or VIDEO@SECONDS.")
    var first: String
    @Argument(help: "The last picture: an image, or VIDEO@SECONDS.")
    var second: String
    @Option(name: .shortAndLong, help: "Output MP4, or GIF when it ends in .gif.")
    var output: String
    @Option(help: ArgumentHelp(AnimateSettings.help("frames")))
    var frames = AnimateSettings().frames
    @Option(help: ArgumentHelp(AnimateSettings.help("duration")))
    var duration = AnimateSettings().duration
    @Option(help: ArgumentHelp(AnimateSettings.help("fps")))
    var fps = AnimateSettings().fps
    @Option(help: ArgumentHelp(AnimateSettings.help("ease")))
    var ease = AnimateSettings().ease
    @Option(help: ArgumentHelp(AnimateSettings.help("method")))
    var method = AnimateSettings().method
    @Option(help: ArgumentHelp(AnimateSettings.help("fit")))
    var fit = AnimateSettings().fit
    @Flag(help: ArgumentHelp(AnimateSettings.help("pingpong")))
    var pingpong = false
    @Option(help: ArgumentHelp(AnimateSettings.help("refine")))
    var refine = AnimateSettings().refine
    @Option(help: ArgumentHelp(AnimateSettings.help("arc")))
    var arc = AnimateSettings().arc
    @Option(help: ArgumentHelp(AnimateSettings.help("reach")))
    var reach = AnimateSettings().reach
    @Flag(help: "Also write an animated GIF beside the MP4 (same name, .gif).")
    var gif = false
    @OptionGroup var threadOption: ThreadOption
    @OptionGroup var encoder: EncoderOptions
    @OptionGroup var out: OutputOptions

    func validate() throws {
        let sources = try [first, second].map { text -> StillSource in
            do { return try StillSource.parse(text) } catch { throw ValidationError("\(error)") }
        }
        for source in sources { try checkOutputPath(source.path, output) }
        _ = try settings()
    }

    /// The job's settings for these flags, checked (an error names the flag).
    func settings() throws -> AnimateSettings {
        var s = AnimateSettings()
        s.frames = frames
        s.duration = duration
        s.fps = fps
        s.ease = ease
        s.method = method
        s.fit = fit
        s.pingpong = pingpong
        s.refine = refine
        s.arc = arc
        s.reach = reach
        s.threads = threadOption.count ?? 0
        return try validatedFlags(s)
    }

    func run() throws {
        try runReportingErrors {
            let started = Date()
            let animator = try Animator(settings: settings())
            let sources = try [first, second].map(StillSource.parse)
            let (a, b) = try animator.conform(first: try sources[0].load(), second: try sources[1].load(),
                                              names: (sources[0].description, sources[1].description))
            let animation = try animator.prepare(first: a, second: b)
            let (rate, gifPath) = try writeRendered(count: animation.count, fps: animator.settings.fps, width: a.width, height: a.height, pixelFormat: a.pixelFormat,
                                            output: output, gif: gif, encoder: encoder, out: out, label: "animate") { try animation.frame($0) }
            let s = animation.statistics
            let seconds = Date().timeIntervalSince(started)
            if out.json {
                try printReport(BasicReport(summary: ReportSummary(input: .files(sources.map(\.description)), output: output, seconds: seconds,
                                                                   framesIn: 2, framesOut: animation.count)) { c in
                    try c.value(animator.settings.method.rawValue, "method")
                    try c.value(animator.settings.ease.rawValue, "ease")
                    try c.value(rate.description, "frame_rate")
                    try c.value(animator.settings.pingpong, "pingpong")
                    try c.value("\(a.width)x\(a.height)", "size")
                    try c.number(s.foldedFraction, "folded_fraction")
                    try c.number(s.outOfGridFraction, "out_of_grid_fraction")
                    try c.value(s.smoothingRounds, "smoothing_rounds")
                    try c.number(s.largestMotion, "largest_motion")
                    try c.number(s.flowSeconds, "flow_seconds")
                    try c.value(gifPath, "gif")
                })
            } else {
                print(String(format: "%@: %d frames (%@, %@) at %@ fps in %.2f s; folded %.4f, out of grid %.4f", output, animation.count,
                             animator.settings.method.rawValue, animator.settings.ease.rawValue, rate.description, seconds,
                             s.foldedFraction, s.outOfGridFraction) + (gifPath.map { ", GIF \($0)" } ?? ""))
            }
        }
    }
}
