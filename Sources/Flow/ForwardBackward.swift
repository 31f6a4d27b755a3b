import Raster

/// Forward and backward flow of a frame pair with their occlusion masks, the input most motion
/// features need (occlusion-aware warping, frame interpolation, trajectories).
public struct FlowPair: Sendable {
    /// Flow frame 0 → frame 1 (pixels).
    public var forward: FlowField
    /// Flow frame 1 → frame 0 (pixels).
    public var backward: FlowField
    /// 1 where a pixel of frame 0 is not visible in frame 1 (forward-backward check), else 0.
    public var occludedInFirst: Plane
    /// 1 where a pixel of frame 1 is not visible in frame 0, else 0.
    public var occludedInSecond: Plane
}

extension FlowEstimator {
    /// Both flows between `first` and `second` (luma planes in [0, 1], same size) and the
    /// occlusion masks of the forward-backward consistency check (thresholds as in
    /// `FlowField.occlusionMask`). Throws `MotionError` like `flow(from:to:)`.
    public func flowPair(_ first: Plane, _ second: Plane, relativeThreshold: Float = 0.01,
                         absoluteThreshold: Float = 0.7) throws -> FlowPair {
        let forward = try flow(from: first, to: second)
        let backward = try flow(from: second, to: first)
        let threads = parameters.threads
        return FlowPair(
            forward: forward, backward: backward,
            occludedInFirst: try forward.occlusionMask(backward: backward, relativeThreshold: relativeThreshold,
                                                      absoluteThreshold: absoluteThreshold, threads: threads),
            occludedInSecond: try backward.occlusionMask(backward: forward, relativeThreshold: relativeThreshold,
                                                        absoluteThreshold: absoluteThreshold, threads: threads))
    }
}
