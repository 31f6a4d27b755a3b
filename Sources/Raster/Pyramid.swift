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
        guard w2 > 0, h2 > 0 else { return Plane(width: w2, height: h2) }
        var out = Plane(width: 0, height: 0)
        withSamples { s in
            out = Plane(width: w2, height: h2) { d in
                Parallel.forChunks(h2, threads: Parallel.workers(for: w2 * h2, threads: threads)) { rows in
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
        guard count > 0, newWidth > 0, newHeight > 0 else { return Plane(width: newWidth, height: newHeight) }
        var out = Plane(width: 0, height: 0)
        let sx = Float(width) / Float(newWidth), sy = Float(height) / Float(newHeight)
        let w = width, h = height
        // Per-column source indices and weights, computed once (no per-pixel float→int work).
        var left = [Int](repeating: 0, count: newWidth), right = left
        var weight = [Float](repeating: 0, count: newWidth)
        for x in 0..<newWidth {
            let fx = min(max((Float(x) + 0.5) * sx - 0.5, 0), Float(w - 1))
            left[x] = min(Int(fx), w - 1)
            right[x] = min(left[x] + 1, w - 1)
            weight[x] = fx - Float(left[x])
        }
        let workers = Parallel.workers(for: newWidth * newHeight, threads: threads)
        withSamples { s in
            out = Plane(width: newWidth, height: newHeight) { d in
                left.withUnsafeBufferPointer { lb in right.withUnsafeBufferPointer { rb in weight.withUnsafeBufferPointer { wb in
                    Parallel.forChunks(newHeight, threads: workers) { rows in
                        // One vertically blended source row per output row, then a horizontal pass
                        // (SIMD for the exact 2× case: taps ¼, ¾ on even and odd outputs).
                        let blend = UnsafeMutablePointer<Float>.allocate(capacity: w)
                        defer { blend.deallocate() }
                        let twice = newWidth == 2 * w && w >= 18
                        for y in rows {
                            let fy = min(max((Float(y) + 0.5) * sy - 0.5, 0), Float(h - 1))
                            let y0 = min(Int(fy), h - 1), y1 = min(y0 + 1, h - 1)
                            let ay = fy - Float(y0), by = 1 - ay
                            let r0 = s + y0 * w, r1 = s + y1 * w, o = d + y * newWidth
                            var x = 0
                            while x + 8 <= w {
                                let top = UnsafeRawPointer(r0 + x).loadUnaligned(as: SIMD8<Float>.self)
                                let bottom = UnsafeRawPointer(r1 + x).loadUnaligned(as: SIMD8<Float>.self)
                                UnsafeMutableRawPointer(blend + x).storeBytes(of: (top * by + bottom * ay) * valueScale, as: SIMD8<Float>.self)
                                x += 8
                            }
                            while x < w { blend[x] = (r0[x] * by + r1[x] * ay) * valueScale; x += 1 }
                            if twice {
                                o[0] = blend[0]
                                var i = 1
                                while i + 9 <= w {
                                    let l = UnsafeRawPointer(blend + i - 1).loadUnaligned(as: SIMD8<Float>.self)
                                    let c = UnsafeRawPointer(blend + i).loadUnaligned(as: SIMD8<Float>.self)
                                    let r = UnsafeRawPointer(blend + i + 1).loadUnaligned(as: SIMD8<Float>.self)
                                    var pair = SIMD16<Float>()
                                    pair.evenHalf = 0.25 * l + 0.75 * c
                                    pair.oddHalf = 0.75 * c + 0.25 * r
                                    // Outputs 2i and 2i+1 for i … i+7, shifted by the first output.
                                    UnsafeMutableRawPointer(o + 2 * i).storeBytes(of: pair, as: SIMD16<Float>.self)
                                    i += 8
                                }
                                // Output 1 (i = 0, odd) and the tail, with the general formula.
                                var xo = 1
                                while xo < newWidth {
                                    if xo >= 2 && xo < 2 * i { xo = 2 * i; continue }
                                    let l = lb[xo], r = rb[xo], a = wb[xo]
                                    o[xo] = blend[l] + a * (blend[r] - blend[l])
                                    xo += 1
                                }
                            } else {
                                for x in 0..<newWidth {
                                    let l = lb[x], r = rb[x], a = wb[x]
                                    o[x] = blend[l] + a * (blend[r] - blend[l])
                                }
                            }
                        }
                    }
                } } }
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
