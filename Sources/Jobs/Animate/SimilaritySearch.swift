import Foundation
import Flow
import Raster

/// A similarity of the plane about the picture's centre c: x ↦ c + s·R(θ)·(x − c) + t, in pixels
/// of the grid it was found on; `displacement` gives it as a field.
public struct Similarity: Sendable, Equatable {
    /// Rotation, radians (counter-clockwise on screen is negative: y points down).
    public var angle: Double
    /// Scale factor.
    public var scale: Double
    /// Translation, pixels.
    public var tx: Double, ty: Double

    public static let identity = Similarity(angle: 0, scale: 1, tx: 0, ty: 0)

    /// The map's displacement, S(x) − x, on a `width × height` grid whose pixels are
    /// `gridScale` times this similarity's (translation scaled, angle and scale kept).
    public func displacement(width: Int, height: Int, gridScale: Double = 1) -> FlowField {
        var field = FlowField(width: width, height: height)
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        let c = scale * cos(angle), s = scale * sin(angle)
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x) - cx, dy = Double(y) - cy
                let mx = cx + c * dx - s * dy + tx * gridScale, my = cy + s * dx + c * dy + ty * gridScale
                field.u.data[y * width + x] = Float(mx - Double(x))
                field.v.data[y * width + x] = Float(my - Double(y))
            }
        }
        return field
    }

    /// The inverse map.
    public var inverse: Similarity {
        // S(x) = c + M(x − c) + t, so S⁻¹(y) = c + M⁻¹(y − c − t).
        let inv = 1 / scale
        let c = cos(-angle) * inv, s = sin(-angle) * inv
        return Similarity(angle: -angle, scale: inv, tx: -(c * tx - s * ty), ty: -(s * tx + c * ty))
    }
}

/// Finds the similarity (rotation, scale, translation) that best maps one picture onto another,
/// by exhaustive search on small copies: a global prior for correspondences that patch flow
/// cannot reach (rotations beyond ~15°, motions beyond ~⅛ of the picture).
public enum SimilaritySearch {
    /// The similarity S minimising the mean absolute difference between `first` and `second`
    /// read through S (first(x) ≈ second(S(x))), over rotations of ±`maxDegrees`, scales
    /// 0.8 … 1.25 and translations up to `reach` of the longer side; the identity when nothing
    /// is clearly better. In `first`'s pixels.
    public static func find(from first: Plane, to second: Plane, maxDegrees: Double = 45, reach: Double = 1.0 / 3,
                            threads: Int = Parallel.defaultThreads) -> Similarity {
        let side = max(first.width, first.height)
        guard side >= 16, first.width == second.width, first.height == second.height else { return .identity }
        // Coarse: longer side about 32; then refined at about 64.
        var coarse = (first, second, 1)
        while max(coarse.0.width, coarse.0.height) > 40 {
            coarse = (coarse.0.downsampled2x(threads: threads), coarse.1.downsampled2x(threads: threads), coarse.2 * 2)
        }
        var fine = (first, second, 1)
        while max(fine.0.width, fine.0.height) > 80 {
            fine = (fine.0.downsampled2x(threads: threads), fine.1.downsampled2x(threads: threads), fine.2 * 2)
        }
        let a0 = coarse.0.blurred(sigma: 0.7, threads: 1), b0 = coarse.1.blurred(sigma: 0.7, threads: 1)
        let radius = Int((Double(max(a0.width, a0.height)) * reach).rounded(.up))
        var candidates: [(cost: Double, s: Similarity)] = []
        let angles = stride(from: -maxDegrees, through: maxDegrees, by: 3).map { $0 * .pi / 180 }
        let scales = [0.8, 0.89, 1.0, 1.12, 1.25]
        let lock = NSLock()
        Parallel.forChunks(angles.count, threads: threads) { range in
            var local: [(Double, Similarity)] = []
            for ai in range {
                for scale in scales {
                    for ty in -radius...radius {
                        for tx in -radius...radius {
                            let s = Similarity(angle: angles[ai], scale: scale, tx: Double(tx), ty: Double(ty))
                            if let c = cost(a0, b0, s, step: 1) { local.append((c, s)) }
                        }
                    }
                }
            }
            lock.lock(); candidates.append(contentsOf: local); lock.unlock()
        }
        guard !candidates.isEmpty else { return .identity }
        candidates.sort { $0.cost < $1.cost }
        // The best few, refined on the finer copy by a local search.
        let a1 = fine.0.blurred(sigma: 0.7, threads: 1), b1 = fine.1.blurred(sigma: 0.7, threads: 1)
        let ratio = Double(coarse.2) / Double(fine.2)
        var best = (cost: Double.infinity, s: Similarity.identity)
        if let c = cost(a1, b1, .identity, step: 1) { best = (c, .identity) }
        for start in candidates.prefix(6) {
            var current = Similarity(angle: start.s.angle, scale: start.s.scale, tx: start.s.tx * ratio, ty: start.s.ty * ratio)
            var currentCost = cost(a1, b1, current, step: 1) ?? .infinity
            for (da, ds, dt) in [(1.5, 0.04, 1.0), (0.75, 0.02, 0.5), (0.35, 0.01, 0.25)] {
                var improved = true
                while improved {
                    improved = false
                    for (a, s, x, y) in [(da, 0.0, 0.0, 0.0), (-da, 0, 0, 0), (0, ds, 0, 0), (0, -ds, 0, 0),
                                         (0, 0, dt, 0), (0, 0, -dt, 0), (0, 0, 0, dt), (0, 0, 0, -dt)] {
                        let trial = Similarity(angle: current.angle + a * .pi / 180, scale: current.scale + s,
                                               tx: current.tx + x, ty: current.ty + y)
                        if let c = cost(a1, b1, trial, step: 1), c < currentCost - 1e-9 {
                            current = trial
                            currentCost = c
                            improved = true
                        }
                    }
                }
            }
            if currentCost < best.cost { best = (currentCost, current) }
        }
        let f = Double(fine.2)
        return Similarity(angle: best.s.angle, scale: best.s.scale, tx: best.s.tx * f, ty: best.s.ty * f)
    }

    /// Mean absolute difference of a(x) and b(S(x)) over the pixels x whose S(x) falls inside b,
    /// nil when fewer than 40% do.
    static func cost(_ a: Plane, _ b: Plane, _ s: Similarity, step: Int) -> Double? {
        let w = a.width, h = a.height
        let cx = Double(w - 1) / 2, cy = Double(h - 1) / 2
        let c = s.scale * cos(s.angle), sn = s.scale * sin(s.angle)
        var sum = 0.0, n = 0
        for y in stride(from: 0, to: h, by: step) {
            let dy = Double(y) - cy
            for x in stride(from: 0, to: w, by: step) {
                let dx = Double(x) - cx
                let px = cx + c * dx - sn * dy + s.tx, py = cy + sn * dx + c * dy + s.ty
                guard px >= 0, py >= 0, px <= Double(w - 1), py <= Double(h - 1) else { continue }
                sum += Double(abs(a.data[y * w + x] - b.bilinear(x: Float(px), y: Float(py))))
                n += 1
            }
        }
        let total = ((w + step - 1) / step) * ((h + step - 1) / step)
        return n * 10 >= total * 4 ? sum / Double(n) : nil
    }
}
