import Foundation
import Raster

/// How much a trajectory F_t(p) can be trusted, and which measurements a tracker keeps: the
/// rules `TrajectoryTracker` applies when it regularises (values in [0, 1]).
///
/// - **Forward-backward consistency** of the flow 0 → t with the flow t → 0: with
///   e = |F_t(p) + B_t(p + F_t(p))| and s = `consistencyScale` + `consistencyRelative`·|F_t(p)|,
///   exp(−(e/s)²); 0 where p + F_t(p) has left the picture. Low where p is hidden at t
///   (occlusion) or matched wrongly.
/// - **Evidence** (`MotionEvidence`): how much better the measured F_t explains the pixel's
///   own-colour neighbourhood than an alternative field does, in units of the frame's typical
///   residual r̄: clamp((R_alt − R_F)/r̄ − `evidenceOffset`, 0, 1). On a flat, noisy wall no
///   field explains the data better than another, so the evidence is 0.
/// - **Texture** of the pixel's own side: the luma variance v over its own-colour neighbours
///   less r̄ (the noise), as v′/(v′ + r̄).
///
/// The stored confidence of F_t(p) is consistency × max(kept share, texture), the kept share
/// being the evidence against the fill (`TrajectoryTracker`). A pixel and time is *trusted*
/// when its confidence is at least 0.5.
public struct TrajectoryConfidence: Sendable {
    /// Pixels of round-trip error tolerated at zero motion (working pixels).
    public var consistencyScale: Float = 1
    /// Extra tolerance per pixel of motion.
    public var consistencyRelative: Float = 0.05
    /// How many times looser the consistency test is when it decides what the fill replaces.
    public var keptTolerance: Float = 3
    /// Evidence below this many typical residuals counts as none.
    public var evidenceOffset: Float = 1

    /// Residuals below this share of the frame's typical residual count as equal (noise).
    public var evidenceFloor: Float = 1
    /// Extra evidence (typical residuals) a measurement on a flat area needs.
    public var flatOffset: Float = 2

    /// The default rules.
    public init() {}

    /// The consistency of `forward` (0 → t) with `backward` (t → 0) per pixel of frame 0, with
    /// the tolerances multiplied by `looseness`; 0 where p + F_t(p) leaves the picture. Without
    /// a backward flow only the inside test applies. Both fields have the same size (not
    /// checked: the tracker's own fields).
    public func consistency(forward: FlowField, backward: FlowField?, looseness: Float = 1) -> Plane {
        consistencies(forward: forward, backward: backward, looseness: looseness).loose
    }

    /// The consistency with the tolerances as set (`strict`) and multiplied by `looseness`
    /// (`loose`), in one pass.
    public func consistencies(forward: FlowField, backward: FlowField?, looseness: Float) -> (strict: Plane, loose: Plane) {
        let w = forward.width, h = forward.height
        var out = Plane(width: w, height: h, value: 1), strict = out
        let scale = consistencyScale, relative = consistencyRelative, loose2 = 1 / (looseness * looseness)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let fu = forward.u.data[i], fv = forward.v.data[i]
                let tx = Float(x) + fu, ty = Float(y) + fv
                guard fu.isFinite, fv.isFinite, tx >= -0.5, ty >= -0.5, tx <= Float(w) - 0.5, ty <= Float(h) - 0.5 else {
                    out.data[i] = 0
                    strict.data[i] = 0
                    continue
                }
                guard let backward else { continue }
                let (bu, bv) = backward.sample(x: tx, y: ty)
                let eu = fu + bu, ev = fv + bv
                let s = scale + relative * (fu * fu + fv * fv).squareRoot()
                let r2 = (eu * eu + ev * ev) / (s * s)
                strict.data[i] = r2 < 30 ? expf(-r2) : 0
                out.data[i] = r2 * loose2 < 30 ? expf(-r2 * loose2) : 0
            }
        }
        return (strict, out)
    }

    /// The evidence for the measured field over an alternative, per pixel: `measured` and
    /// `alternative` are mismatches (`MotionEvidence.mismatch`), `typical` the frame's
    /// typical mismatch.
    /// `texture`, when given, raises the offset by `flatOffset` × (1 − texture): on a flat
    /// area a search finds fields that fit its noise a little better than the truth, so a
    /// measurement there needs more evidence.
    public func evidence(measured: [Float], alternative: [Float], typical: Float, texture: Plane? = nil) -> [Float] {
        let floor = max(typical, 1e-9) * evidenceFloor, offset = evidenceOffset, flat = flatOffset
        return zip(measured, alternative).enumerated().map { i, pair in
            let extra = texture.map { flat * (1 - $0.data[i]) } ?? 0
            let e = log2((pair.1 + floor) / (pair.0 + floor)) - offset - extra
            return e.isFinite ? min(1, max(0, e)) : 0
        }
    }

    /// The texture factor of each pixel of `evidence`'s reference, given the typical residual.
    public func texture(_ evidence: MotionEvidence, typical: Float) -> Plane {
        let luma = evidence.smoothedReference
        // The own-colour variance of the luma is its mismatch against a zero reference.
        let variance = evidence.mismatch(luma.data)
        let noise = max(typical, 1e-9)
        var out = Plane(width: luma.width, height: luma.height)
        for i in 0..<luma.count {
            let v = max(0, variance[i] - noise)
            out.data[i] = v.isFinite ? v / (v + noise) : 0
        }
        return out
    }

    /// The `rank`-th smallest value (0-based; the array is reordered).
    static func select(_ values: inout [Float], rank: Int) -> Float {
        var lo = 0, hi = values.count - 1
        let k = min(max(rank, 0), values.count - 1)
        while lo < hi {
            let pivot = values[(lo + hi) / 2]
            var i = lo, j = hi
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { break }
        }
        return values[k]
    }
}
