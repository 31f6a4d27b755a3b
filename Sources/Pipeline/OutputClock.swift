/// The exact output clock shared by rate-changing filters (`blend`, `fps`): output frame k sits
/// at time k / rate after the first input frame, with pts = (first input pts rescaled) + k in
/// the time base 1/rate. Input times are exact rationals from each frame's own pts, so
/// variable-frame-rate input is placed where it really is.
///
/// A filter admits each input frame (`admit`), which drops frames whose pts does not increase
/// (counted in `droppedFrames`, as FFmpeg's `fps` filter drops them), then asks for the output
/// slots that fall before the new frame (`slots(before:)`) and fills each one from the pair
/// of frames around it; at the end, `slots(before: lastTime + lastDuration)` holds the last frame
/// for its display duration, so N constant-rate frames give ⌈N·rate_out/rate_in⌉ frames.
///
/// ```swift
/// var clock = OutputClock(rate: Rational(60, 1))
/// guard let time = clock.admit(frame) else { return }    // seconds since the first frame
/// for slot in clock.slots(before: time) { … slot.time, slot.pts … }
/// ```
public struct OutputClock: Sendable {
    /// One output frame: its pts in `timeBase` and its exact time in seconds after the first input frame.
    public struct Slot: Sendable, Equatable {
        public var pts: Int64
        public var time: Rational
    }

    /// Output frames per second.
    public let rate: Rational
    /// Seconds per output tick (1/rate).
    public let timeBase: Rational
    /// Input frames dropped because their pts did not increase.
    public private(set) var droppedFrames = 0
    /// The time (seconds after the first frame) of the last admitted frame.
    public private(set) var lastTime: Rational?

    private var origin: Int64?
    private var originTimeBase = Rational(1, 1)
    private var originInOutput: Int64 = 0
    private var nextIndex: Int64 = 0

    /// A clock at `rate` frames per second (must be positive).
    public init(rate: Rational) {
        self.rate = rate
        self.timeBase = rate.inverted
    }

    /// The output format for `input`: same picture, this clock's rate and time base, and the
    /// expected frame count ⌈N·rate/rate_in⌉ when the input's count and rate are known.
    public func outputFormat(for input: StreamFormat) -> StreamFormat {
        var out = input
        out.frameRate = rate
        out.timeBase = timeBase
        out.frameCount = nil
        if let n = input.frameCount, n > 0, input.frameRate.isPositive,
           let span = Rational(Int64(n), 1).multipliedExactly(by: rate)?.dividedExactly(by: input.frameRate), span.den > 0 {
            out.frameCount = Int(exactly: span.num / span.den + (span.num % span.den == 0 ? 0 : 1))
        }
        return out
    }

    /// The exact time of `frame` in seconds after the first admitted frame, or nil when its pts
    /// does not increase past the last admitted frame (the frame is dropped and counted).
    public mutating func admit(_ frame: Frame) -> Rational? {
        if origin == nil {
            origin = frame.pts
            originTimeBase = frame.timeBase
            originInOutput = Rational.rescale(frame.pts, from: frame.timeBase, to: timeBase)
        }
        let time = Rational.seconds(frame.pts, timeBase: frame.timeBase) - Rational.seconds(origin ?? 0, timeBase: originTimeBase)
        if let last = lastTime, !(last < time) {
            droppedFrames += 1
            return nil
        }
        lastTime = time
        return time
    }

    /// Every output slot not yet handed out whose time is before `end` (seconds after the first
    /// frame), in order. Each slot is handed out once.
    public mutating func slots(before end: Rational) -> [Slot] {
        var out: [Slot] = []
        while true {
            let time = Rational(nextIndex, 1) * timeBase
            let (pts, overflow) = originInOutput.addingReportingOverflow(nextIndex)
            guard time < end, !overflow else { break }
            out.append(Slot(pts: pts, time: time))
            nextIndex += 1
        }
        return out
    }

    /// How long the last frame is shown: its own duration when known, else one nominal input
    /// frame period (`nominalFrameTime`), else one output period.
    public func displayDuration(of frame: Frame, nominalFrameTime: Rational?) -> Rational {
        if frame.duration > 0 { return Rational.seconds(frame.duration, timeBase: frame.timeBase) }
        return nominalFrameTime ?? timeBase
    }

    /// A warning for the run's report when frames were dropped, else nil.
    public func droppedWarning(filter: String) -> String? {
        droppedFrames == 0 ? nil : "\(filter): dropped \(droppedFrames) input frame(s) whose pts did not increase"
    }
}
