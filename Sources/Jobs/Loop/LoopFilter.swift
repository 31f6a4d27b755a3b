import Foundation
import Flow
import Spectral
import Pipeline
import Raster

/// `loop`: turns a window of the clip into a video that loops forever without a seam.
///
/// - `spectral` (default, Generative Image Dynamics): the window's per-pixel trajectories
///   (consecutive flows composed, or direct flow from its first frame), drift taken out, K
///   lowest harmonics kept and replayed so the motion returns exactly to its start after
///   `duration`, the drift played back as a swing out and back (`drift=swing`, the default) or
///   left out (`drift=remove`); every frame is rendered from the window's first frame by
///   softmax splatting in the frame's own planes. Pixels that stay put over the window, and
///   those whose track was lost, and flat regions of the reference that are mostly still
///   (`still=1`, `StillPixelDetector`), are held exactly still, so
///   an encoder codes them the same in every frame. Pixels that nothing follows in most frames
///   move with the camera instead of their own track when the camera moves (`camera=1`: an
///   affine map fitted robustly to each step's flow). Holes of the splat are filled push-pull,
///   or (`fill=background`) from the window's steady background where it has one. The file
///   begins (`origin=auto`) at the half-frame phase where the step into the first frame is an
///   ordinary one, or (`origin=reference`) on the reference frame itself. The window's W
///   frames and the frame after them (when the clip has it) make one period of W steps, or
///   (`period=auto`) n ≥ 0.85·W steps ending on the frame whose motion out of it best matches
///   the first frame's; a harmonic completes k cycles per loop, so motion runs period/duration
///   times faster than in the clip.
/// - `pingpong`: the window forwards then backwards (a "boomerang").
/// - `crossfade`: the window with its last `crossfade` seconds blended into its start.
///
/// Output: exactly round(duration × fps) frames (× `repeat`) at the input's frame rate, pts
/// 0, 1, 2 … in time base 1/fps. The spectrum used is a value after `finish` (`spectrum`;
/// `LoopSpectrumFile.write` saves it in the dataset format); `spectrum_in=` renders from such a
/// file instead of estimating motion.
public final class LoopFilter: VideoFilter {
    public static let name = "loop"
    public static let summary = "seamless loop of a window: spectral motion resynthesis, pingpong or crossfade"
    public static var options: [FilterOption] { LoopSettings.options }

    let mode: LoopMode
    let start: Double, windowSeconds: Double, durationSeconds: Double, crossfadeSeconds: Double
    public private(set) var frequencies: Int
    let amplitude: Float, alpha: Float, repeatCount: Int, workingSide: Int
    let preset: FlowEstimator.Preset
    let drift: LoopDrift
    let tracking: TrajectoryMode
    let period: LoopPeriod
    let origin: LoopOrigin
    let holdStill: Bool
    let followCamera: Bool
    let fill: LoopHoleFill
    /// One-off motion reach (fraction of the working longer side; 0 = off), tear guard limit
    /// (0 = off), scene-cut score (0 = off).
    let holdReach: Double, guardLimit: Float, sceneThreshold: Double
    let spectrumIn: String?
    let threads: Int
    /// False to compute the motion only (its `spectrum`) and emit no frames: for a caller that
    /// wants the spectrum alone. Set before the first frame.
    public var rendersFrames = true
    /// The spectral motion used, after `finish` (spectral mode; nil otherwise).
    public private(set) var spectrum: LoopSpectrum?
    /// True once `finish` has emitted the loop.
    private var flushed = false
    /// What the filter did, readable after `finish`.
    public internal(set) var statistics = LoopStatistics()

    private var rate = Rational(30, 1)
    private var windowFrames = 150, loopFrames = 150
    private var bytesPerSample = 1
    private var held: [Frame] = []
    /// Frames spread evenly over a tracked window, for its steady background (fill=background).
    private var backgroundSamples: [Frame] = []
    private var tracker: TrajectoryTracker?
    /// The reference frame's working-size luma (tracked windows only).
    private var referenceLuma: Plane?
    private var trajectories: [FlowField] = []
    private var stillDetector: StillPixelDetector?
    /// The camera's motion from the reference to each frame of the window (camera=1).
    var cameras: [AffineMotion] = []
    /// Pixels held still because their motion is one-off, 0 … 1 (feathered), working size.
    var heldWeights: Plane?
    private var collected = 0
    private var done = false
    private var workingSize = (width: 0, height: 0)
    private let converter = FrameConverter()
    var scenes: SceneDetector?

    public convenience init(options: FilterOptionValues) throws {
        try self.init(settings: LoopSettings(values: options))
    }

    /// A loop filter for `settings`; throws `FilterError.invalidOption` for a field out of its
    /// range or a spectrum file outside spectral mode.
    public init(settings given: LoopSettings) throws {
        let settings = try given.validated()
        mode = settings.mode
        start = settings.start
        windowSeconds = settings.window
        durationSeconds = settings.duration
        crossfadeSeconds = settings.crossfade
        frequencies = settings.k
        amplitude = Float(settings.amplitude)
        alpha = Float(settings.alpha)
        repeatCount = settings.repeatCount
        workingSide = settings.workingSide
        preset = settings.flowPreset
        drift = settings.drift
        tracking = settings.tracking
        period = settings.period
        origin = settings.origin
        holdStill = settings.still
        followCamera = settings.camera
        fill = settings.fill
        holdReach = settings.hold
        guardLimit = Float(settings.tearGuard)
        sceneThreshold = settings.sceneThreshold
        spectrumIn = settings.spectrumIn.isEmpty ? nil : settings.spectrumIn
        threads = settings.threads > 0 ? settings.threads : Parallel.defaultThreads
        if spectrumIn != nil && mode != .spectral {
            throw FilterError.invalidOption(filter: Self.name, option: "spectrum_in", reason: "only mode=spectral renders from a spectrum")
        }
    }

    public var window: Int { windowFrames }
    public var isFinished: Bool { done }

    /// Packed and semi-planar formats are converted to the nearest planar one.
    public func requiredPixelFormat(for input: StreamFormat) -> PixelFormat? {
        let format = input.pixelFormat
        return BlendKernel.bytesPerSample(for: format) != nil && format.isOneComponentPerPlane ? nil : FormatConversion.planarFormat(near: format)
    }

    public func configure(input: StreamFormat) throws -> StreamFormat {
        guard let size = BlendKernel.bytesPerSample(for: input.pixelFormat), input.pixelFormat.isOneComponentPerPlane else {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "pixel format \(input.pixelFormat) is not supported "
                + "(planar YUV or gray, 8-bit or native 16-bit; convert first with scale=format=yuv420p)")
        }
        bytesPerSample = size
        guard input.frameRate.isPositive, input.frameRate.doubleValue <= 1000 else {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "the input has no usable frame rate (\(input.frameRate))")
        }
        rate = input.frameRate
        let fps = rate.doubleValue
        windowFrames = windowSeconds > 0 ? Int((windowSeconds * fps).rounded()) : 150
        if let available = input.frameCount, windowSeconds == 0 {
            windowFrames = min(windowFrames, max(0, available - Int((start * fps).rounded())))
        }
        let duration = durationSeconds > 0 ? durationSeconds : Double(windowFrames) / fps
        let frames = (duration * fps).rounded()
        guard frames.isFinite, frames >= 2, frames <= 1_000_000 else {
            throw FilterError.invalidOption(filter: Self.name, option: "duration", reason: "\(duration) s at \(rate) fps gives \(frames) frames; a loop needs 2 … 1000000")
        }
        loopFrames = Int(frames)
        switch mode {
        case .spectral:
            if spectrumIn == nil {
                guard windowFrames >= 4 else {
                    throw FilterError.invalidOption(filter: Self.name, option: "window", reason: "\(windowFrames) frames; the spectral mode needs at least 4")
                }
                let limit = LoopMotion.maximumFrequencies(windowLength: windowFrames - 1)
                if frequencies == 0 { frequencies = min(16, limit) }
                guard frequencies >= 2 else {
                    throw FilterError.invalidOption(filter: Self.name, option: "k", reason: "\(frequencies) is below 2 (k = 0 carries no motion)")
                }
                guard frequencies <= limit else {
                    throw FilterError.invalidOption(filter: Self.name, option: "k", reason: "\(frequencies) is larger than a window of \(windowFrames) frames allows (at most \(limit))")
                }
            }
        case .pingpong:
            // Even L: f0 … f(n−1) … f1 (2n − 2 frames); odd L: the turning frame held once more.
            windowFrames = loopFrames % 2 == 0 ? loopFrames / 2 + 1 : (loopFrames + 1) / 2
        case .crossfade:
            let fade = max(1, Int((crossfadeSeconds * fps).rounded()))
            windowFrames = loopFrames + fade
        }
        let scale = min(1, Double(workingSide) / Double(max(input.width, input.height)))
        workingSize = (max(16, Int((Double(input.width) * scale).rounded())), max(16, Int((Double(input.height) * scale).rounded())))
        statistics = LoopStatistics()
        statistics.loopFrames = loopFrames
        statistics.windowFrames = windowFrames
        return StreamFormat(width: input.width, height: input.height, pixelFormat: input.pixelFormat, timeBase: rate.inverted,
                            frameRate: rate, frameCount: loopFrames * repeatCount)
    }

    public func process(_ frame: Frame, emit: FrameSink) throws {
        guard !done else { return }
        let time = (try? Rational.seconds(checked: frame.pts, timeBase: frame.timeBase))?.doubleValue ?? 0
        guard time >= start - 0.5 / rate.doubleValue else { return }
        collected += 1
        if sceneThreshold > 0, collected <= windowFrames {
            try checkCut(frame, time: time)
        }
        if mode != .spectral || held.isEmpty { held.append(frame) }
        // Up to LoopBackground.samples frames, evenly spread over the window (the first included).
        let index = collected - 1, samples = LoopBackground.samples
        if mode == .spectral, spectrumIn == nil, rendersFrames, fill == .background || holdReach > 0, index < windowFrames,
           index == 0 || index * samples / windowFrames != (index - 1) * samples / windowFrames {
            backgroundSamples.append(frame)
        }
        if mode == .spectral && spectrumIn == nil {
            let luma = try workingLuma(frame)
            if tracker == nil {
                referenceLuma = luma
                statistics.referenceContrast = luma.standardDeviation
                tracker = try TrajectoryTracker(reference: luma, mode: tracking, estimator: FlowEstimator(preset: preset, threads: threads),
                                                estimatesCamera: followCamera)
                if holdStill || followCamera { stillDetector = StillPixelDetector(reference: luma) }
            } else {
                let clock = ContinuousClock()
                var field = FlowField(width: 0, height: 0)
                let d = try clock.measure { field = try tracker!.push(luma) }
                statistics.flowSeconds += Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
                trajectories.append(field)
                if followCamera { cameras.append(tracker!.camera) }
                if trajectories.count <= windowFrames {
                    let camera = followCamera ? tracker!.camera.displacement(width: luma.width, height: luma.height) : nil
                    try stillDetector?.add(frame: luma, trajectory: field, camera: camera, threads: threads)
                }
            }
        }
        // A tracked window of W frames also reads frame W when the clip has it: the frame one
        // loop after the reference closes the period (W steps, motion at the clip's speed); and
        // frame W + 1, whose motion out of frame W period=auto compares with the first step.
        let needed = mode != .spectral ? windowFrames : spectrumIn != nil ? 1 : windowFrames + (period == .auto ? 2 : 1)
        if collected >= needed { done = true }
    }

    public func finish(emit: FrameSink) throws {
        // Everything was emitted by the first finish: a second one has nothing to add.
        if flushed { return }
        guard let first = held.first else {
            throw FilterError.processing(filter: Self.name, reason: "no frame at or after the start (\(start) s)")
        }
        if mode != .spectral || spectrumIn == nil, collected < windowFrames {
            throw FilterError.processing(filter: Self.name, reason: "the clip has \(collected) frames after \(start) s; "
                + "the \(mode.rawValue) loop needs \(windowFrames) (shorten window= or duration=)")
        }
        var frames: [Frame] = []
        let clock = ContinuousClock()
        let renderTime = try clock.measure {
            switch mode {
            case .spectral: frames = try spectralFrames(reference: first)
            case .pingpong: frames = pingpongFrames()
            case .crossfade: frames = try crossfadeFrames()
            }
        }
        statistics.renderSeconds = Double(renderTime.components.seconds) + Double(renderTime.components.attoseconds) * 1e-18
        var pts: Int64 = 0
        for r in 0..<repeatCount {
            for (i, f) in frames.enumerated() {
                let out = r == repeatCount - 1 ? f : f.clone()
                out.timeBase = rate.inverted
                out.pts = pts
                out.duration = 1
                pts += 1
                statistics.framesOut += 1
                try emit(out)
                if r == repeatCount - 1 { frames[i] = out }
            }
        }
        held = []
        flushed = true
        backgroundSamples = []
        trajectories = []
        referenceLuma = nil
        stillDetector = nil
        cameras = []
        heldWeights = nil
    }

    /// The frame's luma at the working size, or at `width × height` when given.
    func workingLuma(_ frame: Frame, width: Int? = nil, height: Int? = nil) throws -> Plane {
        let gray = try converter.convert(frame, width: width ?? workingSize.width, height: height ?? workingSize.height,
                                         pixelFormat: .gray, algorithm: .area)
        return try converter.luma(gray)
    }

    private func spectralFrames(reference: Frame) throws -> [Frame] {
        var motion: LoopMotion
        var alreadyGuarded = false
        do {
            if let path = spectrumIn {
                let read = try LoopSpectrumFile.read(path: path, amplitude: amplitude)
                motion = read.motion
                // Guarded once already, at this amplitude or below, within this limit: kept as it is.
                alreadyGuarded = read.guardLimit.map { $0 <= guardLimit && amplitude <= 1 } ?? false
            } else {
                // F_1 … F_W are the window's steps; F_{W+1}, when read, shows the motion out of frame W.
                let steps = min(trajectories.count, windowFrames)
                // Periods K allows (n ≥ 2K − 1), at most 15% shorter than the window.
                let shortest = max(2 * frequencies - 1, Int((Double(steps) * 0.85).rounded(.up)))
                let periodSteps = period == .auto && shortest < steps
                    ? LoopMotion.closingPeriod(trajectories: trajectories, range: shortest...steps) : steps
                var kept = Array(trajectories.prefix(periodSteps))
                if let detector = stillDetector {
                    let still = detector.stillMask()
                    if followCamera {
                        let mask = detector.cameraMask(stillMask: still)
                        kept = StillPixelDetector.followingCamera(kept, cameras: cameras, mask: mask)
                        statistics.cameraFraction = StillPixelDetector.fraction(of: mask)
                    }
                    if holdStill {
                        kept = StillPixelDetector.holdingStill(kept, mask: still)
                        statistics.stillFraction = StillPixelDetector.fraction(of: still)
                    }
                }
                statistics.periodFrames = periodSteps
                kept = holdingOneOffMotion(kept)
                motion = try LoopMotion(trajectories: kept, frequencies: frequencies, amplitude: amplitude, drift: drift,
                                        threads: threads)
            }
            if !alreadyGuarded { motion = try guardingTears(motion) }
            spectrum = LoopSpectrum(motion: motion, reference: reference, workingLuma: try referenceLuma ?? workingLuma(reference),
                                    rate: rate, guardLimit: guardLimit > 0 ? guardLimit : nil)
        } catch let error as FilterError {
            throw error
        } catch {
            throw FilterError.processing(filter: Self.name, reason: "\(error)")
        }
        // Each pixel's mean motion over the loop: splatting's importance, and the reported mean.
        let importance = motion.meanMagnitude()
        statistics.meanMotion = Double(importance.data.reduce(0, +)) / Double(max(1, importance.count))
        guard rendersFrames else { return [] }
        let background = backgroundSamples.count >= 3
            ? try LoopBackground.planes(of: backgroundSamples, threads: threads) : nil
        backgroundSamples = []
        let plate = heldWeights.flatMap { w in background.map { (weight: w, planes: $0) } }
        var renderer = try LoopRenderer(motion: motion, importance: importance, reference: reference, alpha: alpha,
                                        background: fill == .background ? background : nil, cleanPlate: plate, threads: threads)
        var phase = 0.0
        if origin == .auto {
            let luma = try referenceLuma ?? workingLuma(reference, width: motion.width, height: motion.height)
            phase = motion.ordinaryWrapPhase(frames: loopFrames, reference: luma)
        }
        statistics.originPhase = phase
        let frames: [Frame]
        do {
            frames = try (0..<loopFrames).map { try renderer.render(phase: phase + Double($0) / Double(loopFrames)) }
        } catch FilterError.processing(let filter, let reason) where spectrumIn != nil {
            throw FilterError.processing(filter: filter, reason: "\(spectrumIn ?? ""): \(reason) (a damaged or edited spectrum?)")
        }
        let pixels = Double(reference.width) * Double(reference.height) * Double(max(1, loopFrames))
        statistics.holeFraction = Double(renderer.holes) / pixels
        statistics.backgroundFill = renderer.holes > 0 ? Double(renderer.holesFromBackground) / Double(renderer.holes) : 0
        return frames
    }

    private func pingpongFrames() -> [Frame] {
        let forward = Array(held.prefix(windowFrames))
        let turn = loopFrames % 2 == 1 ? [forward[forward.count - 1]] : []
        let cycle = forward + turn + forward.dropFirst().dropLast().reversed()
        return (0..<loopFrames).map { cycle[$0 % max(1, cycle.count)].clone() }
    }

    private func crossfadeFrames() throws -> [Frame] {
        let fade = windowFrames - loopFrames
        return try (0..<loopFrames).map { i in
            guard i < fade else { return held[i].clone() }
            let out = try held[i].copy()
            // Frame i blends the clip's continuation (frame loopFrames + i) into frame i.
            try BlendKernel.blend(held[loopFrames + i], held[i], into: out, weight: Double(i + 1) / Double(fade + 1),
                                  bytesPerSample: bytesPerSample)
            return out
        }
    }
}
