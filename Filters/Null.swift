import Pipeline

/// `null`: passes every frame through untouched (the same buffers, so a lossless encode of
/// its output decodes back bit-identical to the input).
///
/// ```
/// warpflow run in.mp4 -o out.mp4 -vf null --crf 0
/// ```
public final class NullFilter: VideoFilter {
    public static let name = "null"
    public static let summary = "pass frames through unchanged"
    public static let options: [FilterOption] = []

    public init(options: FilterOptionValues) throws {}

    public func configure(input: StreamFormat) throws -> StreamFormat { input }

    public func process(_ frame: Frame, emit: FrameSink) throws { try emit(frame) }
}
