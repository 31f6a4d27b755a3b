import Foundation
import Pipeline
import MediaIO
import Raster
import Flow

/// `flow`: dense optical flow between consecutive frames (DIS-family estimator of `Motion`),
/// forward, backward or both, with optional occlusion masks (forward-backward check).
/// Output k (k ≥ 1) belongs to the pair (frame k−1, frame k); frame 0 has zero flow.
///
/// ```
///   direction=forward   flow k−1 → k   (on frame k−1's grid: pixel p moves to p + f(p) in frame k)
///   direction=backward  flow k → k−1   (on frame k's grid)
///   direction=both      both (the estimator's `flowPair`)
/// ```
///
/// Modes: `mode=color` replaces every frame by the Middlebury colour-wheel picture of a flow
/// (same size and pixel format as the input): the backward flow with `direction=backward`, else
/// the forward flow. With `occlusion=1` its occluded pixels are drawn black. `mode=pass` passes
/// frames through untouched, for use with `flo=` and/or `occ=`.
///
/// Files (index k of the later frame, from 1):
/// - `flo=`: a pattern with `%d` or `%0Nd`, or a directory (files `flow_000001.flo`, …).
///   Forward flows use the name itself; backward flows get `_backward` before the extension
///   (`flow_000001_backward.flo`, `00001_backward.flo`), whatever the direction, so a name
///   always says what the file holds and forward and backward files never collide.
/// - `occlusion=1`: one mask per written flow, an 8-bit gray PNG the size of the frame,
///   255 = occluded (a pixel of the flow's source frame that is not visible in its target
///   frame), 0 = visible. Written to `occ=` (a pattern or a directory, files
///   `occ_000001.png`, backward masks `occ_000001_backward.png`), or, when `occ=` is empty,
///   next to the flows with `_occ.png` for the extension (`flow_000001_occ.png`,
///   `flow_000001_backward_occ.png`). With neither `flo=` nor `occ=`, masks only darken the
///   colour view.
///
/// ```
/// warpflow run in.mp4 -o out.mp4 -vf "flow=preset=fast:mode=color:max=20"
/// warpflow run in.mp4 -o out.mp4 -vf "flow=mode=pass:flo=flows/%05d.flo"
/// warpflow run in.mp4 -o out.mp4 -vf "flow=mode=pass:direction=both:occlusion=1:flo=flows"
/// warpflow run in.mp4 -o back.mp4 -vf "flow=direction=backward:occlusion=1:occ=masks"
/// ```
public final class FlowFilter: VideoFilter {
    /// The chain name, `flow`.
    public static let name = "flow"
    /// One line for `warpflow filters`.
    public static let summary = "dense optical flow between consecutive frames (forward/backward, occlusion): colour-wheel view and/or .flo files"
    /// preset, mode, max, flo, direction, occlusion, occ, threads.
    public static let options: [FilterOption] = [
        FilterOption("preset", .choice(FlowEstimator.Preset.allCases.map(\.rawValue)), default: "medium",
                     help: "speed/accuracy preset of the estimator"),
        FilterOption("mode", .choice(["color", "pass"]), default: "color",
                     help: "color: replace frames by the colour-wheel view of their flow; pass: frames unchanged"),
        FilterOption("max", .double(0...10_000), default: "0",
                     help: "flow length (pixels) shown fully saturated in color mode; 0 = largest in each frame"),
        FilterOption("flo", .string, default: "",
                     help: "save flows as .flo: a pattern with %d / %0Nd (frame index from 1) or a directory; backward flows get _backward before .flo; empty = none"),
        FilterOption("direction", .choice(Direction.allCases.map(\.rawValue)), default: Direction.forward.rawValue,
                     help: "forward: flow k-1 → k; backward: flow k → k-1; both (color mode shows forward)"),
        FilterOption("occlusion", .bool, default: "0",
                     help: "occlusion masks by forward-backward check: PNGs (255 = occluded) to occ= or beside the .flo files; black in color mode"),
        FilterOption("occ", .string, default: "",
                     help: "occlusion PNGs: a pattern with %d / %0Nd or a directory (occ_000001.png); empty = beside the .flo files"),
        FilterOption("threads", .int(0...256), default: "0", help: "worker threads for the estimator; 0 = all processors"),
    ]

    /// Which flows of each frame pair are computed.
    public enum Direction: String, CaseIterable, Sendable {
        /// Frame k−1 → frame k.
        case forward
        /// Frame k → frame k−1.
        case backward
        /// Both.
        case both
    }

    let estimator: FlowEstimator
    let colorMode: Bool
    let maxMagnitude: Float?
    let floPattern: String
    /// The flows computed for each pair.
    public let direction: Direction
    /// True when occlusion masks are computed.
    public let occlusion: Bool
    let occPattern: String
    private let converter = FrameConverter()
    private var previous: Plane?
    private var format: StreamFormat?
    private var index = 0

    /// Builds the filter; throws `FilterError.invalidOption` for malformed `flo=`/`occ=`
    /// patterns and for combinations that would compute something nobody sees: `mode=pass`
    /// with nothing to write, `occ=` without `occlusion=1`, `direction=both` in color mode
    /// with no file output (the backward flows would be discarded).
    public init(options: FilterOptionValues) throws {
        let presetName = try options.string("preset")
        guard let preset = FlowEstimator.Preset(rawValue: presetName) else {
            throw FilterError.invalidOption(filter: Self.name, option: "preset", reason: "unknown preset \(presetName)")
        }
        let directionName = try options.string("direction")
        guard let direction = Direction(rawValue: directionName) else {
            throw FilterError.invalidOption(filter: Self.name, option: "direction", reason: "unknown direction \(directionName); use forward, backward or both")
        }
        let threads = try options.int("threads")
        estimator = FlowEstimator(preset: preset, threads: threads > 0 ? threads : nil)
        colorMode = try options.string("mode") == "color"
        let m = try options.double("max")
        maxMagnitude = m > 0 ? Float(m) : nil
        floPattern = try options.string("flo")
        self.direction = direction
        occlusion = try options.bool("occlusion")
        occPattern = try options.string("occ")
        let writesMasks = occlusion && !(floPattern.isEmpty && occPattern.isEmpty)
        if !occPattern.isEmpty && !occlusion {
            throw FilterError.invalidOption(filter: Self.name, option: "occ", reason: "occ= writes occlusion masks; add occlusion=1")
        }
        if !colorMode && floPattern.isEmpty && !writesMasks {
            throw FilterError.invalidOption(filter: Self.name, option: "mode",
                                            reason: "mode=pass without flo= (or occlusion=1 with occ=) would do nothing; give flo=pattern or use mode=color")
        }
        if colorMode && direction == .both && floPattern.isEmpty && !writesMasks {
            throw FilterError.invalidOption(filter: Self.name, option: "direction",
                                            reason: "direction=both in color mode shows only the forward flow; give flo= (or occlusion=1 with occ=) to save the backward flows, or use direction=forward")
        }
        for (option, pattern) in [("flo", floPattern), ("occ", occPattern)]
        where pattern.contains("%") && FlowFilter.substitute(pattern, index: 1) == nil {
            throw FilterError.invalidOption(filter: Self.name, option: option,
                                            reason: "pattern \"\(pattern)\" must contain exactly one %d or %0Nd and no other %")
        }
        if floPattern.contains("%") && floPattern == occPattern {
            throw FilterError.invalidOption(filter: Self.name, option: "occ", reason: "the occ= pattern must differ from the flo= pattern (leave occ= empty to write masks beside the flows)")
        }
    }

    /// Accepts any software pixel format at least `minimumSide` pixels on each side and
    /// returns it unchanged (colour pictures are converted back to the input format).
    /// Creates the `flo=` and `occ=` directories (or the folders of their patterns).
    public func configure(input: StreamFormat) throws -> StreamFormat {
        if input.pixelFormat.isHardware {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "hardware frames (\(input.pixelFormat)) must be downloaded first")
        }
        if input.width < estimator.minimumSide || input.height < estimator.minimumSide {
            throw FilterError.unsupportedInput(filter: Self.name,
                                               reason: "frames of \(input.width)×\(input.height) are too small; optical flow needs at least \(estimator.minimumSide)×\(estimator.minimumSide)")
        }
        for (option, pattern) in [("flo", floPattern), ("occ", occPattern)] where !pattern.isEmpty {
            // A directory, or the folder of a pattern's files.
            let folder = pattern.contains("%") ? (pattern as NSString).deletingLastPathComponent : pattern
            guard !folder.isEmpty else { continue }
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw FilterError.invalidOption(filter: Self.name, option: option, reason: "cannot create directory \(folder): \(error.localizedDescription)")
            }
        }
        format = input
        return input
    }

    /// Estimates the flow(s) from the previous frame, saves them if asked, and emits one frame.
    public func process(_ frame: Frame, emit: FrameSink) throws {
        let luma = try converter.luma(frame)
        let pair: Outputs
        do {
            pair = try estimate(from: previous, to: luma)
        } catch {
            throw FilterError.processing(filter: Self.name, reason: "frame \(index): \(error)")
        }
        if index > 0 { try save(pair) }
        previous = luma
        index += 1
        if colorMode {
            let shown = direction == .backward ? pair.backward : pair.forward
            var picture = (shown ?? FlowField(width: luma.width, height: luma.height)).colorWheel(maxMagnitude: maxMagnitude)
            if let mask = direction == .backward ? pair.occludedBackward : pair.occludedForward {
                for c in 0..<picture.channels {
                    for i in 0..<mask.count where mask.data[i] > 0.5 { picture.planes[c].data[i] = 0 }
                }
            }
            let out = try converter.frame(from: picture, like: frame)
            out.duration = frame.duration
            out.index = frame.index
            try emit(out)
        } else {
            try emit(frame)
        }
    }

    /// The flows and masks of one frame pair (nil where not computed; all nil for frame 0).
    struct Outputs {
        var forward: FlowField?
        var backward: FlowField?
        /// Pixels of frame k−1 not visible in frame k (goes with `forward`).
        var occludedForward: Plane?
        /// Pixels of frame k not visible in frame k−1 (goes with `backward`).
        var occludedBackward: Plane?
    }

    private func estimate(from previous: Plane?, to luma: Plane) throws -> Outputs {
        guard let previous else { return Outputs() }
        let wantsForward = direction != .backward, wantsBackward = direction != .forward
        if direction == .both || occlusion {
            let p = try estimator.flowPair(previous, luma)
            return Outputs(forward: wantsForward ? p.forward : nil, backward: wantsBackward ? p.backward : nil,
                           occludedForward: occlusion && wantsForward ? p.occludedInFirst : nil,
                           occludedBackward: occlusion && wantsBackward ? p.occludedInSecond : nil)
        }
        if wantsForward { return Outputs(forward: try estimator.flow(from: previous, to: luma)) }
        return Outputs(backward: try estimator.flow(from: luma, to: previous))
    }

    private func save(_ outputs: Outputs) throws {
        do {
            for (flow, mask, backward) in [(outputs.forward, outputs.occludedForward, false), (outputs.backward, outputs.occludedBackward, true)] {
                if let flow, let path = flowPath(index: index, backward: backward) {
                    try flow.write(floPath: path)
                }
                if let mask, let path = maskPath(index: index, backward: backward) {
                    try ImageWriter.writePNG(PlanarImage(planes: [mask]), to: path)
                }
            }
        } catch {
            throw FilterError.processing(filter: Self.name, reason: "\(error)")
        }
    }

    // MARK: file names

    /// The `.flo` path of pair `index` (nil without `flo=`).
    func flowPath(index: Int, backward: Bool) -> String? {
        guard !floPattern.isEmpty else { return nil }
        let path = FlowFilter.substitute(floPattern, index: index)
            ?? (floPattern as NSString).appendingPathComponent(String(format: "flow_%06d.flo", index))
        return backward ? FlowFilter.insertingSuffix("_backward", into: path) : path
    }

    /// The occlusion PNG path of pair `index` (nil when masks are not written).
    func maskPath(index: Int, backward: Bool) -> String? {
        guard occlusion else { return nil }
        if occPattern.isEmpty {
            return flowPath(index: index, backward: backward).map { FlowFilter.insertingSuffix("_occ", into: $0, extension: "png") }
        }
        let path = FlowFilter.substitute(occPattern, index: index)
            ?? (occPattern as NSString).appendingPathComponent(String(format: "occ_%06d.png", index))
        return backward ? FlowFilter.insertingSuffix("_backward", into: path) : path
    }

    /// `path` with `suffix` before the extension of its last component (appended when it has
    /// none), and the extension replaced by `newExtension` when given.
    static func insertingSuffix(_ suffix: String, into path: String, extension newExtension: String? = nil) -> String {
        let ns = path as NSString
        let ext = ns.pathExtension
        let stem = ext.isEmpty ? path : ns.deletingPathExtension
        let finalExtension = newExtension ?? ext
        return stem + suffix + (finalExtension.isEmpty ? "" : "." + finalExtension)
    }

    /// `pattern` with its single `%d` / `%0Nd` replaced by `index`; nil if it has no such
    /// field, more than one `%`, or anything else after a `%`.
    static func substitute(_ pattern: String, index: Int) -> String? {
        let parts = pattern.components(separatedBy: "%")
        guard parts.count == 2, let rest = parts.last else { return nil }
        var width = 0
        var tail = Substring(rest)
        if let first = tail.first, first == "0", let digit = tail.dropFirst().first, let n = digit.wholeNumberValue {
            width = n
            tail = tail.dropFirst(2)
        }
        guard tail.first == "d" else { return nil }
        let number = String(index)
        let padded = String(repeating: "0", count: max(0, width - number.count)) + number
        return parts[0] + padded + tail.dropFirst()
    }
}
