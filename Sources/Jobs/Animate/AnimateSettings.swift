import Flow
import MediaIO
import Pipeline

/// How the in-between frames of an animation are made (`--method`).
public enum AnimateMethod: String, CaseIterable, Sendable {
    /// Warping neural ODE: one velocity field for the pair, integrated to any t, A pulled back
    /// by φ_{−t} and B by φ_{1−t}: points move along the field's curves (arcs for a rotation).
    case node
    /// Linear flow morphing by the same flows (the baseline the ODE is measured against).
    case flow
    /// Crossfade: (1 − t)·A + t·B, no motion at all.
    case blend
}

/// The time curve of an animation (`--ease`).
public enum AnimateEase: String, CaseIterable, Sendable {
    /// t = i / (n − 1).
    case linear
    /// t = 3s² − 2s³ (smoothstep): the motion starts and ends at rest.
    case smooth

    /// The time of frame `i` of `count` (0 … 1; frame 0 is A, the last is B).
    public func time(frame i: Int, of count: Int) -> Double {
        guard count > 1 else { return 0 }
        let s = Double(i) / Double(count - 1)
        switch self {
        case .linear: return s
        case .smooth: return s * s * (3 - 2 * s)
        }
    }
}

/// What happens when B's size differs from A's (`--fit`).
public enum AnimateFit: String, CaseIterable, Sendable {
    /// Refused with an error naming both sizes.
    case refuse
    /// B scaled to fit inside A's size, the rest black.
    case pad
    /// B scaled to cover A's size, the overflow cropped, centred.
    case crop
}

/// Everything `warpflow animate` is told, as one typed value (its flags, help and ranges come
/// from `fields`). Seconds and frames per second; `frames` 0 = `duration × fps`.
public struct AnimateSettings: JobSettings, Equatable {
    /// Frames of the animation, A and B included; 0 = round(duration × fps) + 1.
    public var frames = 0
    /// Length of the animation, seconds (used when `frames` is 0).
    public var duration = 2.0
    /// Frame rate of the output, frames per second.
    public var fps = 25.0
    public var ease = AnimateEase.smooth
    public var method = AnimateMethod.node
    public var fit = AnimateFit.refuse
    /// Play the animation forwards, then backwards (A → B → A), for a loop.
    public var pingpong = false
    /// Fixed-point iterations per level of the symmetric variational refinement of the
    /// velocity field (node); 0 = the field from the flows.
    public var refine = 5
    /// Iterations that correct the velocity field towards the logarithm of the pair's maps
    /// (node), so a turn follows its arc rather than its chord; 0 = the field from the flows.
    public var arc = 5
    /// Largest motion searched, as a fraction of the pictures' longer side.
    public var reach = 1.0 / 3
    /// Worker threads; 0 = all processors.
    public var threads = 0

    public init() {}

    public static let filterName = "animate"

    public static var fields: [SettingField<AnimateSettings>] {[
        .int("frames", \.frames, 0...100_000, help: "frames of the animation, A and B included; 0 = duration × fps + 1"),
        .double("duration", \.duration, 0.04...600, help: "length of the animation, seconds (when --frames is 0)"),
        .double("fps", \.fps, 1...240, help: "output frame rate, frames per second"),
        .choice("ease", \.ease, help: "time curve: linear, or smooth (starts and ends at rest)"),
        .choice("method", \.method, help: "node: warping neural ODE; flow: linear flow morphing; blend: crossfade"),
        .choice("fit", \.fit, help: "when B's size differs from A's: refuse, pad (B inside A's frame) or crop (B covering it)"),
        .bool("pingpong", \.pingpong, help: "play A → B → A, for a loop"),
        .int("refine", \.refine, 0...100, help: "node: symmetric variational refinement of the velocity field, iterations per level; 0 = the field from the flows"),
        .int("arc", \.arc, 0...50, help: "node: iterations that correct the field towards the logarithm of the pair's maps, so a turn follows its arc; 0 = the field from the flows"),
        .double("reach", \.reach, 0.05...0.5, help: "largest motion searched, as a fraction of the pictures' longer side"),
        .int("threads", \.threads, 0...256, help: "worker threads; 0 = all processors"),
    ]}

    /// The number of frames from A to B (A and B included).
    public var frameCount: Int { frames > 0 ? frames : max(2, Int((duration * fps).rounded()) + 1) }

    /// At least two frames from A to B.
    public func checkCombination() throws {
        if frames == 1 {
            throw FilterError.invalidOption(filter: Self.filterName, option: "frames", reason: "an animation needs at least 2 frames (A and B)")
        }
    }
}
