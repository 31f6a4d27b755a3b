import Raster

/// An optical flow: the displacement of frame 0 → frame 1, so pixel p = (x, y) of frame 0
/// moves to p + (u(p), v(p)) in frame 1 (pixels; `u` right positive, `v` down positive). It is
/// Raster's one displacement type; this module adds what is particular to flows (end-point
/// error, forward-backward occlusion, `.flo` files, the colour wheel).
public typealias FlowField = DisplacementField

extension DisplacementField {
    /// Mean end-point error (Euclidean distance between displacement vectors, pixels) to
    /// `reference`, over the pixels where `mask` > 0.5 (all pixels if `mask` is nil).
    /// Throws `sizeMismatch` if sizes differ; returns 0 if the mask selects nothing.
    public func endPointError(to reference: FlowField, mask: Plane? = nil) throws -> Double {
        guard reference.width == width, reference.height == height else {
            throw MotionError.sizeMismatch(what: "flow fields", firstWidth: width, firstHeight: height,
                                           secondWidth: reference.width, secondHeight: reference.height)
        }
        if let mask, mask.width != width || mask.height != height {
            throw MotionError.sizeMismatch(what: "flow and EPE mask", firstWidth: width, firstHeight: height,
                                           secondWidth: mask.width, secondHeight: mask.height)
        }
        var total = 0.0
        var n = 0
        for i in 0..<(width * height) where mask.map({ $0.data[i] > 0.5 }) ?? true {
            let du = Double(u.data[i] - reference.u.data[i]), dv = Double(v.data[i] - reference.v.data[i])
            total += (du * du + dv * dv).squareRoot()
            n += 1
        }
        return n == 0 ? 0 : total / Double(n)
    }

    /// Occlusion mask from the forward-backward consistency check (Sundaram et al. 2010):
    /// pixel p of frame 0 is marked occluded (1) when the round trip f(p) + b(p + f(p)) is long,
    /// |f + b|² > `relativeThreshold`·(|f|² + |b|²) + `absoluteThreshold`² (pixels), or when
    /// p + f(p) leaves frame 1 by more than `absoluteThreshold`. `backward` is the flow 1 → 0.
    /// Returns a plane of 0 (visible) and 1 (occluded).
    public func occlusionMask(backward: FlowField, relativeThreshold: Float = 0.01, absoluteThreshold: Float = 0.7,
                              threads: Int = Parallel.defaultThreads) throws -> Plane {
        guard backward.width == width, backward.height == height else {
            throw MotionError.sizeMismatch(what: "forward and backward flows", firstWidth: width, firstHeight: height,
                                           secondWidth: backward.width, secondHeight: backward.height)
        }
        let bu = backward.u.warped(u: u, v: v, threads: threads)
        let bv = backward.v.warped(u: u, v: v, threads: threads)
        var mask = Plane(width: width, height: height)
        let a2 = absoluteThreshold * absoluteThreshold
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let fu = u.data[i], fv = v.data[i], gu = bu.data[i], gv = bv.data[i]
                let su = fu + gu, sv = fv + gv
                let inconsistent = su * su + sv * sv > relativeThreshold * (fu * fu + fv * fv + gu * gu + gv * gv) + a2
                let tx = Float(x) + fu, ty = Float(y) + fv
                let outside = tx < -absoluteThreshold || ty < -absoluteThreshold
                    || tx > Float(width - 1) + absoluteThreshold || ty > Float(height - 1) + absoluteThreshold
                mask.data[i] = (inconsistent || outside) ? 1 : 0
            }
        }
        return mask
    }
}
