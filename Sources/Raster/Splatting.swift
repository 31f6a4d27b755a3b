import Foundation

/// How splatted pixels landing on the same target pixel are combined.
public enum SplatMode: Sendable, Equatable {
    /// Bilinear-weighted mean of everything that lands (α·z ≡ 0).
    case average
    /// Softmax splatting (Niklaus and Liu, CVPR 2020): each pixel's bilinear weight is multiplied
    /// by exp(α·z), z the caller's importance plane, so pixels with higher α·z win. `alpha` is in
    /// 1/(units of z) and must be finite; 0 gives `average`. Exponents are taken relative to the
    /// largest α·z in the frame and floored at −50, so pixels more than 50/|α| below the most
    /// important one are averaged among themselves where nothing more important lands.
    case softmax(alpha: Float)
}

/// The result of a forward warp.
public struct SplatResult: Sendable, Equatable {
    /// The warped planes, in the order given; holes are 0, or filled when filling was asked for.
    public internal(set) var planes: [Plane]
    /// Coverage: the summed bilinear splat weight per target pixel, in source pixels (1 where
    /// exactly one pixel's worth of content landed; independent of the mode and of α).
    public internal(set) var weight: Plane
    /// Target pixels whose coverage is below `holeThreshold` (counted before any filling).
    public internal(set) var holeCount: Int
    /// The coverage below which a target pixel is a hole.
    public internal(set) var holeThreshold: Float

    /// The default `holeThreshold`: a target pixel that receives less than a thousandth of a
    /// source pixel is a hole.
    public static let defaultHoleThreshold: Float = 1e-3

    /// 1 where a target pixel is a hole (coverage below `holeThreshold`), 0 elsewhere.
    public var holeMask: Plane {
        Plane(width: weight.width, height: weight.height, data: weight.data.map { $0 < holeThreshold ? 1 : 0 })
    }
}

/// A displacement field with its optional importance plane, all the same size: source pixel
/// (x, y) goes to (x + u, y + v), u and v in pixels of this size.
public struct SplatField: Sendable, Equatable {
    /// Where each source pixel goes, pixels.
    public let displacement: DisplacementField
    /// Importance z for softmax splatting (any unit; α is in its inverse), or nil.
    public let importance: Plane?

    /// A field; throws `RasterError` unless `u` and `v` make a valid `DisplacementField` and
    /// `importance` has its size.
    public init(u: Plane, v: Plane, importance: Plane? = nil) throws {
        try self.init(displacement: DisplacementField(u: u, v: v), importance: importance)
    }

    /// A field over a displacement; throws `RasterError.sizeMismatch` unless `importance` has
    /// its size.
    public init(displacement: DisplacementField, importance: Plane? = nil) throws {
        if let importance {
            try Plane.requireSize(importance, "the splat importance", width: displacement.width, height: displacement.height)
        }
        self.displacement = displacement
        self.importance = importance
    }

    /// Horizontal displacement, pixels (right positive).
    public var u: Plane { displacement.u }
    /// Vertical displacement, pixels (down positive).
    public var v: Plane { displacement.v }
    /// Width in pixels.
    public var width: Int { displacement.width }
    /// Height in pixels.
    public var height: Int { displacement.height }

    /// This field for planes of `width × height` (e.g. a chroma plane, given a luma-size field):
    /// the displacement resized (`DisplacementField.resized`), the importance resampled with its
    /// values unchanged (keep α). Throws `invalidParameter` for an empty size.
    public func resized(width newWidth: Int, height newHeight: Int, threads: Int = Parallel.defaultThreads) throws -> SplatField {
        guard newWidth > 0, newHeight > 0, width > 0, height > 0 else {
            throw RasterError.invalidParameter(name: "splat field size", value: "\(newWidth)×\(newHeight) from \(width)×\(height)",
                                               expected: "non-empty sizes")
        }
        if newWidth == width, newHeight == height { return self }
        return try SplatField(displacement: displacement.resized(width: newWidth, height: newHeight, threads: threads),
                              importance: importance?.resizedBilinear(width: newWidth, height: newHeight, threads: threads))
    }
}

extension Plane {
    /// Forward-warps `planes` (all the size of `u`): source pixel p goes to p + (u(p), v(p))
    /// (pixels) and is splatted bilinearly onto the 4 target pixels around it, with weight
    /// bilinear·exp(α·z(p)) in softmax `mode`; each target is Σ w·I / Σ w. Pixels with a
    /// non-finite displacement or importance, or landing wholly outside the frame, are skipped.
    /// Targets whose coverage is below `holeThreshold` (at least 1e−8) are holes: 0, or filled
    /// by `fillingHoles` when `fillHoles`. `importance` is only read in softmax mode. Samples are
    /// not checked: a NaN sample spreads to the targets it lands on. Parallel over target row
    /// bands on `threads` workers; the result is the same for any `threads` and agrees with
    /// `splatScalar` to about 1e−6 relative (the vector exponential, summation order). Throws
    /// `RasterError` for mismatched sizes, a softmax without importance, a non-finite α or a bad
    /// threshold.
    public static func splat(_ planes: [Plane], u: Plane, v: Plane, importance: Plane? = nil, mode: SplatMode = .average,
                             fillHoles: Bool = true, holeThreshold: Float = SplatResult.defaultHoleThreshold,
                             threads: Int = Parallel.defaultThreads) throws -> SplatResult {
        let alpha = try checkSplat(planes, u: u, v: v, importance: importance, mode: mode, holeThreshold: holeThreshold)
        return splatFast(planes, u: u, v: v, importance: alpha == nil ? nil : importance, alpha: alpha ?? 0,
                         fillHoles: fillHoles, holeThreshold: holeThreshold, threads: threads)
    }

    /// `splat` with the displacement and importance of `field` (see `SplatField.resized` for
    /// planes of another size).
    public static func splat(_ planes: [Plane], field: SplatField, mode: SplatMode = .average, fillHoles: Bool = true,
                             holeThreshold: Float = SplatResult.defaultHoleThreshold,
                             threads: Int = Parallel.defaultThreads) throws -> SplatResult {
        try splat(planes, u: field.u, v: field.v, importance: field.importance, mode: mode, fillHoles: fillHoles,
                  holeThreshold: holeThreshold, threads: threads)
    }

    /// Scalar reference of `splat`, for tests: one thread, a plain loop over source pixels, the
    /// exponential from Foundation.
    public static func splatScalar(_ planes: [Plane], u: Plane, v: Plane, importance: Plane? = nil, mode: SplatMode = .average,
                                   fillHoles: Bool = true,
                                   holeThreshold: Float = SplatResult.defaultHoleThreshold) throws -> SplatResult {
        let alpha = try checkSplat(planes, u: u, v: v, importance: importance, mode: mode, holeThreshold: holeThreshold)
        return splatReference(planes, u: u, v: v, importance: importance, alpha: alpha, fillHoles: fillHoles, holeThreshold: holeThreshold)
    }

    /// The scalar reference after its checks; `alpha` nil for average splatting.
    static func splatReference(_ planes: [Plane], u: Plane, v: Plane, importance: Plane?, alpha: Float?,
                               fillHoles: Bool, holeThreshold: Float) -> SplatResult {
        let w = u.width, h = u.height, n = w * h
        // Which pixels land (target in (−1, w) × (−1, h)) and their α·z, clamped to finite.
        var score = [Float](repeating: -.infinity, count: n)
        var top = -Float.infinity
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let tx = Float(x) + u.data[i], ty = Float(y) + v.data[i]
                guard tx > -1, tx < Float(w), ty > -1, ty < Float(h) else { continue }
                var s: Float = 0
                if let alpha, let z = importance {
                    let a = alpha * z.data[i]
                    if a.isNaN { continue }
                    s = min(max(a, -.greatestFiniteMagnitude), .greatestFiniteMagnitude)
                }
                score[i] = s
                top = max(top, s)
            }
        }
        var cover = [Float](repeating: 0, count: n), total = cover
        var sums = planes.map { _ in [Float](repeating: 0, count: n) }
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                guard score[i] > -.infinity else { continue }
                let f = alpha == nil ? 1 : Float(Foundation.exp(Double(max(score[i] - top, SplatKernels.exponentFloor))))
                let tx = Float(x) + u.data[i], ty = Float(y) + v.data[i]
                let x0 = Int(tx.rounded(.down)), y0 = Int(ty.rounded(.down))
                let ax = tx - tx.rounded(.down), ay = ty - ty.rounded(.down)
                for (cx, cy, bw) in [(x0, y0, (1 - ax) * (1 - ay)), (x0 + 1, y0, ax * (1 - ay)),
                                     (x0, y0 + 1, (1 - ax) * ay), (x0 + 1, y0 + 1, ax * ay)]
                where cx >= 0 && cx < w && cy >= 0 && cy < h {
                    let t = cy * w + cx
                    cover[t] += bw
                    total[t] += bw * f
                    for k in planes.indices { sums[k][t] += bw * (f * planes[k].data[i]) }
                }
            }
        }
        var holes = 0
        for t in 0..<n {
            let hole = cover[t] < holeThreshold
            if hole { holes += 1 }
            for k in planes.indices { sums[k][t] = hole ? 0 : sums[k][t] / total[t] }
        }
        let weight = Plane(width: w, height: h, data: cover)
        var out = sums.map { Plane(width: w, height: h, data: $0) }
        if fillHoles, holes > 0 { out = pushPull(out, weight: weight, threshold: holeThreshold, threads: 1) }
        return SplatResult(planes: out, weight: weight, holeCount: holes, holeThreshold: holeThreshold)
    }

    /// Checks sizes and parameters; returns α for softmax, nil for average.
    static func checkSplat(_ planes: [Plane], u: Plane, v: Plane, importance: Plane?, mode: SplatMode,
                           holeThreshold: Float) throws -> Float? {
        try requireSize(v, "the splat displacement v", width: u.width, height: u.height)
        for (k, plane) in planes.enumerated() {
            try requireSize(plane, "splatted plane \(k)", width: u.width, height: u.height)
        }
        if let importance { try requireSize(importance, "the splat importance", width: u.width, height: u.height) }
        guard holeThreshold >= 1e-8, holeThreshold.isFinite else {
            throw RasterError.invalidParameter(name: "holeThreshold", value: "\(holeThreshold)", expected: "a finite value ≥ 1e-8")
        }
        guard case let .softmax(alpha) = mode else { return nil }
        guard alpha.isFinite else {
            throw RasterError.invalidParameter(name: "softmax alpha", value: "\(alpha)", expected: "a finite number")
        }
        guard importance != nil else {
            throw RasterError.invalidParameter(name: "importance", value: "nil", expected: "an importance plane for softmax splatting")
        }
        return alpha
    }

    /// Throws `sizeMismatch` unless `plane` is `width × height`.
    package static func requireSize(_ plane: Plane, _ what: String, width: Int, height: Int) throws {
        guard plane.width == width, plane.height == height else {
            throw RasterError.sizeMismatch(what: what, expectedWidth: width, expectedHeight: height,
                                           width: plane.width, height: plane.height)
        }
    }

    /// `planes` with their holes (pixels whose `weight` is below `threshold`, or NaN) filled from
    /// the valid neighbourhood by push-pull (Gortler et al., "The Lumigraph", 1996): push builds a
    /// pyramid by 2×2 blocks, each coarse pixel the share-weighted mean of the valid values below
    /// it and its share the mean share (1 = fully valid); pull goes back down, blending each
    /// pixel as share·value + (1 − share)·(the filled coarser level, bilinear). Valid pixels keep
    /// their values exactly; a hole gets a smooth convex combination of the nearest valid values,
    /// wider holes from wider neighbourhoods. A plane without any valid pixel becomes 0.
    /// Throws `RasterError.sizeMismatch` unless every plane is the size of `weight`.
    public static func fillingHoles(_ planes: [Plane], weight: Plane, threshold: Float = SplatResult.defaultHoleThreshold,
                                    threads: Int = Parallel.defaultThreads) throws -> [Plane] {
        for (k, plane) in planes.enumerated() {
            try requireSize(plane, "hole-filled plane \(k)", width: weight.width, height: weight.height)
        }
        guard threshold.isFinite else {
            throw RasterError.invalidParameter(name: "hole threshold", value: "\(threshold)", expected: "a finite number")
        }
        return pushPull(planes, weight: weight, threshold: threshold, threads: threads)
    }

    /// Push-pull hole filling (see `fillingHoles`), sizes already checked. Level 0's shares are
    /// read from `weight` (1 where it reaches `threshold`, else 0) and its holes filled in place.
    static func pushPull(_ planes: consuming [Plane], weight: Plane, threshold: Float, threads: Int) -> [Plane] {
        var out = planes
        guard !out.isEmpty, weight.count > 0 else { return out }
        let binary = BinaryShare(threshold: threshold)
        // Push: stop at 1×1 or at a level without partial pixels.
        var (share, coarse) = pushed(weight, out, rule: binary, threads: threads)
        var shares = [share], levels = [coarse]
        while share.width > 1 || share.height > 1, share.data.contains(where: { $0 < 1 }) {
            (share, coarse) = pushed(share, coarse, rule: RawShare(), threads: threads)
            shares.append(share)
            levels.append(coarse)
        }
        // Pull: each level's partial pixels blended with the filled level above, down to level 0.
        for k in stride(from: levels.count - 2, through: 0, by: -1) {
            pull(shares[k], into: &levels[k], from: levels[k + 1], rule: RawShare(), threads: threads)
        }
        pull(weight, into: &out, from: levels[0], rule: binary, threads: threads)
        return out
    }

    /// One push step: the ⌈w/2⌉ × ⌈h/2⌉ level over `shares` and `values`: per 2×2 block the
    /// mean share and the share-weighted mean value (0 where no share). At odd edges the block's
    /// last row or column is read twice, which leaves both means unchanged.
    static func pushed<Rule: ShareRule>(_ shares: Plane, _ values: [Plane], rule: Rule, threads: Int) -> (Plane, [Plane]) {
        let w = shares.width, h = shares.height, wc = (w + 1) / 2, hc = (h + 1) / 2, c = values.count
        let workers = Parallel.workers(for: w * h * (c + 1), threads: threads, grain: 32_768)
        var made: [Plane] = []
        shares.withSamples { a in withAllSamples(values[...]) { s in
            made = makePlanes(c + 1, width: wc, height: hc) { d in
                Parallel.forChunks(hc, threads: workers) { rows in
                    for cy in rows {
                        let r0 = 2 * cy * w, r1 = min(2 * cy + 1, h - 1) * w
                        for cx in 0..<wc {
                            let x0 = 2 * cx, x1 = min(2 * cx + 1, w - 1)
                            let i = (r0 + x0, r0 + x1, r1 + x0, r1 + x1)
                            let q = (rule.share(a[i.0]), rule.share(a[i.1]), rule.share(a[i.2]), rule.share(a[i.3]))
                            let total = q.0 + q.1 + q.2 + q.3, o = cy * wc + cx
                            d[0][o] = 0.25 * total
                            for k in 0..<c {
                                // Samples with no share are never read: in holes they may be NaN.
                                let p = s[k]
                                let sum = (q.0 > 0 ? q.0 * p[i.0] : 0) + (q.1 > 0 ? q.1 * p[i.1] : 0)
                                    + (q.2 > 0 ? q.2 * p[i.2] : 0) + (q.3 > 0 ? q.3 * p[i.3] : 0)
                                d[1 + k][o] = total > 0 ? sum / total : 0
                            }
                        }
                    }
                }
            }
        } }
        return (made[0], Array(made.dropFirst()))
    }

    /// One pull step in place: each pixel of `values` with share a < 1 becomes a·value + (1 − a)·
    /// (the filled coarser level read bilinearly at (x/2 − ¼, y/2 − ¼)); pixels with a = 1 are kept.
    static func pull<Rule: ShareRule>(_ shares: Plane, into values: inout [Plane], from coarse: [Plane], rule: Rule, threads: Int) {
        let w = shares.width, h = shares.height, cw = coarse[0].width, ch = coarse[0].height
        let workers = Parallel.workers(for: w * h, threads: threads, grain: 32_768)
        shares.withSamples { a in withAllSamples(coarse[...]) { c in withAllMutableSamples(&values) { d in
            Parallel.forChunks(h, threads: workers) { rows in
                for y in rows {
                    for x in 0..<w {
                        let i = y * w + x, ai = rule.share(a[i])
                        if ai >= 1 { continue }
                        for k in d.indices {
                            let up = Plane.bilinear(c[k], width: cw, height: ch, x: 0.5 * Float(x) - 0.25, y: 0.5 * Float(y) - 0.25)
                            d[k][i] = ai > 0 ? ai * d[k][i] + (1 - ai) * up : up
                        }
                    }
                }
            }
        } } }
    }

    /// Calls `body` with mutable pointers to the samples of every plane (all non-empty), each
    /// plane moved out of the array meanwhile so that writing does not copy it.
    static func withAllMutableSamples(_ planes: inout [Plane], from k: Int = 0, _ collected: [UnsafeMutablePointer<Float>] = [],
                                      _ body: ([UnsafeMutablePointer<Float>]) -> Void) {
        guard k < planes.count else { body(collected); return }
        var plane = Plane(width: 0, height: 0)
        swap(&plane, &planes[k])
        plane.withMutableSamples { p in withAllMutableSamples(&planes, from: k + 1, collected + [p], body) }
        swap(&plane, &planes[k])
    }
}

/// How push-pull reads a pixel's share of valid content.
protocol ShareRule {
    /// The share in [0, 1] of a stored value.
    func share(_ value: Float) -> Float
}

/// Shares stored as they are (coarse levels).
struct RawShare: ShareRule {
    @inline(__always) func share(_ value: Float) -> Float { value }
}

/// Level 0: 1 where the coverage reaches the threshold, 0 otherwise (NaN included).
struct BinaryShare: ShareRule {
    let threshold: Float
    @inline(__always) func share(_ value: Float) -> Float { value >= threshold ? 1 : 0 }
}
