import Foundation
import MediaIO

/// One picture of an animation: an image file, or the frame of a video shown at a time, written
/// `clip.mp4@1.5` (seconds). A name whose text after its last `@` is not a number is a path.
public struct StillSource: Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// Seconds into the file; nil = its first picture.
    public let time: Double?

    public init(path: String, time: Double? = nil) {
        self.path = path
        self.time = time
    }

    /// Parses `path` or `path@seconds`. Throws `AnimateError.badSource` for an empty path or a
    /// time that is negative or not finite.
    public static func parse(_ text: String) throws -> StillSource {
        guard let at = text.lastIndex(of: "@") else {
            guard !text.isEmpty else { throw AnimateError.badSource("\"\"", "is not a file name") }
            return StillSource(path: text)
        }
        let suffix = text[text.index(after: at)...]
        guard let seconds = Double(suffix.trimmingCharacters(in: .whitespaces)) else { return StillSource(path: text) }
        let path = String(text[..<at])
        guard !path.isEmpty else { throw AnimateError.badSource(text, "names no file before @") }
        guard seconds.isFinite, seconds >= 0 else { throw AnimateError.badSource(text, "has the time \(suffix); give seconds ≥ 0") }
        return StillSource(path: path, time: seconds)
    }

    public var description: String { time.map { "\(path)@\($0)" } ?? path }

    /// The picture: the file's first frame, or the frame shown at `time` (seconds from the first
    /// frame: the last frame whose time is at most `time`, within half a frame). Throws `MediaError` naming the file when it
    /// cannot be read, and `AnimateError.badSource` when the time is past the end.
    public func load() throws -> Frame {
        let reader = try VideoReader(path: path)
        guard let time else {
            guard let frame = try reader.nextFrame() else { throw AnimateError.badSource(description, "holds no picture") }
            return frame
        }
        let tb = reader.info.timeBase.doubleValue
        let half = 0.5 / max(reader.info.frameRate.doubleValue, 1)
        var chosen: Frame?
        var first: Int64?
        var last = 0.0
        // Times count from the first frame, as the tool's --start does.
        while let frame = try reader.nextFrame() {
            let origin = first ?? frame.pts
            first = origin
            let t = (Double(frame.pts) - Double(origin)) * tb  // in Double: hostile pts cannot overflow
            if t > time + half { break }
            chosen = frame
            last = t
        }
        guard let chosen else { throw AnimateError.badSource(description, "has no frame at \(time) s") }
        if time - last > max(2 * half, 0.5) {
            throw AnimateError.badSource(description, String(format: "ends at %.3f s, before %.3f s", last, time))
        }
        return chosen
    }
}

/// Errors of the animate job; `description` is one line naming the input or option.
public enum AnimateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A picture given as `path@seconds` that cannot be used.
    case badSource(String, String)
    /// A and B differ in size and `fit` is `refuse`.
    case sizeMismatch(first: String, second: String, String)

    public var description: String {
        switch self {
        case .badSource(let source, let problem): return "\(source): \(problem)"
        case .sizeMismatch(let a, let b, let sizes):
            return "\(a) and \(b) differ in size (\(sizes)); give --fit pad or --fit crop to fit B into A's frame"
        }
    }
}
