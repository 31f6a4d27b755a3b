import Raster

/// Bilinear sampling with its exact derivatives, and the adjoint (transpose) of a
/// scaling-and-squaring step, for the fitter's gradients. Edges are clamped as in
/// `Plane.bilinear`: outside the grid a sample does not move with the position.
enum BilinearAdjoint {
    /// The cell of a clamped position: lower corner, upper corner and fractional offsets.
    @inline(__always)
    static func cell(_ x: Float, _ y: Float, width w: Int, height h: Int) -> (x0: Int, x1: Int, y0: Int, y1: Int, ax: Float, ay: Float, inX: Bool, inY: Bool) {
        // `x >= 0 ? … : 0` also sends NaN to the edge, where `max(x, 0)` would pass it to `Int()`.
        let cx = x >= 0 ? min(x, Float(w - 1)) : 0, cy = y >= 0 ? min(y, Float(h - 1)) : 0
        let x0 = max(0, min(Int(cx), w - 2)), y0 = max(0, min(Int(cy), h - 2))
        let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
        return (x0, x1, y0, y1, cx - Float(x0), cy - Float(y0), x > 0 && x < Float(w - 1), y > 0 && y < Float(h - 1))
    }

    /// The bilinear sample of `p` at (x, y) and its derivatives with respect to x and y.
    @inline(__always)
    static func sample(_ p: Plane, x: Float, y: Float) -> (value: Float, dx: Float, dy: Float) {
        let w = p.width, h = p.height
        guard w > 0, h > 0 else { return (0, 0, 0) }
        let c = cell(x, y, width: w, height: h)
        let a = p.data[c.y0 * w + c.x0], b = p.data[c.y0 * w + c.x1]
        let cc = p.data[c.y1 * w + c.x0], d = p.data[c.y1 * w + c.x1]
        let top = a + c.ax * (b - a), bottom = cc + c.ax * (d - cc)
        let dx = c.inX ? (1 - c.ay) * (b - a) + c.ay * (d - cc) : 0
        let dy = c.inY ? bottom - top : 0
        return (top + c.ay * (bottom - top), dx, dy)
    }

    /// Adjoint of one squaring d' = d + d∘(id + d): given λ' = ∂E/∂d', returns ∂E/∂d =
    /// λ' (identity term) + Dd(p)ᵀλ' (the sample position moves with d) + the bilinear scatter
    /// of λ' to the corners around p (the sampled values are d itself).
    static func squaringAdjoint(_ d: Deformation, lambda: (u: [Float], v: [Float])) -> (u: [Float], v: [Float]) {
        let w = d.width, h = d.height
        var out = lambda
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let px = Float(x) + d.u.data[i], py = Float(y) + d.v.data[i]
                let su = sample(d.u, x: px, y: py), sv = sample(d.v, x: px, y: py)
                let lu = lambda.u[i], lv = lambda.v[i]
                out.u[i] += lu * su.dx + lv * sv.dx
                out.v[i] += lu * su.dy + lv * sv.dy
                let c = cell(px, py, width: w, height: h)
                let w00 = (1 - c.ax) * (1 - c.ay), w10 = c.ax * (1 - c.ay), w01 = (1 - c.ax) * c.ay, w11 = c.ax * c.ay
                let i00 = c.y0 * w + c.x0, i10 = c.y0 * w + c.x1, i01 = c.y1 * w + c.x0, i11 = c.y1 * w + c.x1
                out.u[i00] += w00 * lu; out.u[i10] += w10 * lu; out.u[i01] += w01 * lu; out.u[i11] += w11 * lu
                out.v[i00] += w00 * lv; out.v[i10] += w10 * lv; out.v[i01] += w01 * lv; out.v[i11] += w11 * lv
            }
        }
        return out
    }
}
