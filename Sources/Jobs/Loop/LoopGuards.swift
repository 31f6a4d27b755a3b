import Foundation
import MediaIO
import Flow
import Pipeline
import Raster

// The loop filter's guards: scene cuts inside the window, one-off motion held still, tears.
extension LoopFilter {
    /// Throws when `frame` (at `time` seconds, inside the window) follows a scene cut: a loop
    /// that spans a cut morphs one shot into another.
    func checkCut(_ frame: Frame, time: Double) throws {
        if scenes == nil { scenes = try SceneDetector(threshold: sceneThreshold) }
        // A small luma (longer side 96) is enough for the score and cheap in every mode.
        let scale = min(1, 96 / Double(max(frame.width, frame.height)))
        let luma = try workingLuma(frame, width: max(8, Int((Double(frame.width) * scale).rounded())),
                                   height: max(8, Int((Double(frame.height) * scale).rounded())))
        if let m = scenes?.push(luma), m.isCut {
            throw FilterError.processing(filter: Self.name, reason: String(
                format: "the window (from %.3f s) spans a scene cut at %.3f s (score %.1f ≥ scene=%.4g); "
                    + "choose a window inside one shot (start= and window=), or let the window be chosen automatically",
                start, time, m.score, sceneThreshold))
        }
    }

    /// `kept` with pixels whose motion is one-off held still, whole (`LoopDynamism`), when
    /// hold > 0; records the held fraction.
    func holdingOneOffMotion(_ kept: [FlowField]) -> [FlowField] {
        guard holdReach > 0, let first = kept.first else {
            statistics.heldFraction = holdReach > 0 ? 0 : -1
            return kept
        }
        let side = Float(max(first.width, first.height))
        // Judged against the camera where it is known: a pan or a zoom is not a one-off intrusion.
        var relative = kept
        if followCamera, cameras.count >= kept.count {
            for t in kept.indices {
                // The camera's field has the frame's size by construction, so this cannot throw.
                let c = cameras[t].displacement(width: kept[t].width, height: kept[t].height)
                relative[t] = (try? kept[t].adding(c, times: -1)) ?? kept[t]
            }
        }
        let mask = LoopDynamism.oneOffMask(relative, reach: Float(holdReach) * side, grow: max(1, Int((0.02 * side).rounded())))
        statistics.heldFraction = StillPixelDetector.fraction(of: mask)
        guard statistics.heldFraction > 0 else { return kept }
        let factors = LoopDynamism.motionFactors(holding: mask, feather: max(1, Int((0.03 * side).rounded())))
        var weights = factors
        for i in 0..<weights.count { weights.data[i] = 1 - factors.data[i] }
        heldWeights = weights
        return LoopDynamism.scaled(kept, by: factors)
    }

    /// `motion` scaled down where it would tear the picture (`TearGuard`), when guard > 0;
    /// records the fraction of pixels reduced.
    func guardingTears(_ motion: LoopMotion) throws -> LoopMotion {
        guard guardLimit > 0 else {
            statistics.guardedFraction = -1
            return motion
        }
        let result = try TearGuard.guarded(motion, limit: guardLimit)
        statistics.guardedFraction = result.reducedFraction
        return result.motion
    }
}
