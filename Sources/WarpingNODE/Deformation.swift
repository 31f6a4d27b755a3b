import Raster

/// A dense deformation φ of the plane, stored as its displacement: φ(x) = x + d(x), with `u`
/// (horizontal, right positive) and `v` (vertical, down positive) in pixels of this grid,
/// sampled at integer pixel positions of a `width × height` grid.
///
/// The flow of a velocity field for time t (`VelocityField.deformation(time:)`) is one; pulling
/// an image back through it, `image.pulledBack(by: φ)`, gives `result(x) = image(φ(x))`.
public struct Deformation: Sendable, Equatable {
    /// Width of the grid, pixels.
    public let width: Int
    /// Height of the grid, pixels.
    public let height: Int
    /// Horizontal displacement, pixels.
    public private(set) var u: Plane
    /// Vertical displacement, pixels.
    public private(set) var v: Plane

    /// The identity deformation (zero displacement) of a `width × height` grid.
    public init(identityWidth width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        u = Plane(width: self.width, height: self.height)
        v = Plane(width: self.width, height: self.height)
    }

    /// A deformation from displacement components; throws `WarpError.sizeMismatch` if their
    /// sizes differ and `WarpError.nonFinite` if a displacement is NaN or infinite.
    public init(u: Plane, v: Plane) throws {
        guard u.width == v.width, u.height == v.height else {
            throw WarpError.sizeMismatch(what: "displacement components", u.width, u.height, v.width, v.height)
        }
        guard u.allFinite, v.allFinite else { throw WarpError.nonFinite(what: "displacement") }
        self.init(validU: u, v: v)
    }

    /// Components already known to match in size and be finite.
    init(validU u: Plane, v: Plane) {
        width = u.width
        height = u.height
        self.u = u
        self.v = v
    }

    /// `self ∘ inner`: the deformation x ↦ self(inner(x)), i.e. displacement
    /// d_inner(x) + d_self(x + d_inner(x)) with `self` sampled bilinearly (edges clamped).
    /// Throws `sizeMismatch` when the grids differ.
    public func composed(after inner: Deformation, threads: Int = Parallel.defaultThreads) throws -> Deformation {
        guard inner.width == width, inner.height == height else {
            throw WarpError.sizeMismatch(what: "composed deformations", width, height, inner.width, inner.height)
        }
        return DisplacementKernels.compose(outer: self, inner: inner, scale: 1, threads: threads)
    }

    /// This deformation resampled onto a `newWidth × newHeight` grid (bilinear, pixel centres
    /// aligned), displacements scaled by the size ratio so they stay in the new grid's pixels.
    public func resized(width newWidth: Int, height newHeight: Int, threads: Int = Parallel.defaultThreads) -> Deformation {
        if newWidth == width && newHeight == height { return self }
        guard width > 0, height > 0, newWidth > 0, newHeight > 0 else { return Deformation(identityWidth: newWidth, height: newHeight) }
        return Deformation(
            validU: u.resizedBilinear(width: newWidth, height: newHeight, valueScale: Float(newWidth) / Float(width), threads: threads),
            v: v.resizedBilinear(width: newWidth, height: newHeight, valueScale: Float(newHeight) / Float(height), threads: threads))
    }

    /// The Jacobian determinant of φ at every pixel, measured so that folds cannot hide: the
    /// minimum over the four one-sided finite-difference schemes (forward/backward in x × in y,
    /// i.e. the four triangles around the pixel). Central differences alone miss a checkerboard
    /// fold, where every other pixel swaps places; one of the one-sided schemes sees it
    /// (Liu et al. 2023, "On finite difference Jacobian computation in deformable image
    /// registration"). A value ≤ 0 means φ folds there.
    public func jacobianDeterminant() -> Plane {
        let w = width, h = height
        guard w > 0, h > 0 else { return Plane(width: w, height: h) }
        var out = Plane(width: w, height: h)
        u.withSamples { pu in
            v.withSamples { pv in
                out.withMutableSamples { d in
                    Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: Parallel.defaultThreads)) { rows in
                        for y in rows {
                            for x in 0..<w {
                                d[y * w + x] = DisplacementKernels.minimumDeterminant(pu, pv, width: w, height: h, x: x, y: y)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Fraction (0…1) of pixels where φ folds (Jacobian determinant ≤ 0 in any one-sided scheme).
    public var foldedFraction: Double {
        let det = jacobianDeterminant()
        guard det.count > 0 else { return 0 }
        return Double(det.data.reduce(0) { $0 + ($1 <= 0 ? 1 : 0) }) / Double(det.count)
    }

    /// Fraction (0…1) of pixels x whose image φ(x) lies outside the grid [0, w−1] × [0, h−1]
    /// by more than `tolerance` pixels: content the deformation would have to invent.
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
    /// This plane pulled back through φ: result(x) = self(φ(x)), bilinear, edges clamped.
    /// `deformation` must have this plane's size (else the plane is returned unchanged).
    public func pulledBack(by deformation: Deformation, threads: Int = Parallel.defaultThreads) -> Plane {
        warped(u: deformation.u, v: deformation.v, threads: threads)
    }
}

/// Errors of the warping-NODE module: bad sizes, non-finite values, bad parameters.
public enum WarpError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Two grids that must match do not (`what`, first w×h, second w×h).
    case sizeMismatch(what: String, Int, Int, Int, Int)
    /// A value that must be finite is NaN or infinite.
    case nonFinite(what: String)
    /// A parameter outside its range.
    case invalidParameter(name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .sizeMismatch(let what, let w1, let h1, let w2, let h2):
            return "\(what) differ in size: \(w1)×\(h1) vs \(w2)×\(h2)"
        case .nonFinite(let what):
            return "\(what) holds NaN or infinite values"
        case .invalidParameter(let name, let value, let expected):
            return "\(name) = \(value) is invalid; expected \(expected)"
        }
    }
}
