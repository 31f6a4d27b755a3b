import Flow
import Raster

/// How the ODE dφ/dt = v(φ), φ(0) = identity, is integrated to time t.
public enum Integrator: Sendable, Equatable, CustomStringConvertible {
    /// `steps` forward-Euler steps of length t/steps.
    case euler(steps: Int)
    /// `steps` classical Runge-Kutta steps of length t/steps.
    case rk4(steps: Int)
    /// Scaling and squaring: φ_t = (φ_{t/2^n})^(2^n), starting from the one-step approximation
    /// x + (t/2^n)·v(x); n squarings (the exponential map of a stationary field, as
    /// diffeomorphic registration computes it).
    case scalingAndSquaring(squarings: Int)

    /// The default: 6 squarings (64 sub-steps for the price of 6 compositions).
    public static let standard = Integrator.scalingAndSquaring(squarings: 6)

    public var description: String {
        switch self {
        case .euler(let n): return "euler(\(n))"
        case .rk4(let n): return "rk4(\(n))"
        case .scalingAndSquaring(let n): return "scaling-and-squaring(\(n))"
        }
    }

    /// Throws `WarpError.invalidParameter` for a step or squaring count outside 1…256 (0…16 squarings).
    public func validate() throws {
        switch self {
        case .euler(let n), .rk4(let n):
            guard (1...256).contains(n) else { throw WarpError.invalidParameter(name: "steps", value: "\(n)", expected: "1…256") }
        case .scalingAndSquaring(let n):
            guard (0...16).contains(n) else { throw WarpError.invalidParameter(name: "squarings", value: "\(n)", expected: "0…16") }
        }
    }
}

/// A stationary velocity field v(x) on a `width × height` grid, in pixels of that grid per unit
/// of time (one unit = the interval between the two frames it was fitted to). Integrating
/// dφ/dt = v(φ) gives a deformation φ_t for every real t, a diffeomorphism whose inverse is
/// exactly φ_{−t} (the warping Neural ODE of Image2Gif, with a stationary field).
public struct VelocityField: Sendable, Equatable {
    /// The field as a displacement-shaped pair of planes (u, v in pixels per unit time).
    public private(set) var components: Deformation

    /// Grid width, pixels.
    public var width: Int { components.width }
    /// Grid height, pixels.
    public var height: Int { components.height }

    /// A field from its components (pixels per unit time); throws `WarpError` for mismatched
    /// sizes or non-finite values.
    public init(u: Plane, v: Plane) throws {
        components = try Deformation(u: u, v: v)
    }

    init(components: Deformation) { self.components = components }

    /// The zero field.
    public init(zeroWidth width: Int, height: Int) {
        components = Deformation(identityWidth: width, height: height)
    }

    /// The symmetric initialisation from a frame pair's flows: v₀ = ½(F₀₁ − F₁₀). For a
    /// translation this is the translation; for a rotation by θ it is the rotation generator
    /// scaled by sin θ, whose exponential follows the arc that linear warping cuts across.
    /// Throws `sizeMismatch` if the flows differ in size, `nonFinite` for NaN flows.
    public init(symmetricFrom forward: FlowField, backward: FlowField) throws {
        guard forward.width == backward.width, forward.height == backward.height else {
            throw WarpError.sizeMismatch(what: "forward and backward flows", forward.width, forward.height, backward.width, backward.height)
        }
        var u = forward.u, v = forward.v
        for i in 0..<u.count {
            u.data[i] = 0.5 * (u.data[i] - backward.u.data[i])
            v.data[i] = 0.5 * (v.data[i] - backward.v.data[i])
        }
        components = try Deformation(u: u, v: v)
    }

    /// The symmetric initialisation sampled along the motion: v(x) = ½(F₀₁(x − ½v(x)) −
    /// F₁₀(x + ½v(x))), solved by `iterations` fixed-point steps from ½(F₀₁ − F₁₀). Each flow is
    /// read where the content at x at the midpoint time came from (frame 0) or goes to
    /// (frame 1), instead of at x itself, so a moving object's boundary lines up at t = ½.
    public init(midpointFrom forward: FlowField, backward: FlowField, iterations: Int, threads: Int = Parallel.defaultThreads) throws {
        try self.init(symmetricFrom: forward, backward: backward)
        for _ in 0..<max(0, iterations) {
            let half = components.u.scaled(by: 0.5), halfV = components.v.scaled(by: 0.5)
            let back = (u: half.scaled(by: -1), v: halfV.scaled(by: -1))
            let fu = forward.u.warped(u: back.u, v: back.v, threads: threads), fv = forward.v.warped(u: back.u, v: back.v, threads: threads)
            let bu = backward.u.warped(u: half, v: halfV, threads: threads), bv = backward.v.warped(u: half, v: halfV, threads: threads)
            var u = fu, v = fv
            for i in 0..<u.count {
                u.data[i] = 0.5 * (fu.data[i] - bu.data[i])
                v.data[i] = 0.5 * (fv.data[i] - bv.data[i])
            }
            components = try Deformation(u: u, v: v)
        }
    }

    /// Horizontal velocity, pixels per unit time.
    public var u: Plane { components.u }
    /// Vertical velocity, pixels per unit time.
    public var v: Plane { components.v }

    /// This field scaled by `factor` (the field whose flow at time t is this one's at factor·t).
    public func scaled(by factor: Float) -> VelocityField {
        VelocityField(components: Deformation(validU: u.scaled(by: factor), v: v.scaled(by: factor)))
    }

    /// This field on a `newWidth × newHeight` grid, values scaled to the new grid's pixels.
    public func resized(width newWidth: Int, height newHeight: Int, threads: Int = Parallel.defaultThreads) -> VelocityField {
        VelocityField(components: components.resized(width: newWidth, height: newHeight, threads: threads))
    }

    /// The field smoothed by a Gaussian of `sigma` grid pixels (a regulariser before integration).
    public func smoothed(sigma: Float, threads: Int = Parallel.defaultThreads) -> VelocityField {
        guard sigma > 0 else { return self }
        return VelocityField(components: Deformation(validU: u.blurred(sigma: sigma, threads: threads),
                                                     v: v.blurred(sigma: sigma, threads: threads)))
    }

    /// The deformation φ_t: where each grid point x is after flowing for time `t` (any real t;
    /// negative t flows backwards, so φ_{−t} is the inverse of φ_t). Throws for a non-finite
    /// `t` or an invalid integrator.
    public func deformation(time t: Double, integrator: Integrator = .standard,
                            threads: Int = Parallel.defaultThreads) throws -> Deformation {
        guard t.isFinite, abs(t) <= 1e6 else { throw WarpError.invalidParameter(name: "time", value: "\(t)", expected: "a finite time") }
        try integrator.validate()
        let time = Float(t)
        let identity = Deformation(identityWidth: width, height: height)
        if time == 0 || width == 0 || height == 0 { return identity }
        switch integrator {
        case .euler(let n):
            var d = identity
            let h = time / Float(n)
            for _ in 0..<n { d = Deformation.compose(outer: components, inner: d, scale: h, threads: threads) }
            return d
        case .rk4(let n):
            var d = identity
            let h = time / Float(n)
            for _ in 0..<n { d = DisplacementKernels.rk4Step(d, velocity: components, h: h, threads: threads) }
            return d
        case .scalingAndSquaring(let n):
            let first = time / Float(1 << n)
            var d = Deformation(validU: u.scaled(by: first), v: v.scaled(by: first))
            for _ in 0..<n { d = Deformation.compose(outer: d, inner: d, scale: 1, threads: threads) }
            return d
        }
    }
}
