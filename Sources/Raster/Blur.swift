import Foundation

/// Separable Gaussian blur of a `Plane` (edges replicated), SIMD over rows with a scalar reference.
extension Plane {
    /// Normalised Gaussian taps for standard deviation `sigma` (pixels), radius ⌈3σ⌉ clamped
    /// to 1…`maximumKernelRadius`. A `sigma` that is not finite and positive gives `[1]`
    /// (the identity).
    public static func gaussianKernel(sigma: Float) -> [Float] {
        guard sigma > 0, sigma.isFinite else { return [1] }
        // Clamped as a Float first: Int(_:) traps on values beyond Int.
        let radius = Int(min(max((3 * sigma).rounded(.up), 1), Float(maximumKernelRadius)))
        var taps = (-radius...radius).map { i -> Float in
            let x = Float(i)
            return Float(exp(Double(-x * x / (2 * sigma * sigma))))
        }
        let total = taps.reduce(0, +)
        for i in taps.indices { taps[i] /= total }
        return taps
    }

    /// The largest radius `gaussianKernel(sigma:)` returns (σ up to about 21 845 px is exact).
    public static let maximumKernelRadius = 65_536

    /// This plane blurred by a Gaussian of standard deviation `sigma` pixels (edges replicated),
    /// rows processed in parallel on `threads` workers, 8 samples per SIMD step. A `sigma` that
    /// is not finite and positive leaves the plane unchanged.
    public func blurred(sigma: Float, threads: Int = Parallel.defaultThreads) -> Plane {
        guard sigma > 0, sigma.isFinite, count > 0 else { return self }
        let taps = Plane.gaussianKernel(sigma: sigma)
        return convolvedSeparable(taps: taps, threads: threads, simd: true)
    }

    /// Scalar reference of `blurred(sigma:)`, for tests.
    public func blurredScalar(sigma: Float) -> Plane {
        guard sigma > 0, sigma.isFinite, count > 0 else { return self }
        return convolvedSeparable(taps: Plane.gaussianKernel(sigma: sigma), threads: 1, simd: false)
    }

    /// Convolves rows then columns with the odd-length symmetric kernel `taps`, edges replicated.
    func convolvedSeparable(taps: [Float], threads: Int, simd: Bool) -> Plane {
        let w = width, h = height, r = taps.count / 2
        var tmp = Plane(width: w, height: h)
        var out = Plane(width: w, height: h)
        taps.withUnsafeBufferPointer { tb in
            guard let k = tb.baseAddress else { return }
            withSamples { src in
                tmp.withMutableSamples { t in
                    // Horizontal pass: interior columns vectorised, the r-wide margins clamp.
                    Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: threads)) { rows in
                        for y in rows {
                            let s = src + y * w, d = t + y * w
                            var x = 0
                            if simd {
                                while x < r && x < w { d[x] = Plane.tapRowClamped(s, w, x, k, r); x += 1 }
                                while x + 8 <= w - r {
                                    var acc = SIMD8<Float>(repeating: 0)
                                    for i in 0...(2 * r) {
                                        acc += UnsafeRawPointer(s + x - r + i).loadUnaligned(as: SIMD8<Float>.self) * k[i]
                                    }
                                    UnsafeMutableRawPointer(d + x).storeBytes(of: acc, as: SIMD8<Float>.self)
                                    x += 8
                                }
                            }
                            while x < w { d[x] = Plane.tapRowClamped(s, w, x, k, r); x += 1 }
                        }
                    }
                }
            }
            tmp.withSamples { t in
                out.withMutableSamples { d in
                    // Vertical pass: whole rows, rows above/below clamped to the edge.
                    Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: threads)) { rows in
                        for y in rows {
                            let drow = d + y * w
                            var x = 0
                            if simd {
                                while x + 8 <= w {
                                    var acc = SIMD8<Float>(repeating: 0)
                                    for i in 0...(2 * r) {
                                        let yy = min(max(y - r + i, 0), h - 1)
                                        acc += UnsafeRawPointer(t + yy * w + x).loadUnaligned(as: SIMD8<Float>.self) * k[i]
                                    }
                                    UnsafeMutableRawPointer(drow + x).storeBytes(of: acc, as: SIMD8<Float>.self)
                                    x += 8
                                }
                            }
                            while x < w {
                                var acc: Float = 0
                                for i in 0...(2 * r) {
                                    let yy = min(max(y - r + i, 0), h - 1)
                                    acc += t[yy * w + x] * k[i]
                                }
                                drow[x] = acc
                                x += 1
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    @inline(__always)
    static func tapRowClamped(_ s: UnsafePointer<Float>, _ w: Int, _ x: Int, _ k: UnsafePointer<Float>, _ r: Int) -> Float {
        var acc: Float = 0
        for i in 0...(2 * r) {
            let xx = min(max(x - r + i, 0), w - 1)
            acc += s[xx] * k[i]
        }
        return acc
    }
}

extension Plane {
    /// Mean over the (2r+1)×(2r+1) box around each sample (edges replicated), by running sums
    /// along rows then columns: O(1) per sample whatever the radius.
    public func boxFiltered(radius r: Int) -> Plane {
        guard r > 0, count > 0 else { return self }
        let w = width, h = height
        let norm = 1 / Float(2 * r + 1)
        var rowsDone = Plane(width: w, height: h)
        for y in 0..<h {
            let base = y * w
            var sum: Float = 0
            for k in -r...r { sum += data[base + min(max(k, 0), w - 1)] }
            for x in 0..<w {
                rowsDone.data[base + x] = sum * norm
                sum += data[base + min(x + r + 1, w - 1)] - data[base + max(x - r, 0)]
            }
        }
        var out = Plane(width: w, height: h)
        for x in 0..<w {
            var sum: Float = 0
            for k in -r...r { sum += rowsDone.data[min(max(k, 0), h - 1) * w + x] }
            for y in 0..<h {
                out.data[y * w + x] = sum * norm
                sum += rowsDone.data[min(y + r + 1, h - 1) * w + x] - rowsDone.data[max(y - r, 0) * w + x]
            }
        }
        return out
    }
}
