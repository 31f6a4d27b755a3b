import Pipeline

/// Everything `warpflow poke` is told besides its pokes, as one typed value (its flags, help and
/// ranges come from `fields`). Seconds, frames per second; `damping` is the damping ratio ζ of
/// every mode (each mode's amplitude falls by e^(−2πζ) per period).
public struct PokeSettings: JobSettings, Equatable {
    /// Damping ratio of every mode, 0 … 0.9.
    public var damping = 0.05
    /// Length of the output, seconds.
    public var duration = 3.0
    /// Frame rate of the output, frames per second.
    public var fps = 30.0
    /// The frame rate of the clip the spectrum came from (0 = the file's `fps`).
    public var spectrumFPS = 0.0
    /// Softmax splatting sharpness, per pixel of modal amplitude.
    public var alpha = 1.0
    /// Tear guard: where the response would stretch or fold the picture by more than this many
    /// pixels per pixel, it is scaled down there; 0 = off.
    public var tearGuard = 0.7
    /// Worker threads; 0 = all processors.
    public var threads = 0

    public init() {}

    public static let filterName = "poke"

    public static var fields: [SettingField<PokeSettings>] {[
        .double("damping", \.damping, 0...0.9, help: "damping ratio of every mode: its amplitude falls by e^(−2π·damping) per period"),
        .double("duration", \.duration, 0.04...600, help: "length of the output, seconds"),
        .double("fps", \.fps, 1...240, help: "output frame rate, frames per second"),
        .double("spectrum_fps", \.spectrumFPS, 0...1000, flag: "--spectrum-fps",
                help: "frame rate of the clip the spectrum came from, which sets the modes' frequencies; 0 = the file's"),
        .double("alpha", \.alpha, -100...100, help: "softmax splatting sharpness, per pixel of modal amplitude"),
        .double("guard", \.tearGuard, 0...100, flag: "--tear-guard",
                help: "where the response would stretch or fold the picture by more than this (pixels per pixel), scale it down; 0 = off"),
        .int("threads", \.threads, 0...256, help: "worker threads; 0 = all processors"),
    ]}
}

/// One poke: a force pulling the pixel at (`x`, `y`) by (`dx`, `dy`) (pixels of the still),
/// released at t = 0.
public struct Poke: Sendable, Equatable {
    public var x: Double, y: Double, dx: Double, dy: Double

    public init(x: Double, y: Double, dx: Double, dy: Double) {
        self.x = x
        self.y = y
        self.dx = dx
        self.dy = dy
    }

    /// Parses `X,Y` (a point) or `DX,DY` (a force): two finite numbers separated by a comma.
    public static func pair(_ text: String) -> (Double, Double)? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Double(parts[0].trimmingCharacters(in: .whitespaces)),
              let b = Double(parts[1].trimmingCharacters(in: .whitespaces)), a.isFinite, b.isFinite else { return nil }
        return (a, b)
    }
}
