import Foundation
import Raster

/// Photometric evidence for a displacement field, measured over each pixel's own side: how
/// well frame t, pulled back by a field, matches the reference frame over the 5 × 5
/// neighbours that share the pixel's colour. Comparing two fields this way (the measured flow
/// and the one its surroundings imply, or no motion) tells whether the data prefer one: on a
/// flat, noisy wall every field fits equally, on texture or shading the true one fits best.
///
/// The neighbour weights are exp(−|c_p − c_q|²/σ²) over the guide's colour planes (values in
/// [0, 1]), fixed by the reference, so a flat pixel beside an edge is judged by its own flat
/// side, not by the edge (which would make it follow whatever moves the edge).
public struct MotionEvidence: Sendable {
    /// Size of the reference frame (pixels).
    public let width: Int, height: Int
    /// The reference frame's luma, [0, 1].
    public let reference: Plane
    /// Window radius (pixels).
    public static let radius = 2
    /// Both frames are blurred by a Gaussian of this σ (pixels) before they are compared, so
    /// that bilinear sampling at a fractional displacement, which averages noise away, does
    /// not make a wrong fractional field fit a noisy flat area better than an integer one.
    public static let smoothing: Float = 1
    /// The reference, blurred.
    public let smoothedReference: Plane
    /// Per pixel, the normalised weights of its (2r+1)² neighbours (0 outside the frame).
    private let weights: [Float]

    /// Evidence against `reference` (luma in [0, 1]); `guide` (colour planes of the reference's
    /// size, values in [0, 1]; the luma when nil or mismatched) decides which neighbours share
    /// a pixel's colour, `sigma` being the colour distance at which a weight falls to 1/e.
    public init(reference: Plane, guide: [Plane]?, sigma: Float = 0.08) {
        let w = reference.width, h = reference.height, r = Self.radius, side = 2 * r + 1
        width = w
        height = h
        self.reference = reference
        smoothedReference = reference.blurred(sigma: Self.smoothing, threads: 1)
        let planes = guide.flatMap { g in !g.isEmpty && g.allSatisfy { $0.width == w && $0.height == h } ? g : nil } ?? [reference]
        let inv = 1 / max(1e-6, sigma * sigma)
        var out = [Float](repeating: 0, count: w * h * side * side)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x, base = i * side * side
                var sum: Float = 0
                for dy in -r...r {
                    let qy = y + dy
                    guard qy >= 0, qy < h else { continue }
                    for dx in -r...r {
                        let qx = x + dx
                        guard qx >= 0, qx < w else { continue }
                        var d2: Float = 0
                        for p in planes { let t = p.data[qy * w + qx] - p.data[i]; d2 += t * t }
                        let weight = expf(-min(30, d2 * inv))
                        out[base + (dy + r) * side + dx + r] = weight
                        sum += weight
                    }
                }
                let norm = 1 / sum  // the centre's own weight is 1, so sum ≥ 1
                for k in 0..<(side * side) { out[base + k] *= norm }
            }
        }
        weights = out
    }

    /// Difference I_t(q + X(q)) − I_0(q) per pixel q, frame t sampled bilinearly (edges
    /// clamped); `field` nil means no motion.
    /// `frame` must be `smoothed(_:)`'s output.
    public func residual(of frame: Plane, under field: FlowField?) -> [Float] {
        let n = width * height
        var out = [Float](repeating: 0, count: n)
        let r = smoothedReference
        if let field {
            let pulled = frame.warped(u: field.u, v: field.v, threads: 1)
            for i in 0..<n { out[i] = pulled.data[i] - r.data[i] }
        } else {
            for i in 0..<n { out[i] = frame.data[i] - r.data[i] }
        }
        return out
    }

    /// The variance of a difference (`residual`) over each pixel's own-colour neighbours (the
    /// weighted mean square less the squared weighted mean): the mismatch left once the
    /// neighbourhood's mean brightness change is allowed for, so that an exposure change on a
    /// shaded wall is not explained by sliding along the shading.
    public func mismatch(_ difference: [Float]) -> [Float] {
        let w = width, h = height, r = Self.radius, side = 2 * r + 1, taps = side * side
        var out = [Float](repeating: 0, count: w * h)
        guard difference.count == w * h else { return out }
        // Mean and mean square over the same weights in one pass.
        weights.withUnsafeBufferPointer { wp in
            difference.withUnsafeBufferPointer { dp in
                for y in 0..<h {
                    let inside = y >= r && y + r < h
                    for x in 0..<w {
                        let i = y * w + x, base = i * taps
                        var mean: Float = 0, square: Float = 0
                        if inside && x >= r && x + r < w {
                            for dy in -r...r {
                                let row = dp.baseAddress! + (y + dy) * w + x - r, k = wp.baseAddress! + base + (dy + r) * side
                                for dx in 0..<side {
                                    let d = row[dx]
                                    mean += k[dx] * d
                                    square += k[dx] * d * d
                                }
                            }
                        } else {
                            for dy in -r...r {
                                let qy = min(max(y + dy, 0), h - 1)
                                for dx in -r...r {
                                    let k = wp[base + (dy + r) * side + dx + r], d = dp[qy * w + min(max(x + dx, 0), w - 1)]
                                    mean += k * d
                                    square += k * d * d
                                }
                            }
                        }
                        out[i] = max(0, square - mean * mean)
                    }
                }
            }
        }
        return out
    }

    /// A frame prepared for `residual` (blurred like the reference).
    public func smoothed(_ frame: Plane) -> Plane { frame.blurred(sigma: Self.smoothing, threads: 1) }

    /// The median of every 4th value (0 for none): the typical mismatch of a frame,
    /// its noise level where most of the picture is matched.
    public static func typical(_ values: [Float]) -> Float {
        var sample = Swift.stride(from: 0, to: values.count, by: 4).map { values[$0] }
        guard !sample.isEmpty else { return 0 }
        return TrajectoryConfidence.select(&sample, rank: sample.count / 2)
    }
}
