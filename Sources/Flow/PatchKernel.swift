import Raster

/// The per-patch inverse-compositional Gauss-Newton kernel of DIS. One instance per worker
/// holds scratch copies of the current patch (template and its gradients) so the inner loops
/// never allocate. Translation-only warp; optional mean normalisation of the residual.
struct PatchKernel {
    /// Read-only image pointers shared by all workers of one level.
    struct Context {
        /// Frame 1 with a replicated border of `border` pixels.
        let i1p: UnsafePointer<Float>
        let paddedWidth: Int, paddedHeight: Int, border: Int
        /// Frame 0 and its gradients, `width` samples per row.
        let i0: UnsafePointer<Float>, gx: UnsafePointer<Float>, gy: UnsafePointer<Float>
        let width: Int
        /// Frame height, pixels.
        let height: Int
        /// Patch side, pixels.
        let size: Int
        let meanNormalization: Bool
    }

    let c: Context
    /// The current patch's first row in frame 0 and in its gradients (row stride `c.width`).
    var template: UnsafePointer<Float>
    var tgx: UnsafePointer<Float>
    var tgy: UnsafePointer<Float>
    var px = 0, py = 0
    var sumGx: Float = 0, sumGy: Float = 0
    /// Inverse of the (mean-normalised) Hessian.
    var ixx: Float = 0, ixy: Float = 0, iyy: Float = 0

    init(_ context: Context) {
        c = context
        template = context.i0
        tgx = context.gx
        tgy = context.gy
    }

    /// Nothing to free any more (the patch is read in place); kept for the callers' `defer`.
    func release() {}

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// The per-patch constants `prepare` computes, to be saved and restored.
    var constants: SIMD8<Float> {
        get { SIMD8(sumGx, sumGy, ixx, ixy, iyy, 0, 0, 0) }
        set { sumGx = newValue[0]; sumGy = newValue[1]; ixx = newValue[2]; ixy = newValue[3]; iyy = newValue[4] }
    }

    /// Selects the patch with top-left (x, y) again, with the constants a previous `prepare` made.
    mutating func restore(x: Int, y: Int, constants saved: SIMD8<Float>) {
        px = x; py = y
        let offset = y * c.width + x
        template = c.i0 + offset
        tgx = c.gx + offset
        tgy = c.gy + offset
        constants = saved
    }

    /// Selects the patch with top-left (x, y) of frame 0 and precomputes its inverse Hessian.
    mutating func prepare(x: Int, y: Int) {
        px = x; py = y
        let offset = y * c.width + x
        template = c.i0 + offset
        tgx = c.gx + offset
        tgy = c.gy + offset
        let n = c.size
        var sx: Float = 0, sy: Float = 0, hxx: Float = 0, hxy: Float = 0, hyy: Float = 0
        if n == 8 {
            var vsx = SIMD8<Float>(repeating: 0), vsy = vsx, vxx = vsx, vxy = vsx, vyy = vsx
            for r in 0..<8 {
                let src = (y + r) * c.width + x
                let gxv = PatchKernel.load(c.gx + src), gyv = PatchKernel.load(c.gy + src)
                vsx += gxv; vsy += gyv; vxx += gxv * gxv; vxy += gxv * gyv; vyy += gyv * gyv
            }
            sx = vsx.sum(); sy = vsy.sum(); hxx = vxx.sum(); hxy = vxy.sum(); hyy = vyy.sum()
        } else {
        for r in 0..<n {
            let src = (y + r) * c.width + x
            for col in 0..<n {
                let gxv = c.gx[src + col], gyv = c.gy[src + col]
                sx += gxv; sy += gyv
                hxx += gxv * gxv; hxy += gxv * gyv; hyy += gyv * gyv
            }
        }
        }
        if c.meanNormalization {
            let count = Float(n * n)
            hxx -= sx * sx / count; hxy -= sx * sy / count; hyy -= sy * sy / count
        }
        sumGx = sx; sumGy = sy
        let damping = 1e-3 * (hxx + hyy) + 1e-3
        hxx += damping; hyy += damping
        let det = hxx * hyy - hxy * hxy
        let inv: Float = det > 1e-12 ? 1 / det : 0
        ixx = hyy * inv; ixy = -hxy * inv; iyy = hxx * inv
    }

    /// Residual statistics at displacement (u, v): (SSD, Σ∇T·r) with r = I1(x + d) − T(x),
    /// both mean-normalised if enabled.
    @inline(__always) func evaluate(u: Float, v: Float) -> (ssd: Float, bx: Float, by: Float) {
        let n = c.size, wp = c.paddedWidth
        let fx = min(max(Float(px + c.border) + u, 0), Float(wp - n - 1))
        let fy = min(max(Float(py + c.border) + v, 0), Float(c.paddedHeight - n - 1))
        let x0 = Int(fx), y0 = Int(fy)
        let ax = fx - Float(x0), ay = fy - Float(y0)
        let w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay
        var vd = SIMD8<Float>(repeating: 0), vd2 = vd, vx = vd, vy = vd
        var sd: Float = 0, sd2: Float = 0, sx: Float = 0, sy: Float = 0
        var row = c.i1p + y0 * wp + x0
        if n == 8 {
            // The common patch size: one vector per row; each frame-1 row is interpolated
            // horizontally once and shared by the two output rows it touches.
            let bx = 1 - ax, by = 1 - ay
            var above = bx * PatchKernel.load(row) + ax * PatchKernel.load(row + 1)
            for r in 0..<8 {
                row += wp
                let below = bx * PatchKernel.load(row) + ax * PatchKernel.load(row + 1)
                let d = by * above + ay * below - PatchKernel.load(template + c.width * r)
                vd += d; vd2 += d * d
                vx += d * PatchKernel.load(tgx + c.width * r); vy += d * PatchKernel.load(tgy + c.width * r)
                above = below
            }
            do {
                sd = vd.sum(); sd2 = vd2.sum(); sx = vx.sum(); sy = vy.sum()
                if c.meanNormalization {
                    let mean = sd / 64
                    return (sd2 - mean * sd, sx - sumGx * mean, sy - sumGy * mean)
                }
                return (sd2, sx, sy)
            }
        }
        for r in 0..<n {
            let below = row + wp
            let t = template + r * c.width, gxr = tgx + r * c.width, gyr = tgy + r * c.width
            var col = 0
            while col + 8 <= n {
                let s = w00 * PatchKernel.load(row + col) + w01 * PatchKernel.load(row + col + 1)
                    + w10 * PatchKernel.load(below + col) + w11 * PatchKernel.load(below + col + 1)
                let d = s - PatchKernel.load(t + col)
                vd += d; vd2 += d * d
                vx += d * PatchKernel.load(gxr + col); vy += d * PatchKernel.load(gyr + col)
                col += 8
            }
            while col < n {
                let s = w00 * row[col] + w01 * row[col + 1] + w10 * below[col] + w11 * below[col + 1]
                let d = s - t[col]
                sd += d; sd2 += d * d; sx += d * gxr[col]; sy += d * gyr[col]
                col += 1
            }
            row = below
        }
        sd += vd.sum(); sd2 += vd2.sum(); sx += vx.sum(); sy += vy.sum()
        if c.meanNormalization {
            let mean = sd / Float(n * n)
            return (sd2 - mean * sd, sx - sumGx * mean, sy - sumGy * mean)
        }
        return (sd2, sx, sy)
    }

    /// Scalar reference of `evaluate` (plain per-pixel bilinear sampling), for tests.
    func evaluateScalar(u: Float, v: Float) -> (ssd: Float, bx: Float, by: Float) {
        let n = c.size, wp = c.paddedWidth
        let fx = min(max(Float(px + c.border) + u, 0), Float(wp - n - 1))
        let fy = min(max(Float(py + c.border) + v, 0), Float(c.paddedHeight - n - 1))
        let x0 = Int(fx), y0 = Int(fy), ax = fx - Float(x0), ay = fy - Float(y0)
        var sd: Float = 0, sd2: Float = 0, sx: Float = 0, sy: Float = 0
        for r in 0..<n {
            for col in 0..<n {
                let a = c.i1p[(y0 + r) * wp + x0 + col], b = c.i1p[(y0 + r) * wp + x0 + col + 1]
                let d0 = c.i1p[(y0 + r + 1) * wp + x0 + col], d1 = c.i1p[(y0 + r + 1) * wp + x0 + col + 1]
                let top = a + ax * (b - a), bottom = d0 + ax * (d1 - d0)
                let d = top + ay * (bottom - top) - template[r * c.width + col]
                sd += d; sd2 += d * d; sx += d * tgx[r * c.width + col]; sy += d * tgy[r * c.width + col]
            }
        }
        guard c.meanNormalization else { return (sd2, sx, sy) }
        let mean = sd / Float(n * n)
        return (sd2 - mean * sd, sx - sumGx * mean, sy - sumGy * mean)
    }

    /// The matching cost (SSD, mean-normalised if enabled) at displacement (u, v); for 8×8
    /// patches a cheaper loop than `evaluate` (no gradient sums).
    @inline(__always) func cost(u: Float, v: Float) -> Float {
        guard c.size == 8 else { return evaluate(u: u, v: v).ssd }
        let wp = c.paddedWidth
        let fx = min(max(Float(px + c.border) + u, 0), Float(wp - 9))
        let fy = min(max(Float(py + c.border) + v, 0), Float(c.paddedHeight - 9))
        let x0 = Int(fx), y0 = Int(fy)
        let ax = fx - Float(x0), ay = fy - Float(y0), bx = 1 - ax, by = 1 - ay
        var row = c.i1p + y0 * wp + x0
        var vd = SIMD8<Float>(repeating: 0), vd2 = vd
        var above = bx * PatchKernel.load(row) + ax * PatchKernel.load(row + 1)
        for r in 0..<8 {
            row += wp
            let below = bx * PatchKernel.load(row) + ax * PatchKernel.load(row + 1)
            let d = by * above + ay * below - PatchKernel.load(template + c.width * r)
            vd += d; vd2 += d * d
            above = below
        }
        let sd = vd.sum(), sd2 = vd2.sum()
        return c.meanNormalization ? sd2 - sd * sd / 64 : sd2
    }

    /// True when displacement (u, v) keeps the patch centre inside the frame: matches further out
    /// would compare the patch with replicated border pixels, which are flat and can look
    /// deceptively good.
    @inline(__always) func inFrame(u: Float, v: Float) -> Bool {
        let half = Float(c.size) * 0.5
        let cx = Float(px) + half + u, cy = Float(py) + half + v
        return cx >= 0 && cy >= 0 && cx <= Float(c.width) && cy <= Float(c.height)
    }

    /// Gauss-Newton from (u, v): returns the lowest-cost displacement visited; falls back to the
    /// start when the result wandered more than a patch side away (a divergence guard).
    func align(u u0: Float, v v0: Float, iterations: Int) -> (Float, Float) {
        let r = alignWithCost(u: u0, v: v0, iterations: iterations)
        return (r.u, r.v)
    }

    /// `align`, also returning the cost at the result (SSD; when Gauss-Newton converged, the
    /// cost evaluated one step, under 0.01 px, before the result; nil when no iteration ran).
    func alignWithCost(u u0: Float, v v0: Float, iterations: Int) -> (u: Float, v: Float, cost: Float?) {
        guard iterations > 0 else { return (u0, v0, nil) }
        var u = u0, v = v0
        var bestU = u0, bestV = v0, bestCost = Float.infinity
        var startCost = Float.infinity, lastCost = Float.infinity
        var converged = false
        for _ in 0..<iterations {
            let e = evaluate(u: u, v: v)
            if startCost == .infinity { startCost = e.ssd }
            lastCost = e.ssd
            if e.ssd < bestCost { bestCost = e.ssd; bestU = u; bestV = v }
            let du = ixx * e.bx + ixy * e.by, dv = ixy * e.bx + iyy * e.by
            u -= du; v -= dv
            if du * du + dv * dv < 1e-4 { converged = true; break }
        }
        if converged {
            bestU = u; bestV = v; bestCost = lastCost
        } else {
            let last = cost(u: u, v: v)
            if last < bestCost { bestU = u; bestV = v; bestCost = last }
        }
        let limit = Float(c.size)
        if (bestU - u0) * (bestU - u0) + (bestV - v0) * (bestV - v0) > limit * limit || !bestU.isFinite || !bestV.isFinite
            || !inFrame(u: bestU, v: bestV) {
            return (u0, v0, startCost)
        }
        return (bestU, bestV, bestCost)
    }
}
