import Foundation
import Flow
import MediaIO
import Pipeline
import Raster

/// The flows and masks of one frame pair of the `flow` filter, as values (nil where not
/// computed; all nil for frame 0). `index` counts the later frame from 1.
public struct FlowPairOutput: Sendable {
    /// The pair's index: the later frame's, from 1 (0 for the first frame, which has no pair).
    public var index: Int
    /// Frame k−1 → k, on frame k−1's grid (pixels).
    public var forward: FlowField?
    /// Frame k → k−1, on frame k's grid (pixels).
    public var backward: FlowField?
    /// Pixels of frame k−1 not visible in frame k (goes with `forward`; 1 = occluded).
    public var occludedForward: Plane?
    /// Pixels of frame k not visible in frame k−1 (goes with `backward`; 1 = occluded).
    public var occludedBackward: Plane?

    public init(index: Int, forward: FlowField? = nil, backward: FlowField? = nil, occludedForward: Plane? = nil,
                occludedBackward: Plane? = nil) {
        self.index = index
        self.forward = forward
        self.backward = backward
        self.occludedForward = occludedForward
        self.occludedBackward = occludedBackward
    }
}

/// Writes `FlowPairOutput`s as files: flows as Middlebury `.flo`, masks as 8-bit gray PNGs
/// (255 = occluded), named by a pattern with `%d`/`%0Nd` or inside a directory (see
/// `FlowFilter` for the names). The sink of the `flow` filter's `flo=` and `occ=`.
public struct FlowFileSink: Sendable {
    /// The `.flo` pattern or directory ("" = no flows), the mask pattern or directory ("" =
    /// beside the flows).
    public let floPattern: String, occPattern: String
    /// True when masks are written.
    public let masks: Bool

    public init(flo: String, occ: String, masks: Bool) {
        floPattern = flo
        occPattern = occ
        self.masks = masks
    }

    /// Creates the directories (or the folders of the patterns' files); throws
    /// `FilterError.invalidOption` naming `flo` or `occ` when it cannot.
    public func prepare() throws {
        for (option, pattern) in [("flo", floPattern), ("occ", occPattern)] where !pattern.isEmpty {
            // A directory, or the folder of a pattern's files.
            let folder = pattern.contains("%") ? (pattern as NSString).deletingLastPathComponent : pattern
            guard !folder.isEmpty else { continue }
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw FilterError.invalidOption(filter: FlowFilter.name, option: option, reason: "cannot create directory \(folder): \(error.localizedDescription)")
            }
        }
    }

    /// Writes the pair's flows and masks that have a name.
    public func write(_ output: FlowPairOutput) throws {
        for (flow, mask, backward) in [(output.forward, output.occludedForward, false), (output.backward, output.occludedBackward, true)] {
            if let flow, let path = flowPath(index: output.index, backward: backward) {
                try flow.write(floPath: path)
            }
            if let mask, let path = maskPath(index: output.index, backward: backward) {
                try ImageWriter.writePNG(PlanarImage(planes: [mask]), to: path)
            }
        }
    }

    // MARK: file names

    /// The `.flo` path of pair `index` (nil without `flo=`).
    public func flowPath(index: Int, backward: Bool) -> String? {
        guard !floPattern.isEmpty else { return nil }
        let path = FlowFileSink.substitute(floPattern, index: index)
            ?? (floPattern as NSString).appendingPathComponent(String(format: "flow_%06d.flo", index))
        return backward ? FlowFileSink.insertingSuffix("_backward", into: path) : path
    }

    /// The occlusion PNG path of pair `index` (nil when masks are not written).
    public func maskPath(index: Int, backward: Bool) -> String? {
        guard masks else { return nil }
        if occPattern.isEmpty {
            return flowPath(index: index, backward: backward).map { FlowFileSink.insertingSuffix("_occ", into: $0, extension: "png") }
        }
        let path = FlowFileSink.substitute(occPattern, index: index)
            ?? (occPattern as NSString).appendingPathComponent(String(format: "occ_%06d.png", index))
        return backward ? FlowFileSink.insertingSuffix("_backward", into: path) : path
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
