import Raster

/// A dense deformation φ of the plane, stored as its displacement: φ(x) = x + d(x), in pixels
/// of a `width × height` grid (Raster's one displacement type). The flow of a velocity field for
/// time t (`VelocityField.deformation(time:)`) is one; pulling an image back through it,
/// `image.pulledBack(by: φ)`, gives `result(x) = image(φ(x))`. This module adds the measures of
/// a warp: Jacobian determinants and the folded fraction.
public typealias Deformation = DisplacementField

extension DisplacementField {
    /// The identity deformation (zero displacement) of a `width × height` grid.
    public init(identityWidth width: Int, height: Int) {
        self.init(width: width, height: height)
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
