/// Bilinear sampling and backward warping of planes.
extension Plane {
    /// The bilinearly interpolated sample at (x, y) in pixels (sample centres at integers);
    /// positions outside the plane are clamped to the edge. Returns 0 for an empty plane.
    @inlinable public func bilinear(x: Float, y: Float) -> Float {
        guard width > 0, height > 0 else { return 0 }
        return data.withUnsafeBufferPointer { Plane.bilinear($0.baseAddress!, width: width, height: height, x: x, y: y) }
    }

    /// Bilinear sample of a `width × height` row-major buffer at (x, y), edges clamped: the
    /// one implementation behind `bilinear(x:y:)` and `warped(u:v:)`.
    @inlinable @inline(__always)
    public static func bilinear(_ s: UnsafePointer<Float>, width w: Int, height h: Int, x: Float, y: Float) -> Float {
        // `x >= 0 ? … : 0` rather than `max(x, 0)`: it also sends NaN (from a NaN flow vector,
        // e.g. read from a .flo file) to the first column/row, where `max` would let NaN reach
        // `Int()` below and trap (fuzz finding flo-1). ±inf clamp to the edges as before.
        let fx = x >= 0 ? min(x, Float(w - 1)) : 0, fy = y >= 0 ? min(y, Float(h - 1)) : 0
        let x0 = min(Int(fx), w - 1), y0 = min(Int(fy), h - 1)
        let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
        let ax = fx - Float(x0), ay = fy - Float(y0)
        let a = s[y0 * w + x0], b = s[y0 * w + x1]
        let c = s[y1 * w + x0], d = s[y1 * w + x1]
        let top = a + ax * (b - a), bottom = c + ax * (d - c)
        return top + ay * (bottom - top)
    }

    /// Backward warp: sample (x, y) of the result is this plane at (x + u(x,y), y + v(x,y)),
    /// bilinear, edges clamped. `u` and `v` are displacements in pixels, the size of this plane.
    /// Returns this plane unchanged if the sizes differ.
    public func warped(u: Plane, v: Plane, threads: Int = Parallel.defaultThreads) -> Plane {
        guard u.width == width, u.height == height, v.width == width, v.height == height, count > 0 else { return self }
        var out = Plane(width: width, height: height)
        let w = width, h = height
        withSamples { s in
            u.withSamples { up in
                v.withSamples { vp in
                    out.withMutableSamples { d in
                        Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: threads, grain: 8192)) { rows in
                            for y in rows {
                                for x in 0..<w {
                                    let i = y * w + x
                                    d[i] = Plane.bilinear(s, width: w, height: h, x: Float(x) + up[i], y: Float(y) + vp[i])
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
