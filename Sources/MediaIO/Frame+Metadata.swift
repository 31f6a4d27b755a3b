internal import CFFmpeg
import Foundation

/// A frame's scene-change mark, as FFmpeg's `scdet` filter writes it into the frame metadata:
/// `lavfi.scd.score` (the score, 0…100, always) and `lavfi.scd.time` (the frame's time in
/// seconds, only on frames that start a new scene).
///
/// ```swift
/// try frame.setSceneMark(SceneMark(score: 34.2, isCut: true))
/// if frame.isSceneCut { … }   // e.g. a rate changer repeats instead of morphing across it
/// ```
public struct SceneMark: Sendable, Equatable {
    /// The scene-change score of the frame against the previous one, 0…100.
    public var score: Double
    /// True when the frame is the first of a new scene.
    public var isCut: Bool

    /// A mark with its score (0…100) and whether the frame starts a new scene.
    public init(score: Double, isCut: Bool) {
        self.score = score
        self.isCut = isCut
    }
}

/// Typed access to the frame's metadata dictionary (`AVFrame.metadata`): string keys and
/// values that travel with the frame through `clone()`, `copy()` and `copyProperties(from:)`
/// and are freed with it. The keys libavfilter uses (`lavfi.*`) keep their meaning, so marks
/// written here read the same as FFmpeg's.
extension Frame {
    /// Metadata key of the scene-change score (`scdet`).
    public static let sceneScoreKey = "lavfi.scd.score"
    /// Metadata key present on scene-cut frames, holding their time in seconds (`scdet`).
    public static let sceneTimeKey = "lavfi.scd.time"
    /// Metadata key of the mean absolute frame difference, percent (`scdet`).
    public static let sceneMAFDKey = "lavfi.scd.mafd"

    /// The value stored under `key`, or nil (keys compare case-sensitively).
    public func metadata(_ key: String) -> String? {
        guard let dictionary = pointer.pointee.metadata,
              let entry = av_dict_get(dictionary, key, nil, Int32(AV_DICT_MATCH_CASE)),
              let value = entry.pointee.value else { return nil }
        return String(cString: value)
    }

    /// Stores `value` under `key`, replacing any previous value; nil removes the key.
    /// Throws `MediaError` for an empty key or when memory runs out.
    public func setMetadata(_ key: String, _ value: String?) throws {
        guard !key.isEmpty else { throw MediaError(.invalidArgument, path: "", "a frame metadata key cannot be empty") }
        if value == nil && metadata(key) == nil { return }
        try check(av_dict_set(&pointer.pointee.metadata, key, value, Int32(AV_DICT_MATCH_CASE)),
                  .invalidArgument, path: "", "cannot set frame metadata \(key)")
    }

    /// Every metadata entry, by key.
    public var allMetadata: [String: String] {
        var result: [String: String] = [:]
        var entry: UnsafeMutablePointer<AVDictionaryEntry>?
        guard let dictionary = pointer.pointee.metadata else { return result }
        while let next = av_dict_get(dictionary, "", entry, Int32(AV_DICT_IGNORE_SUFFIX)) {
            if let key = next.pointee.key, let value = next.pointee.value {
                result[String(cString: key)] = String(cString: value)
            }
            entry = next
        }
        return result
    }

    /// The scene mark written by `scenecut` (or FFmpeg's `scdet`), or nil when the frame has
    /// no parsable `lavfi.scd.score`.
    public var sceneMark: SceneMark? {
        guard let text = metadata(Frame.sceneScoreKey), let score = Double(text) else { return nil }
        return SceneMark(score: score, isCut: metadata(Frame.sceneTimeKey) != nil)
    }

    /// The scene-change score, 0…100, or nil when the frame was not scored.
    public var sceneScore: Double? { sceneMark?.score }

    /// True when the frame is marked as the first of a new scene (`lavfi.scd.time` present).
    /// Rate changers must not blend or morph across such a frame.
    public var isSceneCut: Bool { metadata(Frame.sceneTimeKey) != nil }

    /// Writes `mark` as scdet does (score with 3 decimals; on cuts, the time of `pts` in
    /// seconds), or removes both keys when `mark` is nil. Throws `MediaError` when memory runs out.
    public func setSceneMark(_ mark: SceneMark?) throws {
        guard let mark else {
            try setMetadata(Frame.sceneScoreKey, nil)
            try setMetadata(Frame.sceneTimeKey, nil)
            return
        }
        try setMetadata(Frame.sceneScoreKey, String(format: "%.3f", mark.score))
        if mark.isCut {
            let seconds = timeBase.den != 0 ? Double(pts) * Double(timeBase.num) / Double(timeBase.den) : 0
            try setMetadata(Frame.sceneTimeKey, String(format: "%.6f", seconds))
        } else {
            try setMetadata(Frame.sceneTimeKey, nil)
        }
    }
}
