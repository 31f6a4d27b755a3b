import Spectral
import Flow
import Foundation
import Raster

/// Per-pixel dynamism for loops, after Liao, Joshi & Hoppe (2013), "Automated video looping
/// with progressive dynamism": only motion that can loop moves; pixels whose motion over the
/// window is one-off (a hand entering, a thing passing through, a person walking away) are
/// held static, as they are in the reference frame, so they stay whole instead of being torn
/// or smeared by a periodic resynthesis of a path that never comes back.
///
/// A pixel's trajectory F_1 … F_n (working pixels, F_0 = 0) is *one-off* when it reaches far,
/// max_t |F_t| > `reach`, and either ends far from where it began (the mean of its last quarter
/// is over half that reach away) or is far only briefly (beyond half its reach in under a
/// quarter of the frames; a sinusoid is there for two thirds of them).
public enum LoopDynamism {
    /// 1 where the trajectory is one-off, else 0 (see the type's documentation), grown by
    /// `grow` pixels (a square max filter) so that a moving thing is held whole. Fields must all
    /// be of one size; an empty list gives an empty mask.
    public static func oneOffMask(_ trajectories: [FlowField], reach: Float, grow: Int) -> Plane {
        guard let first = trajectories.first else { return Plane(width: 0, height: 0) }
        let w = first.width, h = first.height, n = trajectories.count
        let tail = max(1, n / 4)
        var mask = Plane(width: w, height: h)
        var lengths = [Float](repeating: 0, count: n)
        for i in 0..<(w * h) {
            var largest: Float = 0
            for t in 0..<n {
                let u = trajectories[t].u.data[i], v = trajectories[t].v.data[i]
                lengths[t] = (u * u + v * v).squareRoot()
                largest = max(largest, lengths[t])
            }
            guard largest > reach else { continue }
            var eu: Float = 0, ev: Float = 0
            for t in (n - tail)..<n { eu += trajectories[t].u.data[i]; ev += trajectories[t].v.data[i] }
            let end = (eu * eu + ev * ev).squareRoot() / Float(tail)
            let far = lengths.reduce(0) { $0 + ($1 > 0.5 * largest ? 1 : 0) }
            if end > 0.5 * largest || Float(far) < 0.25 * Float(n) { mask.data[i] = 1 }
        }
        return grow > 0 ? maximumFiltered(mask, radius: grow) : mask
    }

    /// Per-pixel factors 0 … 1 for the motion: 0 on `mask`'s set pixels (held), rising to 1 over
    /// `feather` pixels around them, so nothing tears where held and moving pixels meet.
    public static func motionFactors(holding mask: Plane, feather: Int) -> Plane {
        var out = mask
        if feather > 0 {
            let spread = maximumFiltered(mask, radius: feather).boxFiltered(radius: feather)
            for i in 0..<out.count { out.data[i] = max(mask.data[i], min(1, 2 * spread.data[i])) }
        }
        for i in 0..<out.count { out.data[i] = 1 - out.data[i] }
        return out
    }

    /// `trajectories` with each pixel's displacement multiplied by `factors` (of their size;
    /// fields of another size are returned unchanged).
    public static func scaled(_ trajectories: [FlowField], by factors: Plane) -> [FlowField] {
        trajectories.map { field in
            guard field.width == factors.width, field.height == factors.height else { return field }
            var out = field
            for i in 0..<factors.count {
                out.u.data[i] *= factors.data[i]
                out.v.data[i] *= factors.data[i]
            }
            return out
        }
    }

    /// The largest sample within the (2r+1)² square around each pixel (edges clamped).
    public static func maximumFiltered(_ plane: Plane, radius r: Int) -> Plane {
        extremumFiltered(plane, radius: r, max)
    }

    /// The smallest sample within the (2r+1)² square around each pixel (edges clamped).
    public static func minimumFiltered(_ plane: Plane, radius r: Int) -> Plane {
        extremumFiltered(plane, radius: r, min)
    }

    /// Separable square filter: rows, then columns. O(r) per sample; r is a few pixels here.
    private static func extremumFiltered(_ plane: Plane, radius r: Int, _ pick: (Float, Float) -> Float) -> Plane {
        guard r > 0, plane.count > 0 else { return plane }
        let w = plane.width, h = plane.height
        var rows = Plane(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                var m = plane.data[y * w + x]
                for k in max(0, x - r)...min(w - 1, x + r) { m = pick(m, plane.data[y * w + k]) }
                rows.data[y * w + x] = m
            }
        }
        var out = Plane(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                var m = rows.data[y * w + x]
                for k in max(0, y - r)...min(h - 1, y + r) { m = pick(m, rows.data[k * w + x]) }
                out.data[y * w + x] = m
            }
        }
        return out
    }
}

/// Limits how much a loop's displacement may stretch or fold the picture: where neighbouring
/// pixels would move apart or across each other, the splat tears (holes, smears) although the
/// source shows no tear. For each pixel the largest local deformation over `phases` samples of
/// the loop, G = max over phases of the larger row sum |∂u/∂x| + |∂u/∂y|, |∂v/∂x| + |∂v/∂y|
/// (pixels per pixel; each derivative the smaller of the two one-sided differences, so the step
/// at the edge of a thing moving over a still background, which splatting resolves by letting
/// the moving side win, does not count), gives a factor min(1, limit / G); the factors are
/// spread by a min filter and smoothed (so their own gradient adds little), and the spectrum is
/// scaled by them pixel by pixel. A fold needs G ≥ 1 (det(I + J) ≤ 0 only then); the default
/// limit 0.5 keeps every step well away from it.
public enum TearGuard {
    /// The factors (0 … 1, the spectrum's size) for `motion`.
    public static func factors(_ motion: LoopMotion, limit: Float, phases: Int = 16, spread: Int = 2) -> Plane {
        factors((0..<max(1, phases)).map { motion.displacement(phase: (Double($0) + 0.5) / Double(max(1, phases))) },
                width: motion.width, height: motion.height, limit: limit, spread: spread)
    }

    /// The factors (0 … 1) that keep every field of `fields` (all `width × height`, pixels) from
    /// stretching or folding the picture by more than `limit` pixels per pixel.
    public static func factors(_ fields: [FlowField], width w: Int, height h: Int, limit: Float, spread: Int = 2) -> Plane {
        var deformation = Plane(width: w, height: h)
        for d in fields where d.width == w && d.height == h {
            let u = d.u.data, v = d.v.data
            for y in 0..<h {
                let up = max(0, y - 1), down = min(h - 1, y + 1)
                for x in 0..<w {
                    let left = max(0, x - 1), right = min(w - 1, x + 1), i = y * w + x
                    // The smaller of the one-sided differences: a step (a thing moving over a
                    // still background, which splatting handles) has one of them zero; a stretch
                    // or incoherent tracks have both large.
                    func slope(_ p: [Float], _ a: Int, _ b: Int) -> Float { min(abs(p[i] - p[a]), abs(p[b] - p[i])) }
                    let g = max(slope(u, y * w + left, y * w + right) + slope(u, up * w + x, down * w + x),
                                slope(v, y * w + left, y * w + right) + slope(v, up * w + x, down * w + x))
                    if g > deformation.data[i] { deformation.data[i] = g }
                }
            }
        }
        var factors = Plane(width: w, height: h, value: 1)
        for i in 0..<factors.count where deformation.data[i] > limit {
            factors.data[i] = deformation.data[i].isFinite ? limit / deformation.data[i] : 0
        }
        return LoopDynamism.minimumFiltered(factors, radius: spread).boxFiltered(radius: spread)
    }

    /// `motion` guarded against tears: where `factors(motion, limit:)` is below 1, the spectrum
    /// moves toward a spatially smoothed copy of itself (Gaussian, σ = `smoothing` pixels),
    /// f·S + (1 − f)·(G_σ ∗ S), so things that move keep moving, together, instead of tearing
    /// apart; what still deforms beyond `limit` (a region that spins or shears as a whole) is
    /// then scaled down by the factors of the smoothed motion. Also returns the fraction of
    /// pixels whose motion was changed (first factor below 0.95).
    public static func guarded(_ motion: LoopMotion, limit: Float, smoothing: Float = 4) throws -> (motion: LoopMotion, reducedFraction: Double) {
        let first = factors(motion, limit: limit)
        let s = motion.spectrum, n = s.planeSize
        var values = s.values
        for c in 0..<(4 * s.frequencies) {
            let smooth = s.channel(c).blurred(sigma: smoothing, threads: 1)
            for i in 0..<n where first.data[i] < 1 {
                let f = first.data[i]
                values[c * n + i] = f * values[c * n + i] + (1 - f) * smooth.data[i]
            }
        }
        let smoothed = try LoopMotion(spectrum: try MotionSpectrum(width: s.width, height: s.height, frequencies: s.frequencies,
                                                                    windowLength: s.windowLength, values: values),
                                      amplitude: motion.amplitude)
        let scaled = try limited(smoothed, factors: factors(smoothed, limit: limit))
        let changed = first.data.reduce(0) { $0 + ($1 < 0.95 ? 1 : 0) }
        return (scaled.motion, Double(changed) / Double(max(1, n)))
    }

    /// `motion` with its spectrum scaled by `factors` (of its size), and the fraction of pixels
    /// whose motion was reduced by more than 5%.
    public static func limited(_ motion: LoopMotion, factors: Plane) throws -> (motion: LoopMotion, reducedFraction: Double) {
        let s = motion.spectrum, n = s.planeSize
        guard factors.width == s.width, factors.height == s.height else {
            throw MotionError.invalidParameter(name: "tear guard factors", value: "\(factors.width)×\(factors.height)",
                                               expected: "the spectrum's \(s.width)×\(s.height)")
        }
        var values = s.values
        for c in 0..<(4 * s.frequencies) {
            for i in 0..<n { values[c * n + i] *= factors.data[i] }
        }
        let spectrum = try MotionSpectrum(width: s.width, height: s.height, frequencies: s.frequencies,
                                          windowLength: s.windowLength, values: values)
        let reduced = factors.data.reduce(0) { $0 + ($1 < 0.95 ? 1 : 0) }
        return (try LoopMotion(spectrum: spectrum, amplitude: motion.amplitude), Double(reduced) / Double(max(1, n)))
    }
}
