import Pipeline

/// `scale`: resizes frames and/or changes their pixel format with swscale.
///
/// `w`/`h` are pixels; `0` keeps the input size, `-1` keeps the aspect ratio, `-2` keeps it
/// rounded to an even number (what 4:2:0 encoders need). At identity settings the filter is a
/// pass-through (frames are not touched).
///
/// ```
/// warpflow run in.mp4 -o out.mp4 -vf scale=w=640:h=-2:flags=lanczos
/// warpflow run in.mp4 -o out.mp4 -vf scale=1280:720
/// ```
public final class ScaleFilter: VideoFilter {
    public static let name = "scale"
    public static let summary = "resize and/or convert pixel format (swscale)"
    public static let options: [FilterOption] = [
        FilterOption("w", .int(-2...16384), default: "0", help: "output width in pixels; 0 = input, -1 = keep aspect, -2 = keep aspect (even)"),
        FilterOption("h", .int(-2...16384), default: "0", help: "output height in pixels; 0 = input, -1 = keep aspect, -2 = keep aspect (even)"),
        FilterOption("flags", .choice(ScaleAlgorithm.allCases.map(\.rawValue)), default: "bicubic", help: "scaling algorithm"),
        FilterOption("format", .string, default: "", help: "output pixel format (e.g. yuv444p); empty = input's"),
    ]

    public let requestedWidth: Int
    public let requestedHeight: Int
    public let algorithm: ScaleAlgorithm
    public let requestedFormat: PixelFormat?
    private var output: StreamFormat?
    private var passThrough = false
    private let converter = FrameConverter()

    public init(options: FilterOptionValues) throws {
        requestedWidth = try options.int("w")
        requestedHeight = try options.int("h")
        if requestedWidth < 0 && requestedHeight < 0 {
            throw FilterError.invalidOption(filter: Self.name, option: "w", reason: "w and h cannot both keep the aspect ratio")
        }
        algorithm = try options.choice("flags")
        let formatName = try options.string("format")
        if formatName.isEmpty {
            requestedFormat = nil
        } else {
            guard let f = PixelFormat(name: formatName), !f.isHardware else {
                throw FilterError.invalidOption(filter: Self.name, option: "format", reason: "unknown pixel format \"\(formatName)\"")
            }
            requestedFormat = f
        }
    }

    /// Output size for an input size, applying the 0/-1/-2 rules. A side derived from an empty
    /// or absurd input size (not finite, or beyond `maximumSide`) is 0, which `configure` rejects.
    public static func outputSize(width: Int, height: Int, requestedWidth rw: Int, requestedHeight rh: Int) -> (Int, Int) {
        func derived(_ other: Int, _ num: Int, _ den: Int, even: Bool) -> Int {
            let exact = Double(other) * Double(num) / Double(den)
            // Range-checked before Int(_:), which traps on NaN, infinity and values beyond Int.
            guard exact.isFinite, exact <= Double(maximumSide) else { return 0 }
            if even { return max(2, Int((exact / 2).rounded()) * 2) }
            return max(1, Int(exact.rounded()))
        }
        var w = rw == 0 ? width : rw
        var h = rh == 0 ? height : rh
        if rw < 0 { w = derived(h, width, height, even: rw == -2) }
        if rh < 0 { h = derived(w, height, width, even: rh == -2) }
        return (w, h)
    }

    /// The largest output side (that of `Frame`).
    public static let maximumSide = 32768

    public func configure(input: StreamFormat) throws -> StreamFormat {
        let (w, h) = Self.outputSize(width: input.width, height: input.height, requestedWidth: requestedWidth, requestedHeight: requestedHeight)
        guard (1...Self.maximumSide).contains(w), (1...Self.maximumSide).contains(h) else {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "a \(input.width)×\(input.height) input gives a \(w)×\(h) output; "
                + "sides must be 1…\(Self.maximumSide)")
        }
        var out = input
        out.width = w
        out.height = h
        out.pixelFormat = requestedFormat ?? input.pixelFormat
        passThrough = out == input
        output = out
        return out
    }

    public func process(_ frame: Frame, emit: FrameSink) throws {
        guard let out = output else { throw FilterError.processing(filter: Self.name, reason: "process before configure") }
        if passThrough { return try emit(frame) }
        let scaled = try converter.convert(frame, width: out.width, height: out.height, pixelFormat: out.pixelFormat, algorithm: algorithm)
        scaled.timeBase = frame.timeBase
        scaled.pts = frame.pts
        try emit(scaled)
    }
}
