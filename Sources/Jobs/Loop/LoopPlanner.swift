import Foundation
import MediaIO
import Flow
import Pipeline
import Raster

/// What `LoopPlanner` chose: the window, the mode, and the trial that decided them.
public struct LoopPlan: Sendable, Equatable {
    /// The mode to render with.
    public var mode: LoopMode
    /// The window's first frame, seconds (its presentation time), and its length in frames
    /// and in seconds (frames ÷ the nominal rate).
    public var start: Double, windowFrames: Int, windowSeconds: Double
    /// The loop's length in seconds (the window's time span for spectral, its frames at the
    /// nominal rate for crossfade; pingpong plays the window out and back).
    public var duration: Double
    /// The window's time span by its frames' timestamps, seconds (frames × the nominal frame
    /// interval when those agree; longer for a clip whose frames are sparser than its rate).
    public var span = 0.0
    /// `hold=` of the chosen spectral trial (0 = off).
    public var hold: Double
    /// True when the chosen spectral trial ran without the tear guard.
    public var guardOff = false
    /// The best spectral trial (at the planner's small size): realism = mean over its frames of
    /// the best SSIM against any window frame, its worst frame's, and the motion ratio = mean
    /// frame-to-frame flow length of the loop ÷ the window's. −1 when no spectral trial ran.
    public var realism = -1.0, worstRealism = -1.0, motionRatio = -1.0
    /// Why the mode is not spectral, when `auto` fell back; nil otherwise.
    public var fallback: String?
    /// Spectral trials rendered.
    public var trials = 0
    /// Scene cuts found in the part of the clip read, seconds.
    public var cuts: [Double] = []
    /// Every spectral trial: window start and length (seconds), hold, and its three scores.
    public var trialScores: [LoopTrialScore] = []
}

/// One spectral trial of `LoopPlanner`.
public struct LoopTrialScore: Sendable, Equatable {
    public var start: Double, seconds: Double, hold: Double, tearGuard: Double
    public var realism: Double, worstRealism: Double, motionRatio: Double
}

/// Chooses a loop's window and mode (`warpflow loop --window auto --mode auto`): reads up to
/// `maximumFrames` frames at a small size, splits them at scene cuts (and skips flat frames as
/// starts), and renders spectral trial loops of candidate windows (lengths of about 3, 2, 4 and
/// 5 s, starts every half second, inside one shot) with the `loop` filter itself, so every
/// guard the final render uses is in the trial. Each trial is scored by what a viewer sees:
/// realism (each loop frame's best SSIM against the window's frames) and whether it still
/// moves (motion ratio ≥ `minimumMotionRatio`). The best trial wins; with `auto`, a spectral
/// loop is kept only when its realism reaches `minimumRealism` on average and
/// `minimumWorstRealism` on its worst frame, else the plan falls back to pingpong, whose frames
/// are the clip's own, and says why.
public struct LoopPlanner {
    /// Longer side of the trial frames, pixels.
    public var size = 128
    /// Frames read from the start (or from `start`), at most.
    public var maximumFrames = 450
    /// Spectral trials rendered, at most.
    public var maximumTrials = 10
    /// Thresholds of `auto` (see the type's documentation).
    public var minimumRealism = 0.90, minimumWorstRealism = 0.80, minimumMotionRatio = 0.3
    /// Scene-cut score (as `scenecut`).
    public var sceneThreshold = 12.0
    /// Worker threads for the trials.
    public var threads: Int

    public init(threads: Int = Parallel.defaultThreads) { self.threads = threads }

    /// A plan for `path`. `mode` nil = auto; `start`/`window` (seconds) nil = chosen.
    /// Every spectral trial renders with `settings` (k, drift, tracking, …, as the final render
    /// gets them), its window, size, hold and threads set by the planner.
    /// `progress` is called with the fraction of the work done.
    public func plan(path: String, mode: LoopMode?, start: Double?, window: Double?, settings: LoopSettings = LoopSettings(),
                     progress: ((Double) -> Void)? = nil) throws -> LoopPlan {
        let clip = try TrialClip(path: path, size: size, from: start, maximumFrames: maximumFrames, sceneThreshold: sceneThreshold)
        let fps = clip.rate.doubleValue
        guard clip.frames.count >= 2 else {
            throw FilterError.processing(filter: LoopFilter.name, reason: "\(path): \(clip.frames.count) frame(s) from \(start ?? 0) s; a loop needs at least 2")
        }
        let segments = clip.segments()
        guard let longest = segments.max(by: { $0.count < $1.count }) else {
            throw FilterError.processing(filter: LoopFilter.name, reason: "\(path): no frame with any contrast to start a loop on")
        }
        let wanted = window.map { max(2, Int(($0 * fps).rounded())) }
        var plan = LoopPlan(mode: mode ?? .spectral, start: clip.times[longest.lowerBound], windowFrames: 0, windowSeconds: 0,
                            duration: 0, hold: 0, cuts: clip.cuts)
        // Spectral trials.
        if mode == nil || mode == .spectral {
            let candidates = Self.candidates(segments: segments, fps: fps, wanted: wanted, fixedStart: start != nil, limit: maximumTrials)
            var best: (score: Double, trial: Trial)?
            var done = 0
            let total = Double(candidates.count + 3)
            // Every window without holding, then the best two again holding one-off motion.
            var ranked: [Trial] = []
            var firstError: String?
            for c in candidates {
                do {
                    ranked.append(try trial(clip, start: c.lowerBound, frames: c.count, hold: 0, settings: settings, into: &plan.trialScores))
                } catch {
                    firstError = firstError ?? "\(error)"
                }
                done += 1
                progress?(Double(done) / total)
            }
            ranked.sort { $0.score > $1.score }
            best = ranked.first.map { ($0.score, $0) }
            // The best window again: holding one-off motion, and (when the guard is on)
            // without the tear guard, which slows things that swing whole.
            let guardOn = settings.tearGuard > 0
            let variants: [(hold: Double, guardOff: Bool)] = [(0.08, false), (0.15, false)] + (guardOn ? [(0, true)] : [])
            for w in ranked.prefix(1) {
                for v in variants {
                    var o = settings
                    if v.guardOff { o.tearGuard = 0 }
                    if var t = try? trial(clip, start: w.start, frames: w.frames, hold: v.hold, settings: o, into: &plan.trialScores) {
                        t.guardOff = v.guardOff
                        if t.score > best!.score { best = (t.score, t) }
                    }
                    done += 1
                    progress?(Double(done) / total)
                }
            }
            plan.trials = done
            if let b = best?.trial {
                plan.realism = b.realism
                plan.worstRealism = b.worstRealism
                plan.motionRatio = b.motionRatio
                plan.hold = b.hold
                plan.guardOff = b.guardOff
                plan.start = clip.times[b.start]
                plan.windowFrames = b.frames
                let good = passes(realism: b.realism, worstRealism: b.worstRealism, motionRatio: b.motionRatio)
                if mode == .spectral || good {
                    plan.mode = .spectral
                    plan.windowSeconds = Double(b.frames) / fps
                    // Played at the clip's own speed: frames far apart in time (a clip whose
                    // timestamps are sparser than its nominal rate) make a longer loop.
                    plan.span = clip.span(start: b.start, frames: b.frames)
                    plan.duration = plan.span
                    return plan
                }
                plan.fallback = String(format: "no spectral loop looks real here (best trial, %.2f–%.2f s: realism %.2f, worst frame %.2f, "
                                       + "motion %.2f of the clip's; needs %.2f, %.2f and %.2f)", clip.times[b.start],
                                       clip.times[b.start] + Double(b.frames) / fps, b.realism, b.worstRealism, b.motionRatio,
                                       minimumRealism, minimumWorstRealism, minimumMotionRatio)
            } else {
                plan.fallback = "no window of the clip could be rendered as a spectral loop"
                    + (firstError.map { " (\($0))" } ?? (candidates.isEmpty ? " (no shot of 8 frames or more)" : ""))
            }
        }
        // Pingpong (the fallback) and crossfade: a window inside one shot, at its start.
        let chosen = mode == nil ? LoopMode.pingpong : mode!
        plan.mode = chosen
        let first = start != nil ? segments.first ?? longest : longest
        let frames = min(first.count, wanted ?? Int((3 * fps).rounded()))
        plan.start = clip.times[first.lowerBound]
        switch chosen {
        case .pingpong:
            plan.windowFrames = max(2, frames)
            plan.duration = Double(2 * (plan.windowFrames - 1)) / fps
        case .crossfade, .spectral:
            let fade = max(1, Int((0.5 * fps).rounded()))
            plan.windowFrames = max(2, frames - fade)
            plan.duration = Double(plan.windowFrames) / fps
        }
        plan.windowSeconds = Double(plan.windowFrames) / fps
        plan.span = clip.span(start: first.lowerBound, frames: plan.windowFrames)
        return plan
    }

    /// Candidate windows (frame ranges of the clip read), at most `limit`, spread evenly over
    /// every length and start: inside one segment, lengths of about 3, 2, 4 and 5 s (or
    /// `wanted`), at least 8 frames, a segment shorter than them whole; starts every half
    /// second (only the segment's first with a fixed start).
    static func candidates(segments: [Range<Int>], fps: Double, wanted: Int?, fixedStart: Bool, limit: Int) -> [Range<Int>] {
        var all: [Range<Int>] = []
        let lengths = wanted.map { [$0] } ?? [3.0, 2, 4, 5].map { Int(($0 * fps).rounded()) }
        let step = max(1, Int((0.5 * fps).rounded()))
        for segment in segments where segment.count >= 8 {
            var seen = Set<Int>()
            for l in lengths.map({ min($0, segment.count) }) where l >= 8 && seen.insert(l).inserted {
                var s = segment.lowerBound
                while s + l <= segment.upperBound {
                    all.append(s..<(s + l))
                    if fixedStart { break }
                    s += step
                }
            }
        }
        guard all.count > limit, limit > 0 else { return all }
        return (0..<limit).map { all[$0 * all.count / limit] }
    }

    /// One spectral trial's scores.
    struct Trial {
        var start: Int, frames: Int, hold: Double
        var realism: Double, worstRealism: Double, motionRatio: Double
        var guardOff = false
        /// Realism on average and on the worst frame; a loop that hardly moves scores below any
        /// that does.
        var score: Double { (motionRatio >= 0.3 ? 0 : -10) + realism + 0.5 * worstRealism + 0.1 * min(1, motionRatio) }
    }

    /// Renders the spectral loop of frames start ..< start + frames (reading one more when the
    /// clip has it, as the filter does) at the trial size and scores it.
    private func trial(_ clip: TrialClip, start: Int, frames: Int, hold: Double, settings: LoopSettings,
                       into trials: inout [LoopTrialScore]) throws -> Trial {
        let fps = clip.rate.doubleValue
        var o = settings
        o.mode = .spectral
        o.start = max(0, clip.times[start] - 0.25 / fps)
        o.window = Double(frames) / fps
        o.duration = Double(frames) / fps
        o.workingSide = size
        o.flowPreset = o.flowPreset == .ultrafast ? .ultrafast : .fast
        o.hold = hold
        o.sceneThreshold = 0
        o.threads = threads
        if o.k > LoopMotion.maximumFrequencies(windowLength: frames - 1) { o.k = 0 }
        var chain = try FilterChain(filters: [try LoopFilter(settings: o)], input: clip.format)
        var output: [Frame] = []
        for i in start..<min(clip.frames.count, start + frames + 1) where !chain.isFinished {
            try chain.push(clip.frames[i].clone()) { output.append($0) }
        }
        try chain.finish { output.append($0) }
        let converter = FrameConverter()
        let loop = try output.map { try converter.luma($0) }
        let scores = try score(loop: loop, window: Array(clip.lumas[start..<(start + frames)]))
        let t = Trial(start: start, frames: frames, hold: hold, realism: scores.realism, worstRealism: scores.worstRealism,
                      motionRatio: scores.motionRatio)
        trials.append(LoopTrialScore(start: clip.times[start], seconds: Double(frames) / fps, hold: hold,
                                     tearGuard: o.tearGuard, realism: t.realism,
                                     worstRealism: t.worstRealism, motionRatio: t.motionRatio))
        return t
    }

    /// Realism (mean and worst, over at most 16 loop frames spread evenly) of `loop` against
    /// `window` (luma planes of one size), and the motion ratio (mean flow length of the loop ÷
    /// the window's).
    func score(loop: [Plane], window: [Plane]) throws -> (realism: Double, worstRealism: Double, motionRatio: Double) {
        let reference = try SimilarityReference(frames: window)
        let every = max(1, loop.count / 16)
        let scores = stride(from: 0, to: loop.count, by: every).map { reference.bestSSIM(loop[$0]).ssim }
        let estimator = FlowEstimator(preset: .fast, threads: threads)
        let change = try Self.meanFlow(loop, estimator), sourceChange = try Self.meanFlow(window, estimator)
        return (scores.reduce(0, +) / Double(max(1, scores.count)), scores.min() ?? 0, sourceChange > 1e-6 ? change / sourceChange : 0)
    }

    /// The scores of a rendered loop (the video at `video`, e.g. a staged output) against the
    /// window `plan` chose in the clip at `path`, as the trials were scored: the check that
    /// what is shipped looks as real as its trial did.
    public func check(video: String, clip path: String, plan: LoopPlan) throws -> (realism: Double, worstRealism: Double, motionRatio: Double) {
        let clip = try TrialClip(path: path, size: size, from: plan.start, maximumFrames: plan.windowFrames, sceneThreshold: 100)
        let reader = try VideoReader(path: video)
        let converter = FrameConverter()
        var loop: [Plane] = []
        while let frame = try reader.nextFrame() {
            let gray = try converter.convert(frame, width: clip.format.width, height: clip.format.height, pixelFormat: .gray, algorithm: .area)
            loop.append(try converter.luma(gray))
        }
        guard !loop.isEmpty, !clip.lumas.isEmpty else { return (0, 0, 0) }
        var scores = try score(loop: loop, window: clip.lumas)
        // Per loop, not per frame: a loop that plays a sparse clip's window at its own speed
        // has more, smaller steps than the window.
        scores.motionRatio *= Double(loop.count) / Double(clip.lumas.count)
        return scores
    }

    /// Whether scores pass `auto`'s thresholds.
    public func passes(realism: Double, worstRealism: Double, motionRatio: Double) -> Bool {
        realism >= minimumRealism && worstRealism >= minimumWorstRealism && motionRatio >= minimumMotionRatio
    }

    /// Mean optical-flow length (pixels) between consecutive planes, over at most 12 pairs
    /// spread evenly: motion, which coding noise and flicker do not inflate as a luma
    /// difference would.
    static func meanFlow(_ planes: [Plane], _ estimator: FlowEstimator) throws -> Double {
        guard planes.count >= 2 else { return 0 }
        let pairs = planes.count - 1, every = max(1, pairs / 12)
        var total = 0.0, n = 0
        for i in stride(from: 0, to: pairs, by: every) {
            let f = try estimator.flow(from: planes[i], to: planes[i + 1])
            var sum: Float = 0
            for j in 0..<f.u.count { sum += (f.u.data[j] * f.u.data[j] + f.v.data[j] * f.v.data[j]).squareRoot() }
            total += Double(sum) / Double(max(1, f.u.count))
            n += 1
        }
        return total / Double(max(1, n))
    }
}

/// The frames a plan is made from: gray, longer side `size`, with their times and the scene
/// cuts between them.
struct TrialClip {
    var frames: [Frame] = [], lumas: [Plane] = [], times: [Double] = []
    /// Indices of frames that begin a new shot, and their times.
    var cutIndices: [Int] = [], cuts: [Double] = []
    /// Indices of frames too flat to start a loop on (luma standard deviation under 0.02).
    var flat: Set<Int> = []
    let rate: Rational
    let format: StreamFormat

    init(path: String, size: Int, from start: Double?, maximumFrames: Int, sceneThreshold: Double) throws {
        let reader = try VideoReader(path: path)
        rate = reader.info.frameRate.isPositive ? reader.info.frameRate : Rational(25, 1)
        let scale = min(1, Double(size) / Double(max(reader.info.width, reader.info.height)))
        let w = max(16, Int((Double(reader.info.width) * scale / 2).rounded()) * 2)
        let h = max(16, Int((Double(reader.info.height) * scale / 2).rounded()) * 2)
        let converter = FrameConverter()
        var scenes = try SceneDetector(threshold: sceneThreshold)
        var timeBase = reader.info.timeBase
        while frames.count < maximumFrames, let frame = try reader.nextFrame() {
            let time = (try? Rational.seconds(checked: frame.pts, timeBase: frame.timeBase))?.doubleValue ?? 0
            if let start, time < start - 0.5 / rate.doubleValue { continue }
            let gray = try converter.convert(frame, width: w, height: h, pixelFormat: .gray, algorithm: .area)
            gray.pts = frame.pts
            gray.timeBase = frame.timeBase
            timeBase = frame.timeBase
            let luma = try converter.luma(gray)
            if let m = scenes.push(luma), m.isCut {
                cutIndices.append(frames.count)
                cuts.append(time)
            }
            if luma.standardDeviation < 0.02 { flat.insert(frames.count) }
            frames.append(gray)
            lumas.append(luma)
            times.append(time)
        }
        format = StreamFormat(width: w, height: h, pixelFormat: .gray, timeBase: timeBase, frameRate: rate, frameCount: nil)
    }

    /// Seconds from frame `start` to the end of frame `start + frames − 1`, by the timestamps
    /// (the last frame lasting the median interval); frames ÷ rate when the timestamps are not
    /// usable.
    func span(start: Int, frames: Int) -> Double {
        let nominal = Double(frames) / rate.doubleValue
        let end = start + frames - 1
        guard frames >= 2, end < times.count else { return nominal }
        let intervals = zip(times[start..<end], times[(start + 1)...end]).map { $1 - $0 }.sorted()
        let median = intervals[intervals.count / 2]
        let s = times[end] - times[start] + median
        // Within 20% of the nominal length, the nominal one (rounding of timestamps).
        return s.isFinite && s > 0 && abs(s - nominal) > 0.2 * nominal ? s : nominal
    }

    /// The shots: frame ranges between cuts, each starting at its first frame that is not flat.
    func segments() -> [Range<Int>] {
        let bounds = [0] + cutIndices + [frames.count]
        return zip(bounds, bounds.dropFirst()).compactMap { a, b in
            guard let first = (a..<b).first(where: { !flat.contains($0) }) else { return nil }
            return first..<b
        }
    }
}
