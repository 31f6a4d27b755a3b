import MediaIO
import Motion
import Raster

/// A frame pair prepared by `FrameInterpolator.prepare`: renders the frame at any t ∈ [0, 1].
///
/// Node: frame 0 is pulled back by φ_{−t} and frame 1 by φ_{1−t}, where φ is the flow of the
/// fitted stationary velocity field (`deformation(time:)`), so a point moves along the field's
/// integral curve, not a straight line. Visibility: where the content at x comes from a pixel
/// of frame 0 that the forward-backward check marks as hidden in frame 1, frame 1 gets no
/// weight there, and symmetrically; elsewhere the weights are (1−t, t).
public struct InterpolatedPair: Sendable {
    let first: Frame
    let second: Frame
    let settings: InterpolationSettings
    /// The fitted field on the field grid (node method only).
    let field: VelocityField?
    /// Flows on the field grid.
    let forward: FlowField
    let backward: FlowField
    /// Soft occlusion masks on the field grid (1 = hidden in the other frame).
    let occludedFirst: Plane
    let occludedSecond: Plane
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
        let (toFirst, toSecond) = try deformations(at: t)
        let w = toFirst.width, h = toFirst.height
        let tf = Float(t)
        var weight = Plane(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                var w0 = 1 - tf, w1 = tf
                if settings.occlusion {
                    // Hidden-in-frame-1 content at the frame-0 source: trust frame 0 only, and vice versa.
                    let hidden0 = occludedFirst.bilinear(x: Float(x) + toFirst.u.data[i], y: Float(y) + toFirst.v.data[i])
                    let hidden1 = occludedSecond.bilinear(x: Float(x) + toSecond.u.data[i], y: Float(y) + toSecond.v.data[i])
                    w0 *= 1 - hidden1
                    w1 *= 1 - hidden0
                    if w0 + w1 < 1e-3 { w0 = 1 - tf; w1 = tf }
                }
                weight.data[i] = w1 / (w0 + w1)
            }
        }
        return RenderPlan(toFirst: toFirst, toSecond: toSecond, secondWeight: weight)
    }

    /// Where x at time t is read in frame 0 and in frame 1 (field grid).
    func deformations(at t: Double) throws -> (Deformation, Deformation) {
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
        let plan = try plan(at: 0.5)
        copy.midpoint = plan
        let (a, b) = (plan.toFirst, plan.toSecond)
        copy.statistics.foldedFraction = field == nil ? 0 : max(a.foldedFraction, b.foldedFraction)
        copy.statistics.outOfGridFraction = max(a.outOfGridFraction(), b.outOfGridFraction())
        let n = max(1, occludedFirst.count)
        copy.statistics.occludedFraction = Double(zip(occludedFirst.data, occludedSecond.data).reduce(0) { $0 + (max($1.0, $1.1) > 0.5 ? 1 : 0) }) / Double(n)
        return copy
    }
}
