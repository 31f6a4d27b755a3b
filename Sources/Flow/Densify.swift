import Raster

extension PatchSearch {
    /// Dense flow from the patch displacements: each pixel averages the displacements of the
    /// patches covering it, weighted by 1 / max(1, |I1(x + d) − I0(x)|) (intensities 0…255).
    /// Parallel over pixel rows (each worker writes only its rows), 8 pixels per SIMD step.
    func densify(xs: [Int], ys: [Int], pu: [Float], pv: [Float], padded: Plane) -> FlowField {
        let w = i0.width, h = i0.height, n = parameters.patchSize, stride = parameters.patchStride
        let wp = padded.width, hp = padded.height, b = border, nx = xs.count, ny = ys.count
        var out = FlowField(width: w, height: h)
        var weights = Plane(width: w, height: h)
        padded.withSamples { i1p in
            i0.withSamples { t0 in
                out.u.withMutableSamples { uo in
                    out.v.withMutableSamples { vo in
                        weights.withMutableSamples { wo in
                            Parallel.forChunks(h, threads: Parallel.workers(for: w * h, threads: parameters.threads, grain: 4096)) { rows in
                                for y in rows {
                                    let jLow = max(0, (y - n) / stride - 1), jHigh = min(ny - 1, y / stride + 1)
                                    let i0row = t0 + y * w, urow = uo + y * w, vrow = vo + y * w, wrow = wo + y * w
                                    for j in jLow...max(jLow, jHigh) where ys[j] <= y && y < ys[j] + n {
                                        for i in 0..<nx {
                                            let k = j * nx + i, u = pu[k], v = pv[k], x = xs[i]
                                            let fx = min(max(Float(x + b) + u, 0), Float(wp - n - 1))
                                            let fy = min(max(Float(y + b) + v, 0), Float(hp - 2))
                                            let x0 = Int(fx), y0 = Int(fy)
                                            let ax = fx - Float(x0), ay = fy - Float(y0)
                                            let w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay)
                                            let w10 = (1 - ax) * ay, w11 = ax * ay
                                            let top = i1p + y0 * wp + x0, bottom = top + wp
                                            var c = 0
                                            while c + 8 <= n {
                                                let s = w00 * PatchKernel.load(top + c) + w01 * PatchKernel.load(top + c + 1)
                                                    + w10 * PatchKernel.load(bottom + c) + w11 * PatchKernel.load(bottom + c + 1)
                                                let d = s - PatchKernel.load(i0row + x + c)
                                                let ad = d.replacing(with: -d, where: d .< 0)
                                                let wt = 1 / ad.replacing(with: 1, where: ad .< 1)
                                                let o = x + c
                                                UnsafeMutableRawPointer(urow + o).storeBytes(of: PatchKernel.load(urow + o) + wt * u, as: SIMD8<Float>.self)
                                                UnsafeMutableRawPointer(vrow + o).storeBytes(of: PatchKernel.load(vrow + o) + wt * v, as: SIMD8<Float>.self)
                                                UnsafeMutableRawPointer(wrow + o).storeBytes(of: PatchKernel.load(wrow + o) + wt, as: SIMD8<Float>.self)
                                                c += 8
                                            }
                                            while c < n {
                                                let s = w00 * top[c] + w01 * top[c + 1] + w10 * bottom[c] + w11 * bottom[c + 1]
                                                let wt = 1 / max(1, abs(s - i0row[x + c]))
                                                urow[x + c] += wt * u; vrow[x + c] += wt * v; wrow[x + c] += wt
                                                c += 1
                                            }
                                        }
                                    }
                                    for x in 0..<w where wrow[x] > 0 {
                                        let inv = 1 / wrow[x]
                                        urow[x] *= inv; vrow[x] *= inv
                                    }
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
