/// Spatial image gradients (3×3 Sobel divided by 8, i.e. intensity change per pixel), edges replicated.
extension Plane {
    /// Horizontal and vertical derivatives in intensity per pixel: the Sobel operator / 8, so a
    /// ramp of slope s gives exactly s. Interior rows vectorised; rows split across `threads`.
    public func gradients(threads: Int = Parallel.defaultThreads) -> (gx: Plane, gy: Plane) {
        gradientsImpl(threads: threads, simd: true)
    }

    /// Scalar reference of `gradients()`, for tests.
    public func gradientsScalar() -> (gx: Plane, gy: Plane) { gradientsImpl(threads: 1, simd: false) }

    func gradientsImpl(threads: Int, simd: Bool) -> (gx: Plane, gy: Plane) {
        let w = width, h = height
        var gx = Plane(width: w, height: h), gy = Plane(width: w, height: h)
        guard count > 0 else { return (gx, gy) }
        withSamples { s in
            gx.withMutableSamples { ox in
                gy.withMutableSamples { oy in
                    Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: threads)) { rows in
                        for y in rows {
                            let up = s + max(y - 1, 0) * w, mid = s + y * w, dn = s + min(y + 1, h - 1) * w
                            let dx = ox + y * w, dy = oy + y * w
                            @inline(__always) func scalar(_ x: Int) {
                                let xl = max(x - 1, 0), xr = min(x + 1, w - 1)
                                let vr = up[xr] + 2 * mid[xr] + dn[xr], vl = up[xl] + 2 * mid[xl] + dn[xl]
                                let hd = dn[xl] + 2 * dn[x] + dn[xr], hu = up[xl] + 2 * up[x] + up[xr]
                                dx[x] = (vr - vl) * 0.125
                                dy[x] = (hd - hu) * 0.125
                            }
                            var x = 0
                            if simd && w >= 10 {
                                scalar(0)
                                x = 1
                                while x + 8 <= w - 1 {
                                    @inline(__always) func ld(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
                                        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
                                    }
                                    let ul = ld(up + x - 1), uc = ld(up + x), ur = ld(up + x + 1)
                                    let ml = ld(mid + x - 1), mr = ld(mid + x + 1)
                                    let dl = ld(dn + x - 1), dc = ld(dn + x), dr = ld(dn + x + 1)
                                    let vx = ((ur + 2 * mr + dr) - (ul + 2 * ml + dl)) * 0.125
                                    let vy = ((dl + 2 * dc + dr) - (ul + 2 * uc + ur)) * 0.125
                                    UnsafeMutableRawPointer(dx + x).storeBytes(of: vx, as: SIMD8<Float>.self)
                                    UnsafeMutableRawPointer(dy + x).storeBytes(of: vy, as: SIMD8<Float>.self)
                                    x += 8
                                }
                            }
                            while x < w { scalar(x); x += 1 }
                        }
                    }
                }
            }
        }
        return (gx, gy)
    }
}
