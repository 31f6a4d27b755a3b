import Foundation
import MediaIO

/// A key of a command's `--json` report (snake_case, as the schemas in `Schemas/` name them).
struct ReportKey: CodingKey, ExpressibleByStringLiteral {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
    init(stringLiteral value: String) { stringValue = value }
}

/// What a command read: one file, several (a dataset's clips), or nothing.
enum ReportInput: Encodable {
    case none, file(String), files([String])

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .none: try c.encodeNil()
        case .file(let path): try c.encode(path)
        case .files(let paths): try c.encode(paths)
        }
    }
}

/// The keys every command's `--json` report has, with the same meaning everywhere: `input`,
/// `output` (paths), `seconds` (wall-clock of the work), `frames_in`, `frames_out` (null where a
/// command reads or writes no video frames) and `warnings` (always present, possibly empty).
/// A value a run does not have is null, never a sentinel such as −1.
struct ReportSummary {
    var input: ReportInput = .none
    var output: String?
    var seconds: Double?
    var framesIn: Int?
    var framesOut: Int?
    var warnings: [String] = []
}

/// A command's `--json` report: the shared keys (`ReportSummary`), then the command's own.
protocol CommandReport: Encodable {
    var summary: ReportSummary { get }
    func encodeDetails(into c: inout KeyedEncodingContainer<ReportKey>) throws
}

extension CommandReport {
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ReportKey.self)
        try c.encode(summary.input, forKey: "input")
        try c.encode(summary.output, forKey: "output")
        try c.number(summary.seconds, "seconds")
        try c.encode(summary.framesIn, forKey: "frames_in")
        try c.encode(summary.framesOut, forKey: "frames_out")
        try c.encode(summary.warnings, forKey: "warnings")
        try encodeDetails(into: &c)
    }
}

extension KeyedEncodingContainer where Key == ReportKey {
    /// A number, or null when it is missing or not finite (JSON has no NaN or infinity).
    mutating func number(_ value: Double?, _ key: ReportKey) throws {
        if let value, value.isFinite { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    /// A fraction whose negative value means "not computed" in the statistics: null then.
    mutating func fraction(_ value: Double, _ key: ReportKey) throws {
        try number(value >= 0 ? value : nil, key)
    }

    /// Any value, nil as null.
    mutating func value<T: Encodable>(_ value: T?, _ key: ReportKey) throws {
        try encode(value, forKey: key)
    }
}

/// A report built from a closure over the container (for commands whose details are few).
struct BasicReport: CommandReport {
    var summary: ReportSummary
    let details: (inout KeyedEncodingContainer<ReportKey>) throws -> Void

    func encodeDetails(into c: inout KeyedEncodingContainer<ReportKey>) throws { try details(&c) }
}

/// The format of a written video stream.
struct OutputFormatReport: Encodable {
    let width: Int, height: Int
    let pixelFormat: String, frameRate: String, timeBase: String

    init(_ f: StreamFormat) {
        width = f.width
        height = f.height
        pixelFormat = f.pixelFormat.name
        frameRate = f.frameRate.description
        timeBase = f.timeBase.description
    }

    enum CodingKeys: String, CodingKey {
        case width, height, pixelFormat = "pixel_format", frameRate = "frame_rate", timeBase = "time_base"
    }
}

/// What the decoder repaired or lost, as `run --json` reports it under `decode`.
extension DecodeStats: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ReportKey.self)
        for (key, value) in [("packets_rejected", packetsRejected), ("frames_corrupt", framesCorrupt), ("frames_lost", framesLost),
                             ("frames_dropped", framesDropped), ("frames_retimed", framesRetimed),
                             ("timestamp_discontinuities", timestampDiscontinuities), ("pts_filled", framesPtsFilled),
                             ("frames_rescaled", framesRescaled)] {
            try c.encode(value, forKey: ReportKey(stringValue: key))
        }
        try c.encode(truncated, forKey: "truncated")
    }
}

/// Prints `report` as pretty, key-sorted JSON on stdout.
func printReport(_ report: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(report), as: UTF8.self))
}

/// Throughput in frames per second of wall-clock, null when no time was measured.
func framesPerSecond(_ frames: Int, _ seconds: Double) -> Double? { seconds > 0 ? Double(frames) / seconds : nil }
