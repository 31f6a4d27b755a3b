import MediaIO

/// Converts frames to another pixel format at the same size (swscale, bicubic): the stage a
/// `PipelineRunner` puts in front of a filter whose `requiredPixelFormat(for:)` asks for one.
/// Not in the registry: chains say `scale=format=…` for the same thing.
public final class FormatConversion: VideoFilter {
    public static let name = "format"
    public static let summary = "convert to the pixel format the next filter needs (inserted by the runner)"
    public static let options: [FilterOption] = []

    /// The format frames are converted to.
    public let target: PixelFormat
    private var output: StreamFormat?
    private let converter = FrameConverter()

    /// A conversion to `target`.
    public init(to target: PixelFormat) { self.target = target }

    /// Chains cannot name this stage; `scale=format=…` does the same.
    public init(options: FilterOptionValues) throws {
        throw FilterError.invalidOption(filter: Self.name, option: "format", reason: "use scale=format=… in a chain")
    }

    /// The planar format closest to `format` that the motion filters take: 4:4:4 for RGB (no
    /// chroma lost), 4:2:0 otherwise; 16-bit samples above 8 bits.
    public static func planarFormat(near format: PixelFormat) -> PixelFormat? {
        let deep = format.bitDepth > 8
        let name = format.isRGB ? (deep ? "yuv444p16le" : "yuv444p") : (deep ? "yuv420p16le" : "yuv420p")
        return PixelFormat(name: name)
    }

    public func configure(input: StreamFormat) throws -> StreamFormat {
        var out = input
        out.pixelFormat = target
        output = out
        return out
    }

    public func process(_ frame: Frame, emit: FrameSink) throws {
        guard let out = output else { throw FilterError.processing(filter: Self.name, reason: "process before configure") }
        if frame.pixelFormat == out.pixelFormat { return try emit(frame) }
        let converted = try converter.convert(frame, width: out.width, height: out.height, pixelFormat: out.pixelFormat, algorithm: .bicubic)
        converted.timeBase = frame.timeBase
        converted.pts = frame.pts
        try emit(converted)
    }
}
