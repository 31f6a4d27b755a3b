import Foundation
import Motion
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
        FilterOption("still", .bool, default: "0", help: "per pixel, fall back to no motion where that matches the two frames better (breaks smoothness)"),
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
    private var clock = OutputClock(rate: Rational(1, 1))
    private var bytesPerSample = 1
    private var nominalFrameTime: Rational?
    private let converter = FrameConverter()
    private var detector: SceneDetector?
    private var previous: (frame: Frame, time: Rational, luma: Plane?)?

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
        let threads = try options.int("threads")
        if threads > 0 { settings.threads = threads }
        interpolator = FrameInterpolator(settings: settings)
    }

    /// One frame held (the earlier frame of the current pair).
    public var window: Int { 1 }

    public var warnings: [String] { clock.droppedWarning(filter: Self.name).map { [$0] } ?? [] }

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
        let luma: Plane? = method.isMotionCompensated || (detector != nil && frame.sceneMark == nil) ? try converter.luma(frame) : nil
        var isCut = false
        if let mark = frame.sceneMark {
            isCut = mark.isCut && previous != nil
        } else if let luma, detector != nil, let m = detector?.push(luma) {
            // The first pair has no earlier difference to compare with (scdet scores it by its
            // mafd alone), so steady fast motion would read as a cut there: it needs 4× the threshold.
            isCut = statistics.framesIn == 2 && !m.sizeChanged ? m.mafd >= 4 * sceneThreshold : m.isCut
        }
        guard let prev = previous else {
            previous = (frame, time, luma)
            return
        }
        if isCut { statistics.sceneCuts += 1 }
        var pair: InterpolatedPair?
        for slot in clock.slots(before: time) {
            let out: Frame
            let t = ((slot.time - prev.time) / (time - prev.time)).doubleValue
            if slot.time == prev.time {
                out = prev.frame.clone()
            } else if isCut && !blendAcrossCuts || method == .dup {
                out = (method == .dup && !isCut && t >= 0.5 ? frame : prev.frame).clone()
            } else if isCut || method == .blend {
                out = try Frame(width: frame.width, height: frame.height, pixelFormat: frame.pixelFormat, timeBase: clock.timeBase)
                out.copyProperties(from: prev.frame)
                try BlendKernel.blend(prev.frame, frame, into: out, weight: t, bytesPerSample: bytesPerSample)
            } else {
                if pair == nil { pair = try prepare(prev.frame, frame, prev.luma, luma) }
                out = try pair!.render(at: t)
                statistics.framesInterpolated += 1
            }
            out.timeBase = clock.timeBase
            out.pts = slot.pts
            out.duration = 1
            statistics.framesOut += 1
            try emit(out)
        }
        previous = (frame, time, luma)
    }

    public func finish(emit: FrameSink) throws {
        guard let last = previous else { return }
        previous = nil
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

    private func prepare(_ a: Frame, _ b: Frame, _ la: Plane?, _ lb: Plane?) throws -> InterpolatedPair {
        do {
            let pair = try interpolator.prepare(first: a, second: b, firstLuma: try la ?? converter.luma(a), secondLuma: try lb ?? converter.luma(b))
            statistics.add(pair.statistics)
            return pair
        } catch {
            throw FilterError.processing(filter: Self.name, reason: "interpolating after input frame \(statistics.framesIn - 1): \(error)")
        }
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
    /// Scene cuts found (pairs never morphed).
    public var sceneCuts = 0
    /// Frame pairs prepared for interpolation.
    public var pairs = 0
    /// Seconds spent on optical flow and on fitting velocity fields.
    public var flowSeconds = 0.0, fitSeconds = 0.0
    /// Mean and largest fraction of folded field pixels over the pairs (0 = diffeomorphic).
    public var meanFoldedFraction = 0.0, maximumFoldedFraction = 0.0
    /// Mean fraction of field pixels whose warp leaves the frame.
    public var meanOutOfGridFraction = 0.0
    /// The output rate, frames per second.
    public var outputRate = Rational(0, 1)

    mutating func add(_ s: PairStatistics) {
        let n = Double(pairs)
        meanFoldedFraction = (meanFoldedFraction * n + s.foldedFraction) / (n + 1)
        meanOutOfGridFraction = (meanOutOfGridFraction * n + s.outOfGridFraction) / (n + 1)
        maximumFoldedFraction = max(maximumFoldedFraction, s.foldedFraction)
        flowSeconds += s.flowSeconds
        fitSeconds += s.fitSeconds
        pairs += 1
    }
}
