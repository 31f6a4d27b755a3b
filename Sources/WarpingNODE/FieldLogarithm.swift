import Flow
import Raster

extension VelocityField {
    /// This field corrected towards the logarithm of the pair's maps: the stationary field whose
    /// flow for time 1 is the forward map x + F₀₁(x) and for time −1 the backward map x + F₁₀(x).
    /// The symmetric start ½(F₀₁ − F₁₀) is the chord, not the arc: for a rotation by θ it turns
    /// by sin θ, and the frames between lag behind. Each iteration integrates the field both ways,
    /// measures what the two maps miss, r₀₁ = F₀₁ − D(φ₁), r₁₀ = F₁₀ − D(φ₋₁), and adds
    /// ½(r₀₁ − r₁₀) where both flows are visible (`hidden`: 1 where a pixel is occluded in the
    /// other frame, on this field's grid), smoothed by σ = 1 field pixel. `iterations` 0 returns
    /// the field unchanged. Throws for flows of another size.
    public func logarithmCorrected(forward: FlowField, backward: FlowField, hidden: (Plane, Plane)?, iterations: Int,
                                   integrator: Integrator = .standard, threads: Int = Parallel.defaultThreads) throws -> VelocityField {
        guard iterations > 0 else { return self }
        try components.requireSameGrid(forward, "the forward flow")
        try components.requireSameGrid(backward, "the backward flow")
        var field = self
        let n = width * height
        for _ in 0..<iterations {
            let ahead = try field.deformation(time: 1, integrator: integrator, threads: threads)
            let behind = try field.deformation(time: -1, integrator: integrator, threads: threads)
            var du = Plane(width: width, height: height), dv = du
            for i in 0..<n {
                let trust: Float = hidden.map { 1 - max($0.0.data[i], $0.1.data[i]) } ?? 1
                let ru = (forward.u.data[i] - ahead.u.data[i]) - (backward.u.data[i] - behind.u.data[i])
                let rv = (forward.v.data[i] - ahead.v.data[i]) - (backward.v.data[i] - behind.v.data[i])
                du.data[i] = ru.isFinite ? 0.5 * trust * ru : 0
                dv.data[i] = rv.isFinite ? 0.5 * trust * rv : 0
            }
            du = du.blurred(sigma: 1, threads: threads)
            dv = dv.blurred(sigma: 1, threads: threads)
            var u = field.u, v = field.v
            for i in 0..<n {
                u.data[i] += du.data[i]
                v.data[i] += dv.data[i]
            }
            field = try VelocityField(u: u, v: v)
        }
        return field
    }
}
