import Raster

/// Variational refinement of a dense flow at one pyramid level (as in DIS / OpenCV's
/// VariationalRefinement): minimises, over an increment (du, dv) of the flow,
///   δ·Ψ(nD·(Iz + Ix du + Iy dv)²) + γ·Ψ(nX·(Ixz + Ixx du + Ixy dv)² + nY·(Iyz + Ixy du + Iyy dv)²)
///   + α·Ψ(|∇(u + du)|² + |∇(v + dv)|²),   Ψ(s²) = √(s² + ε²),
/// with the n· factors normalising each constancy term by its gradient magnitude. Frame 1 is
/// warped once by the current flow; each fixed-point iteration freezes the robust weights and
/// runs red-black SOR sweeps (parallel over rows; red and black pixels never touch each other).
struct VariationalRefinement {
    let i0: Plane, i1: Plane
    let parameters: FlowEstimator.Parameters
    /// Symmetric mode: the field lives at the midpoint between the frames, frame 0 is read at
    /// x − ½f and frame 1 at x + ½f, and the residual is their difference (the same linearised
    /// terms, since moving both reads by ∓½df changes the residual by ½(∇I₀ + ∇I₁)·df).
    var symmetric = false
    /// Per-pixel weight (0…1) of the data terms, e.g. visibility in both frames; nil = 1.
    var confidence: Plane?

    init(i0: Plane, i1: Plane, parameters: FlowEstimator.Parameters, symmetric: Bool = false, confidence: Plane? = nil) {
        self.i0 = i0
        self.i1 = i1
        self.parameters = parameters
        self.symmetric = symmetric
        self.confidence = confidence
    }

    static let epsilon: Float = 0.001
    static let zeta: Float = 0.1

    /// The linearised image terms for the current flow (all planes `width × height`).
    struct Terms {
        var ix: Plane, iy: Plane, iz: Plane, ixx: Plane, ixy: Plane, iyy: Plane, ixz: Plane, iyz: Plane
        /// 1 where the warped position lies inside frame 1, else 0 (data terms off).
        var inside: Plane
    }

    func terms(for flow: FlowField) -> Terms {
        let threads = parameters.threads
        let reach: Float = symmetric ? 0.5 : 1
        let base = symmetric ? i0.warped(u: flow.u.scaled(by: -reach), v: flow.v.scaled(by: -reach), threads: threads) : i0
        let warped = symmetric ? i1.warped(u: flow.u.scaled(by: reach), v: flow.v.scaled(by: reach), threads: threads)
            : i1.warped(u: flow.u, v: flow.v, threads: threads)
        // Unsmoothed 5-point derivatives: Sobel's smoothing would bias the sub-pixel increments.
        let (gx0, gy0) = base.derivatives5(threads: threads)
        let (gx1, gy1) = warped.derivatives5(threads: threads)
        let w = i0.width, h = i0.height
        /// wa·a + wb·b, SIMD, rows in parallel.
        func mix(_ a: Plane, _ wa: Float, _ b: Plane, _ wb: Float) -> Plane {
            Plane(width: w, height: h) { o in
                a.withSamples { pa in
                    b.withSamples { pb in
                        Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: threads)) { rows in
                            var k = rows.lowerBound * w
                            let end = rows.upperBound * w
                            while k + 8 <= end {
                                let va = UnsafeRawPointer(pa + k).loadUnaligned(as: SIMD8<Float>.self)
                                let vb = UnsafeRawPointer(pb + k).loadUnaligned(as: SIMD8<Float>.self)
                                UnsafeMutableRawPointer(o + k).storeBytes(of: wa * va + wb * vb, as: SIMD8<Float>.self)
                                k += 8
                            }
                            while k < end { o[k] = wa * pa[k] + wb * pb[k]; k += 1 }
                        }
                    }
                }
            }
        }
        let symmetricReads = symmetric
        var inside = Plane(width: w, height: h) { o in
            flow.u.withSamples { fu in
                flow.v.withSamples { fv in
                    Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: threads)) { rows in
                        @inline(__always) func within(_ x: Float, _ y: Float) -> Bool { x >= 0 && y >= 0 && x <= Float(w - 1) && y <= Float(h - 1) }
                        for y in rows {
                            for x in 0..<w {
                                let k = y * w + x
                                let fx = Float(x) + reach * fu[k], fy = Float(y) + reach * fv[k]
                                let back = !symmetricReads || within(Float(x) - reach * fu[k], Float(y) - reach * fv[k])
                                o[k] = within(fx, fy) && back ? 1 : 0
                            }
                        }
                    }
                }
            }
        }
        if let confidence, confidence.width == w, confidence.height == h {
            for k in 0..<(w * h) { inside.data[k] *= min(max(confidence.data[k], 0), 1) }
        }
        let ix = mix(gx0, 0.5, gx1, 0.5), iy = mix(gy0, 0.5, gy1, 0.5)
        var t = Terms(ix: ix, iy: iy, iz: mix(warped, 1, base, -1), ixx: ix, ixy: ix, iyy: ix,
                      ixz: mix(gx1, 1, gx0, -1), iyz: mix(gy1, 1, gy0, -1), inside: inside)
        let (xx, xy) = t.ix.derivatives5(threads: threads)
        t.ixx = xx
        t.ixy = xy
        t.iyy = t.iy.derivatives5(threads: threads).dy
        return t
    }

    /// Scalar reference of `refine` (same maths, plain loops), for tests.
    func refineScalar(_ flow: FlowField) -> FlowField {
        let p = parameters, w = flow.width, h = flow.height, n = w * h
        guard n > 0, p.refinementIterations > 0 else { return flow }
        let t = terms(for: flow)
        // Scratch: increments, 2×2 normal-equation coefficients, smoothness weights (one block).
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 8 * n)
        scratch.initialize(repeating: 0, count: 8 * n)
        defer { scratch.deallocate() }
        let du = scratch, dv = scratch + n, a11 = scratch + 2 * n, a12 = scratch + 3 * n, a22 = scratch + 4 * n
        let b1 = scratch + 5 * n, b2 = scratch + 6 * n, ws = scratch + 7 * n
        let alpha = p.smoothnessWeight, gamma = p.gradientWeight, delta = p.intensityWeight
        let eps2 = VariationalRefinement.epsilon * VariationalRefinement.epsilon
        let zeta2 = VariationalRefinement.zeta * VariationalRefinement.zeta
        let omega = p.sorOmega, threads = p.threads
        flow.u.withSamples { fu in flow.v.withSamples { fv in
        t.ix.withSamples { tix in t.iy.withSamples { tiy in t.iz.withSamples { tiz in
        t.ixx.withSamples { tixx in t.ixy.withSamples { tixy in t.iyy.withSamples { tiyy in
        t.ixz.withSamples { tixz in t.iyz.withSamples { tiyz in t.inside.withSamples { tin in
        for _ in 0..<p.refinementIterations {
            // Robust weights frozen at the current increment.
            Parallel.forChunks(h, threads: threads) { rows in
                for y in rows {
                    for x in 0..<w {
                        let k = y * w + x
                        let ix = tix[k], iy = tiy[k], ixx = tixx[k], ixy = tixy[k], iyy = tiyy[k]
                        let iz = tiz[k], ixz = tixz[k], iyz = tiyz[k]
                        let d = du[k], e = dv[k], on = tin[k]
                        let nD = 1 / (ix * ix + iy * iy + zeta2)
                        let rD = iz + ix * d + iy * e
                        let wD = on * delta * nD / (nD * rD * rD + eps2).squareRoot()
                        let nX = 1 / (ixx * ixx + ixy * ixy + zeta2), nY = 1 / (ixy * ixy + iyy * iyy + zeta2)
                        let rX = ixz + ixx * d + ixy * e, rY = iyz + ixy * d + iyy * e
                        let wG = on * gamma / (nX * rX * rX + nY * rY * rY + eps2).squareRoot()
                        let gX = wG * nX, gY = wG * nY
                        a11[k] = wD * ix * ix + gX * ixx * ixx + gY * ixy * ixy
                        a12[k] = wD * ix * iy + gX * ixx * ixy + gY * ixy * iyy
                        a22[k] = wD * iy * iy + gX * ixy * ixy + gY * iyy * iyy
                        b1[k] = -(wD * iz * ix + gX * ixz * ixx + gY * iyz * ixy)
                        b2[k] = -(wD * iz * iy + gX * ixz * ixy + gY * iyz * iyy)
                        let uc = fu[k] + d, vc = fv[k] + e
                        var ux: Float = 0, uy: Float = 0, vx: Float = 0, vy: Float = 0
                        if x + 1 < w { ux = fu[k + 1] + du[k + 1] - uc; vx = fv[k + 1] + dv[k + 1] - vc }
                        if y + 1 < h { uy = fu[k + w] + du[k + w] - uc; vy = fv[k + w] + dv[k + w] - vc }
                        ws[k] = alpha / (ux * ux + uy * uy + vx * vx + vy * vy + eps2).squareRoot()
                    }
                }
            }
            for _ in 0..<p.sorIterations {
                for colour in 0..<2 {
                    Parallel.forChunks(h, threads: threads) { rows in
                        for y in rows {
                            var x = (y + colour) & 1
                            while x < w {
                                let k = y * w + x
                                var sw: Float = 0, su: Float = 0, sv: Float = 0
                                if x > 0 { let q = ws[k - 1]; sw += q; su += q * (fu[k - 1] + du[k - 1]); sv += q * (fv[k - 1] + dv[k - 1]) }
                                if x + 1 < w { let q = ws[k]; sw += q; su += q * (fu[k + 1] + du[k + 1]); sv += q * (fv[k + 1] + dv[k + 1]) }
                                if y > 0 { let q = ws[k - w]; sw += q; su += q * (fu[k - w] + du[k - w]); sv += q * (fv[k - w] + dv[k - w]) }
                                if y + 1 < h { let q = ws[k]; sw += q; su += q * (fu[k + w] + du[k + w]); sv += q * (fv[k + w] + dv[k + w]) }
                                su -= sw * fu[k]
                                sv -= sw * fv[k]
                                let du1 = a11[k] + sw > 0 ? (1 - omega) * du[k] + omega * (b1[k] + su - a12[k] * dv[k]) / (a11[k] + sw) : du[k]
                                let dv1 = a22[k] + sw > 0 ? (1 - omega) * dv[k] + omega * (b2[k] + sv - a12[k] * du1) / (a22[k] + sw) : dv[k]
                                du[k] = du1
                                dv[k] = dv1
                                x += 2
                            }
                        }
                    }
                }
            }
        }
        } } } } } } } } } } }
        var out = flow
        for k in 0..<n {
            out.u.data[k] += du[k]
            out.v.data[k] += dv[k]
        }
        return out
    }
}
