import Pipeline

/// `blend`: frame-rate conversion by linear blending of the two nearest source frames (like
/// FFmpeg's `framerate` filter), the baseline the motion-compensated `fps` filter must beat.
///
/// Output frame k is at time k / fps after the first input frame, with pts k in the exact
/// time base 1/fps (`fps=60000/1001` gives time base 1001/60000). Where that time lands
/// exactly on a source frame, the frame is emitted untouched (bit-exact); elsewhere the two
/// neighbours are blended with weights by distance. The output covers the same time as the
/// input, up to the end of the last frame's display duration (which is held, not blended), so
/// the video keeps the length of the audio: N constant-rate input frames give
/// ⌈N·fps_out/fps_in⌉ frames.
/// Works on whole 8-bit or native-endian 16-bit samples of planar, semi-planar or byte-packed
/// layouts (no colour conversion); other layouts are rejected in `configure` (see
/// `BlendKernel.bytesPerSample(for:)`).
///
/// ```
/// warpflow run in.mp4 -o out.mp4 -vf blend=fps=60
/// warpflow run in.mp4 -o out.mp4 -vf blend=60000/1001
/// ```
public final class BlendFilter: VideoFilter {
    public static let name = "blend"
    public static let summary = "change frame rate by blending neighbouring frames (baseline)"
    public static let options: [FilterOption] = [
        FilterOption("fps", .rational(0.001...1000), default: nil, help: "output frames per second, e.g. 60, 60000/1001, 29.97"),
    ]

    /// Output frames per second.
    public let rate: Rational
    private var clock: OutputClock
    private var bytesPerSample = 1
    private var nominalFrameTime: Rational?
    private var previous: Frame?
    private var previousTime = Rational(0, 1)
    private var firstTime: Rational?

    public init(options: FilterOptionValues) throws {
        rate = try options.rational("fps")
        clock = OutputClock(rate: rate)
    }

    public var window: Int { 1 }

    /// Input frames whose pts did not increase are dropped, as FFmpeg's `fps` filter does.
    public var warnings: [String] { clock.droppedWarning(filter: Self.name).map { [$0] } ?? [] }

    /// Formats without whole 8- or 16-bit samples are converted to the nearest planar one.
    public func requiredPixelFormat(for input: StreamFormat) -> PixelFormat? {
        BlendKernel.bytesPerSample(for: input.pixelFormat) != nil ? nil : FormatConversion.planarFormat(near: input.pixelFormat)
    }

    public func configure(input: StreamFormat) throws -> StreamFormat {
        let format = input.pixelFormat
        guard let size = BlendKernel.bytesPerSample(for: format) else {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "pixel format \(format) is not supported "
                + "(whole 8-bit or native-endian 16-bit samples needed, e.g. yuv420p, yuv420p10le, rgb24; convert first with scale=format=yuv420p)")
        }
        bytesPerSample = size
        nominalFrameTime = input.frameRate.isPositive ? input.frameRate.inverted : nil
        return clock.outputFormat(for: input)
    }

    /// Throws `FilterError.processing` for a frame whose pts is too corrupt to be placed on the
    /// output clock exactly (its time, its distance from the first frame, or its output tick
    /// beyond 64 bits), instead of blending at a wrong time.
    public func process(_ frame: Frame, emit: FrameSink) throws {
        try checkTimestamp(of: frame)
        guard let time = clock.admit(frame) else { return }
        guard let prev = previous else {
            previous = frame
            previousTime = time
            return
        }
        // Every output time in [previousTime, time) comes from prev (exact) or a blend.
        for slot in clock.slots(before: time) {
            let out: Frame
            if slot.time == previousTime {
                out = prev.clone()
            } else {
                // Exact distances; their ratio in Double is all a blend weight needs.
                let w = try exactly("the blend weight") {
                    try slot.time.subtracting(previousTime).doubleValue / time.subtracting(previousTime).doubleValue
                }
                out = try Frame(width: prev.width, height: prev.height, pixelFormat: prev.pixelFormat, timeBase: clock.timeBase)
                out.copyProperties(from: prev)
                try BlendKernel.blend(prev, frame, into: out, weight: w, bytesPerSample: bytesPerSample)
            }
            out.timeBase = clock.timeBase
            out.pts = slot.pts
            out.duration = 1
            try emit(out)
        }
        previous = frame
        previousTime = time
    }

    /// The checks `OutputClock.admit` relies on, done with the checked forms so that a corrupt
    /// pts is reported rather than silently dropped or misplaced.
    private func checkTimestamp(of frame: Frame) throws {
        try exactly("frame \(frame.index): pts \(frame.pts) in time base \(frame.timeBase)") {
            let time = try Rational.seconds(checked: frame.pts, timeBase: frame.timeBase)
            _ = try time.subtracting(firstTime ?? time)
            _ = try Rational.rescale(checked: frame.pts, from: frame.timeBase, to: clock.timeBase)
            if firstTime == nil { firstTime = time }
        }
    }

    /// Runs exact arithmetic about `what`, turning `RationalError` into this filter's error.
    private func exactly<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RationalError {
            throw FilterError.processing(filter: Self.name, reason: "\(what()) cannot be computed exactly; the timestamps are corrupt (\(error))")
        }
    }

    public func finish(emit: FrameSink) throws {
        guard let last = previous else { return }
        previous = nil
        // The last frame is shown for its display duration: output times in [its time, its end)
        // show it untouched.
        let end = try exactly("the end of the last frame (duration \(last.duration) in time base \(last.timeBase))") {
            try previousTime.adding(clock.displayDuration(of: last, nominalFrameTime: nominalFrameTime))
        }
        let slots = clock.slots(before: end)
        for (i, slot) in slots.enumerated() {
            let out = i == slots.count - 1 ? last : last.clone()
            out.timeBase = clock.timeBase
            out.pts = slot.pts
            out.duration = 1
            try emit(out)
        }
    }
}
