import MediaIO
import Flow
import Raster

/// A frame pair prepared by `FrameInterpolator.prepare`: renders the frame at any t ∈ [0, 1].
///
/// Node: frame 0 is pulled back by φ_{−t} and frame 1 by φ_{1−t}, where φ is the flow of the
/// velocity field (`deformation(time:)`; with `acceleration`, the time-varying field
/// v + (τ − ½)·a integrated from t to 0 and to 1), so a point moves along the field's integral
/// curve, not a straight line. Visibility: where the content at x comes from a pixel
/// of frame 0 that the forward-backward check marks as hidden in frame 1, frame 1's weight is
/// halved there (the masks are noisy), and symmetrically; a sample that falls outside a frame
/// gets no weight at all; elsewhere the weights are (1−t, t).
public struct InterpolatedPair: Sendable {
    let first: Frame
    let second: Frame
    let settings: InterpolationSettings
    /// The fitted field on the field grid (node method only): the velocity at t = ½.
    var field: VelocityField?
    /// The field's acceleration (pixels per unit time², field grid) when four frames gave one:
    /// the velocity at time τ is then field + (τ − ½)·acceleration.
    var acceleration: Deformation?
    /// Flows on the field grid.
    let forward: FlowField
    let backward: FlowField
    /// Soft occlusion masks on the field grid (1 = hidden in the other frame).
    let occludedFirst: Plane
    let occludedSecond: Plane
    /// Luma of both frames on the field grid, when the static candidate is used.
    let fieldLuma: (Plane, Plane)?
    /// What preparing the pair measured.
    public internal(set) var statistics: PairStatistics
    /// The plan for t = ½, made while measuring and reused by `render(at: 0.5)` (the only time
    /// a 2× conversion renders).
    var midpoint: RenderPlan?

    /// The frame at time `t` (0 = first, 1 = second; other values are clamped into [0, 1]), in
    /// the first frame's pixel format, size, colour tags and time base; pts is left at 0 for
    /// the caller to set. Throws `WarpError.invalidParameter` for a non-finite t.
    public func render(at t: Double) throws -> Frame {
        guard t.isFinite else { throw WarpError.invalidParameter(name: "t", value: "\(t)", expected: "a finite time in [0, 1]") }
        let time = min(max(t, 0), 1)
        let plan = time == 0.5 ? try midpoint ?? self.plan(at: time) : try self.plan(at: time)
        return try PlaneRenderer.render(plan, first: first, second: second, cubic: settings.bicubic, threads: settings.threads)
    }

    /// Displacements and weights for time `t` on the field grid.
    func plan(at t: Double) throws -> RenderPlan {
        var (toFirst, toSecond) = try deformations(at: t)
        if let (l0, l1) = fieldLuma { (toFirst, toSecond) = Self.choosingStill(toFirst, toSecond, l0, l1) }
        let w = toFirst.width, h = toFirst.height
        let tf = Float(t)
        var weight = Plane(width: w, height: h)
        // Chosen on the drop-frame benchmark: full-strength forward-backward masks cost 0.1 to
        // 0.3 dB inside the frame (they are noisy), while samples leaving the frame must go.
        let occlusionStrength: Float = 0.5, margin: Float = 0.5
        let maxX = Float(w - 1) + margin, maxY = Float(h - 1) + margin
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                var w0 = 1 - tf, w1 = tf
                if settings.occlusion {
                    // Hidden-in-frame-1 content at the frame-0 source: trust frame 0 more, and vice versa.
                    let p0x = Float(x) + toFirst.u.data[i], p0y = Float(y) + toFirst.v.data[i]
                    let p1x = Float(x) + toSecond.u.data[i], p1y = Float(y) + toSecond.v.data[i]
                    let hidden0 = occludedFirst.bilinear(x: p0x, y: p0y), hidden1 = occludedSecond.bilinear(x: p1x, y: p1y)
                    w0 *= 1 - occlusionStrength * hidden1
                    w1 *= 1 - occlusionStrength * hidden0
                    // A sample from outside a frame is invented by edge clamping: never use it.
                    if p0x < -margin || p0y < -margin || p0x > maxX || p0y > maxY { w0 = 0 }
                    if p1x < -margin || p1y < -margin || p1x > maxX || p1y > maxY { w1 = 0 }
                    if w0 + w1 < 1e-3 { w0 = 1 - tf; w1 = tf }
                }
                weight.data[i] = w1 / (w0 + w1)
            }
        }
        return RenderPlan(toFirst: toFirst, toSecond: toSecond, secondWeight: weight)
    }

    /// The displacements with zero motion wherever it matches the frames better (5×5 mean
    /// absolute difference of the two samples below 0.9× the motion's) and the motion is under
    /// 4 field pixels in both directions.
    static func choosingStill(_ d0: Deformation, _ d1: Deformation, _ l0: Plane, _ l1: Plane) -> (Deformation, Deformation) {
        // Chosen on the drop-frame benchmark: a looser margin or no length limit lets still
        // areas win inside slowly rotating texture, where they are wrong.
        let stillMargin: Float = 0.9, maxStill: Float = 4 * 4
        let w = d0.width, h = d0.height
        var moving = Plane(width: w, height: h), still = Plane(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let a = l0.bilinear(x: Float(x) + d0.u.data[i], y: Float(y) + d0.v.data[i])
                let b = l1.bilinear(x: Float(x) + d1.u.data[i], y: Float(y) + d1.v.data[i])
                moving.data[i] = abs(a - b)
                still.data[i] = abs(l0.data[i] - l1.data[i])
            }
        }
        moving = moving.boxFiltered(radius: 2)
        still = still.boxFiltered(radius: 2)
        var u0 = d0.u, v0 = d0.v, u1 = d1.u, v1 = d1.v
        var changed = false
        for i in 0..<(w * h) where still.data[i] < stillMargin * moving.data[i]
            && d0.u.data[i] * d0.u.data[i] + d0.v.data[i] * d0.v.data[i] < maxStill && d1.u.data[i] * d1.u.data[i] + d1.v.data[i] * d1.v.data[i] < maxStill {
            u0.data[i] = 0; v0.data[i] = 0; u1.data[i] = 0; v1.data[i] = 0
            changed = true
        }
        guard changed else { return (d0, d1) }
        return (Deformation(validU: u0, v: v0), Deformation(validU: u1, v: v1))
    }

    /// Where x at time t is read in frame 0 and in frame 1 (field grid).
    func deformations(at t: Double) throws -> (Deformation, Deformation) {
        if let field, let acceleration {
            return (try field.deformation(from: t, to: 0, acceleration: acceleration, steps: settings.accelerationSteps, threads: settings.threads),
                    try field.deformation(from: t, to: 1, acceleration: acceleration, steps: settings.accelerationSteps, threads: settings.threads))
        }
        if let field {
            return (try field.deformation(time: -t, integrator: settings.integrator, threads: settings.threads),
                    try field.deformation(time: 1 - t, integrator: settings.integrator, threads: settings.threads))
        }
        // Linear flow warping: F_t→0 = −(1−t)t·F01 + t²·F10, F_t→1 = (1−t)²·F01 − t(1−t)·F10.
        let tf = Float(t)
        let a0 = -(1 - tf) * tf, b0 = tf * tf, a1 = (1 - tf) * (1 - tf), b1 = -tf * (1 - tf)
        var u0 = forward.u, v0 = forward.v, u1 = forward.u, v1 = forward.v
        for i in 0..<u0.count {
            let fu = forward.u.data[i], fv = forward.v.data[i], bu = backward.u.data[i], bv = backward.v.data[i]
            u0.data[i] = a0 * fu + b0 * bu; v0.data[i] = a0 * fv + b0 * bv
            u1.data[i] = a1 * fu + b1 * bu; v1.data[i] = a1 * fv + b1 * bv
        }
        return (try Deformation(u: u0, v: v0), try Deformation(u: u1, v: v1))
    }

    /// This pair with fold, out-of-grid and occlusion statistics filled in (midpoint warps).
    func measured() throws -> InterpolatedPair {
        var copy = self
        var plan = try plan(at: 0.5)
        var folded = field == nil ? 0 : max(plan.toFirst.foldedFraction, plan.toSecond.foldedFraction)
        // A rough field can fold once integrated: smooth it further until the midpoint warps
        // are fold-free (each round adds a Gaussian of σ = 1 field pixel; at most 4 rounds).
        var rounds = 0
        while folded > 0, rounds < 4, let rough = copy.field {
            copy.field = rough.smoothed(sigma: 1, threads: settings.threads)
            if let a = copy.acceleration {
                copy.acceleration = Deformation(validU: a.u.blurred(sigma: 1, threads: settings.threads), v: a.v.blurred(sigma: 1, threads: settings.threads))
            }
            plan = try copy.plan(at: 0.5)
            folded = max(plan.toFirst.foldedFraction, plan.toSecond.foldedFraction)
            rounds += 1
        }
        copy.midpoint = plan
        copy.statistics.foldedFraction = folded
        copy.statistics.smoothingRounds = rounds
        copy.statistics.outOfGridFraction = max(plan.toFirst.outOfGridFraction(), plan.toSecond.outOfGridFraction())
        let n = max(1, occludedFirst.count)
        copy.statistics.occludedFraction = Double(zip(occludedFirst.data, occludedSecond.data).reduce(0) { $0 + (max($1.0, $1.1) > 0.5 ? 1 : 0) }) / Double(n)
        return copy
    }
}
