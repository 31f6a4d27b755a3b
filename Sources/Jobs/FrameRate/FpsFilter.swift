import Foundation
import Flow
import Pipeline
import Raster
import WarpingNODE

/// `fps`: frame-rate conversion that invents the missing frames by motion, the headline job.
///
/// Output frame k sits at exactly k / fps after the first input frame (`OutputClock`, shared
/// with `blend`); an input frame that lands on the grid is passed through bit-exact; the last
/// frame is held for its display duration so the video keeps the audio's length. Frames in
/// between are made by `method`:
/// - `node` (default): a warping neural ODE per frame pair: flows both ways, a stationary
///   velocity field initialised symmetrically and fitted, integrated to any t (`WarpingNODE`),
///   both frames pulled back and blended by visibility, in the frames' own YUV planes;
/// - `flow`: linear warping by the same flows and visibility (the ablation of `node`);
/// - `blend`: linear blending of the two frames; `dup`: the nearer frame repeated.
/// With `accel=1` (default) a pair is rendered once the frame after it has arrived, and the
/// node's trajectories bend with the acceleration that frames −1, 0, 1 and 2 agree on. With
/// `dedup=auto` (default) a short run of repeated frames (animation drawn on twos or threes, a
/// stalled capture) is dropped and its slots are re-timed along the motion between the distinct
/// frames around it; a longer run is a real hold and is kept.
/// Across a scene cut (a frame marked by an upstream `scenecut`, else this filter's own
/// detector with `scene=`) nothing is morphed: the earlier frame is repeated
/// (`scene_policy=repeat`) or the two are blended (`scene_policy=blend`). Input frames whose pts
/// does not increase are dropped with a warning. Works on planar YUV or gray with 8-bit or
/// native-endian 16-bit samples (`yuv420p`, `yuv420p10le`, …); convert others with
/// `scale=format=yuv420p`.
///
/// ```
/// warpflow run in.mp4 -o out.mp4 -vf fps=fps=60
/// warpflow run in.mp4 -o out.mp4 -vf "scenecut=threshold=12,fps=fps=60000/1001:method=node"
/// warpflow run in.mp4 -o out.mp4 -vf fps=factor=2.5:method=flow
/// ```
public final class FpsFilter: VideoFilter {
    public static let name = "fps"
    public static let summary = "change frame rate by motion-compensated interpolation (warping neural ODE)"
    public static var options: [FilterOption] { FpsSettings.options }

    /// What the filter did, readable after `finish`.
    public private(set) var statistics = FpsStatistics()

    let method: FpsMethod
    let requestedRate: Rational?
    let factor: Rational?
    let sceneThreshold: Double
    let blendAcrossCuts: Bool
    let interpolator: FrameInterpolator
    /// Repeats: PSNR threshold (dB) and longest run dropped; nil = off.
    let dedup: (psnr: Double, run: Int)?
    /// Repeats of the last held frame, waiting for the next distinct frame to tell a short run
    /// (dropped) from a hold (kept).
    private var repeats: [HeldFrame] = []
    private var clock = OutputClock(rate: Rational(1, 1))
    private var bytesPerSample = 1
    private var nominalFrameTime: Rational?
    private let converter = FrameConverter()
    private var detector: SceneDetector?
    /// The pair waiting to be rendered (at most two frames; the pair is rendered when the frame
    /// after it arrives, or at the end).
    private var held: [HeldFrame] = []

    public convenience init(options: FilterOptionValues) throws {
        try self.init(settings: FpsSettings(values: options))
    }

    /// An fps filter for `settings`; throws `FilterError.invalidOption` for a field out of its
    /// range, both or neither of fps and factor, or a factor below 1.
    public init(settings given: FpsSettings) throws {
        let settings = try given.validated()
        requestedRate = settings.rate.isPositive ? settings.rate : nil
        factor = settings.rate.isPositive ? nil : settings.factor
        method = settings.method
        sceneThreshold = settings.sceneThreshold
        blendAcrossCuts = settings.scenePolicy == .blend
        dedup = settings.dedup == .off ? nil : (settings.dedupPSNR, settings.dedupRun)
        interpolator = FrameInterpolator(settings: settings.interpolation)
    }

    /// Two frames held (the current pair, rendered once the frame after it is known).
    public var window: Int { 2 }

    public var warnings: [String] { clock.droppedWarning(filter: Self.name).map { [$0] } ?? [] }

    /// Packed, semi-planar or odd-sized samples are converted to the nearest planar format.
    public func requiredPixelFormat(for input: StreamFormat) -> PixelFormat? {
        let format = input.pixelFormat
        let takes = BlendKernel.bytesPerSample(for: format) != nil && (method.isMotionCompensated ? format.isOneComponentPerPlane : true)
        return takes ? nil : FormatConversion.planarFormat(near: format)
    }

    public func configure(input: StreamFormat) throws -> StreamFormat {
        let format = input.pixelFormat
        guard let size = BlendKernel.bytesPerSample(for: format), method.isMotionCompensated ? format.isOneComponentPerPlane : true else {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "pixel format \(format) is not supported "
                + "(planar YUV or gray with 8-bit or native-endian 16-bit samples needed, e.g. yuv420p, yuv420p10le; convert first with scale=format=yuv420p)")
        }
        let minimum = interpolator.flowEstimator(lumaWidth: input.width).minimumSide
        if method.isMotionCompensated && (input.width < minimum || input.height < minimum) {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "frames of \(input.width)×\(input.height) are too small for optical flow "
                + "(at least \(minimum)×\(minimum)); use method=blend")
        }
        let rate: Rational
        if let requestedRate {
            rate = requestedRate
        } else if let factor, input.frameRate.isPositive {
            guard let product = input.frameRate.multipliedExactly(by: factor) else {
                throw FilterError.invalidOption(filter: Self.name, option: "factor", reason: "\(factor) × the input's \(input.frameRate) fps is not representable; give fps=")
            }
            rate = product
        } else {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "the input has no known frame rate, so factor= cannot apply; give fps=")
        }
        guard rate.isPositive, rate.den > 0, rate.doubleValue <= 1000 else {
            throw FilterError.invalidOption(filter: Self.name, option: "factor", reason: "the output rate \(rate) is outside 0.001…1000 fps")
        }
        bytesPerSample = size
        clock = OutputClock(rate: rate)
        nominalFrameTime = input.frameRate.isPositive ? input.frameRate.inverted : nil
        detector = sceneThreshold > 0 ? try SceneDetector(threshold: sceneThreshold) : nil
        statistics = FpsStatistics()
        statistics.outputRate = rate
        return clock.outputFormat(for: input)
    }

    public func process(_ frame: Frame, emit: FrameSink) throws {
        guard let time = clock.admit(frame) else { return }
        statistics.framesIn += 1
        // Luma is needed for cut detection and for flow.
        let luma: Plane? = method.isMotionCompensated || dedup != nil || (detector != nil && frame.sceneMark == nil) ? try converter.luma(frame) : nil
        var isCut = false
        if let mark = frame.sceneMark {
            isCut = mark.isCut && !held.isEmpty
        } else if let luma, detector != nil, let m = detector?.push(luma) {
            // The first pair has no earlier difference to compare with (scdet scores it by its
            // mafd alone), so steady fast motion would read as a cut there: it needs 4× the threshold.
            isCut = statistics.framesIn == 2 && !m.sizeChanged ? m.mafd >= 4 * sceneThreshold : m.isCut
        }
        if let dedup, !isCut, let current = luma, let reference = held.last?.luma, Self.psnr(current, reference) >= dedup.psnr {
            repeats.append(HeldFrame(frame: frame, time: time, luma: current, cutBefore: false, previousTime: nil))
            return
        }
        // Repeats before a cut end their shot: they are a hold, not drawings to re-time.
        try releaseRepeats(drop: !isCut, emit: emit)
        try accept(HeldFrame(frame: frame, time: time, luma: luma, cutBefore: isCut && !held.isEmpty, previousTime: held.last?.time), emit: emit)
    }

    /// Drops a short run of repeats (counted), or passes a hold (a longer run, or any run at the
    /// end) on as ordinary frames.
    private func releaseRepeats(drop: Bool, emit: FrameSink) throws {
        guard !repeats.isEmpty else { return }
        let run = repeats
        repeats = []
        if drop, let dedup, run.count <= dedup.run {
            statistics.repeatsDropped += run.count
            return
        }
        for r in run {
            try accept(HeldFrame(frame: r.frame, time: r.time, luma: r.luma, cutBefore: false,
                                 previousTime: held.last?.time), emit: emit)
        }
    }

    /// Holds `entry`; renders the pair before it once the frame after that pair is known (its
    /// flows give the acceleration).
    private func accept(_ entry: HeldFrame, emit: FrameSink) throws {
        if entry.cutBefore { statistics.sceneCuts += 1 }
        if held.count == 2 {
            try emitPair(held[0], held[1], next: entry, emit: emit)
            held.removeFirst()
        }
        held.append(entry)
    }

    /// Luma PSNR of two planes in [0, 1], dB (99 for identical planes, 0 for mismatched sizes).
    static func psnr(_ a: Plane, _ b: Plane) -> Double {
        guard a.width == b.width, a.height == b.height, a.count > 0 else { return 0 }
        var sum = 0.0
        for i in 0..<a.count {
            let d = Double(a.data[i] - b.data[i])
            sum += d * d
        }
        let mse = sum / Double(a.count)
        return mse <= 1e-10 ? 99 : min(99, 10 * log10(1 / mse))
    }

    public func finish(emit: FrameSink) throws {
        // Repeats at the very end are a hold: they keep the clip's last interval as it was.
        try releaseRepeats(drop: false, emit: emit)
        if held.count == 2 { try emitPair(held[0], held[1], next: nil, emit: emit) }
        guard let last = held.last else { return }
        held = []
        let end = last.time + clock.displayDuration(of: last.frame, nominalFrameTime: nominalFrameTime)
        let slots = clock.slots(before: end)
        for (i, slot) in slots.enumerated() {
            let out = i == slots.count - 1 ? last.frame : last.frame.clone()
            out.timeBase = clock.timeBase
            out.pts = slot.pts
            out.duration = 1
            statistics.framesOut += 1
            try emit(out)
        }
        statistics.droppedFrames = clock.droppedFrames
    }

    /// Emits the output slots from `a`'s time up to (not including) `b`'s.
    private func emitPair(_ a: HeldFrame, _ b: HeldFrame, next: HeldFrame?, emit: FrameSink) throws {
        var pair: InterpolatedPair?
        for slot in clock.slots(before: b.time) {
            let out: Frame
            let t = ((slot.time - a.time) / (b.time - a.time)).doubleValue
            if slot.time == a.time {
                out = a.frame.clone()
            } else if b.cutBefore && !blendAcrossCuts || method == .dup {
                out = (method == .dup && !b.cutBefore && t >= 0.5 ? b.frame : a.frame).clone()
            } else if b.cutBefore || method == .blend {
                out = try Frame(width: b.frame.width, height: b.frame.height, pixelFormat: b.frame.pixelFormat, timeBase: clock.timeBase)
                out.copyProperties(from: a.frame)
                try BlendKernel.blend(a.frame, b.frame, into: out, weight: t, bytesPerSample: bytesPerSample)
            } else {
                if pair == nil { pair = try prepare(a, b, next: next) }
                out = try pair!.render(at: t)
                statistics.framesInterpolated += 1
            }
            out.timeBase = clock.timeBase
            out.pts = slot.pts
            out.duration = 1
            statistics.framesOut += 1
            try emit(out)
        }
    }

    /// The flows from the frame before `b` to `b`, computed once and kept with `b`.
    private func flows(to b: HeldFrame, from a: HeldFrame) throws -> PairFlows {
        if let f = b.flowsFromPrevious { return f }
        let f = try interpolator.flows(firstLuma: try a.luma ?? converter.luma(a.frame), secondLuma: try b.luma ?? converter.luma(b.frame))
        statistics.flowSeconds += f.seconds
        b.flowsFromPrevious = f
        return f
    }

    private func prepare(_ a: HeldFrame, _ b: HeldFrame, next: HeldFrame?) throws -> InterpolatedPair {
        do {
            let own = try flows(to: b, from: a)
            var neighbours = PairNeighbours.none
            if method == .node && interpolator.settings.acceleration {
                let span = b.time - a.time
                // The pair before: its flows exist when it was interpolated; none across a cut.
                if !a.cutBefore, let before = a.flowsFromPrevious, let t = a.previousTime {
                    neighbours.before = (before, ((a.time - t) / span).doubleValue)
                }
                if let next, !next.cutBefore {
                    neighbours.after = (try flows(to: next, from: b), ((next.time - b.time) / span).doubleValue)
                }
            }
            let pair = try interpolator.prepare(first: a.frame, second: b.frame, firstLuma: try a.luma ?? converter.luma(a.frame),
                                                secondLuma: try b.luma ?? converter.luma(b.frame), flows: own, neighbours: neighbours)
            statistics.add(pair.statistics)
            return pair
        } catch {
            throw FilterError.processing(filter: Self.name, reason: "interpolating after input frame \(statistics.framesIn - 1): \(error)")
        }
    }
}

/// A frame the `fps` filter holds: the frame, its time, its luma (motion methods), whether a
/// scene cut separates it from the frame before, that frame's time, and the flows from it
/// (computed when first needed, then reused by the neighbouring pairs).
private final class HeldFrame {
    let frame: Frame
    let time: Rational
    let luma: Plane?
    let cutBefore: Bool
    let previousTime: Rational?
    var flowsFromPrevious: PairFlows?

    init(frame: Frame, time: Rational, luma: Plane?, cutBefore: Bool, previousTime: Rational?) {
        self.frame = frame
        self.time = time
        self.luma = luma
        self.cutBefore = cutBefore
        self.previousTime = previousTime
    }
}

/// What an `fps` filter run did (frames, cuts, time spent, warp quality).
public struct FpsStatistics: Sendable, Equatable {
    /// Frames received (not counting dropped ones) and emitted.
    public var framesIn = 0, framesOut = 0
    /// Output frames made by motion-compensated interpolation.
    public var framesInterpolated = 0
    /// Input frames dropped because their pts did not increase.
    public var droppedFrames = 0
    /// Repeated frames dropped (`dedup`): short runs of repeats re-timed along the motion.
    public var repeatsDropped = 0
    /// Scene cuts found (pairs never morphed).
    public var sceneCuts = 0
    /// Frame pairs prepared for interpolation.
    public var pairs = 0
    /// Seconds spent on optical flow and on fitting velocity fields.
    public var flowSeconds = 0.0, fitSeconds = 0.0
    /// Mean and largest fraction of folded field pixels over the pairs (0 = diffeomorphic).
    public var meanFoldedFraction = 0.0, maximumFoldedFraction = 0.0
    /// Extra smoothing rounds over all pairs, applied where an integrated field folded.
    public var smoothingRounds = 0
    /// Mean fraction of field pixels whose warp leaves the frame.
    public var meanOutOfGridFraction = 0.0
    /// Pairs whose trajectories had acceleration (four frames), and the mean agreement (0…1) of
    /// their two acceleration estimates.
    public var acceleratedPairs = 0, meanAccelerationAgreement = 0.0
    /// The output rate, frames per second.
    public var outputRate = Rational(0, 1)

    mutating func add(_ s: PairStatistics) {
        let n = Double(pairs)
        meanFoldedFraction = (meanFoldedFraction * n + s.foldedFraction) / (n + 1)
        meanOutOfGridFraction = (meanOutOfGridFraction * n + s.outOfGridFraction) / (n + 1)
        maximumFoldedFraction = max(maximumFoldedFraction, s.foldedFraction)
        fitSeconds += s.fitSeconds
        smoothingRounds += s.smoothingRounds
        if let agreement = s.accelerationAgreement {
            meanAccelerationAgreement = (meanAccelerationAgreement * Double(acceleratedPairs) + agreement) / Double(acceleratedPairs + 1)
            acceleratedPairs += 1
        }
        pairs += 1
    }
}
