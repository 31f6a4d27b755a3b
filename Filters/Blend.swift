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
    private var outTimeBase = Rational(1, 1)
    private var bytesPerSample = 1
    private var previous: Frame?
    private var previousTime = Rational(0, 1)
    private var inputFrameTime = Rational(0, 1)
    private var origin: Int64?
    private var originInOutput: Int64 = 0
    private var nextIndex: Int64 = 0

    public init(options: FilterOptionValues) throws {
        rate = try options.rational("fps")
    }

    public var window: Int { 1 }

    public func configure(input: StreamFormat) throws -> StreamFormat {
        let format = input.pixelFormat
        guard let size = BlendKernel.bytesPerSample(for: format) else {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "pixel format \(format) is not supported "
                + "(whole 8-bit or native-endian 16-bit samples needed, e.g. yuv420p, yuv420p10le, rgb24; convert first with scale=format=yuv420p)")
        }
        bytesPerSample = size
        outTimeBase = rate.inverted
        inputFrameTime = input.frameRate.isPositive ? input.frameRate.inverted : outTimeBase
        var out = input
        out.frameRate = rate
        out.timeBase = outTimeBase
        if let n = input.frameCount, n > 0, input.frameRate.isPositive {
            let span = Rational(Int64(n), 1) * rate / input.frameRate
            out.frameCount = Int((span.num + span.den - 1) / span.den)
        }
        return out
    }

    /// Time of output frame `k` in seconds after the first input frame.
    private func outputTime(_ k: Int64) -> Rational { Rational(k, 1) * outTimeBase }

    public func process(_ frame: Frame, emit: FrameSink) throws {
        let start = origin ?? frame.pts
        if origin == nil {
            origin = start
            originInOutput = Rational.rescale(start, from: frame.timeBase, to: outTimeBase)
        }
        let time = Rational.seconds(frame.pts - start, timeBase: frame.timeBase)
        guard let prev = previous else {
            previous = frame
            previousTime = time
            return
        }
        guard previousTime < time else {
            throw FilterError.processing(filter: Self.name, reason: "input pts \(frame.pts) does not increase")
        }
        // Every output time in [previousTime, time) comes from prev (exact) or a blend.
        while true {
            let t = outputTime(nextIndex)
            guard t < time else { break }
            if !(t < previousTime) {
                let out: Frame
                if t == previousTime {
                    out = prev.clone()
                } else {
                    let w = ((t - previousTime) / (time - previousTime)).doubleValue
                    out = try Frame(width: prev.width, height: prev.height, pixelFormat: prev.pixelFormat, timeBase: outTimeBase)
                    out.copyProperties(from: prev)
                    try BlendKernel.blend(prev, frame, into: out, weight: w, bytesPerSample: bytesPerSample)
                }
                out.timeBase = outTimeBase
                out.pts = originInOutput + nextIndex
                out.duration = 1
                try emit(out)
            }
            nextIndex += 1
        }
        previous = frame
        previousTime = time
    }

    public func finish(emit: FrameSink) throws {
        guard let last = previous else { return }
        previous = nil
        // The last frame is shown for its display duration (else one input frame period):
        // output times in [its time, its end) show it untouched.
        let shown = last.duration > 0 ? Rational.seconds(last.duration, timeBase: last.timeBase) : inputFrameTime
        let end = previousTime + shown
        var held: [Frame] = []
        while outputTime(nextIndex) < end {
            if !(outputTime(nextIndex) < previousTime) {
                let out = held.isEmpty ? last : last.clone()
                out.timeBase = outTimeBase
                out.pts = originInOutput + nextIndex
                out.duration = 1
                held.append(out)
            }
            nextIndex += 1
        }
        for frame in held { try emit(frame) }
    }
}
