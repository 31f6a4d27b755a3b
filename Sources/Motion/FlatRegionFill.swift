import Foundation
import Raster

/// Fills the low-confidence parts of a displacement field from its confident parts, guided by
/// the reference frame's edges, so that flat, textureless areas take the motion of textured
/// surroundings of their own colour and fall to zero far from any (the prior where nothing can
/// be measured), instead of keeping what noise and densification left there.
///
/// With a weight s in [0, 1] per measurement, the fill G solves, per component,
/// s(p)·(G − F)(p) + Σ_n w(p, n)·(G(p) − G(n)) + ε·G(p) = 0 over the 4-neighbours n, with the
/// range weight w = exp(−|Δc|²/σ²) of the guide's colours (the reference luma without a guide)
/// and ε = 1/decay²; `apply` returns s·F + (1 − s)·G. The system is
/// solved coarse to fine (Gauss-Seidel sweeps on a pyramid down to about the decay length,
/// each level starting from the coarser one's solution), so every frame's fill converges on
/// its own; a coarse pixel is as open as the most closed fine edge it holds, so no level joins
/// what an edge separates.
public struct FlatRegionFill: Sendable {
    /// One pyramid level: its size and the range weights to the right and lower neighbours.
    struct Level: Sendable {
        var width: Int, height: Int
        var right: [Float], down: [Float]
    }
    /// Width of the reference frame (pixels).
    public let width: Int
    /// Height of the reference frame (pixels).
    public let height: Int
    /// Finest level first.
    let levels: [Level]
    /// Decay length of the fill (pixels of the reference).
    public let decay: Float

    /// A fill guided by `guide` (colour planes of the reference's size, values in [0, 1]) or,
    /// without one, by `reference` (luma in [0, 1]); `rangeSigma` in those units, `decay` in
    /// pixels.
    public init(reference: Plane, guide: [Plane]? = nil, rangeSigma: Float = 0.03, decay: Float = 4) {
        width = reference.width
        height = reference.height
        self.decay = max(1, decay)
        let usable = guide.map { g in !g.isEmpty && g.allSatisfy { $0.width == reference.width && $0.height == reference.height } } ?? false
        let planes = usable ? (guide ?? []).map(\.data) : [reference.data]
        var w = reference.width, h = reference.height
        let inv = 1 / (rangeSigma * rangeSigma)
        // The colour step between neighbours i and j = i + s (s = 1: right, s = w: down) is the
        // largest of |c_i − c_j|, |c_{i−s} − c_j| and |c_i − c_{j+s}|, so a soft, one-pixel edge
        // whose middle pixel is half of each side does not bridge the two.
        func step(_ i: Int, _ j: Int, _ s: Int, hasBefore: Bool, hasAfter: Bool) -> Float {
            var worst: Float = 0
            for (a, b) in [(i, j), (hasBefore ? i - s : i, j), (i, hasAfter ? j + s : j)] {
                var d2: Float = 0
                for p in planes { let t = p[a] - p[b]; d2 += t * t }
                worst = max(worst, d2)
            }
            return expf(-min(30, worst * inv))
        }
        var r = [Float](repeating: 0, count: w * h), d = r
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                if x + 1 < w { r[i] = step(i, i + 1, 1, hasBefore: x > 0, hasAfter: x + 2 < w) }
                if y + 1 < h { d[i] = step(i, i + w, w, hasBefore: y > 0, hasAfter: y + 2 < h) }
            }
        }
        var levels = [Level(width: w, height: h, right: r, down: d)]
        // Coarser levels: a coarse pixel is as open as the most closed edge of the fine pixels
        // it holds, and two coarse pixels connect as much as the more closed of them, so no
        // coarse level joins what an edge separates at the finest one.
        var open = [Float](repeating: 1, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                var o: Float = 1
                if x + 1 < w { o = min(o, r[i]) }
                if x > 0 { o = min(o, r[i - 1]) }
                if y + 1 < h { o = min(o, d[i]) }
                if y > 0 { o = min(o, d[i - w]) }
                open[i] = o
            }
        }
        // Levels down to about the decay length: coarser ones would only carry the zero prior.
        let depth = max(1, min(4, Int(log2(Double(self.decay)).rounded()) + 1))
        while w >= 32, h >= 32, levels.count < depth {
            let cw = w / 2, ch = h / 2
            var coarse = [Float](repeating: 0, count: cw * ch)
            for y in 0..<ch {
                for x in 0..<cw {
                    let i = 2 * y * w + 2 * x
                    coarse[y * cw + x] = min(min(open[i], open[i + 1]), min(open[i + w], open[i + w + 1]))
                }
            }
            var cr = [Float](repeating: 0, count: cw * ch), cd = cr
            for y in 0..<ch {
                for x in 0..<cw {
                    let i = y * cw + x
                    if x + 1 < cw { cr[i] = min(coarse[i], coarse[i + 1]) }
                    if y + 1 < ch { cd[i] = min(coarse[i], coarse[i + cw]) }
                }
            }
            levels.append(Level(width: cw, height: ch, right: cr, down: cd))
            open = coarse
            w = cw
            h = ch
        }
        self.levels = levels
    }

    /// 2 × 2 means (the odd last row or column is dropped).
    static func halved(_ values: [Float], width w: Int, height h: Int) -> [Float] {
        let hw = w / 2, hh = h / 2
        var out = [Float](repeating: 0, count: hw * hh)
        for y in 0..<hh {
            for x in 0..<hw {
                let i = 2 * y * w + 2 * x
                out[y * hw + x] = 0.25 * (values[i] + values[i + 1] + values[i + w] + values[i + w + 1])
            }
        }
        return out
    }

    /// `field` blended with the fill: s·F + (1 − s)·G, `weight` s in [0, 1] (both the
    /// reference's size; returned unchanged otherwise).
    public func apply(_ field: FlowField, weight confidence: Plane) -> FlowField {
        let w = width, h = height, n = w * h
        guard field.width == w, field.height == h, confidence.width == w, confidence.height == h, n > 0 else { return field }
        // Sources per level: the weight s and the weighted sums s·u, s·v (2 × 2 means upwards).
        var weight = confidence.data.map { min(1, max(0, $0)) }
        var su = [Float](repeating: 0, count: n), sv = su
        for i in 0..<n {
            let fu = field.u.data[i], fv = field.v.data[i]
            guard fu.isFinite, fv.isFinite else { weight[i] = 0; continue }
            su[i] = weight[i] * fu
            sv[i] = weight[i] * fv
        }
        var sources = [(weight, su, sv)]
        for l in 1..<levels.count {
            let (pw, pu, pv) = sources[l - 1], fw = levels[l - 1].width, fh = levels[l - 1].height
            sources.append((Self.halved(pw, width: fw, height: fh), Self.halved(pu, width: fw, height: fh),
                            Self.halved(pv, width: fw, height: fh)))
        }
        var gu: [Float] = [], gv: [Float] = []
        for l in stride(from: levels.count - 1, through: 0, by: -1) {
            let level = levels[l]
            if gu.isEmpty {
                gu = [Float](repeating: 0, count: level.width * level.height)
                gv = gu
            } else {
                gu = Self.doubled(gu, to: level, from: levels[l + 1])
                gv = Self.doubled(gv, to: level, from: levels[l + 1])
            }
            let scale = Float(1 << l) / decay
            let sweeps = l == levels.count - 1 ? 16 : (l == 0 ? 3 : 6)
            Self.sweep(&gu, &gv, level: level, weight: sources[l].0, sumU: sources[l].1, sumV: sources[l].2,
                       epsilon: scale * scale, sweeps: sweeps)
        }
        var out = field
        for i in 0..<n {
            let fu = field.u.data[i].isFinite ? field.u.data[i] : 0, fv = field.v.data[i].isFinite ? field.v.data[i] : 0
            let s = weight[i]
            out.u.data[i] = s * fu + (1 - s) * gu[i]
            out.v.data[i] = s * fv + (1 - s) * gv[i]
        }
        return out
    }

    /// s·a + (1 − s)·b per pixel (all three of one size; `a` unchanged otherwise).
    public func blend(_ a: FlowField, _ b: FlowField, weight s: Plane) -> FlowField {
        let w = a.width, h = a.height
        guard b.width == w, b.height == h, s.width == w, s.height == h else { return a }
        var out = a
        for i in 0..<(w * h) {
            let k = s.data[i]
            out.u.data[i] = k * a.u.data[i] + (1 - k) * b.u.data[i]
            out.v.data[i] = k * a.v.data[i] + (1 - k) * b.v.data[i]
        }
        return out
    }

    /// Nearest-neighbour upsampling of a coarse level's values onto the next finer level.
    static func doubled(_ coarse: [Float], to fine: Level, from c: Level) -> [Float] {
        var out = [Float](repeating: 0, count: fine.width * fine.height)
        for y in 0..<fine.height {
            let cy = min(c.height - 1, y / 2)
            for x in 0..<fine.width {
                out[y * fine.width + x] = coarse[cy * c.width + min(c.width - 1, x / 2)]
            }
        }
        return out
    }

    /// Gauss-Seidel sweeps of the fill's equations on one level, both components at once
    /// (border pixels by the general rule, the interior without bounds tests).
    static func sweep(_ gu: inout [Float], _ gv: inout [Float], level: Level, weight: [Float], sumU: [Float], sumV: [Float],
                      epsilon: Float, sweeps: Int) {
        let w = level.width, h = level.height, n = w * h
        guard n > 0 else { return }
        // The denominator does not change between sweeps.
        var den = [Float](repeating: 0, count: n)
        level.right.withUnsafeBufferPointer { rw in
            level.down.withUnsafeBufferPointer { dw in
                for y in 0..<h {
                    for x in 0..<w {
                        let i = y * w + x
                        var d = weight[i] + epsilon
                        if x > 0 { d += rw[i - 1] }
                        if x + 1 < w { d += rw[i] }
                        if y > 0 { d += dw[i - w] }
                        if y + 1 < h { d += dw[i] }
                        den[i] = 1 / d
                    }
                }
                den.withUnsafeBufferPointer { inv in
                    sumU.withUnsafeBufferPointer { su in
                        sumV.withUnsafeBufferPointer { sv in
                            gu.withUnsafeMutableBufferPointer { u in
                                gv.withUnsafeMutableBufferPointer { v in
                                    @inline(__always) func border(_ x: Int, _ y: Int) {
                                        let i = y * w + x
                                        var nu = su[i], nv = sv[i]
                                        if x > 0 { let k = rw[i - 1]; nu += k * u[i - 1]; nv += k * v[i - 1] }
                                        if x + 1 < w { let k = rw[i]; nu += k * u[i + 1]; nv += k * v[i + 1] }
                                        if y > 0 { let k = dw[i - w]; nu += k * u[i - w]; nv += k * v[i - w] }
                                        if y + 1 < h { let k = dw[i]; nu += k * u[i + w]; nv += k * v[i + w] }
                                        u[i] = nu * inv[i]
                                        v[i] = nv * inv[i]
                                    }
                                    for _ in 0..<sweeps {
                                        for y in 0..<h {
                                            guard y > 0, y + 1 < h, w > 2 else {
                                                for x in 0..<w { border(x, y) }
                                                continue
                                            }
                                            border(0, y)
                                            for x in 1..<(w - 1) {
                                                let i = y * w + x
                                                let kl = rw[i - 1], kr = rw[i], ku = dw[i - w], kd = dw[i]
                                                u[i] = (su[i] + kl * u[i - 1] + kr * u[i + 1] + ku * u[i - w] + kd * u[i + w]) * inv[i]
                                                v[i] = (sv[i] + kl * v[i - 1] + kr * v[i + 1] + ku * v[i - w] + kd * v[i + w]) * inv[i]
                                            }
                                            border(w - 1, y)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
