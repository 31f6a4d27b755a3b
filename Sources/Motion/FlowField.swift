import Raster

/// A dense 2-D displacement field in pixels: the flow of frame 0 → frame 1, so pixel p = (x, y)
/// of frame 0 moves to p + (u(p), v(p)) in frame 1. `u` is horizontal (right positive),
/// `v` vertical (down positive).
public struct FlowField: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Horizontal displacement in pixels, `width × height`.
    public internal(set) var u: Plane
    /// Vertical displacement in pixels, `width × height`.
    public internal(set) var v: Plane

    /// A zero flow of the given size.
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        u = Plane(width: self.width, height: self.height)
        v = Plane(width: self.width, height: self.height)
    }

    /// A flow from its two components; throws `MotionError.sizeMismatch` if they differ in size.
    public init(u: Plane, v: Plane) throws {
        guard u.width == v.width, u.height == v.height else {
            throw MotionError.sizeMismatch(what: "flow components u and v", firstWidth: u.width, firstHeight: u.height,
                                           secondWidth: v.width, secondHeight: v.height)
        }
        self.width = u.width
        self.height = u.height
        self.u = u
        self.v = v
    }

    /// A flow from components already known to match in size.
    init(validU u: Plane, v: Plane) {
        width = u.width
        height = u.height
        self.u = u
        self.v = v
    }

    /// The displacement (pixels) at integer pixel (x, y).
    @inlinable public subscript(x: Int, y: Int) -> (u: Float, v: Float) {
        (u.data[y * width + x], v.data[y * width + x])
    }

    /// This field plus `k` × `other`, pixel by pixel (pixels); throws `sizeMismatch` if the
    /// sizes differ.
    public func adding(_ other: FlowField, times k: Float = 1) throws -> FlowField {
        guard other.width == width, other.height == height else {
            throw MotionError.sizeMismatch(what: "flow fields", firstWidth: width, firstHeight: height,
                                           secondWidth: other.width, secondHeight: other.height)
        }
        var out = self
        for i in 0..<u.count {
            out.u.data[i] += k * other.u.data[i]
            out.v.data[i] += k * other.v.data[i]
        }
        return out
    }

    /// The displacement at a real position, bilinear, edges clamped.
    @inlinable public func sample(x: Float, y: Float) -> (u: Float, v: Float) {
        (u.bilinear(x: x, y: y), v.bilinear(x: x, y: y))
    }

    /// This flow resampled to `newWidth × newHeight`, displacements scaled by the size ratio
    /// (so it stays a flow in the new size's pixels).
    public func resized(width newWidth: Int, height newHeight: Int, threads: Int = Parallel.defaultThreads) -> FlowField {
        if newWidth == width && newHeight == height { return self }
        guard width > 0, height > 0, newWidth > 0, newHeight > 0 else { return FlowField(width: newWidth, height: newHeight) }
        let ru = u.resizedBilinear(width: newWidth, height: newHeight, valueScale: Float(newWidth) / Float(width), threads: threads)
        let rv = v.resizedBilinear(width: newWidth, height: newHeight, valueScale: Float(newHeight) / Float(height), threads: threads)
        return FlowField(validU: ru, v: rv)
    }

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

    /// Chains two flows: `self` (frame 0 → 1) followed by `next` (frame 1 → 2) gives the flow
    /// 0 → 2, c(p) = f(p) + next(p + f(p)), `next` sampled bilinearly with edges clamped.
    /// Throws `sizeMismatch` if sizes differ. Composing a flow with its backward flow gives ≈ 0
    /// wherever the pixel stays visible.
    public func composed(with next: FlowField, threads: Int = Parallel.defaultThreads) throws -> FlowField {
        guard next.width == width, next.height == height else {
            throw MotionError.sizeMismatch(what: "composed flow fields", firstWidth: width, firstHeight: height,
                                           secondWidth: next.width, secondHeight: next.height)
        }
        let nu = next.u.warped(u: u, v: v, threads: threads)
        let nv = next.v.warped(u: u, v: v, threads: threads)
        var out = self
        for i in 0..<(width * height) {
            out.u.data[i] += nu.data[i]
            out.v.data[i] += nv.data[i]
        }
        return out
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

    /// Frame 1 pulled back onto frame 0's grid by this flow: result(p) = image(p + f(p)).
    public func warp(_ image: Plane, threads: Int = Parallel.defaultThreads) -> Plane {
        image.warped(u: u, v: v, threads: threads)
    }
}
