import Pipeline

/// `trim`: keeps a part of the stream, by frame index or by time, and shifts timestamps so
/// the first kept frame is at 0 (like `ffmpeg -ss … -to …`). The copied audio is cut and
/// shifted the same way by the runner (see `keptTimeRange`).
///
/// Frame bounds count decoded frames from 0; time bounds are seconds from the first frame.
/// `end_frame`/`end` are exclusive. Unset bounds are -1.
///
/// ```
/// warpflow run in.mp4 -o out.mp4 -vf trim=start_frame=10:end_frame=50
/// warpflow run in.mp4 -o out.mp4 -vf trim=start=1.5:duration=2
/// ```
public final class TrimFilter: VideoFilter {
    public static let name = "trim"
    public static let summary = "keep a range of frames or seconds, timestamps restarting at 0"
    public static let options: [FilterOption] = [
        FilterOption("start_frame", .int(-1...Int(Int32.max)), default: "-1", help: "first frame kept (index from 0)"),
        FilterOption("end_frame", .int(-1...Int(Int32.max)), default: "-1", help: "first frame dropped after the kept range"),
        FilterOption("start", .double(-1...1e7), default: "-1", help: "first kept time in seconds"),
        FilterOption("end", .double(-1...1e7), default: "-1", help: "end time in seconds (exclusive)"),
        FilterOption("duration", .double(-1...1e7), default: "-1", help: "kept duration in seconds (instead of end)"),
    ]

    public let startFrame: Int?
    public let endFrame: Int?
    public let startTime: Rational?
    public let endTime: Rational?
    private var range: KeptTimeRange?
    private var index = 0
    private var firstPTS: Int64?
    private var shift: Int64?
    private var done = false

    public init(options: FilterOptionValues) throws {
        func optionalInt(_ name: String) throws -> Int? { let v = try options.int(name); return v >= 0 ? v : nil }
        /// Seconds to the microsecond, exactly (the option's range keeps it far inside 64 bits).
        func optionalTime(_ name: String) throws -> Rational? {
            let v = try options.double(name)
            guard v >= 0 else { return nil }
            guard v.isFinite, let t = Rational(parsing: String(format: "%.6f", v)) else {
                throw FilterError.invalidOption(filter: Self.name, option: name, reason: "\(v) is not a time in seconds")
            }
            return t
        }
        startFrame = try optionalInt("start_frame")
        endFrame = try optionalInt("end_frame")
        let start = try optionalTime("start")
        var end = try optionalTime("end")
        if let d = try optionalTime("duration") {
            guard end == nil else {
                throw FilterError.invalidOption(filter: Self.name, option: "duration", reason: "give end or duration, not both")
            }
            do {
                end = try (start ?? Rational(0, 1)).adding(d)
            } catch {
                throw FilterError.invalidOption(filter: Self.name, option: "duration", reason: "start + duration cannot be computed exactly (\(error))")
            }
        }
        startTime = start
        endTime = end
        if (startFrame != nil || endFrame != nil) && (startTime != nil || endTime != nil) {
            throw FilterError.invalidOption(filter: Self.name, option: "start", reason: "give frame bounds or time bounds, not both")
        }
        if let s = startFrame, let e = endFrame, e <= s {
            throw FilterError.invalidOption(filter: Self.name, option: "end_frame", reason: "end_frame \(e) must be greater than start_frame \(s)")
        }
        if let s = startTime, let e = endTime, !(s < e) {
            throw FilterError.invalidOption(filter: Self.name, option: "end", reason: "end must be after start")
        }
    }

    /// Throws `FilterError.unsupportedInput` when the input's frame rate makes the bounds
    /// impossible to convert exactly (a corrupt rate whose products do not fit in 64 bits).
    public func configure(input: StreamFormat) throws -> StreamFormat {
        func exactly<T>(_ body: () throws -> T) throws -> T {
            do {
                return try body()
            } catch let error as RationalError {
                throw FilterError.unsupportedInput(filter: Self.name, reason: "the bounds cannot be converted exactly at \(input.frameRate) fps (\(error))")
            }
        }
        // Frame bounds map to time through the nominal rate (exact for constant-rate input).
        let perFrame = input.frameRate.isPositive ? input.frameRate.inverted : Rational(0, 1)
        let start = try exactly { try startTime ?? startFrame.map { try perFrame.multiplied(by: Rational(checked: Int64($0), 1)) } ?? Rational(0, 1) }
        let end = try exactly { try endTime ?? endFrame.map { try perFrame.multiplied(by: Rational(checked: Int64($0), 1)) } }
        // The audio cut follows the video: time bounds snap up to the frame grid (the first kept
        // frame is the first at or after `start`), so audio and video shift by the same amount.
        func snapped(_ t: Rational) throws -> Rational {
            guard input.frameRate.isPositive, startTime != nil || endTime != nil else { return t }
            return try exactly { try Rational(checked: ceilFrames(t, input.frameRate), 1).multiplied(by: perFrame) }
        }
        range = KeptTimeRange(start: try snapped(start), end: try end.map(snapped))
        var out = input
        if let total = input.frameCount {
            if startTime != nil || endTime != nil {
                guard input.frameRate.isPositive else { out.frameCount = nil; return out }
                // Frame indices; counts beyond Int (absurd rates) saturate, which min() below absorbs.
                let first = Int(clamping: try exactly { try ceilFrames(start, input.frameRate) })
                let last = try end.map { e in Int(clamping: try exactly { try ceilFrames(e, input.frameRate) }) } ?? total
                out.frameCount = max(0, min(total, last) - first)
            } else {
                out.frameCount = max(0, min(total, endFrame ?? total) - (startFrame ?? 0))
            }
        }
        return out
    }

    public var keptTimeRange: KeptTimeRange? { range }
    public var isFinished: Bool { done }

    /// Throws `FilterError.processing` for a frame whose pts is too corrupt to be placed
    /// exactly (its distance from the first frame, or the shifted pts, beyond 64 bits).
    public func process(_ frame: Frame, emit: FrameSink) throws {
        defer { index += 1 }
        if done { return }
        let origin = firstPTS ?? frame.pts
        firstPTS = origin
        func corrupt(_ detail: String) -> FilterError {
            .processing(filter: Self.name, reason: "frame \(index): pts \(frame.pts) (time base \(frame.timeBase)) is corrupt: \(detail)")
        }
        let (elapsed, overflow) = frame.pts.subtractingReportingOverflow(origin)
        guard !overflow else { throw corrupt("its distance from the first frame's pts \(origin) is beyond 64 bits") }
        let time: Rational
        do {
            time = try Rational.seconds(checked: elapsed, timeBase: frame.timeBase)
        } catch {
            throw corrupt("\(error)")
        }
        if let s = startFrame, index < s { return }
        if let e = endFrame, index >= e { done = true; return }
        if let s = startTime, time < s { return }
        if let e = endTime, !(time < e) { done = true; return }
        let offset = shift ?? frame.pts
        shift = offset
        let (shifted, shiftOverflow) = frame.pts.subtractingReportingOverflow(offset)
        guard !shiftOverflow else { throw corrupt("shifting it by the first kept pts \(offset) is beyond 64 bits") }
        frame.pts = shifted
        try emit(frame)
    }

    /// ⌈t · rate⌉, the index of the first frame at or after time `t` (t ≥ 0), exactly.
    private func ceilFrames(_ t: Rational, _ rate: Rational) throws -> Int64 {
        let x = try t.multiplied(by: rate)
        // Valid values have den ≥ 1 and |num| < 2⁶³, so the division and the +1 cannot overflow.
        let quotient = x.num / x.den
        return x.num % x.den > 0 ? quotient + 1 : quotient
    }
}

import Foundation
