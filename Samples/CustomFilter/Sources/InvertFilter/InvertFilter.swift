import Pipeline

/// `invert`: a photographic negative of the chosen planes, written as a third-party plugin.
///
/// ```
/// custom-filter in.mp4 out.mp4 "invert=planes=luma,scale=w=320:h=-2"
/// ```
public final class InvertFilter: VideoFilter {
    public static let name = "invert"
    public static let summary = "photographic negative (8-bit planar formats)"
    public static let options: [FilterOption] = [
        FilterOption("planes", .choice(["luma", "all"]), default: "luma", help: "invert only the first plane (Y) or every plane"),
    ]

    let allPlanes: Bool

    public init(options: FilterOptionValues) throws {
        allPlanes = try options.string("planes") == "all"
    }

    public func configure(input: StreamFormat) throws -> StreamFormat {
        guard input.pixelFormat.isPlanar, input.pixelFormat.bitDepth == 8 else {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "needs 8-bit planar frames, got \(input.pixelFormat)")
        }
        return input
    }

    public func process(_ frame: Frame, emit: FrameSink) throws {
        for plane in 0..<(allPlanes ? frame.planeCount : 1) {
            try frame.withMutablePlane(plane) { bytes, stride, width, height in
                for y in 0..<height {
                    for x in 0..<width { bytes[y * stride + x] = 255 &- bytes[y * stride + x] }
                }
            }
        }
        try emit(frame)
    }
}
