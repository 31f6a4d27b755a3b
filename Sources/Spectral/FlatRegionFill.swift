import Flow
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
/// and ε = 1/decay²; `apply` returns s·F + (1 − s)·G. The system is relaxed coarse to fine:
/// a few red-black Gauss-Seidel sweeps per level of a pyramid down to about the decay length
/// (`sweepCounts`), each level starting from the coarser one's result, so every frame's fill
/// stands on its own. The sweeps stop short of convergence on purpose: that also bounds how
/// far a motion spreads. A coarse pixel is as open as the most closed fine edge it holds, so
/// no level joins what an edge separates.
public struct FlatRegionFill: Sendable {
    /// One pyramid level: its size and the range weights to the right and lower neighbours.
    struct Level: Sendable {
        let width: Int, height: Int
        let right: [Float], down: [Float]
        /// Per pixel, the sum of the weights to its four neighbours.
        let neighbours: [Float]

        init(width w: Int, height h: Int, right: [Float], down: [Float]) {
            width = w
            height = h
            self.right = right
            self.down = down
            var sums = [Float](repeating: 0, count: w * h)
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x
                    var d: Float = 0
                    if x > 0 { d += right[i - 1] }
                    if x + 1 < w { d += right[i] }
                    if y > 0 { d += down[i - w] }
                    if y + 1 < h { d += down[i] }
                    sums[i] = d
                }
            }
            neighbours = sums
        }
    }
    /// Width of the reference frame (pixels).
    public let width: Int
    /// Height of the reference frame (pixels).
    public let height: Int
    /// Finest level first.
    let levels: [Level]
    /// Red-black sweeps on the coarsest level, the levels between, and the finest level.
    /// A few sweeps, not a converged solve: enough for the motion of textured surroundings to
    /// spread over a flat area of their colour, and they keep its reach short.
    static let sweepCounts = (coarsest: 8, middle: 3, finest: 2)
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
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<hh {
                    for x in 0..<hw {
                        let i = 2 * y * w + 2 * x
                        o[y * hw + x] = 0.25 * (v[i] + v[i + 1] + v[i + w] + v[i + w + 1])
                    }
                }
            }
        }
        return out
    }

    /// `field` blended with the fill: s·F + (1 − s)·G, `weight` s in [0, 1] (both the
    /// reference's size; returned unchanged otherwise).
    public func apply(_ field: FlowField, weight confidence: Plane, threads: Int = 1) -> FlowField {
        solve(field, weight: confidence, threads: threads, simd: true)
    }

    /// The scalar reference for `apply` (one worker, one pixel at a time, same sums).
    public func applyScalar(_ field: FlowField, weight confidence: Plane) -> FlowField {
        solve(field, weight: confidence, threads: 1, simd: false)
    }

    private func solve(_ field: FlowField, weight confidence: Plane, threads: Int, simd: Bool) -> FlowField {
        let w = width, h = height, n = w * h
        guard field.width == w, field.height == h, confidence.width == w, confidence.height == h, n > 0 else { return field }
        // Sources per level: the weight s and the weighted sums s·u, s·v (2 × 2 means upwards).
        var weight = [Float](repeating: 0, count: n), su = weight, sv = weight
        field.u.data.withUnsafeBufferPointer { fu in
            field.v.data.withUnsafeBufferPointer { fv in
                confidence.data.withUnsafeBufferPointer { c in
                    weight.withUnsafeMutableBufferPointer { ws in
                        su.withUnsafeMutableBufferPointer { us in
                            sv.withUnsafeMutableBufferPointer { vs in
                                for i in 0..<n where fu[i].isFinite && fv[i].isFinite {
                                    let s = min(1, max(0, c[i]))
                                    ws[i] = s
                                    us[i] = s * fu[i]
                                    vs[i] = s * fv[i]
                                }
                            }
                        }
                    }
                }
            }
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
            let sweeps = l == levels.count - 1 ? Self.sweepCounts.coarsest : (l == 0 ? Self.sweepCounts.finest : Self.sweepCounts.middle)
            Self.sweep(&gu, &gv, level: level, weight: sources[l].0, sumU: sources[l].1, sumV: sources[l].2,
                       epsilon: scale * scale, sweeps: sweeps, threads: threads, simd: simd)
        }
        var out = field
        out.u.data.withUnsafeMutableBufferPointer { ou in
            out.v.data.withUnsafeMutableBufferPointer { ov in
                for i in 0..<n {
                    let fu = ou[i].isFinite ? ou[i] : 0, fv = ov[i].isFinite ? ov[i] : 0
                    let s = weight[i]
                    ou[i] = s * fu + (1 - s) * gu[i]
                    ov[i] = s * fv + (1 - s) * gv[i]
                }
            }
        }
        return out
    }

    /// s·a + (1 − s)·b per pixel (all three of one size; `a` unchanged otherwise).
    public func blend(_ a: FlowField, _ b: FlowField, weight s: Plane) -> FlowField {
        let w = a.width, h = a.height
        guard b.width == w, b.height == h, s.width == w, s.height == h else { return a }
        var out = a
        out.u.data.withUnsafeMutableBufferPointer { ou in
            out.v.data.withUnsafeMutableBufferPointer { ov in
                for i in 0..<(w * h) {
                    let k = s.data[i]
                    ou[i] = k * ou[i] + (1 - k) * b.u.data[i]
                    ov[i] = k * ov[i] + (1 - k) * b.v.data[i]
                }
            }
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

    /// Red-black Gauss-Seidel sweeps of the fill's equations on one level: each sweep updates
    /// the pixels with x + y even, then those with x + y odd, so a half-sweep's updates read
    /// only the other colour and a row's interior updates eight pixels at a time. The two
    /// components are independent and run on two workers when `threads` allows. `simd` false
    /// is the scalar reference (same sums in the same order).
    static func sweep(_ gu: inout [Float], _ gv: inout [Float], level: Level, weight: [Float], sumU: [Float], sumV: [Float],
                      epsilon: Float, sweeps: Int, threads: Int = 1, simd: Bool = true) {
        let w = level.width, h = level.height, n = w * h
        guard n > 0, gu.count == n, gv.count == n else { return }
        // The denominator does not change between sweeps.
        var den = [Float](repeating: 0, count: n)
        for i in 0..<n { den[i] = 1 / (weight[i] + epsilon + level.neighbours[i]) }
        level.right.withUnsafeBufferPointer { rw in
            level.down.withUnsafeBufferPointer { dw in
                den.withUnsafeBufferPointer { inv in
                    sumU.withUnsafeBufferPointer { su in
                        sumV.withUnsafeBufferPointer { sv in
                            gu.withUnsafeMutableBufferPointer { u in
                                gv.withUnsafeMutableBufferPointer { v in
                                    let grid = RelaxGrid(width: w, height: h, right: rw.baseAddress!, down: dw.baseAddress!,
                                                         inverse: inv.baseAddress!)
                                    let up = u.baseAddress!, vp = v.baseAddress!, sup = su.baseAddress!, svp = sv.baseAddress!
                                    let split = Parallel.workers(for: 2 * n, threads: min(2, threads), grain: 4096)
                                    Parallel.forEach(split) { c in
                                        if c == 0 { grid.relax(up, sum: sup, sweeps: sweeps, simd: simd) }
                                        if c == 1 || split == 1 { grid.relax(vp, sum: svp, sweeps: sweeps, simd: simd) }
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

/// One pyramid level's fixed terms, for relaxing one component in place.
private struct RelaxGrid {
    let width: Int, height: Int
    /// Weights to the right and lower neighbours, and 1 / the diagonal.
    let right: UnsafePointer<Float>, down: UnsafePointer<Float>, inverse: UnsafePointer<Float>

    /// The update of pixel (x, y) from its neighbours, border tests included.
    @inline(__always)
    func update(_ g: UnsafeMutablePointer<Float>, _ sum: UnsafePointer<Float>, _ x: Int, _ y: Int) {
        let w = width, i = y * w + x
        var s = sum[i]
        if x > 0 { s += right[i - 1] * g[i - 1] }
        if x + 1 < w { s += right[i] * g[i + 1] }
        if y > 0 { s += down[i - w] * g[i - w] }
        if y + 1 < height { s += down[i] * g[i + w] }
        g[i] = s * inverse[i]
    }

    /// `sweeps` red-black sweeps over component `g` with source sums `sum`.
    func relax(_ g: UnsafeMutablePointer<Float>, sum: UnsafePointer<Float>, sweeps: Int, simd: Bool) {
        let w = width, h = height
        let row = UnsafeMutablePointer<Float>.allocate(capacity: w + 8)
        defer { row.deallocate() }
        for _ in 0..<sweeps {
            for colour in 0..<2 {
                for y in 0..<h {
                    var x = (y + colour) & 1
                    guard simd, y > 0, y + 1 < h, w >= 10 else {
                        while x < w { update(g, sum, x, y); x += 2 }
                        continue
                    }
                    if x == 0 { update(g, sum, 0, y); x = 2 }
                    // Blocks over the interior: every pixel computed into `row` first, then this
                    // colour's stored (storing as they are computed would make the next block's
                    // loads straddle the last block's stores, which the processor cannot forward).
                    var b = 1
                    while b + 8 <= w - 1 {
                        let i = y * w + b
                        let l = UnsafeRawPointer(g + i - 1).loadUnaligned(as: SIMD8<Float>.self)
                        let r = UnsafeRawPointer(g + i + 1).loadUnaligned(as: SIMD8<Float>.self)
                        let t = UnsafeRawPointer(g + i - w).loadUnaligned(as: SIMD8<Float>.self)
                        let d = UnsafeRawPointer(g + i + w).loadUnaligned(as: SIMD8<Float>.self)
                        var s = UnsafeRawPointer(sum + i).loadUnaligned(as: SIMD8<Float>.self)
                        s += UnsafeRawPointer(right + i - 1).loadUnaligned(as: SIMD8<Float>.self) * l
                        s += UnsafeRawPointer(right + i).loadUnaligned(as: SIMD8<Float>.self) * r
                        s += UnsafeRawPointer(down + i - w).loadUnaligned(as: SIMD8<Float>.self) * t
                        s += UnsafeRawPointer(down + i).loadUnaligned(as: SIMD8<Float>.self) * d
                        let new = s * UnsafeRawPointer(inverse + i).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(row + b).storeBytes(of: new, as: SIMD8<Float>.self)
                        b += 8
                    }
                    var c = 1 + ((1 + y + colour) & 1)
                    while c < b { g[y * w + c] = row[c]; c += 2 }
                    x = b + ((b + y + colour) & 1)
                    while x < w { update(g, sum, x, y); x += 2 }
                }
            }
        }
    }
}
