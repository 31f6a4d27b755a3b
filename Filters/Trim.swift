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
        func optionalTime(_ name: String) throws -> Rational? {
            let v = try options.double(name)
            return v >= 0 ? Rational(parsing: String(format: "%.6f", v)) : nil
        }
        startFrame = try optionalInt("start_frame")
        endFrame = try optionalInt("end_frame")
        let start = try optionalTime("start")
        var end = try optionalTime("end")
        if let d = try optionalTime("duration") {
            guard end == nil else {
                throw FilterError.invalidOption(filter: Self.name, option: "duration", reason: "give end or duration, not both")
            }
            end = (start ?? Rational(0, 1)) + d
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

    public func configure(input: StreamFormat) throws -> StreamFormat {
        // Frame bounds map to time through the nominal rate (exact for constant-rate input).
        let perFrame = input.frameRate.isPositive ? input.frameRate.inverted : Rational(0, 1)
        let start = startTime ?? startFrame.map { perFrame * Rational(Int64($0), 1) } ?? Rational(0, 1)
        let end = endTime ?? endFrame.map { perFrame * Rational(Int64($0), 1) }
        // The audio cut follows the video: time bounds snap up to the frame grid (the first kept
        // frame is the first at or after `start`), so audio and video shift by the same amount.
        func snapped(_ t: Rational) -> Rational {
            guard input.frameRate.isPositive, startTime != nil || endTime != nil else { return t }
            return Rational(Int64(ceilFrames(t, input.frameRate)), 1) * perFrame
        }
        range = KeptTimeRange(start: snapped(start), end: end.map(snapped))
        var out = input
        if let total = input.frameCount {
            if startTime != nil || endTime != nil {
                guard input.frameRate.isPositive else { out.frameCount = nil; return out }
                let first = ceilFrames(start, input.frameRate)
                let last = end.map { ceilFrames($0, input.frameRate) } ?? total
                out.frameCount = max(0, min(total, last) - first)
            } else {
                out.frameCount = max(0, min(total, endFrame ?? total) - (startFrame ?? 0))
            }
        }
        return out
    }

    public var keptTimeRange: KeptTimeRange? { range }
    public var isFinished: Bool { done }

    public func process(_ frame: Frame, emit: FrameSink) throws {
        defer { index += 1 }
        if done { return }
        let origin = firstPTS ?? frame.pts
        firstPTS = origin
        let time = Rational.seconds(frame.pts - origin, timeBase: frame.timeBase)
        if let s = startFrame, index < s { return }
        if let e = endFrame, index >= e { done = true; return }
        if let s = startTime, time < s { return }
        if let e = endTime, !(time < e) { done = true; return }
        let offset = shift ?? frame.pts
        shift = offset
        frame.pts -= offset
        try emit(frame)
    }

    private func ceilFrames(_ t: Rational, _ rate: Rational) -> Int {
        let x = t * rate
        return Int((x.num + x.den - 1) / x.den)
    }
}

import Foundation
