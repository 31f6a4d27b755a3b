import Foundation
import Pipeline
import MediaIO
import Raster
import Flow

/// `flow`: dense optical flow between consecutive frames (DIS-family estimator of `Flow`),
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
/// Side outputs: each pair's flows and masks go, as a `FlowPairOutput` value, to `sideOutput`
/// (set it in code) and, with `flo=`/`occ=`, to a `FlowFileSink` that writes them as files
/// (index k of the later frame, from 1):
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
    /// preset, mode, max, flo, direction, occlusion, occ, threads (`FlowSettings`).
    public static var options: [FilterOption] { FlowSettings.options }

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
    /// The flows computed for each pair.
    public let direction: Direction
    /// True when occlusion masks are computed.
    public let occlusion: Bool
    /// Where `flo=`/`occ=` write each pair's flows and masks (nil: no files).
    let files: FlowFileSink?
    /// Receives each pair's flows and masks as values (after any files are written), for a
    /// caller that wants them without files.
    public var sideOutput: ((FlowPairOutput) throws -> Void)?
    private let converter = FrameConverter()
    private var previous: Plane?
    private var format: StreamFormat?
    private var index = 0

    /// Builds the filter from chain options (`FlowSettings`), refusing a chain whose flows
    /// nobody would see (`FlowSettings.checkSomethingIsSeen`).
    public convenience init(options: FilterOptionValues) throws {
        let settings = try FlowSettings(values: options)
        try settings.checkSomethingIsSeen()
        try self.init(settings: settings)
    }

    /// Builds the filter; throws `FilterError.invalidOption` for a value out of range or
    /// malformed `flo=`/`occ=` patterns (`FlowSettings.checkCombination`). With `mode = .pass`
    /// and no files, set `sideOutput` to receive the flows.
    public init(settings given: FlowSettings) throws {
        let settings = try given.validated()
        estimator = FlowEstimator(preset: settings.preset, threads: settings.threads > 0 ? settings.threads : nil)
        colorMode = settings.mode == .color
        maxMagnitude = settings.maximum > 0 ? Float(settings.maximum) : nil
        direction = settings.direction
        occlusion = settings.occlusion
        files = settings.flo.isEmpty && (settings.occ.isEmpty || !settings.occlusion)
            ? nil : FlowFileSink(flo: settings.flo, occ: settings.occlusion ? settings.occ : "", masks: settings.occlusion)
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
        try files?.prepare()
        format = input
        return input
    }

    /// Estimates the flow(s) from the previous frame, saves them if asked, and emits one frame.
    public func process(_ frame: Frame, emit: FrameSink) throws {
        let luma = try converter.luma(frame)
        let pair: FlowPairOutput
        do {
            pair = try estimate(from: previous, to: luma)
        } catch {
            throw FilterError.processing(filter: Self.name, reason: "frame \(index): \(error)")
        }
        if index > 0 {
            do {
                try files?.write(pair)
            } catch {
                throw FilterError.processing(filter: Self.name, reason: "\(error)")
            }
            try sideOutput?(pair)
        }
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

    private func estimate(from previous: Plane?, to luma: Plane) throws -> FlowPairOutput {
        guard let previous else { return FlowPairOutput(index: index) }
        let wantsForward = direction != .backward, wantsBackward = direction != .forward
        if direction == .both || occlusion {
            let p = try estimator.flowPair(previous, luma)
            return FlowPairOutput(index: index, forward: wantsForward ? p.forward : nil, backward: wantsBackward ? p.backward : nil,
                           occludedForward: occlusion && wantsForward ? p.occludedInFirst : nil,
                           occludedBackward: occlusion && wantsBackward ? p.occludedInSecond : nil)
        }
        if wantsForward { return FlowPairOutput(index: index, forward: try estimator.flow(from: previous, to: luma)) }
        return FlowPairOutput(index: index, backward: try estimator.flow(from: luma, to: previous))
    }
}
