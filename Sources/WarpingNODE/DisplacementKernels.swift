import Raster

/// The per-pixel loops behind deformations and integrators, on contiguous `Float` planes, rows
/// split across threads. Positions are in pixels of the grid; samples are bilinear with edges
/// clamped (`Plane.bilinear`).
enum DisplacementKernels {
    /// One classical Runge-Kutta step of length `h` of every trajectory x + d(x) through the
    /// velocity (vu, vv), stationary when `acceleration` is nil, else the time-varying field
    /// v(x, τ) = velocity(x) + (τ − ½)·acceleration(x) with the step starting at time `time`.
    static func rk4Step(_ d: Deformation, velocity: Deformation, acceleration: Deformation? = nil, time: Float = 0.5,
                        h: Float, threads: Int) -> Deformation {
        let w = d.width, hh = d.height
        guard w > 0, hh > 0 else { return d }
        var ou = Plane(width: w, height: hh), ov = Plane(width: w, height: hh)
        // A zero acceleration stands in for none, so one loop serves both.
        let accel = acceleration ?? Deformation(identityWidth: w, height: hh)
        let accelerated: Float = acceleration == nil ? 0 : 1
        velocity.u.withSamples { vu in
        velocity.v.withSamples { vv in
        accel.u.withSamples { au in
        accel.v.withSamples { av in
            d.u.withSamples { iu in
                d.v.withSamples { iv in
                    ou.withMutableSamples { du in
                        ov.withMutableSamples { dv in
                            Parallel.forChunks(hh, threads: Parallel.workers(for: w * hh, threads: threads, grain: 4096)) { rows in
                                // One bilinear cell serves the velocity and the acceleration.
                                @inline(__always) func vel(_ x: Float, _ y: Float, _ tau: Float) -> (Float, Float) {
                                    let fx = x >= 0 ? min(x, Float(w - 1)) : 0, fy = y >= 0 ? min(y, Float(hh - 1)) : 0
                                    let x0 = min(Int(fx), w - 1), y0 = min(Int(fy), hh - 1)
                                    let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, hh - 1)
                                    let ax = fx - Float(x0), ay = fy - Float(y0)
                                    let i00 = y0 * w + x0, i01 = y0 * w + x1, i10 = y1 * w + x0, i11 = y1 * w + x1
                                    @inline(__always) func at(_ p: UnsafePointer<Float>) -> Float {
                                        let top = p[i00] + ax * (p[i01] - p[i00]), bottom = p[i10] + ax * (p[i11] - p[i10])
                                        return top + ay * (bottom - top)
                                    }
                                    let s = accelerated * (tau - 0.5)
                                    if s == 0 { return (at(vu), at(vv)) }
                                    return (at(vu) + s * at(au), at(vv) + s * at(av))
                                }
                                let t0 = time, tm = time + 0.5 * h, t1 = time + h
                                for y in rows {
                                    for x in 0..<w {
                                        let i = y * w + x
                                        let px = Float(x) + iu[i], py = Float(y) + iv[i]
                                        let k1 = vel(px, py, t0)
                                        let k2 = vel(px + 0.5 * h * k1.0, py + 0.5 * h * k1.1, tm)
                                        let k3 = vel(px + 0.5 * h * k2.0, py + 0.5 * h * k2.1, tm)
                                        let k4 = vel(px + h * k3.0, py + h * k3.1, t1)
                                        du[i] = iu[i] + h / 6 * (k1.0 + 2 * k2.0 + 2 * k3.0 + k4.0)
                                        dv[i] = iv[i] + h / 6 * (k1.1 + 2 * k2.1 + 2 * k3.1 + k4.1)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }}}}
        return Deformation(validU: ou, v: ov)
    }

    /// The smallest Jacobian determinant of x + d(x) at pixel (x, y) over the four one-sided
    /// difference schemes (at the border, the missing side falls back to the other one).
    @inline(__always)
    static func minimumDeterminant(_ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, width w: Int, height h: Int, x: Int, y: Int) -> Float {
        let i = y * w + x
        let xr = x + 1 < w ? i + 1 : i, xl = x > 0 ? i - 1 : i
        let yd = y + 1 < h ? i + w : i, yu = y > 0 ? i - w : i
        // One-sided derivatives; at a border the missing side repeats the existing one.
        let uxF = x + 1 < w ? u[xr] - u[i] : u[i] - u[xl], uxB = x > 0 ? u[i] - u[xl] : uxF
        let vxF = x + 1 < w ? v[xr] - v[i] : v[i] - v[xl], vxB = x > 0 ? v[i] - v[xl] : vxF
        let uyF = y + 1 < h ? u[yd] - u[i] : u[i] - u[yu], uyB = y > 0 ? u[i] - u[yu] : uyF
        let vyF = y + 1 < h ? v[yd] - v[i] : v[i] - v[yu], vyB = y > 0 ? v[i] - v[yu] : vyF
        @inline(__always) func det(_ ux: Float, _ vx: Float, _ uy: Float, _ vy: Float) -> Float {
            (1 + ux) * (1 + vy) - uy * vx
        }
        return min(min(det(uxF, vxF, uyF, vyF), det(uxF, vxF, uyB, vyB)),
                   min(det(uxB, vxB, uyF, vyF), det(uxB, vxB, uyB, vyB)))
    }
}
