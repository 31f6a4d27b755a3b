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
    public static let options: [FilterOption] = [
        FilterOption("fps", .rational(0...1000), default: "0", help: "output frames per second, e.g. 60, 60000/1001; 0 = use factor"),
        FilterOption("factor", .rational(0...1000), default: "0", help: "output rate as a multiple (≥ 1) of the input's nominal rate, e.g. 2 or 2.5"),
        FilterOption("method", .choice(FpsMethod.allCases.map(\.rawValue)), default: "node",
                     help: "node: warping neural ODE; flow: linear flow warping; blend: linear blend; dup: nearest frame"),
        FilterOption("scene", .double(0...100), default: "10", help: "scene-cut score threshold (0…100, as FFmpeg's scdet); 0 = never cut"),
        FilterOption("scene_policy", .choice(["repeat", "blend"]), default: "repeat", help: "what fills the frames across a cut"),
        FilterOption("preset", .choice(["auto"] + FlowEstimator.Preset.allCases.map(\.rawValue)), default: "auto",
                     help: "optical flow preset (node, flow); auto = medium computed on a grid at most 400 px wide"),
        FilterOption("fit", .int(0...200), default: "\(FitParameters().iterations)", help: "fit steps per level for node; 0 = symmetric flow initialisation only"),
        FilterOption("occlusion", .bool, default: "1", help: "weight each frame by its visibility (forward-backward check)"),
        FilterOption("smooth", .double(0...16), default: "\(InterpolationSettings().fieldSmoothing)", help: "Gaussian smoothing of the velocity field before integration, field pixels"),
        FilterOption("field_width", .int(16...65_536), default: "\(InterpolationSettings().maximumFieldWidth)", help: "the motion field's grid is the frame halved until at most this wide, pixels"),
        FilterOption("midpoint", .int(0...8), default: "\(InterpolationSettings().midpointIterations)", help: "steps that read the flows along the motion for node's initial field; 0 = at each pixel"),
        FilterOption("refine", .int(0...100), default: "0", help: "node: fixed-point iterations per level of the symmetric variational refinement of the field (visibility-masked); 0 = the field from the flows"),
        FilterOption("sampling", .choice(["bicubic", "bilinear"]), default: "bicubic", help: "how luma is read at the warped positions (chroma is read bilinearly): bicubic (Catmull-Rom, sharper) or bilinear (faster)"),
        FilterOption("accel", .bool, default: "1", help: "node: trajectories with acceleration from four frames where both sides agree (two frames at ends and cuts)"),
        FilterOption("still", .bool, default: "0", help: "per pixel, fall back to no motion where that matches the two frames better (breaks smoothness)"),
        FilterOption("dedup", .choice(["auto", "off"]), default: "auto",
                     help: "auto: runs of up to dedup_run repeated frames (animation on twos or threes, stalls) are dropped and re-timed along the real motion; longer runs are real holds and kept"),
        FilterOption("dedup_psnr", .double(30...99), default: "48", help: "a frame whose luma PSNR against the previous distinct frame is at least this is a repeat, dB"),
        FilterOption("dedup_run", .int(1...8), default: "2", help: "longest run of repeats dropped, frames"),
        FilterOption("threads", .int(0...256), default: "0", help: "worker threads; 0 = all processors"),
    ]

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

    public init(options: FilterOptionValues) throws {
        let fps = try options.rational("fps"), factor = try options.rational("factor")
        switch (fps.isPositive, factor.isPositive) {
        case (true, true):
            throw FilterError.invalidOption(filter: Self.name, option: "factor", reason: "give fps= or factor=, not both")
        case (false, false):
            throw FilterError.invalidOption(filter: Self.name, option: "fps", reason: "give the output rate as fps=60 (or 60000/1001) or factor=2")
        case (false, true):
            guard !(factor < Rational(1, 1)) else {
                throw FilterError.invalidOption(filter: Self.name, option: "factor", reason: "\(factor) is below 1; the factor multiplies the input's rate")
            }
            requestedRate = nil
            self.factor = factor
        case (true, false):
            requestedRate = fps
            self.factor = nil
        }
        guard let method = FpsMethod(rawValue: try options.string("method")) else {
            throw FilterError.invalidOption(filter: Self.name, option: "method", reason: "unknown method")
        }
        self.method = method
        sceneThreshold = try options.double("scene")
        blendAcrossCuts = try options.string("scene_policy") == "blend"
        var settings = InterpolationSettings()
        settings.method = method == .flow ? .flow : .node
        settings.flowPreset = FlowEstimator.Preset(rawValue: try options.string("preset"))
        settings.fit.iterations = try options.int("fit")
        settings.occlusion = try options.bool("occlusion")
        settings.fieldSmoothing = Float(try options.double("smooth"))
        settings.maximumFieldWidth = try options.int("field_width")
        settings.midpointIterations = try options.int("midpoint")
        settings.staticCandidate = try options.bool("still")
        settings.acceleration = try options.bool("accel")
        settings.refinement = try options.int("refine")
        settings.bicubic = try options.string("sampling") == "bicubic"
        let threads = try options.int("threads")
        if threads > 0 { settings.threads = threads }
        dedup = try options.string("dedup") == "off" ? nil : (try options.double("dedup_psnr"), try options.int("dedup_run"))
        interpolator = FrameInterpolator(settings: settings)
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

/// The `method=` of the `fps` filter.
public enum FpsMethod: String, CaseIterable, Sendable {
    case node, flow, blend, dup
    /// True for the methods that estimate motion.
    var isMotionCompensated: Bool { self == .node || self == .flow }
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
