import ArgumentParser
import Foundation
import MediaIO
import Flow
import Spectral
import Pipeline
import Raster
import WarpFlowFilters
import FrameRateJob
import LoopJob

/// `warpflow loop`: a seamless looping MP4 (and GIF) from a window of a clip.
struct LoopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loop",
        abstract: "A video that loops forever without a seam, from a window of a clip (spectral motion resynthesis).",
        discussion: """
        warpflow loop tree.mp4 -o tree-loop.mp4 --start 1 --window 4 --duration 4 [--gif]
        warpflow loop tree.mp4 -o tree-loop.mp4 --mode pingpong|crossfade
        warpflow loop tree.mp4 -o tree.safetensors --spectrum-only; warpflow loop tree.mp4 -o again.mp4 --from-spectrum tree.safetensors --amplitude 2

        spectral: the window's per-pixel motion (optical flow from its first frame), drift removed, its K lowest harmonics replayed so the motion returns exactly to its start; every frame is rendered from the window's first frame by softmax splatting. pingpong plays the window forwards then backwards; crossfade blends the window's end into its start.

        The MP4 loops gaplessly: constant frame rate, first frame at pts 0, no B-frames or edit list, exactly duration × fps frames (rounded to a whole frame), no audio.
        """
    )

    @Argument(help: "The clip.")
    var input: String
    @Option(name: .shortAndLong, help: "Output MP4, or GIF when it ends in .gif (with --spectrum-only: the spectrum file, .safetensors).")
    var output: String
    @Option(help: "How the loop is made: auto (spectral when a trial spectral loop looks real, else pingpong, said on stderr), spectral, pingpong or crossfade.")
    var mode = "auto"
    @Option(help: "Window start, seconds (default: chosen with the window).")
    var start: Double?
    @Option(help: "Window length, seconds, or auto: the most loopable window inside one shot, chosen by trial renders (reported on stderr and in --json).")
    var window = "auto"
    @Option(help: "One-off motion (an intrusion, a thing passing through) held still, from the window's steady background, when it reaches farther than this fraction of the frame's longer side; 0 = off (spectral; default: chosen by the automatic window's trials, else 0).")
    var hold: Double?
    @Option(name: .customLong("tear-guard"), help: ArgumentHelp(LoopSettings.help("guard") + "; default \(LoopSettings().tearGuard), or off when the automatic window's trials look better without it"))
    var tearGuard: Double?
    @Option(name: .customLong("scene-threshold"), help: ArgumentHelp(LoopSettings.help("scene") + "; auto windows stay inside one shot"))
    var sceneThreshold = LoopSettings().sceneThreshold
    @Option(help: "Loop length, seconds (default: the window's length).")
    var duration: Double?
    @Option(name: .customLong("k"), help: ArgumentHelp(LoopSettings.help("k")))
    var frequencies = LoopSettings().k
    @Option(help: ArgumentHelp(LoopSettings.help("amplitude")))
    var amplitude = LoopSettings().amplitude
    @Option(help: ArgumentHelp(LoopSettings.help("drift")))
    var drift = LoopSettings().drift
    @Option(help: ArgumentHelp(LoopSettings.help("tracking")))
    var tracking = LoopSettings().tracking
    @Option(help: ArgumentHelp(LoopSettings.help("period")))
    var period = LoopSettings().period
    @Option(help: ArgumentHelp(LoopSettings.help("origin")))
    var origin = LoopSettings().origin
    @Flag(inversion: .prefixedNo, help: ArgumentHelp(LoopSettings.help("still")))
    var still = LoopSettings().still
    @Flag(inversion: .prefixedNo, help: ArgumentHelp(LoopSettings.help("camera")))
    var camera = LoopSettings().camera
    @Option(help: ArgumentHelp(LoopSettings.help("fill")))
    var fill = LoopSettings().fill
    @Option(help: ArgumentHelp(LoopSettings.help("alpha")))
    var alpha = LoopSettings().alpha
    @Option(help: ArgumentHelp(LoopSettings.help("crossfade")))
    var crossfade = LoopSettings().crossfade
    @Option(help: ArgumentHelp(LoopSettings.help("repeat")))
    var `repeat` = LoopSettings().repeatCount
    @Flag(help: "Also write an animated GIF beside the MP4 (same name, .gif).")
    var gif = false
    @Option(name: .customLong("gif-width"), help: "GIF width, pixels (height in proportion; default: the video's, at most 480).")
    var gifWidth: Int?
    @Option(name: .customLong("gif-fps"), help: "GIF frame rate (default: the loop's, at most 25), rounded to whole centiseconds per frame; frames are resampled so the loop keeps its duration.")
    var gifFPS: Double?
    @Flag(name: .customLong("spectrum-only"), help: "Write only the spectrum (dataset format) to --output.")
    var spectrumOnly = false
    @Option(name: .customLong("from-spectrum"), help: ArgumentHelp(LoopSettings.help("spectrum_in")))
    var fromSpectrum: String?
    @Option(name: .customLong("flow-preset"), help: ArgumentHelp(LoopSettings.help("preset")))
    var flowPreset = LoopSettings().flowPreset
    @Option(name: .customLong("working-side"), help: ArgumentHelp(LoopSettings.help("size")))
    var size = LoopSettings().workingSide
    @OptionGroup var threadOption: ThreadOption
    @OptionGroup var encoder: EncoderOptions
    @OptionGroup var out: OutputOptions

    func validate() throws {
        try checkOutputPath(input, output)
        guard mode == "auto" || LoopMode(rawValue: mode) != nil else { throw ValidationError("--mode must be auto, spectral, pingpong or crossfade") }
        if window != "auto" {
            guard let w = Double(window), w.isFinite, w > 0 else { throw ValidationError("--window must be auto or a positive number of seconds, not \(window)") }
        }
        if let duration, !(duration.isFinite && duration > 0) { throw ValidationError("--duration must be a positive number of seconds, not \(duration)") }
        _ = try commonSettings()
        if spectrumOnly && fromSpectrum != nil { throw ValidationError("--spectrum-only and --from-spectrum exclude each other") }
        if (spectrumOnly || fromSpectrum != nil) && !["spectral", "auto"].contains(mode) { throw ValidationError("spectra belong to --mode spectral") }
        if spectrumOnly && gif { throw ValidationError("--gif needs a video; drop --spectrum-only") }
        if let gifWidth, !(16...4096).contains(gifWidth) { throw ValidationError("--gif-width must be within 16…4096 pixels") }
        if let gifFPS, !(gifFPS.isFinite && gifFPS >= 0.1 && gifFPS <= 50) { throw ValidationError("--gif-fps must be within 0.1…50") }
    }

    /// The settings every `loop` filter of this command gets (trials and the final render),
    /// checked against `LoopSettings`' ranges: an error names the flag.
    func commonSettings() throws -> LoopSettings {
        var s = LoopSettings()
        s.start = start ?? 0
        s.k = frequencies
        s.amplitude = amplitude
        s.alpha = alpha
        s.crossfade = crossfade
        s.flowPreset = flowPreset
        s.drift = drift
        s.tracking = tracking
        s.period = period
        s.origin = origin
        s.still = still
        s.camera = camera
        s.fill = fill
        s.hold = hold ?? 0
        s.tearGuard = tearGuard ?? s.tearGuard
        s.sceneThreshold = sceneThreshold
        s.repeatCount = `repeat`
        s.workingSide = size
        s.spectrumIn = fromSpectrum ?? ""
        s.threads = threadOption.count ?? 0
        return try validatedFlags(s)
    }

    /// The final render's settings, for the mode and window chosen.
    func settings(for choice: LoopChoice) throws -> LoopSettings {
        var s = try commonSettings()
        s.mode = choice.mode
        s.start = choice.start
        s.hold = choice.hold
        if choice.guardOff { s.tearGuard = 0 }
        if let w = choice.window { s.window = w }
        if let d = duration ?? choice.duration { s.duration = d }
        return s
    }

    /// The planner of the automatic window and mode.
    func makePlanner() -> LoopPlanner {
        var planner = LoopPlanner(threads: threadOption.count ?? Parallel.defaultThreads)
        planner.size = min(size, 128)
        planner.sceneThreshold = sceneThreshold > 0 ? sceneThreshold : 100
        return planner
    }

    /// The mode and window: as given, or planned (`LoopPlanner`) when auto.
    func choose() throws -> LoopChoice {
        let given = LoopMode(rawValue: mode)
        let fixedWindow = Double(window)
        if fromSpectrum != nil || (given != nil && fixedWindow != nil) || (spectrumOnly && fixedWindow != nil) {
            return LoopChoice(mode: given ?? .spectral, start: start ?? 0, window: fixedWindow, duration: nil, hold: hold ?? 0, plan: nil)
        }
        let planner = makePlanner()
        var trial = try commonSettings()
        trial.flowPreset = flowPreset == .ultrafast ? .ultrafast : .fast
        let plan = try planner.plan(path: input, mode: spectrumOnly ? .spectral : given, start: start, window: fixedWindow,
                                    settings: trial)
        return LoopChoice(mode: plan.mode, start: plan.start, window: plan.windowSeconds, duration: plan.duration,
                          hold: hold ?? (plan.mode == .spectral ? plan.hold : 0), plan: plan,
                          guardOff: tearGuard == nil && plan.guardOff)
    }

    /// The loop filter for `choice`.
    func makeLoop(_ choice: LoopChoice) throws -> LoopFilter {
        try LoopFilter(settings: settings(for: choice))
    }

    /// `-o x.gif`: the MP4 is only an intermediate, nearly lossless, never put in place.
    var gifOnly: Bool { (output as NSString).pathExtension.lowercased() == "gif" }

    /// Renders `choice` into a staged MP4 (not yet in place); with a GIF asked for, also returns
    /// the rendered frames (references, no copies), which the GIF is made from.
    func render(_ choice: LoopChoice) throws -> (LoopFilter, PipelineResult, StagedFile, [Frame]) {
        let loop = try makeLoop(choice)
        var settings = encoder.settings
        settings.bFrames = 0
        settings.editList = false
        settings.uniformQuality = true
        settings.keyframeInterval = encoder.keyint ?? 1
        // 4:2:0 unless asked otherwise: what browsers and phones play (an RGB source would
        // otherwise give H.264 4:4:4).
        if encoder.pixelFormat == nil { settings.pixelFormat = PixelFormat(name: "yuv420p") }
        var rendered: [Frame] = []
        let keep = gif || gifOnly
        let result = try runPipeline(label: "loop", input: input, output: gifOnly ? output + ".mp4" : output, filters: [loop],
                                     encoder: encoder, out: out, copyAudio: false, settings: settings, staged: true,
                                     observer: keep ? { rendered.append($0.clone()) } : nil)
        guard let mp4 = result.stagedOutput else { throw CommandError("the loop's video was not staged") }
        return (loop, result, mp4, rendered)
    }

    func run() throws {
        try runReportingErrors {
            var choice = try choose()
            if let plan = choice.plan, !out.quiet { printError("warpflow: loop: " + plan.summary(mode: mode)) }
            if spectrumOnly {
                let loop = try makeLoop(choice)
                loop.rendersFrames = false
                try LoopSpectrumExport.run(loop, input: input)
                guard let spectrum = loop.spectrum else { throw CommandError("the loop computed no spectrum") }
                try LoopSpectrumFile.write(spectrum, to: output)
                if out.json {
                    let s = loop.statistics
                    try printReport(BasicReport(summary: ReportSummary(input: .file(input), output: output, seconds: s.flowSeconds,
                                                                       framesIn: s.windowFrames, warnings: s.warnings)) { c in
                        try c.value(output, "spectrum")
                        try c.value(s.windowFrames, "window_frames")
                        try c.number(choice.start, "window_start")
                        try c.number(s.flowSeconds, "flow_seconds")
                        try c.value(loop.frequencies, "k")
                    })
                } else {
                    print("\(output): spectrum of \(loop.statistics.windowFrames) frames of \(input) (k = \(loop.frequencies))")
                }
                return
            }
            var (loop, result, mp4, rendered) = try render(choice)
            // What is shipped must look as real as its trial: checked at the trial size, and an
            // automatic spectral loop that does not falls back to pingpong.
            if mode == "auto", choice.mode == .spectral, var plan = choice.plan {
                let planner = makePlanner()
                let scores: (realism: Double, worstRealism: Double, motionRatio: Double)
                do {
                    scores = try planner.check(video: mp4.temporary, clip: input, plan: plan)
                } catch {
                    StagedFile.discard([mp4])
                    throw error
                }
                choice.checked = scores
                if !planner.passes(realism: scores.realism, worstRealism: scores.worstRealism, motionRatio: scores.motionRatio) {
                    StagedFile.discard([mp4])
                    let fps = result.outputFormat.frameRate.doubleValue
                    plan.fallback = String(format: "the spectral loop rendered at full size does not look real (realism %.2f, worst frame %.2f, "
                                           + "motion %.2f of the clip's; needs %.2f, %.2f and %.2f)", scores.realism, scores.worstRealism,
                                           scores.motionRatio, planner.minimumRealism, planner.minimumWorstRealism, planner.minimumMotionRatio)
                    plan.mode = .pingpong
                    choice = LoopChoice(mode: .pingpong, start: plan.start, window: plan.windowSeconds,
                                        duration: Double(2 * (plan.windowFrames - 1)) / fps, hold: 0, plan: plan)
                    choice.checked = scores
                    if !out.quiet { printError("warpflow: loop: fell back to pingpong: " + (plan.fallback ?? "")) }
                    (loop, result, mp4, rendered) = try render(choice)
                }
            }
            var gifPath: String?
            var gifRate: Rational?
            do {
                var files = gifOnly ? [] : [mp4]
                if gif || gifOnly {
                    let path = gifOnly ? output : (output as NSString).deletingPathExtension + ".gif"
                    let written = try RenderedGIF.write(Array(rendered.prefix(loop.statistics.loopFrames)), rate: result.outputFormat.frameRate,
                                                    to: path, width: gifWidth, fps: gifFPS)
                    files.append(written.file)
                    gifPath = path
                    gifRate = written.rate
                }
                // The MP4 and the GIF are put in place together, or neither is.
                try StagedFile.commit(files)
                if gifOnly { StagedFile.discard([mp4]) }
            } catch {
                StagedFile.discard([mp4])
                throw error
            }
            let s = loop.statistics
            if out.json {
                let rate = result.outputFormat.frameRate.doubleValue
                try printReport(BasicReport(summary: ReportSummary(
                    input: .file(input), output: output, seconds: result.elapsedSeconds, framesIn: result.framesIn,
                    framesOut: s.framesOut, warnings: s.warnings)) { c in
                    try c.value(choice.mode.rawValue, "mode")
                    try c.value(mode, "mode_requested")
                    try c.value(s.loopFrames, "loop_frames")
                    try c.value(s.windowFrames, "window_frames")
                    try c.value(s.periodFrames, "period_frames")
                    try c.value(result.outputFormat.frameRate.description, "frame_rate")
                    try c.number(Double(s.loopFrames) / rate, "duration")
                    try c.number(s.flowSeconds, "flow_seconds")
                    try c.number(s.renderSeconds, "render_seconds")
                    try c.number(s.meanMotion, "mean_motion")
                    try c.number(s.originPhase, "origin_phase")
                    try c.fraction(s.stillFraction, "still_fraction")
                    try c.fraction(s.cameraFraction, "camera_fraction")
                    try c.fraction(s.holeFraction, "hole_fraction")
                    try c.fraction(s.heldFraction, "held_fraction")
                    try c.fraction(s.guardedFraction, "guarded_fraction")
                    try c.value(s.backgroundFill, "background_fill")
                    try c.value(gifPath, "gif")
                    try c.value(gifRate?.description, "gif_frame_rate")
                    try c.number(choice.start, "window_start")
                    try c.number(choice.plan?.span ?? Double(s.windowFrames) / rate, "window_duration")
                    try c.value(choice.plan != nil && window == "auto", "window_auto")
                    try c.value(choice.plan?.fallback, "fallback")
                    let plan = choice.plan.flatMap { $0.realism >= 0 ? $0 : nil }
                    try c.number(plan?.realism, "trial_realism")
                    try c.number(plan?.worstRealism, "trial_worst_realism")
                    try c.number(plan?.motionRatio, "trial_motion_ratio")
                    try c.value(plan?.cuts, "scene_cuts")
                    try c.number(plan == nil ? nil : choice.checked?.realism, "checked_realism")
                    try c.number(plan == nil ? nil : choice.checked?.worstRealism, "checked_worst_realism")
                    try c.number(plan == nil ? nil : choice.checked?.motionRatio, "checked_motion_ratio")
                    try c.value(plan?.trialScores, "trials")
                })
            } else {
                print(String(format: "%@: %d-frame %@ loop (%@ fps)%@ in %.2f s", output, s.loopFrames, choice.mode.rawValue,
                             result.outputFormat.frameRate.description, `repeat` > 1 ? " ×\(`repeat`)" : "", result.elapsedSeconds)
                      + (gifPath.map { ", GIF \($0)" } ?? ""))
            }
            if !out.json { for w in s.warnings { printError("warpflow: warning: \(w) (--start)") } }
        }
    }
}

/// The mode and window a `loop` run renders: as given, or from a plan.
struct LoopChoice {
    var mode: LoopMode
    /// Seconds; `window` nil = the filter's default.
    var start: Double, window: Double?, duration: Double?
    var hold: Double
    var plan: LoopPlan?
    /// The planner chose to render without the tear guard.
    var guardOff = false
    /// The rendered spectral loop's own scores (realism, worst frame, motion ratio), when checked.
    var checked: (realism: Double, worstRealism: Double, motionRatio: Double)?
}

extension LoopPlan {
    /// One line for stderr: the window chosen and why (the trial's numbers, any fallback).
    func summary(mode requested: String) -> String {
        var line = String(format: "%@ loop of %.2f–%.2f s", mode.rawValue, start, start + span)
        if realism >= 0 {
            line += String(format: " (trial: realism %.2f, worst frame %.2f, motion %.2f of the clip's)", realism, worstRealism, motionRatio)
        }
        if let fallback { line += "; \(requested == "auto" ? "fell back to \(mode.rawValue)" : "note"): \(fallback)" }
        if !cuts.isEmpty { line += "; scene cuts at " + cuts.map { String(format: "%.2f s", $0) }.joined(separator: ", ") }
        return line
    }
}

/// One trial of the loop planner, as `loop --json` lists it under `trials`.
extension LoopTrialScore: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ReportKey.self)
        for (key, value) in [("start", start), ("seconds", seconds), ("hold", hold), ("tear_guard", tearGuard), ("realism", realism),
                             ("worst_realism", worstRealism), ("motion_ratio", motionRatio)] {
            try c.number(value, ReportKey(stringValue: key))
        }
    }
}
