import Flow
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
    /// The normalised weights of every pixel's (2r+1)² neighbours, one plane per neighbour
    /// (tap k of pixel i at k·width·height + i; 0 outside the frame), so that neighbouring
    /// pixels' weights for one tap are contiguous and pool eight pixels at a time.
    private let weights: [Float]

    /// Evidence against `reference` (luma in [0, 1]); `guide` (colour planes of the reference's
    /// size, values in [0, 1]; the luma when nil or mismatched) decides which neighbours share
    /// a pixel's colour, `sigma` being the colour distance at which a weight falls to 1/e.
    public init(reference: Plane, guide: [Plane]?, sigma: Float = 0.08) {
        let w = reference.width, h = reference.height, n = w * h, r = Self.radius, side = 2 * r + 1
        width = w
        height = h
        self.reference = reference
        smoothedReference = reference.blurred(sigma: Self.smoothing, threads: 1)
        let planes = guide.flatMap { g in !g.isEmpty && g.allSatisfy { $0.width == w && $0.height == h } ? g : nil } ?? [reference]
        let inv = 1 / max(1e-6, sigma * sigma)
        var out = [Float](repeating: 0, count: n * side * side)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
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
                        out[((dy + r) * side + dx + r) * n + i] = weight
                        sum += weight
                    }
                }
                let norm = 1 / sum  // the centre's own weight is 1, so sum ≥ 1
                for k in 0..<(side * side) { out[k * n + i] *= norm }
            }
        }
        weights = out
    }

    /// Difference I_t(q + X(q)) − I_0(q) per pixel q, frame t sampled bilinearly (edges
    /// clamped); `field` nil means no motion.
    /// `frame` must be `smoothed(_:)`'s output.
    public func residual(of frame: Plane, under field: FlowField?, threads: Int = 1) -> [Float] {
        let n = width * height
        var out = [Float](repeating: 0, count: n)
        let r = smoothedReference
        let moved = field.map { frame.warped(u: $0.u, v: $0.v, threads: threads) } ?? frame
        guard moved.count == n else { return out }
        for i in 0..<n { out[i] = moved.data[i] - r.data[i] }
        return out
    }

    /// The variance of a difference (`residual`) over each pixel's own-colour neighbours (the
    /// weighted mean square less the squared weighted mean): the mismatch left once the
    /// neighbourhood's mean brightness change is allowed for, so that an exposure change on a
    /// shaded wall is not explained by sliding along the shading. All zero when `difference`
    /// is not of the reference's size.
    public func mismatch(_ difference: [Float], threads: Int = 1) -> [Float] {
        mismatches(difference, nil, threads: threads).first
    }

    /// `mismatch` of two differences in one pass over the weights (the second result is empty
    /// when `second` is nil): eight pixels at a time, rows split between `threads` workers.
    public func mismatches(_ first: [Float], _ second: [Float]?, threads: Int = 1) -> (first: [Float], second: [Float]) {
        pooled(first, second, threads: threads, simd: true)
    }

    /// The scalar reference for `mismatch` (same sums in the same order, one pixel at a time).
    public func mismatchScalar(_ difference: [Float]) -> [Float] {
        pooled(difference, nil, threads: 1, simd: false).first
    }

    /// Pools one or two differences: the differences are padded by r on every side (edge
    /// values repeated; their weights are 0), so every pixel takes the same path.
    private func pooled(_ first: [Float], _ second: [Float]?, threads: Int, simd: Bool) -> (first: [Float], second: [Float]) {
        let w = width, h = height, n = w * h, r = Self.radius, side = 2 * r + 1
        let pw = w + 2 * r, ph = h + 2 * r, pn = pw * ph, count = second == nil ? 1 : 2
        guard n > 0, first.count == n, (second?.count ?? n) == n else {
            return ([Float](repeating: 0, count: n), second == nil ? [] : [Float](repeating: 0, count: n))
        }
        var padded = [Float](repeating: 0, count: count * pn)
        for (j, d) in [first, second ?? []].prefix(count).enumerated() {
            for py in 0..<ph {
                let sy = min(max(py - r, 0), h - 1), row = j * pn + py * pw
                for px in 0..<pw { padded[row + px] = d[sy * w + min(max(px - r, 0), w - 1)] }
            }
        }
        var out = [Float](repeating: 0, count: count * n)
        weights.withUnsafeBufferPointer { wb in
            padded.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { ob in
                    let wp = wb.baseAddress!, pp = pb.baseAddress!, op = ob.baseAddress!
                    let workers = Parallel.workers(for: n * side * side * count, threads: threads)
                    Parallel.forChunks(h, threads: workers) { rows in
                        for y in rows {
                            var x = 0
                            if simd {
                                while x + 8 <= w {
                                    Self.pool8(wp + y * w + x, n, pp + y * pw + x, pw, pn, count, op + y * w + x, n)
                                    x += 8
                                }
                            }
                            while x < w {
                                for j in 0..<count {
                                    var mean: Float = 0, square: Float = 0
                                    for dy in 0..<side {
                                        let row = pp + j * pn + (y + dy) * pw + x
                                        for dx in 0..<side {
                                            let k = wp[(dy * side + dx) * n + y * w + x], d = row[dx]
                                            mean += k * d
                                            square += k * d * d
                                        }
                                    }
                                    op[j * n + y * w + x] = max(0, square - mean * mean)
                                }
                                x += 1
                            }
                        }
                    }
                }
            }
        }
        guard count == 2 else { return (out, []) }
        return (Array(out[0..<n]), Array(out[n..<(2 * n)]))
    }

    /// Eight neighbouring pixels of `pool`: weights at `k` (tap stride `n`), padded
    /// differences at `d` (row stride `pw`, difference stride `pn`), results at `o` (stride `n`).
    @inline(__always)
    private static func pool8(_ k: UnsafePointer<Float>, _ n: Int, _ d: UnsafePointer<Float>, _ pw: Int, _ pn: Int,
                              _ count: Int, _ o: UnsafeMutablePointer<Float>, _ on: Int) {
        let side = 2 * radius + 1
        var m0 = SIMD8<Float>(repeating: 0), s0 = m0, m1 = m0, s1 = m0
        for dy in 0..<side {
            for dx in 0..<side {
                let wk = UnsafeRawPointer(k + (dy * side + dx) * n).loadUnaligned(as: SIMD8<Float>.self)
                let a = UnsafeRawPointer(d + dy * pw + dx).loadUnaligned(as: SIMD8<Float>.self)
                let wa = wk * a
                m0 += wa
                s0 += wa * a
                if count == 2 {
                    let b = UnsafeRawPointer(d + pn + dy * pw + dx).loadUnaligned(as: SIMD8<Float>.self)
                    let wb = wk * b
                    m1 += wb
                    s1 += wb * b
                }
            }
        }
        let zero = SIMD8<Float>(repeating: 0)
        UnsafeMutableRawPointer(o).storeBytes(of: pointwiseMax(zero, s0 - m0 * m0), as: SIMD8<Float>.self)
        if count == 2 { UnsafeMutableRawPointer(o + on).storeBytes(of: pointwiseMax(zero, s1 - m1 * m1), as: SIMD8<Float>.self) }
    }

    /// A frame prepared for `residual` (blurred like the reference).
    public func smoothed(_ frame: Plane, threads: Int = 1) -> Plane { frame.blurred(sigma: Self.smoothing, threads: threads) }

    /// The median of every `step`-th value (0 for none): the typical mismatch of a frame,
    /// its noise level where most of the picture is matched.
    public static func typical(_ values: [Float], step: Int = 4) -> Float {
        var sample = Swift.stride(from: 0, to: values.count, by: max(1, step)).map { values[$0] }
        guard !sample.isEmpty else { return 0 }
        return TrajectoryConfidence.select(&sample, rank: sample.count / 2)
    }
}
