import Flow
import Pipeline
import Spectral


/// The `mode=` of the `loop` filter.
public enum LoopMode: String, CaseIterable, Sendable {
    case spectral, pingpong, crossfade
}

/// The `period=` of the `loop` filter: how many of the window's steps one period of the
/// spectral loop's motion spans.
public enum LoopPeriod: String, CaseIterable, Sendable {
    /// The whole window (W steps).
    case window
    /// Up to 15% fewer, ending on the frame whose motion out of it best matches the first
    /// frame's (`LoopMotion.closingPeriod`).
    case auto
}

/// The `fill=` of the `loop` filter: what fills the picture that the loop's motion uncovers,
/// where no pixel of the reference frame lands (spectral).
public enum LoopHoleFill: String, CaseIterable, Sendable {
    /// The window's steady background (`StaticBackground`: the median of frames spread over the
    /// window, where most of them agree), so a thing moving over a still scene uncovers the scene
    /// seen in the other frames; elsewhere `smooth`. Not the default: where the flow diverges
    /// (flat areas of a rotating picture) holes are large and a static plate in them shows.
    case background
    /// A smooth fill from the hole's neighbourhood (push-pull), the reference frame alone (the
    /// default).
    case smooth
}

/// The `origin=` of the `loop` filter: the loop phase of the file's first frame (spectral).
public enum LoopOrigin: String, CaseIterable, Sendable {
    /// The half-frame phase where the step into the first frame is an ordinary one
    /// (`LoopMotion.ordinaryWrapPhase`): the wrap, where players restart, is then neither the
    /// clip's fastest nor its slowest moment, and no frame is the untouched reference (sharper
    /// than the resampled ones, a flicker once per loop).
    case auto
    /// Phase 0: the first frame is the window's first frame itself.
    case reference
}

/// Everything a `loop` run is told, as one typed value: the `loop` filter's option table, the
/// chain parser and `warpflow loop`'s flags all come from `fields`, so a name, a range, a
/// default or a help line is written once. Times are seconds; `workingSide` is pixels.
public struct LoopSettings: JobSettings, Equatable {
    public var mode = LoopMode.spectral
    /// Window start and length, loop length, crossfade length (seconds; 0 = the default).
    public var start = 0.0, window = 0.0, duration = 0.0, crossfade = 0.5
    /// Harmonics kept; 0 = 16, or fewer when the window is short.
    public var k = 0
    public var amplitude = 1.0, alpha = 1.0
    public var drift = LoopDrift.swing
    public var tracking = TrajectoryMode.chained
    public var period = LoopPeriod.window
    public var origin = LoopOrigin.auto
    public var still = true, camera = true
    /// One-off motion reach (fraction of the working longer side; 0 = off), tear-guard limit
    /// (pixels per pixel; 0 = off), scene-cut score (0 = never).
    public var hold = 0.0, tearGuard = 0.7, sceneThreshold = 12.0
    public var fill = LoopHoleFill.smooth
    public var repeatCount = 1
    /// The longer side motion is estimated at, pixels.
    public var workingSide = 320
    public var flowPreset = FlowEstimator.Preset.medium
    /// A spectrum file to render from instead of estimating motion ("" = none).
    public var spectrumIn = ""
    /// Worker threads; 0 = all processors.
    public var threads = 0

    public init() {}

    public static let filterName = "loop"

    public static var fields: [SettingField<LoopSettings>] {[
        .choice("mode", \.mode, help: "spectral, pingpong or crossfade"),
        .double("start", \.start, 0...1e7, help: "window start, seconds"),
        .double("window", \.window, 0...1e5, help: "window length, seconds; 0 = 150 frames or the rest of the clip"),
        .double("duration", \.duration, 0...1e5, help: "loop length, seconds; 0 = the window's length"),
        .int("k", \.k, 0...1024, help: "harmonics kept (spectral); 0 = 16, or fewer when the window is short"),
        .double("amplitude", \.amplitude, 0...100, help: "motion amplitude factor (spectral)"),
        .choice("drift", \.drift, help: "motion that does not return: swing (played out and back) or remove (spectral)"),
        .choice("tracking", \.tracking, help: "trajectories: chained (consecutive flows composed) or direct (frame 0 to t) (spectral)"),
        .choice("period", \.period,
                help: "loop period: window, or auto (up to 15% shorter, ending where the motion matches the first step) (spectral)"),
        .choice("origin", \.origin,
                help: "where the file begins on the loop: auto (the phase where the wrap is an ordinary step) or reference (the window's first frame) (spectral)"),
        .bool("still", \.still, help: "hold pixels that do not move in the window exactly still (spectral, motion estimated)"),
        .bool("camera", \.camera,
              help: "pixels that no track follows move with the camera (an affine fit of the flow) when it moves (spectral, motion estimated)"),
        .double("hold", \.hold, 0...1,
                help: "hold still, whole and from the window's steady background, pixels whose motion is one-off (reaches farther than this fraction of the working frame's longer side and never comes back, or only briefly); 0 = off (spectral, motion estimated)"),
        .double("guard", \.tearGuard, 0...100, flag: "--tear-guard",
                help: "tear guard: where the loop's motion would stretch or fold the picture by more than this (pixels per pixel), smooth it and scale it down; 0 = off (spectral)"),
        .double("scene", \.sceneThreshold, 0...100, flag: "--scene-threshold",
                help: "scene-cut score (as scenecut) at which a window is refused as spanning a cut; 0 = never (all modes)"),
        .double("alpha", \.alpha, -100...100, help: "softmax splatting sharpness, per pixel of mean motion (spectral)"),
        .choice("fill", \.fill,
                help: "what fills the picture the motion uncovers: smooth (from the neighbourhood) or background (the window's steady background where it has one, else smooth; for a thing crossing a still scene) (spectral; a spectrum_in render is always smooth)"),
        .double("crossfade", \.crossfade, 0...1e5, help: "crossfade length, seconds (crossfade)"),
        .int("repeat", \.repeatCount, 1...1000, help: "write the loop this many times"),
        .int("size", \.workingSide, 32...4096, flag: "--working-side",
             help: "motion is estimated with the frame's longer side scaled to at most this, pixels"),
        .choice("preset", \.flowPreset, flag: "--flow-preset", help: "optical flow preset"),
        .string("spectrum_in", \.spectrumIn, flag: "--from-spectrum",
                help: "render from this spectrum file (.safetensors) instead of estimating motion"),
        .int("threads", \.threads, 0...256, help: "worker threads; 0 = all processors"),
    ]}
}

