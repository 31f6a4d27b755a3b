import Flow
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
///   own-colour neighbourhood than an alternative field does, as a ratio of mismatches with the
///   frame's typical mismatch r̄ as floor: clamp(log2((R_alt + r̄)/(R_F + r̄)) − `evidenceOffset`,
///   0, 1). On a flat, noisy wall no field explains the data better than another, so the
///   evidence is 0.
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
    public func consistencies(forward: FlowField, backward: FlowField?, looseness: Float,
                              threads: Int = 1) -> (strict: Plane, loose: Plane) {
        consistencies(forward: forward, backward: backward, looseness: looseness, threads: threads, simd: true)
    }

    /// The scalar reference for `consistencies` (one pixel at a time, same arithmetic).
    public func consistenciesScalar(forward: FlowField, backward: FlowField?, looseness: Float) -> (strict: Plane, loose: Plane) {
        consistencies(forward: forward, backward: backward, looseness: looseness, threads: 1, simd: false)
    }

    private func consistencies(forward: FlowField, backward: FlowField?, looseness: Float, threads: Int,
                               simd: Bool) -> (strict: Plane, loose: Plane) {
        let w = forward.width, h = forward.height
        var loose = Plane(width: w, height: h, value: 1), strict = loose
        let matched = backward.flatMap { $0.width == w && $0.height == h ? $0 : nil }
        let empty = Plane(width: 0, height: 0)
        forward.u.data.withUnsafeBufferPointer { fu in
        forward.v.data.withUnsafeBufferPointer { fv in
        (matched?.u ?? empty).data.withUnsafeBufferPointer { bu in
        (matched?.v ?? empty).data.withUnsafeBufferPointer { bv in
        loose.data.withUnsafeMutableBufferPointer { lo in
        strict.data.withUnsafeMutableBufferPointer { st in
            guard w > 0, h > 0 else { return }
            let kernel = ConsistencyKernel(
                width: w, height: h, forwardU: fu.baseAddress!, forwardV: fv.baseAddress!,
                backwardU: matched == nil ? nil : bu.baseAddress, backwardV: matched == nil ? nil : bv.baseAddress,
                scale: consistencyScale, relative: consistencyRelative, loose2: 1 / (looseness * looseness),
                strict: st.baseAddress!, loose: lo.baseAddress!)
            Parallel.forChunks(h, threads: Parallel.workers(for: 8 * w * h, threads: threads)) { rows in
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 2 * w)
                defer { buffer.deallocate() }
                for y in rows { kernel.row(y, simd: simd, eu: buffer, ev: buffer + w) }
            }
        }}}}}}
        return (strict, loose)
    }

    /// exp(−x) for x ≥ 0 (0 from x = 30 on, and for NaN), within 3·10⁻⁶ relative: 2^n·2^f with
    /// n = round(−x·log₂e) set in the exponent bits and 2^f, |f| ≤ ½, by its Taylor series to
    /// degree 6, so no library call in a loop over every pixel. `ConsistencyKernel.decay` is
    /// the same in eight lanes.
    @inline(__always)
    static func decay(_ x: Float) -> Float {
        guard x < 30 else { return 0 }
        let t = -max(0, x) * 1.442_695_04
        // Adding 1.5·2²³ rounds t to an integer n, which lands in the low mantissa bits.
        let m = t + 12_582_912, f = t - (m - 12_582_912)
        let p = 1 + f * (0.693_147_18 + f * (0.240_226_51 + f * (0.055_504_11 + f * (0.009_618_13 + f * (0.001_333_36 + f * 0.000_154_04)))))
        return p * Float(bitPattern: (m.bitPattern &- 0x4B40_0000 &+ 127) << 23)
    }

    /// The evidence for the measured field over an alternative, per pixel: `measured` and
    /// `alternative` are mismatches (`MotionEvidence.mismatch`), `typical` the frame's
    /// typical mismatch.
    /// `texture`, when given, raises the offset by `flatOffset` × (1 − texture): on a flat
    /// area a search finds fields that fit its noise a little better than the truth, so a
    /// measurement there needs more evidence.
    public func evidence(measured: [Float], alternative: [Float], typical: Float, texture: Plane? = nil) -> [Float] {
        let n = min(measured.count, alternative.count)
        var out = [Float](repeating: 0, count: n)
        let floor = max(typical, 1e-9) * evidenceFloor, offset = evidenceOffset, flat = flatOffset
        let flatness = texture.flatMap { $0.count >= n ? $0.data : nil }
        // Texture only raises the offset, so a ratio below 2^offset is no evidence: the
        // logarithm is only taken above it.
        let least = exp2f(offset + (flatness == nil ? 0 : min(0, flat)))
        for i in 0..<n {
            let ratio = (alternative[i] + floor) / (measured[i] + floor)
            guard ratio > least, ratio.isFinite else { continue }
            let e = log2f(ratio) - offset - (flatness.map { flat * (1 - $0[i]) } ?? 0)
            out[i] = e.isFinite ? min(1, max(0, e)) : 0
        }
        return out
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
