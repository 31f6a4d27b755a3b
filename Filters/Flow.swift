import Foundation
import Pipeline
import MediaIO
import Raster
import Motion

/// `flow`: dense optical flow between consecutive frames (DIS-family estimator of `Motion`).
/// Frame k shows (or saves) the flow from frame k−1 to frame k, in pixels; frame 0 has zero flow.
///
/// Modes: `mode=color` replaces every frame by the Middlebury colour-wheel picture of its flow
/// (same size and pixel format as the input); `mode=pass` passes frames through untouched, for
/// use with `flo=` only. `flo=` saves each flow as a Middlebury `.flo` file: a pattern with `%d`
/// or `%0Nd` (the index of the later frame, from 1), or a directory (files `flow_000001.flo`, …).
///
/// ```
/// warpflow run in.mp4 -vf "flow=preset=fast:mode=color:max=20" out.mp4
/// warpflow run in.mp4 -vf "flow=mode=pass:flo=flows/%05d.flo" out.mp4
/// ```
public final class FlowFilter: VideoFilter {
    /// The chain name, `flow`.
    public static let name = "flow"
    /// One line for `warpflow filters`.
    public static let summary = "dense optical flow between consecutive frames: colour-wheel view and/or .flo files"
    /// preset, mode, max, flo, threads.
    public static let options: [FilterOption] = [
        FilterOption("preset", .choice(FlowEstimator.Preset.allCases.map(\.rawValue)), default: "medium",
                     help: "speed/accuracy preset of the estimator"),
        FilterOption("mode", .choice(["color", "pass"]), default: "color",
                     help: "color: replace frames by the colour-wheel view of their flow; pass: frames unchanged"),
        FilterOption("max", .double(0...10_000), default: "0",
                     help: "flow length (pixels) shown fully saturated in color mode; 0 = largest in each frame"),
        FilterOption("flo", .string, default: "",
                     help: "save flows as .flo: a pattern with %d / %0Nd (frame index from 1) or a directory; empty = none"),
        FilterOption("threads", .int(0...256), default: "0", help: "worker threads for the estimator; 0 = all processors"),
    ]

    let estimator: FlowEstimator
    let colorMode: Bool
    let maxMagnitude: Float?
    let floPattern: String
    private let converter = FrameConverter()
    private var previous: Plane?
    private var format: StreamFormat?
    private var index = 0

    /// Builds the filter; throws `FilterError.invalidOption` for `mode=pass` without `flo=`
    /// and for malformed `flo=` patterns.
    public init(options: FilterOptionValues) throws {
        let presetName = try options.string("preset")
        guard let preset = FlowEstimator.Preset(rawValue: presetName) else {
            throw FilterError.invalidOption(filter: Self.name, option: "preset", reason: "unknown preset \(presetName)")
        }
        let threads = try options.int("threads")
        estimator = FlowEstimator(preset: preset, threads: threads > 0 ? threads : nil)
        colorMode = try options.string("mode") == "color"
        let m = try options.double("max")
        maxMagnitude = m > 0 ? Float(m) : nil
        floPattern = try options.string("flo")
        if !colorMode && floPattern.isEmpty {
            throw FilterError.invalidOption(filter: Self.name, option: "mode",
                                            reason: "mode=pass without flo= would do nothing; give flo=pattern or use mode=color")
        }
        if floPattern.contains("%") && FlowFilter.substitute(floPattern, index: 1) == nil {
            throw FilterError.invalidOption(filter: Self.name, option: "flo",
                                            reason: "pattern \"\(floPattern)\" must contain exactly one %d or %0Nd and no other %")
        }
    }

    /// Accepts any software pixel format at least `minimumSide` pixels on each side and
    /// returns it unchanged (colour pictures are converted back to the input format).
    public func configure(input: StreamFormat) throws -> StreamFormat {
        if input.pixelFormat.isHardware {
            throw FilterError.unsupportedInput(filter: Self.name, reason: "hardware frames (\(input.pixelFormat)) must be downloaded first")
        }
        if input.width < estimator.minimumSide || input.height < estimator.minimumSide {
            throw FilterError.unsupportedInput(filter: Self.name,
                                               reason: "frames of \(input.width)×\(input.height) are too small; optical flow needs at least \(estimator.minimumSide)×\(estimator.minimumSide)")
        }
        if !floPattern.isEmpty && !floPattern.contains("%") {
            do {
                try FileManager.default.createDirectory(atPath: floPattern, withIntermediateDirectories: true)
            } catch {
                throw FilterError.invalidOption(filter: Self.name, option: "flo", reason: "cannot create directory \(floPattern): \(error.localizedDescription)")
            }
        }
        format = input
        return input
    }

    /// Estimates the flow from the previous frame, saves it if asked, and emits one frame.
    public func process(_ frame: Frame, emit: FrameSink) throws {
        let luma = try converter.luma(frame)
        let flow: FlowField
        do {
            if let previous {
                flow = try estimator.flow(from: previous, to: luma)
            } else {
                flow = FlowField(width: luma.width, height: luma.height)
            }
        } catch {
            throw FilterError.processing(filter: Self.name, reason: "frame \(index): \(error)")
        }
        if index > 0 && !floPattern.isEmpty {
            let path = FlowFilter.substitute(floPattern, index: index)
                ?? (floPattern as NSString).appendingPathComponent(String(format: "flow_%06d.flo", index))
            do { try flow.write(floPath: path) } catch {
                throw FilterError.processing(filter: Self.name, reason: "\(error)")
            }
        }
        previous = luma
        index += 1
        if colorMode {
            let picture = flow.colorWheel(maxMagnitude: maxMagnitude)
            let out = try converter.frame(from: picture, pixelFormat: frame.pixelFormat, pts: frame.pts, timeBase: frame.timeBase)
            out.duration = frame.duration
            out.index = frame.index
            try emit(out)
        } else {
            try emit(frame)
        }
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
