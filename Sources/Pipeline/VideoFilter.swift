@_exported import MediaIO

/// Receives the frames a filter produces. Frames must be emitted with strictly increasing pts.
public typealias FrameSink = (Frame) throws -> Void

/// A stage of the pipeline, declared like an FFmpeg filter and driven like a swift-nio handler.
///
/// ```
///   Frame ──▶ process(frame, emit) ──▶ 0…n Frames ──▶ next filter
///   end   ──▶ finish(emit)          ──▶ held frames flushed
/// ```
///
/// A filter type names itself and declares its options in a table (`options`), which drives
/// the chain parser (`scale=w=640:h=-2`) and `warpflow filters`. `init(options:)` receives the
/// parsed, range-checked values and validates combinations; `configure(input:)` is called once
/// before the first frame and returns the output format (it rejects inputs it cannot handle
/// and picks its kernels there, not per frame). Filters are used from one thread at a time.
public protocol VideoFilter: AnyObject {
    /// The name used in chains, e.g. "scale".
    static var name: String { get }
    /// One line saying what the filter does, for `warpflow filters`.
    static var summary: String { get }
    /// The option table; order gives the positional order (`scale=640:360`).
    static var options: [FilterOption] { get }

    /// Builds the filter from parsed option values; throws `FilterError` on invalid combinations.
    init(options: FilterOptionValues) throws

    /// How many input frames this filter may hold before emitting (its temporal window);
    /// 0 for filters that emit as they receive.
    var window: Int { get }

    /// Called once before the first frame; returns the format of the frames it will emit.
    func configure(input: StreamFormat) throws -> StreamFormat

    /// Handles one input frame, emitting zero or more output frames.
    func process(_ frame: Frame, emit: FrameSink) throws

    /// Called at end of stream: emit every frame still held.
    func finish(emit: FrameSink) throws
}

extension VideoFilter {
    public var window: Int { 0 }
    public func finish(emit: FrameSink) throws {}
}
