/// Resampling of whole planes: 2× area downsampling, image pyramids and bilinear resizing.
extension Plane {
    /// Half-size plane (⌊w/2⌋ × ⌊h/2⌋), each sample the mean of a 2×2 block (area filter,
    /// which also low-passes). SIMD over rows, rows split across `threads` workers.
    public func downsampled2x(threads: Int = Parallel.defaultThreads) -> Plane {
        downsample2x(threads: threads, simd: true)
    }

    /// Scalar reference of `downsampled2x`, for tests.
    public func downsampled2xScalar() -> Plane { downsample2x(threads: 1, simd: false) }

    func downsample2x(threads: Int, simd: Bool) -> Plane {
        let w2 = width / 2, h2 = height / 2, w = width
        var out = Plane(width: w2, height: h2)
        guard w2 > 0, h2 > 0 else { return out }
        withSamples { s in
            out.withMutableSamples { d in
                Parallel.forChunks(h2, threads: threads) { rows in
                    for y in rows {
                        let r0 = s + 2 * y * w, r1 = r0 + w, o = d + y * w2
                        var x = 0
                        if simd {
                            while x + 8 <= w2 {
                                let a = UnsafeRawPointer(r0 + 2 * x).loadUnaligned(as: SIMD16<Float>.self)
                                let b = UnsafeRawPointer(r1 + 2 * x).loadUnaligned(as: SIMD16<Float>.self)
                                let sum = a.evenHalf + a.oddHalf + b.evenHalf + b.oddHalf
                                UnsafeMutableRawPointer(o + x).storeBytes(of: sum * 0.25, as: SIMD8<Float>.self)
                                x += 8
                            }
                        }
                        while x < w2 {
                            o[x] = 0.25 * (r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1])
                            x += 1
                        }
                    }
                }
            }
        }
        return out
    }

    /// This plane resampled to `width × height` by bilinear interpolation, pixel centres aligned
    /// (sample (x, y) of the result reads ((x+½)·W/w − ½, (y+½)·H/h − ½) of this plane), edges clamped.
    /// Values are multiplied by `valueScale` (use the size ratio when resizing a flow component).
    public func resizedBilinear(width newWidth: Int, height newHeight: Int, valueScale: Float = 1,
                                threads: Int = Parallel.defaultThreads) -> Plane {
        var out = Plane(width: newWidth, height: newHeight)
        guard count > 0, newWidth > 0, newHeight > 0 else { return out }
        let sx = Float(width) / Float(newWidth), sy = Float(height) / Float(newHeight)
        let w = width, h = height
        withSamples { s in
            out.withMutableSamples { d in
                Parallel.forChunks(newHeight, threads: threads) { rows in
                    for y in rows {
                        let fy = min(max((Float(y) + 0.5) * sy - 0.5, 0), Float(h - 1))
                        let y0 = min(Int(fy), h - 1), y1 = min(y0 + 1, h - 1)
                        let ay = fy - Float(y0)
                        let r0 = s + y0 * w, r1 = s + y1 * w, o = d + y * newWidth
                        for x in 0..<newWidth {
                            let fx = min(max((Float(x) + 0.5) * sx - 0.5, 0), Float(w - 1))
                            let x0 = min(Int(fx), w - 1), x1 = min(x0 + 1, w - 1)
                            let ax = fx - Float(x0)
                            let top = r0[x0] + ax * (r0[x1] - r0[x0])
                            let bottom = r1[x0] + ax * (r1[x1] - r1[x0])
                            o[x] = (top + ay * (bottom - top)) * valueScale
                        }
                    }
                }
            }
        }
        return out
    }
}

/// A coarse-to-fine stack of planes: level 0 is the input, level k is 2^k times smaller
/// (2×2 area averaging between levels).
public struct ImagePyramid: Sendable {
    /// The levels, finest (the input) first.
    public let levels: [Plane]

    /// Builds `levelCount` levels (at least 1), stopping early when a side would drop below 1.
    public init(_ base: Plane, levelCount: Int, threads: Int = Parallel.defaultThreads) {
        var levels = [base]
        while levels.count < levelCount {
            let last = levels[levels.count - 1]
            if last.width < 2 || last.height < 2 { break }
            levels.append(last.downsampled2x(threads: threads))
        }
        self.levels = levels
    }
}
