import Foundation
import Pipeline
import MediaIO
import Flow
import Raster

/// `scenecut`: detects scene cuts with the score of FFmpeg's `scdet` (see `SceneDetector`:
/// min(mean absolute luma difference to the previous frame, its change since the previous
/// frame), in percent of full scale) and marks or selects frames by it.
///
/// - `mode=mark` (default): every frame passes through untouched (same pixels, same
///   timestamps), carrying its `SceneMark` in its metadata as scdet writes it
///   (`lavfi.scd.score` on every frame, `lavfi.scd.time` on cut frames; read them with
///   `Frame.sceneMark` / `Frame.isSceneCut`). Rate changers placed after it (`fps`) never
///   blend or morph across a marked cut.
/// - `mode=keep`: emits only the first frame of each scene (frame 0 and every cut frame, also
///   marked), with their original timestamps, like `select='gt(scene,…)'`: one picture per
///   shot, e.g. for thumbnails.
///
/// A frame is a cut when its score is at least `threshold`, or when its size differs from the
/// previous frame's. `cutCount` counts the cuts seen (frame 0 is not one).
///
/// ```
/// warpflow run in.mp4 -o out.mp4 -vf "scenecut,fps=fps=60"              # no morphing across cuts
/// warpflow run in.mp4 -o shots.mp4 -vf "scenecut=threshold=15:mode=keep"  # first frame of each shot
/// ```
public final class SceneCutFilter: VideoFilter {
    /// The chain name, `scenecut`.
    public static let name = "scenecut"
    /// One line for `warpflow filters`.
    public static let summary = "detect scene cuts (scdet score): mark frames for later filters, or keep the first frame of each scene"
    /// threshold, mode.
    public static let options: [FilterOption] = [
        FilterOption("threshold", .double(0...100), default: "10",
                     help: "score (percent of full-scale luma change, as FFmpeg's scdet) at or above which a frame starts a new scene"),
        FilterOption("mode", .choice(Mode.allCases.map(\.rawValue)), default: Mode.mark.rawValue,
                     help: "mark: pass every frame, marking scores and cuts; keep: emit only the first frame of each scene"),
    ]

    /// What the filter does with the frames it scores.
    public enum Mode: String, CaseIterable, Sendable {
        /// Pass every frame through, marked.
        case mark
        /// Emit only frame 0 and the cut frames.
        case keep
    }

    /// The cut threshold, 0…100.
    public let threshold: Double
    /// Marking or selecting.
    public let mode: Mode
    /// Cuts detected so far (frame 0 is not counted).
    public private(set) var cutCount = 0
    /// Frames scored so far.
    public private(set) var framesScored = 0

    private var detector: SceneDetector
    private let converter = FrameConverter()

    /// Builds the filter from `threshold` (0…100) and `mode` (`mark` or `keep`); throws
    /// `FilterError.invalidOption` for anything else.
    public init(options: FilterOptionValues) throws {
        threshold = try options.double("threshold")
        let modeName = try options.string("mode")
        guard let mode = Mode(rawValue: modeName) else {
            throw FilterError.invalidOption(filter: Self.name, option: "mode",
                                            reason: "unknown mode \"\(modeName)\"; use \(Mode.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        self.mode = mode
        do {
            detector = try SceneDetector(threshold: threshold)
        } catch {
            throw FilterError.invalidOption(filter: Self.name, option: "threshold", reason: "\(error)")
        }
    }

    /// Accepts any software pixel format; the output format is the input's (in `keep` mode
    /// the frame count becomes unknown).
    public func configure(input: StreamFormat) throws -> StreamFormat {
        if input.pixelFormat.isHardware {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "hardware frames (\(input.pixelFormat)) must be downloaded first")
        }
        detector.reset()
        cutCount = 0
        framesScored = 0
        var out = input
        if mode == .keep { out.frameCount = nil }
        return out
    }

    /// Scores the frame against the previous one, marks it, and emits it (`mark`) or emits it
    /// only when it starts a scene (`keep`).
    public func process(_ frame: Frame, emit: FrameSink) throws {
        let luma: Plane
        do { luma = try converter.luma(frame) } catch {
            throw FilterError.processing(filter: Self.name, reason: "frame \(framesScored): \(error)")
        }
        let measurement = detector.push(luma)
        let first = measurement == nil
        let isCut = measurement?.isCut ?? false
        framesScored += 1
        if isCut { cutCount += 1 }
        do {
            try frame.setSceneMark(SceneMark(score: measurement?.score ?? 0, isCut: isCut))
            try frame.setMetadata(Frame.sceneMAFDKey, String(format: "%.3f", measurement?.mafd ?? 0))
        } catch {
            throw FilterError.processing(filter: Self.name, reason: "\(error)")
        }
        if mode == .mark || first || isCut {
            try emit(frame)
        }
    }
}
