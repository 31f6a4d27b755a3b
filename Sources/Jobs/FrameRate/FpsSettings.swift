import Flow
import MediaIO
import Pipeline
import WarpingNODE

/// The `method=` of the `fps` filter.
public enum FpsMethod: String, CaseIterable, Sendable {
    case node, flow, blend, dup
    /// True for the methods that estimate motion.
    var isMotionCompensated: Bool { self == .node || self == .flow }
}

/// The `scene_policy=` of the `fps` filter: what fills the frames across a scene cut.
public enum FpsScenePolicy: String, CaseIterable, Sendable {
    case `repeat`, blend
}

/// The `preset=` of the `fps` filter: a flow preset, or `auto` (medium computed on a grid at
/// most 400 px wide).
public enum FpsFlowPreset: String, CaseIterable, Sendable {
    case auto, ultrafast, fast, medium, high
    /// The flow preset, nil for auto.
    public var preset: FlowEstimator.Preset? { FlowEstimator.Preset(rawValue: rawValue) }
}

/// The `sampling=` of the `fps` filter: how luma is read at the warped positions.
public enum FpsSampling: String, CaseIterable, Sendable {
    case bicubic, bilinear
}

/// The `dedup=` of the `fps` filter.
public enum FpsDedup: String, CaseIterable, Sendable {
    case auto, off
}

/// Everything an `fps` run is told, as one typed value: the `fps` filter's option table, the
/// chain parser and `warpflow fps`'s flags all come from `fields`. Rates are frames per second;
/// `fieldWidth` and `smoothing` are pixels; `dedupPSNR` is dB.
public struct FpsSettings: JobSettings, Equatable {
    /// The output rate (0 = use `factor`) or the output rate as a multiple of the input's
    /// (0 = use `rate`); exactly one is set.
    public var rate = Rational(0, 1), factor = Rational(0, 1)
    public var method = FpsMethod.node
    /// Scene-cut score threshold, 0…100 (as FFmpeg's scdet); 0 = never cut.
    public var sceneThreshold = 10.0
    public var scenePolicy = FpsScenePolicy.repeat
    public var flowPreset = FpsFlowPreset.auto
    /// Fit steps per level (node); 0 = the symmetric flow initialisation only.
    public var fit = FitParameters().iterations
    public var occlusion = true
    /// Gaussian smoothing of the velocity field before integration, field pixels.
    public var smoothing = Double(InterpolationSettings().fieldSmoothing)
    /// The motion field's grid is the frame halved until at most this wide, pixels.
    public var fieldWidth = InterpolationSettings().maximumFieldWidth
    public var midpoint = InterpolationSettings().midpointIterations
    public var refine = 0
    public var sampling = FpsSampling.bicubic
    public var acceleration = true
    public var still = false
    public var dedup = FpsDedup.auto
    public var dedupPSNR = 48.0
    public var dedupRun = 2
    /// Worker threads; 0 = all processors.
    public var threads = 0

    public init() {}

    public static let filterName = "fps"

    public static var fields: [SettingField<FpsSettings>] {[
        .rational("fps", \.rate, 0...1000, help: "output frames per second, e.g. 60, 60000/1001; 0 = use factor"),
        .rational("factor", \.factor, 0...1000, help: "output rate as a multiple (≥ 1) of the input's nominal rate, e.g. 2 or 2.5"),
        .choice("method", \.method, help: "node: warping neural ODE; flow: linear flow warping; blend: linear blend; dup: nearest frame"),
        .double("scene", \.sceneThreshold, 0...100, flag: "--scene-threshold",
                help: "scene-cut score threshold (as FFmpeg's scdet); 0 = never cut"),
        .choice("scene_policy", \.scenePolicy, flag: "--scene-policy", help: "what fills the frames across a cut"),
        .choice("preset", \.flowPreset, flag: "--flow-preset",
                help: "optical flow preset (node, flow); auto = medium computed on a grid at most 400 px wide"),
        .int("fit", \.fit, 0...200, help: "fit steps per level for node; 0 = symmetric flow initialisation only"),
        .bool("occlusion", \.occlusion, flag: "--no-occlusion", help: "weight each frame by its visibility (forward-backward check)"),
        .double("smooth", \.smoothing, 0...16, help: "Gaussian smoothing of the velocity field before integration, field pixels"),
        .int("field_width", \.fieldWidth, 16...65_536, help: "the motion field's grid is the frame halved until at most this wide, pixels"),
        .int("midpoint", \.midpoint, 0...8, help: "steps that read the flows along the motion for node's initial field; 0 = at each pixel"),
        .int("refine", \.refine, 0...100,
             help: "node: fixed-point iterations per level of the symmetric variational refinement of the field (visibility-masked); 0 = the field from the flows"),
        .choice("sampling", \.sampling,
                help: "how luma is read at the warped positions (chroma is read bilinearly): bicubic (Catmull-Rom, sharper) or bilinear (faster)"),
        .bool("accel", \.acceleration, flag: "--no-acceleration",
              help: "node: trajectories with acceleration from four frames where both sides agree (two frames at ends and cuts)"),
        .bool("still", \.still, help: "per pixel, fall back to no motion where that matches the two frames better (breaks smoothness)"),
        .choice("dedup", \.dedup,
                help: "auto: runs of up to dedup_run repeated frames (animation on twos or threes, stalls) are dropped and re-timed along the real motion; longer runs are real holds and kept"),
        .double("dedup_psnr", \.dedupPSNR, 30...99, help: "a frame whose luma PSNR against the previous distinct frame is at least this is a repeat, dB"),
        .int("dedup_run", \.dedupRun, 1...8, help: "longest run of repeats dropped, frames"),
        .int("threads", \.threads, 0...256, help: "worker threads; 0 = all processors"),
    ]}

    /// Exactly one of `fps` and `factor`, and a factor of at least 1.
    public func checkCombination() throws {
        switch (rate.isPositive, factor.isPositive) {
        case (true, true):
            throw FilterError.invalidOption(filter: Self.filterName, option: "factor", reason: "give fps= or factor=, not both")
        case (false, false):
            throw FilterError.invalidOption(filter: Self.filterName, option: "fps", reason: "give the output rate as fps=60 (or 60000/1001) or factor=2")
        case (false, true):
            if factor < Rational(1, 1) {
                throw FilterError.invalidOption(filter: Self.filterName, option: "factor", reason: "\(factor) is below 1; the factor multiplies the input's rate")
            }
        case (true, false):
            break
        }
    }

    /// The interpolator's settings.
    var interpolation: InterpolationSettings {
        var s = InterpolationSettings()
        s.method = method == .flow ? .flow : .node
        s.flowPreset = flowPreset.preset
        s.fit.iterations = fit
        s.occlusion = occlusion
        s.fieldSmoothing = Float(smoothing)
        s.maximumFieldWidth = fieldWidth
        s.midpointIterations = midpoint
        s.staticCandidate = still
        s.acceleration = acceleration
        s.refinement = refine
        s.bicubic = sampling == .bicubic
        if threads > 0 { s.threads = threads }
        return s
    }
}
