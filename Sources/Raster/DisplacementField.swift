/// A dense 2-D displacement field on a `width × height` grid, in pixels of that grid: pixel
/// p = (x, y) goes to p + (u(p), v(p)), `u` horizontal (right positive), `v` vertical (down
/// positive). The one displacement type of the toolkit: an optical flow (`FlowField` in Flow),
/// a diffeomorphic warp (`Deformation` in WarpingNODE) and a splatting field (`SplatField`)
/// are all this value.
///
/// Invariants: `u` and `v` are both `width × height`, checked in every initialiser and kept by
/// every method; `init(u:v:)` also refuses non-finite displacements. Only the package's own
/// readers and kernels write the components in place, and they may leave a non-finite vector
/// where one is unknown (a `.flo` file's damaged vector); every kernel treats such a vector as
/// no sample rather than trapping.
public struct DisplacementField: Sendable, Equatable {
    /// Width of the grid, pixels.
    public let width: Int
    /// Height of the grid, pixels.
    public let height: Int
    /// Horizontal displacement, pixels, `width × height`.
    public package(set) var u: Plane
    /// Vertical displacement, pixels, `width × height`.
    public package(set) var v: Plane

    /// The zero field (the identity map) of a `width × height` grid (negative sizes count as 0).
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        u = Plane(width: self.width, height: self.height)
        v = Plane(width: self.width, height: self.height)
    }

    /// A field from its two components. Throws `RasterError.sizeMismatch` if they differ in size
    /// and `RasterError.nonFinite` if a displacement is NaN or infinite.
    public init(u: Plane, v: Plane) throws {
        guard u.width == v.width, u.height == v.height else {
            throw RasterError.sizeMismatch(what: "the displacement's v", expectedWidth: u.width, expectedHeight: u.height,
                                           width: v.width, height: v.height)
        }
        guard u.allFinite, v.allFinite else { throw RasterError.nonFinite(what: "the displacement") }
        self.init(validU: u, v: v)
    }

    /// Components already known to match in size and be finite.
    package init(validU u: Plane, v: Plane) {
        width = u.width
        height = u.height
        self.u = u
        self.v = v
    }

    /// The displacement (pixels) at integer pixel (x, y), which must be on the grid.
    @inlinable public subscript(x: Int, y: Int) -> (u: Float, v: Float) {
        (u.data[y * width + x], v.data[y * width + x])
    }

    /// The displacement at a real position (pixels), bilinear, edges clamped.
    @inlinable public func sample(x: Float, y: Float) -> (u: Float, v: Float) {
        (u.bilinear(x: x, y: y), v.bilinear(x: x, y: y))
    }

    /// Requires `other` to have this grid; `what` names the pair in the error.
    public func requireSameGrid(_ other: DisplacementField, _ what: String) throws {
        guard other.width == width, other.height == height else {
            throw RasterError.sizeMismatch(what: what, expectedWidth: width, expectedHeight: height,
                                           width: other.width, height: other.height)
        }
    }

    /// This field plus `k` × `other`, pixel by pixel (pixels). Throws `sizeMismatch` if the grids
    /// differ and `nonFinite` if `k` is not finite.
    public func adding(_ other: DisplacementField, times k: Float = 1) throws -> DisplacementField {
        try requireSameGrid(other, "the added displacement")
        guard k.isFinite else { throw RasterError.nonFinite(what: "the displacement's factor") }
        var out = self
        for i in 0..<u.count {
            out.u.data[i] += k * other.u.data[i]
            out.v.data[i] += k * other.v.data[i]
        }
        return out
    }

    /// This field resampled onto a `newWidth × newHeight` grid (bilinear, pixel centres
    /// aligned), u scaled by the width ratio and v by the height ratio so the displacements stay
    /// in the new grid's pixels (e.g. a luma-size field for a chroma plane). An empty size on
    /// either side gives the zero field of the new size.
    public func resized(width newWidth: Int, height newHeight: Int, threads: Int = Parallel.defaultThreads) -> DisplacementField {
        if newWidth == width && newHeight == height { return self }
        guard width > 0, height > 0, newWidth > 0, newHeight > 0 else { return DisplacementField(width: newWidth, height: newHeight) }
        return DisplacementField(
            validU: u.resizedBilinear(width: newWidth, height: newHeight, valueScale: Float(newWidth) / Float(width), threads: threads),
            v: v.resizedBilinear(width: newWidth, height: newHeight, valueScale: Float(newHeight) / Float(height), threads: threads))
    }

    /// `self ∘ inner`: the map x ↦ self(inner(x)), i.e. the displacement
    /// d_inner(x) + d_self(x + d_inner(x)) with `self` sampled bilinearly (edges clamped). For
    /// flows: `next.composed(after: f)` chains f (frame 0 → 1) and then `next` (1 → 2) into the
    /// flow 0 → 2. Throws `sizeMismatch` when the grids differ.
    public func composed(after inner: DisplacementField, threads: Int = Parallel.defaultThreads) throws -> DisplacementField {
        try requireSameGrid(inner, "the inner displacement")
        return Self.compose(outer: self, inner: inner, scale: 1, threads: threads)
    }

    /// d(x) = d_inner(x) + scale · d_outer(x + d_inner(x)) for fields of one grid: composition
    /// (scale 1), an Euler step of a velocity field (outer = velocity, scale = step) or a
    /// squaring (outer = inner). Rows are split over `threads`.
    package static func compose(outer: DisplacementField, inner: DisplacementField, scale: Float, threads: Int) -> DisplacementField {
        let w = inner.width, h = inner.height
        guard w > 0, h > 0 else { return inner }
        var ou = Plane(width: w, height: h), ov = Plane(width: w, height: h)
        outer.u.withSamples { au in
            outer.v.withSamples { av in
                inner.u.withSamples { iu in
                    inner.v.withSamples { iv in
                        ou.withMutableSamples { du in
                            ov.withMutableSamples { dv in
                                Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: threads, grain: 8192)) { rows in
                                    for y in rows {
                                        let fy = Float(y)
                                        for x in 0..<w {
                                            let i = y * w + x
                                            let px = Float(x) + iu[i], py = fy + iv[i]
                                            du[i] = iu[i] + scale * Plane.bilinear(au, width: w, height: h, x: px, y: py)
                                            dv[i] = iv[i] + scale * Plane.bilinear(av, width: w, height: h, x: px, y: py)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return DisplacementField(validU: ou, v: ov)
    }

    /// An image pulled back through this map: result(p) = image(p + d(p)), bilinear, edges
    /// clamped. `image` must have this grid's size (else it is returned unchanged).
    public func warp(_ image: Plane, threads: Int = Parallel.defaultThreads) -> Plane {
        image.warped(u: u, v: v, threads: threads)
    }

    /// Fraction (0…1) of pixels p whose target p + d(p) lies outside the grid
    /// [0, w−1] × [0, h−1] by more than `tolerance` pixels: content the map would have to invent.
    public func outOfGridFraction(tolerance: Float = 0.5) -> Double {
        guard width > 0, height > 0 else { return 0 }
        var outside = 0
        let maxX = Float(width - 1) + tolerance, maxY = Float(height - 1) + tolerance
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let px = Float(x) + u.data[i], py = Float(y) + v.data[i]
                if px < -tolerance || py < -tolerance || px > maxX || py > maxY { outside += 1 }
            }
        }
        return Double(outside) / Double(width * height)
    }

    /// Largest displacement length, pixels.
    public var maximumDisplacement: Float {
        var m: Float = 0
        for i in 0..<u.count { m = max(m, (u.data[i] * u.data[i] + v.data[i] * v.data[i]).squareRoot()) }
        return m
    }
}

extension Plane {
    /// This plane pulled back through a map: result(x) = self(x + d(x)), bilinear, edges clamped.
    /// `displacement` must have this plane's size (else the plane is returned unchanged).
    public func pulledBack(by displacement: DisplacementField, threads: Int = Parallel.defaultThreads) -> Plane {
        warped(u: displacement.u, v: displacement.v, threads: threads)
    }
}
