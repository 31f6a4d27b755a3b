import Raster

/// The objective a velocity field is fitted to, with its exact gradient through the integrator
/// (discretise-then-optimise: the scaling-and-squaring steps are differentiated as computed).
///
///     E(v) = mean_x ρ(I0(φ_{−½}(x)) − I1(φ_{½}(x)))              symmetric data term at the midpoint
///          + λ_s · mean_x |∇v|²                                    smoothness
///          + λ_JD · mean_x Σ_{φ_{±½}} max(0, ε − det Dφ(x))        no folding (forward differences)
///          + λ_OG · mean_x Σ_{φ_{±½}} dist(φ(x), grid)²             no vector leaving the frame
///
/// ρ(r) = √(r² + ε_c²) (Charbonnier). Images are Float planes in [0, 1] on the field's grid.
struct FitObjective {
    let i0: Plane, i1: Plane
    let squarings: Int
    let smoothnessWeight: Float
    let jacobianWeight: Float
    let jacobianMargin: Float
    let outOfGridWeight: Float
    let charbonnierEpsilon: Float

    init(first: Plane, second: Plane, parameters p: FitParameters) {
        i0 = first
        i1 = second
        squarings = p.squarings
        smoothnessWeight = p.smoothnessWeight
        jacobianWeight = p.jacobianWeight
        jacobianMargin = p.jacobianMargin
        outOfGridWeight = p.outOfGridWeight
        charbonnierEpsilon = p.charbonnierEpsilon
    }

    /// The objective at `field` and its gradient with respect to the field's u and v samples.
    func evaluate(_ field: VelocityField) -> (value: Double, gu: [Float], gv: [Float]) {
        let w = field.width, h = field.height, n = w * h
        let norm = 1 / Float(max(n, 1))
        // Forward: keep every squaring's displacement for the backward pass.
        let minus = chain(field, time: -0.5), plus = chain(field, time: 0.5)
        let dm = minus[squarings], dp = plus[squarings]
        var lamM = (u: [Float](repeating: 0, count: n), v: [Float](repeating: 0, count: n))
        var lamP = lamM
        var value = 0.0
        let eps2 = charbonnierEpsilon * charbonnierEpsilon
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let ax = Float(x) + dm.u.data[i], ay = Float(y) + dm.v.data[i]
                let bx = Float(x) + dp.u.data[i], by = Float(y) + dp.v.data[i]
                let a = BilinearAdjoint.sample(i0, x: ax, y: ay), b = BilinearAdjoint.sample(i1, x: bx, y: by)
                let r = a.value - b.value
                let rho = (r * r + eps2).squareRoot()
                value += Double(rho * norm)
                let g = r / rho * norm
                lamM.u[i] = g * a.dx
                lamM.v[i] = g * a.dy
                lamP.u[i] = -g * b.dx
                lamP.v[i] = -g * b.dy
            }
        }
        value += penalties(dm, &lamM, norm: norm)
        value += penalties(dp, &lamP, norm: norm)
        // Backward through the squarings of each direction, then the first scaling step.
        let gm = backward(minus, lambda: lamM), gp = backward(plus, lambda: lamP)
        let scale = 0.5 / Float(1 << squarings)
        var gu = [Float](repeating: 0, count: n), gv = gu
        for i in 0..<n {
            gu[i] = scale * (gp.u[i] - gm.u[i])
            gv[i] = scale * (gp.v[i] - gm.v[i])
        }
        value += smoothness(field, &gu, &gv, norm: norm)
        return (value, gu, gv)
    }

    /// d_0 = (t/2^n)·v, then d_{k+1} = d_k + d_k∘(id + d_k); all n+1 stages.
    private func chain(_ field: VelocityField, time: Float) -> [Deformation] {
        let first = time / Float(1 << squarings)
        var stages = [Deformation(validU: field.u.scaled(by: first), v: field.v.scaled(by: first))]
        for _ in 0..<squarings {
            let d = stages[stages.count - 1]
            stages.append(Deformation.compose(outer: d, inner: d, scale: 1, threads: 1))
        }
        return stages
    }

    /// Adjoint of the squarings: from ∂E/∂d_n back to ∂E/∂d_0.
    private func backward(_ stages: [Deformation], lambda: (u: [Float], v: [Float])) -> (u: [Float], v: [Float]) {
        var lam = lambda
        for k in stride(from: squarings - 1, through: 0, by: -1) {
            lam = BilinearAdjoint.squaringAdjoint(stages[k], lambda: lam)
        }
        return lam
    }

    /// JD and OG penalties of a final deformation: adds their value and their gradient.
    private func penalties(_ d: Deformation, _ lam: inout (u: [Float], v: [Float]), norm: Float) -> Double {
        let w = d.width, h = d.height
        var value = 0.0
        let u = d.u.data, v = d.v.data
        if jacobianWeight > 0 && w > 1 && h > 1 {
            let k = jacobianWeight * norm
            for y in 0..<(h - 1) {
                for x in 0..<(w - 1) {
                    let i = y * w + x
                    let a = u[i + 1] - u[i], e = v[i + 1] - v[i], c = u[i + w] - u[i], b = v[i + w] - v[i]
                    let det = (1 + a) * (1 + b) - c * e
                    guard det < jacobianMargin else { continue }
                    value += Double(k * (jacobianMargin - det))
                    // ∂E/∂det = −k; chain through a, b, c, e.
                    let da = -k * (1 + b), db = -k * (1 + a), dc = k * e, de = k * c
                    lam.u[i + 1] += da; lam.u[i] -= da
                    lam.v[i + w] += db; lam.v[i] -= db
                    lam.u[i + w] += dc; lam.u[i] -= dc
                    lam.v[i + 1] += de; lam.v[i] -= de
                }
            }
        }
        if outOfGridWeight > 0 {
            let k = outOfGridWeight * norm, maxX = Float(w - 1), maxY = Float(h - 1)
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x
                    let px = Float(x) + u[i], py = Float(y) + v[i]
                    let ox = px < 0 ? px : (px > maxX ? px - maxX : 0)
                    let oy = py < 0 ? py : (py > maxY ? py - maxY : 0)
                    if ox == 0 && oy == 0 { continue }
                    value += Double(k * (ox * ox + oy * oy))
                    lam.u[i] += 2 * k * ox
                    lam.v[i] += 2 * k * oy
                }
            }
        }
        return value
    }

    /// λ_s·mean |∇v|² (forward differences): adds its value and gradient.
    private func smoothness(_ field: VelocityField, _ gu: inout [Float], _ gv: inout [Float], norm: Float) -> Double {
        guard smoothnessWeight > 0 else { return 0 }
        let w = field.width, h = field.height
        let k = smoothnessWeight * norm
        var value = 0.0
        for (plane, isU) in [(field.u.data, true), (field.v.data, false)] {
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x
                    for j in [x + 1 < w ? i + 1 : -1, y + 1 < h ? i + w : -1] where j >= 0 {
                        let diff = plane[j] - plane[i]
                        value += Double(k * diff * diff)
                        let g = 2 * k * diff
                        if isU { gu[j] += g; gu[i] -= g } else { gv[j] += g; gv[i] -= g }
                    }
                }
            }
        }
        return value
    }
}
