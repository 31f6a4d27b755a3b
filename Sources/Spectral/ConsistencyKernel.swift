import Flow
import Raster

/// One row at a time of `TrajectoryConfidence.consistencies`: for pixel p of frame 0 with
/// forward displacement F(p) and the backward field B sampled bilinearly at p + F(p) (clamped
/// to the frame), r² = |F(p) + B(p + F(p))|² / (scale + relative·|F(p)|)²; the strict score is
/// exp(−r²), the loose one exp(−r²·`loose2`), both 0 where p + F(p) leaves the picture (by
/// more than half a pixel) or F(p) is not finite, and 1 inside when there is no backward field.
/// The backward samples are gathered one pixel at a time, the scores computed eight pixels at a
/// time; the scalar reference beside it (`simd` false) does the same arithmetic pixel by pixel.
struct ConsistencyKernel {
    let width: Int, height: Int
    let forwardU: UnsafePointer<Float>, forwardV: UnsafePointer<Float>
    /// Nil without a backward field.
    let backwardU: UnsafePointer<Float>?, backwardV: UnsafePointer<Float>?
    let scale: Float, relative: Float, loose2: Float
    let strict: UnsafeMutablePointer<Float>, loose: UnsafeMutablePointer<Float>

    /// Row y. With `simd`, the backward samples are gathered one pixel at a time into the
    /// row buffers `eu`, `ev` (of at least `width` values), then the scores computed eight
    /// pixels at a time.
    func row(_ y: Int, simd: Bool, eu: UnsafeMutablePointer<Float>, ev: UnsafeMutablePointer<Float>) {
        guard simd, let bu = backwardU, let bv = backwardV else {
            for x in 0..<width { pixel(x, y) }
            return
        }
        let w = width, h = height
        for x in 0..<w {
            let i = y * w + x
            // Outside or non-finite pixels sample (0, 0); their scores are replaced by 0.
            let tx = Float(x) + forwardU[i], ty = Float(y) + forwardV[i]
            let cx = tx >= 0 ? min(tx, Float(w - 1)) : 0, cy = ty >= 0 ? min(ty, Float(h - 1)) : 0
            let x0 = min(Int(cx), w - 1), y0 = min(Int(cy), h - 1)
            let dx = min(x0 + 1, w - 1) - x0, dy = (min(y0 + 1, h - 1) - y0) * w
            let ax = cx - Float(x0), ay = cy - Float(y0), j = y0 * w + x0
            let ut = bu[j] + ax * (bu[j + dx] - bu[j]), ub = bu[j + dy] + ax * (bu[j + dy + dx] - bu[j + dy])
            let vt = bv[j] + ax * (bv[j + dx] - bv[j]), vb = bv[j + dy] + ax * (bv[j + dy + dx] - bv[j + dy])
            eu[x] = ut + ay * (ub - ut)
            ev[x] = vt + ay * (vb - vt)
        }
        var x = 0
        while x + 8 <= w {
            block(x, y, eu: eu, ev: ev)
            x += 8
        }
        while x < w {
            pixel(x, y)
            x += 1
        }
    }

    /// The scalar rule for pixel (x, y).
    @inline(__always)
    func pixel(_ x: Int, _ y: Int) {
        let w = width, h = height, i = y * w + x
        let fu = forwardU[i], fv = forwardV[i]
        let tx = Float(x) + fu, ty = Float(y) + fv
        guard fu.isFinite, fv.isFinite, tx >= -0.5, ty >= -0.5, tx <= Float(w) - 0.5, ty <= Float(h) - 0.5 else {
            strict[i] = 0
            loose[i] = 0
            return
        }
        guard let bu = backwardU, let bv = backwardV else { return }
        let cx = min(max(tx, 0), Float(w - 1)), cy = min(max(ty, 0), Float(h - 1))
        let x0 = min(Int(cx), w - 1), y0 = min(Int(cy), h - 1)
        let dx = min(x0 + 1, w - 1) - x0, dy = (min(y0 + 1, h - 1) - y0) * w
        let ax = cx - Float(x0), ay = cy - Float(y0), j = y0 * w + x0
        let ut = bu[j] + ax * (bu[j + dx] - bu[j]), ub = bu[j + dy] + ax * (bu[j + dy + dx] - bu[j + dy])
        let vt = bv[j] + ax * (bv[j + dx] - bv[j]), vb = bv[j + dy] + ax * (bv[j + dy + dx] - bv[j + dy])
        let eu = fu + (ut + ay * (ub - ut)), ev = fv + (vt + ay * (vb - vt))
        let s = scale + relative * (fu * fu + fv * fv).squareRoot()
        let r2 = (eu * eu + ev * ev) / (s * s)
        strict[i] = TrajectoryConfidence.decay(r2)
        loose[i] = TrajectoryConfidence.decay(r2 * loose2)
    }

    /// Pixels x…x+7 of row y, with the backward samples at p + F(p) in `eu`, `ev`.
    @inline(__always)
    func block(_ x: Int, _ y: Int, eu bu: UnsafeMutablePointer<Float>, ev bv: UnsafeMutablePointer<Float>) {
        let w = width, h = height, i = y * w + x
        let fu = UnsafeRawPointer(forwardU + i).loadUnaligned(as: SIMD8<Float>.self)
        let fv = UnsafeRawPointer(forwardV + i).loadUnaligned(as: SIMD8<Float>.self)
        let lanes = SIMD8<Float>(0, 1, 2, 3, 4, 5, 6, 7)
        let tx = SIMD8<Float>(repeating: Float(x)) + lanes + fu, ty = SIMD8<Float>(repeating: Float(y)) + fv
        let zero = SIMD8<Float>(repeating: 0)
        // a − a is 0 exactly when a is finite (NaN and ±∞ give NaN).
        let inside = (tx .>= -0.5) .& (ty .>= -0.5) .& (tx .<= Float(w) - 0.5) .& (ty .<= Float(h) - 0.5)
            .& (fu - fu .== zero) .& (fv - fv .== zero)
        let eu = fu + UnsafeRawPointer(bu + x).loadUnaligned(as: SIMD8<Float>.self)
        let ev = fv + UnsafeRawPointer(bv + x).loadUnaligned(as: SIMD8<Float>.self)
        let s = SIMD8<Float>(repeating: scale) + relative * (fu * fu + fv * fv).squareRoot()
        let r2 = (eu * eu + ev * ev) / (s * s)
        let st = zero.replacing(with: Self.decay(r2), where: inside)
        let lo = zero.replacing(with: Self.decay(r2 * loose2), where: inside)
        UnsafeMutableRawPointer(strict + i).storeBytes(of: st, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(loose + i).storeBytes(of: lo, as: SIMD8<Float>.self)
    }

    /// `TrajectoryConfidence.decay` in eight lanes (same steps, same constants).
    @inline(__always)
    static func decay(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let zero = SIMD8<Float>(repeating: 0)
        let valid = x .< SIMD8<Float>(repeating: 30)
        let t = -pointwiseMax(zero, zero.replacing(with: x, where: valid)) * SIMD8<Float>(repeating: 1.442_695_04)
        // Adding 1.5·2²³ rounds t to an integer n, which lands in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let m = t + magic
        let f = t - (m - magic)
        var p = f * SIMD8<Float>(repeating: 0.000_154_04) + SIMD8<Float>(repeating: 0.001_333_36)
        p = f * p + SIMD8<Float>(repeating: 0.009_618_13)
        p = f * p + SIMD8<Float>(repeating: 0.055_504_11)
        p = f * p + SIMD8<Float>(repeating: 0.240_226_51)
        p = f * p + SIMD8<Float>(repeating: 0.693_147_18)
        p = f * p + SIMD8<Float>(repeating: 1)
        let power = unsafeBitCast((unsafeBitCast(m, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23, to: SIMD8<Float>.self)
        return zero.replacing(with: p * power, where: valid)
    }
}
