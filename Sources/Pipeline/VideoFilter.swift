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
///
/// Ownership: a frame passed to `process` belongs to the filter; a frame passed to `emit`
/// belongs to the receiver, which may change its pts. A filter that emits a frame and also
/// keeps it (to blend with the next one, say) emits `frame.clone()` instead.
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

    /// The pixel format this filter needs for `input`, when it cannot take `input`'s own (a
    /// packed RGB input for a filter that works on planes, say): the runner then converts the
    /// frames to it before this filter (`FormatConversion`), so no chain refuses what the
    /// decoder reads. Asked before `configure`. Default: nil (the input is taken as it is).
    func requiredPixelFormat(for input: StreamFormat) -> PixelFormat?

    /// Called once before the first frame; returns the format of the frames it will emit.
    func configure(input: StreamFormat) throws -> StreamFormat

    /// Handles one input frame, emitting zero or more output frames.
    func process(_ frame: Frame, emit: FrameSink) throws

    /// Called at end of stream: emit every frame still held.
    func finish(emit: FrameSink) throws

    /// True once the filter will emit nothing more whatever it receives (e.g. `trim` past its
    /// end), so the runner can stop decoding early. Default: false.
    var isFinished: Bool { get }

    /// For filters that cut and shift the timeline (like `trim`): the part of their input's
    /// timeline they keep, valid after `configure`. The runner applies it to the copied audio so
    /// it stays in sync with the video. Default: nil (the timeline is unchanged).
    var keptTimeRange: KeptTimeRange? { get }

    /// Non-fatal notes gathered while running (e.g. input frames dropped for repeated pts),
    /// read by the runner after `finish` and added to the run's warnings. Default: none.
    var warnings: [String] { get }
}

extension VideoFilter {
    public func requiredPixelFormat(for input: StreamFormat) -> PixelFormat? { nil }
    public var window: Int { 0 }
    public func finish(emit: FrameSink) throws {}
    public var isFinished: Bool { false }
    public var keptTimeRange: KeptTimeRange? { nil }
    public var warnings: [String] { [] }
}

/// A cut of the timeline: input time `start` (seconds, exact) becomes output time 0, and input
/// at or after `end` (when set) is dropped.
public struct KeptTimeRange: Hashable, Sendable {
    /// First kept input time, in seconds.
    public var start: Rational
    /// End of the kept input (exclusive), in seconds; nil = to the end.
    public var end: Rational?

    public init(start: Rational, end: Rational?) {
        self.start = start
        self.end = end
    }

    /// This cut followed by `next` (whose times are in this cut's output timeline).
    public func then(_ next: KeptTimeRange) -> KeptTimeRange {
        let start2 = start + next.start
        var end2 = next.end.map { start + $0 }
        if let e1 = end { end2 = end2.map { min($0, e1) } ?? e1 }
        return KeptTimeRange(start: start2, end: end2)
    }
}
