import Flow
import Raster

/// The motion of the camera between two frames as one affine map of pixel coordinates
/// (pixel centres, x right, y down, in pixels): a point (x, y) of the first frame is at
/// (a·x + b·y + c, d·x + e·y + f) in the second. Pans, zooms and rotations are affine; what
/// moves on its own in the scene is not, and a robust fit (`fitted(to:)`) leaves it out.
public struct AffineMotion: Sendable, Equatable {
    /// x' = a·x + b·y + c.
    public var a: Double, b: Double, c: Double
    /// y' = d·x + e·y + f.
    public var d: Double, e: Double, f: Double

    /// The map with the given coefficients.
    public init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double) {
        (self.a, self.b, self.c, self.d, self.e, self.f) = (a, b, c, d, e, f)
    }

    /// No motion.
    public static let identity = AffineMotion(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0)

    /// Where the point (x, y) goes, pixels.
    @inlinable public func map(x: Double, y: Double) -> (x: Double, y: Double) {
        (a * x + b * y + c, d * x + e * y + f)
    }

    /// `self` followed by `next`: a map from this one's first frame to `next`'s second.
    public func followed(by next: AffineMotion) -> AffineMotion {
        AffineMotion(a: next.a * a + next.b * d, b: next.a * b + next.b * e, c: next.a * c + next.b * f + next.c,
                     d: next.d * a + next.e * d, e: next.d * b + next.e * e, f: next.d * c + next.e * f + next.f)
    }

    /// The displacement of pixel (x, y), map(p) − p (pixels).
    @inlinable public func displacement(x: Int, y: Int) -> (u: Float, v: Float) {
        let fx = Double(x), fy = Double(y)
        return (Float(a * fx + b * fy + c - fx), Float(d * fx + e * fy + f - fy))
    }

    /// The displacement of every pixel of a `width × height` frame, map(p) − p (pixels).
    public func displacement(width: Int, height: Int) -> FlowField {
        var field = FlowField(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                (field.u.data[y * width + x], field.v.data[y * width + x]) = displacement(x: x, y: y)
            }
        }
        return field
    }

    /// Mean length of this map's displacement over a `width × height` frame (pixels), sampled
    /// on a 9 × 9 grid of points spread over the frame.
    public func meanDisplacement(width: Int, height: Int) -> Double {
        var sum = 0.0
        for j in 0..<9 {
            for i in 0..<9 {
                let x = Double(max(0, width - 1)) * Double(i) / 8, y = Double(max(0, height - 1)) * Double(j) / 8
                let (mx, my) = map(x: x, y: y)
                sum += ((mx - x) * (mx - x) + (my - y) * (my - y)).squareRoot()
            }
        }
        let mean = sum / 81
        return mean.isFinite ? mean : 0
    }

    /// The affine map that best explains a flow field (pixel p moves to p + flow(p)), fitted by
    /// iteratively reweighted least squares so that what moves on its own (a person walking, a
    /// branch in the wind) does not pull the camera along. The first map is the median flow (a
    /// pan); each pass then weights a pixel by 1 / (1 + (r/s)²) (Cauchy), r its distance
    /// (pixels) from the last map and s = 1.5 × the median distance (at least 0.1 pixel), and
    /// fits again. Every `step`-th pixel of every `step`-th row takes part; non-finite samples
    /// are skipped. Nil when fewer than 3 pixels take part or they lie on one line (no unique
    /// map). `passes` 0 is the plain least-squares fit.
    ///
    /// `weights` (the flow's size, values in [0, 1], e.g. a `TrajectoryConfidence`) weight each
    /// pixel's say; pixels below 0.25 take no part. Ignored when its size differs.
    public static func fitted(to flow: FlowField, weights: Plane? = nil, passes: Int = 5, step: Int = 2) -> AffineMotion? {
        let stride = max(1, step)
        let prior = weights.flatMap { $0.width == flow.width && $0.height == flow.height ? $0 : nil }
        var xs: [Double] = [], ys: [Double] = [], us: [Double] = [], vs: [Double] = [], ws: [Double] = []
        for y in Swift.stride(from: 0, to: flow.height, by: stride) {
            for x in Swift.stride(from: 0, to: flow.width, by: stride) {
                let (u, v) = flow[x, y]
                guard u.isFinite, v.isFinite else { continue }
                let w = prior.map { Double($0[x, y]) } ?? 1
                guard w >= 0.25 else { continue }
                xs.append(Double(x))
                ys.append(Double(y))
                us.append(Double(u))
                vs.append(Double(v))
                ws.append(w)
            }
        }
        guard xs.count >= 3 else { return nil }
        var weights = ws
        guard var motion = weightedFit(xs: xs, ys: ys, us: us, vs: vs, weights: weights) else { return nil }
        guard passes > 0 else { return motion }
        var su = us.map(Float.init), sv = vs.map(Float.init)
        motion = AffineMotion(a: 1, b: 0, c: Double(MotionStatistics.median(&su)), d: 0, e: 1, f: Double(MotionStatistics.median(&sv)))
        var distances = [Float](repeating: 0, count: xs.count)
        for _ in 0..<passes {
            for i in 0..<xs.count {
                let (px, py) = motion.map(x: xs[i], y: ys[i])
                let du = xs[i] + us[i] - px, dv = ys[i] + vs[i] - py
                distances[i] = Float((du * du + dv * dv).squareRoot())
            }
            var sorted = distances
            let scale = max(0.1, 1.5 * Double(MotionStatistics.median(&sorted)))
            for i in 0..<xs.count {
                let r = Double(distances[i]) / scale
                weights[i] = ws[i] / (1 + r * r)
            }
            guard let m = weightedFit(xs: xs, ys: ys, us: us, vs: vs, weights: weights) else { break }
            motion = m
        }
        return motion
    }

    /// Weighted least squares for x + u ≈ a·x + b·y + c and y + v ≈ d·x + e·y + f: one 3 × 3
    /// normal system with two right-hand sides, coordinates centred for conditioning.
    static func weightedFit(xs: [Double], ys: [Double], us: [Double], vs: [Double], weights: [Double]) -> AffineMotion? {
        var sw = 0.0, mx = 0.0, my = 0.0
        for i in 0..<xs.count { sw += weights[i]; mx += weights[i] * xs[i]; my += weights[i] * ys[i] }
        guard sw > 0 else { return nil }
        mx /= sw
        my /= sw
        // Sums of w·row·rowᵀ and w·row·target for row = (x, y, 1), centred.
        var sxx = 0.0, sxy = 0.0, syy = 0.0, sx = 0.0, sy = 0.0
        var rx = [0.0, 0.0, 0.0], ry = rx
        for i in 0..<xs.count {
            let w = weights[i], x = xs[i] - mx, y = ys[i] - my, tx = xs[i] + us[i], ty = ys[i] + vs[i]
            sxx += w * x * x
            sxy += w * x * y
            syy += w * y * y
            sx += w * x
            sy += w * y
            rx[0] += w * x * tx; rx[1] += w * y * tx; rx[2] += w * tx
            ry[0] += w * x * ty; ry[1] += w * y * ty; ry[2] += w * ty
        }
        let n = [sxx, sxy, sx, sxy, syy, sy, sx, sy, sw]
        guard let px = solve3(n, rx), let py = solve3(n, ry) else { return nil }
        // Undo the centring: x' = p0·(x − mx) + p1·(y − my) + p2.
        return AffineMotion(a: px[0], b: px[1], c: px[2] - px[0] * mx - px[1] * my,
                            d: py[0], e: py[1], f: py[2] - py[0] * mx - py[1] * my)
    }

    /// Solves the 3 × 3 system m·x = r (row-major) by Cramer's rule; nil when m is singular
    /// relative to its size.
    static func solve3(_ m: [Double], _ r: [Double]) -> [Double]? {
        func det(_ q: [Double]) -> Double {
            q[0] * (q[4] * q[8] - q[5] * q[7]) - q[1] * (q[3] * q[8] - q[5] * q[6]) + q[2] * (q[3] * q[7] - q[4] * q[6])
        }
        let dm = det(m), scale = m.map { abs($0) }.max() ?? 0
        guard dm.isFinite, scale > 0, abs(dm) > 1e-12 * scale * scale * scale else { return nil }
        return (0..<3).map { column in
            var q = m
            for row in 0..<3 { q[3 * row + column] = r[row] }
            return det(q) / dm
        }
    }
}
