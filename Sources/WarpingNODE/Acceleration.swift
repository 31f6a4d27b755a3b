import Foundation
import Flow
import Raster

/// The optical flows of one pair of consecutive frames, both ways, on the luma grid (pixels).
/// A stream computes each pair's flows once: a pair's own flows, and the flows of the pairs
/// before and after it when the interpolator models acceleration.
public struct PairFlows: Sendable {
    /// Frame 0 → frame 1.
    public let forward: FlowField
    /// Frame 1 → frame 0.
    public let backward: FlowField
    /// Seconds spent estimating them (0 when not measured).
    public let seconds: Double

    /// Throws `WarpError.sizeMismatch` when the two flows differ in size.
    public init(forward: FlowField, backward: FlowField, seconds: Double = 0) throws {
        guard forward.width == backward.width, forward.height == backward.height else {
            throw WarpError.sizeMismatch(what: "forward and backward flows", forward.width, forward.height, backward.width, backward.height)
        }
        self.forward = forward
        self.backward = backward
        self.seconds = seconds
    }
}

/// The outer frames of a four-frame window around a pair (frames −1 and 2 around frames 0 and
/// 1): their flows and their distance in time, in units of the pair's own interval (1 for a
/// steady frame rate). Either side may be missing (clip ends, scene cuts); the acceleration is
/// then zero and the trajectories are the two-frame ones.
public struct PairNeighbours: Sendable {
    /// Flows of frames (−1, 0), and t₀ − t₋₁ over t₁ − t₀.
    public var before: (flows: PairFlows, interval: Double)?
    /// Flows of frames (1, 2), and t₂ − t₁ over t₁ − t₀.
    public var after: (flows: PairFlows, interval: Double)?

    public init(before: (flows: PairFlows, interval: Double)? = nil, after: (flows: PairFlows, interval: Double)? = nil) {
        self.before = before
        self.after = after
    }

    /// No neighbours: two-frame trajectories.
    public static let none = PairNeighbours()
}

/// Acceleration of the motion between two frames, from four (QVI's quadratic trajectories, Xu
/// et al. 2019, written as a second-order velocity field).
///
/// A point on a quadratic path through frames −1, 0 and 1 (times −d, 0, 1) has constant
/// acceleration a₀ = 2(F₀,₋₁ + d·F₀₁)/(d(d+1)) (F₀,₋₁ + F₀₁ for d = 1); from frames 0, 1, 2
/// (times 0, 1, 1 + d′), a₁ = 2(F₁₂ + d′·F₁₀)/(d′(d′+1)). Each is read where the content at
/// field pixel x at t = ½ sits in its frame (x ∓ ½v(x)). The two estimates of one physical
/// acceleration must agree; where they do not (jitter, a flow error, an occlusion, motion
/// that reverses every frame), the acceleration is shrunk towards zero with the weight
/// exp(−|a₀ − a₁|² / 2σ²), σ = `agreementFloor` + `agreementShare`·|½(a₀ + a₁)|, and the
/// trajectory falls back to the two-frame one.
public enum AccelerationEstimator {
    /// σ's floor, field pixels per unit time².
    public static let agreementFloor: Float = 2
    /// σ's share of the mean acceleration's length.
    public static let agreementShare: Float = 1

    /// The acceleration field on the field grid (pixels per unit time²) and its mean agreement
    /// weight (0…1), or nil when a side is missing. `velocity` is the midpoint field; the
    /// pair's flows and the neighbours' flows are resized to its grid here.
    static func estimate(velocity: VelocityField, forward: FlowField, backward: FlowField, neighbours: PairNeighbours,
                         threads: Int) -> (field: Deformation, agreement: Double)? {
        guard let before = neighbours.before, let after = neighbours.after,
              before.interval.isFinite, after.interval.isFinite, before.interval > 0.05, after.interval > 0.05,
              before.interval < 20, after.interval < 20 else { return nil }
        let w = velocity.width, h = velocity.height
        // F₀,₋₁ is the backward flow of the pair before; F₁₂ the forward flow of the pair after.
        let toPrevious = before.flows.backward.resized(width: w, height: h, threads: threads)
        let toNext = after.flows.forward.resized(width: w, height: h, threads: threads)
        let dm = Float(before.interval), dp = Float(after.interval)
        let cm = 2 / (dm * (dm + 1)), cp = 2 / (dp * (dp + 1))
        var a0u = Plane(width: w, height: h), a0v = a0u, a1u = a0u, a1v = a0u
        // Where an outer flow leaves the frame (content entering or leaving at the border) it
        // was guessed, not measured: no acceleration there (NaN marks it, read as no weight).
        let maxX = Float(w - 1), maxY = Float(h - 1)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let px = Float(x) + toPrevious.u.data[i], py = Float(y) + toPrevious.v.data[i]
                let nx = Float(x) + toNext.u.data[i], ny = Float(y) + toNext.v.data[i]
                let lost: Float = px < 0 || py < 0 || px > maxX || py > maxY || nx < 0 || ny < 0 || nx > maxX || ny > maxY ? .nan : 1
                a0u.data[i] = lost * cm * (toPrevious.u.data[i] + dm * forward.u.data[i])
                a0v.data[i] = lost * cm * (toPrevious.v.data[i] + dm * forward.v.data[i])
                a1u.data[i] = lost * cp * (toNext.u.data[i] + dp * backward.u.data[i])
                a1v.data[i] = lost * cp * (toNext.v.data[i] + dp * backward.v.data[i])
            }
        }
        var au = Plane(width: w, height: h), av = au
        var agreementSum = 0.0
        let floor = agreementFloor, share = agreementShare
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let hu = 0.5 * velocity.u.data[i], hv = 0.5 * velocity.v.data[i]
                let x0 = Float(x) - hu, y0 = Float(y) - hv, x1 = Float(x) + hu, y1 = Float(y) + hv
                let e0u = a0u.bilinear(x: x0, y: y0), e0v = a0v.bilinear(x: x0, y: y0)
                let e1u = a1u.bilinear(x: x1, y: y1), e1v = a1v.bilinear(x: x1, y: y1)
                let mu = 0.5 * (e0u + e1u), mv = 0.5 * (e0v + e1v)
                let du = e0u - e1u, dv = e0v - e1v
                let sigma = floor + share * (mu * mu + mv * mv).squareRoot()
                let agreement = exp(-(du * du + dv * dv) / (2 * sigma * sigma))
                let weight = agreement.isNaN ? 0 : agreement
                guard weight > 0 else { continue }
                au.data[i] = weight * mu
                av.data[i] = weight * mv
                agreementSum += Double(weight)
            }
        }
        return (Deformation(validU: au, v: av), agreementSum / Double(max(1, w * h)))
    }
}

extension VelocityField {
    /// Where each grid point x at time `start` is at time `end` under the time-varying field
    /// v(x, τ) = self(x) + (τ − ½)·`acceleration`(x) (self is the velocity at τ = ½; both in
    /// pixels of this grid per unit time, acceleration per unit time²), by `steps` classical
    /// Runge-Kutta steps per unit of time (at least 2 in all). The flow of a smooth
    /// time-varying field is a diffeomorphism too, and integrating from `end` back to `start`
    /// inverts it. Throws for non-finite times or a size mismatch.
    public func deformation(from start: Double, to end: Double, acceleration: Deformation, steps: Int = 8,
                            threads: Int = Parallel.defaultThreads) throws -> Deformation {
        guard start.isFinite, end.isFinite, abs(start) <= 1e3, abs(end) <= 1e3 else {
            throw WarpError.invalidParameter(name: "time", value: "\(start)…\(end)", expected: "finite times")
        }
        guard acceleration.width == width, acceleration.height == height else {
            throw WarpError.sizeMismatch(what: "velocity and acceleration", width, height, acceleration.width, acceleration.height)
        }
        guard (1...256).contains(steps) else { throw WarpError.invalidParameter(name: "steps", value: "\(steps)", expected: "1…256") }
        var d = Deformation(identityWidth: width, height: height)
        if start == end || width == 0 || height == 0 { return d }
        let n = max(2, Int((abs(end - start) * Double(steps)).rounded(.up)))
        let h = Float((end - start) / Double(n))
        for k in 0..<n {
            d = DisplacementKernels.rk4Step(d, velocity: components, acceleration: acceleration,
                                            time: Float(start) + Float(k) * h, h: h, threads: threads)
        }
        return d
    }
}
