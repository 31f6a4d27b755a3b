/// Unsmoothed 5-point central differences, (1, −8, 0, 8, −1)/12 along x or y, edges replicated:
/// the derivative filter of variational flow methods (exact for polynomials up to degree 4).
extension Plane {
    /// Horizontal and vertical derivatives (intensity per pixel) by the 5-point stencil.
    /// Interior samples vectorised; rows split across `threads` workers.
    public func derivatives5(threads: Int = Parallel.defaultThreads) -> (dx: Plane, dy: Plane) {
        derivatives5Impl(threads: threads, simd: true)
    }

    /// Scalar reference of `derivatives5()`, for tests.
    public func derivatives5Scalar() -> (dx: Plane, dy: Plane) { derivatives5Impl(threads: 1, simd: false) }

    func derivatives5Impl(threads: Int, simd: Bool) -> (dx: Plane, dy: Plane) {
        let w = width, h = height
        guard count > 0 else { return (self, self) }
        var dx = Plane(width: 0, height: 0), dy = Plane(width: 0, height: 0)
        let c1: Float = 8.0 / 12.0, c2: Float = 1.0 / 12.0
        withSamples { s in
            dx = Plane(width: w, height: h) { ox in
                Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: threads)) { rows in
                    for y in rows {
                        let r = s + y * w, o = ox + y * w
                        @inline(__always) func at(_ x: Int) -> Float { r[min(max(x, 0), w - 1)] }
                        var x = 0
                        if simd && w >= 12 {
                            while x < 2 { o[x] = c1 * (at(x + 1) - at(x - 1)) - c2 * (at(x + 2) - at(x - 2)); x += 1 }
                            while x + 8 <= w - 2 {
                                @inline(__always) func ld(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
                                    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
                                }
                                let v = c1 * (ld(r + x + 1) - ld(r + x - 1)) - c2 * (ld(r + x + 2) - ld(r + x - 2))
                                UnsafeMutableRawPointer(o + x).storeBytes(of: v, as: SIMD8<Float>.self)
                                x += 8
                            }
                        }
                        while x < w { o[x] = c1 * (at(x + 1) - at(x - 1)) - c2 * (at(x + 2) - at(x - 2)); x += 1 }
                    }
                }
            }
            dy = Plane(width: w, height: h) { oy in
                Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: threads)) { rows in
                    for y in rows {
                        let m2 = s + max(y - 2, 0) * w, m1 = s + max(y - 1, 0) * w
                        let p1 = s + min(y + 1, h - 1) * w, p2 = s + min(y + 2, h - 1) * w
                        let o = oy + y * w
                        var x = 0
                        if simd {
                            while x + 8 <= w {
                                @inline(__always) func ld(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
                                    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
                                }
                                let v = c1 * (ld(p1 + x) - ld(m1 + x)) - c2 * (ld(p2 + x) - ld(m2 + x))
                                UnsafeMutableRawPointer(o + x).storeBytes(of: v, as: SIMD8<Float>.self)
                                x += 8
                            }
                        }
                        while x < w { o[x] = c1 * (p1[x] - m1[x]) - c2 * (p2[x] - m2[x]); x += 1 }
                    }
                }
            }
        }
        return (dx, dy)
    }
}
