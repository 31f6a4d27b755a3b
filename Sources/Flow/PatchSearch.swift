import Raster

/// One pyramid level of DIS patch search: a grid of overlapping square patches of frame 0, each
/// aligned to frame 1 by inverse-compositional Gauss-Newton on a translation (the Hessian comes
/// from frame 0's gradients once per patch; each iteration only samples frame 1 bilinearly,
/// with the same 4 weights for the whole patch, 8 pixels per SIMD step), seeded from the coarser
/// level's flow and from neighbouring patches (spatial propagation); then densification: every
/// pixel averages the displacements of the patches covering it, weighted by 1 / max(1, |residual|).
struct PatchSearch {
    let i0: Plane, i1: Plane, gx: Plane, gy: Plane
    let parameters: FlowEstimator.Parameters
    /// Radius (pixels, this level) of an exhaustive integer search around each patch's seed
    /// before Gauss-Newton; used at the coarsest level to catch motion beyond the GN basin.
    var exhaustiveRadius = 0

    /// Border (pixels) of the replicated-edge copy of frame 1, so displaced patches can be read
    /// without per-pixel clamping.
    var border: Int { parameters.patchSize + 2 }

    /// Top-left corners along one axis: every `stride` pixels, the last patch flush with the edge.
    static func gridPositions(length: Int, patch: Int, stride: Int) -> [Int] {
        guard length > patch else { return [0] }
        var positions = Array(Swift.stride(from: 0, through: length - patch, by: stride))
        if let last = positions.last, last != length - patch { positions.append(length - patch) }
        return positions
    }

    /// Frame 1 with a replicated border of `border` pixels on every side.
    func paddedSecond() -> Plane {
        let b = border, w = i1.width, h = i1.height, wp = w + 2 * b, hp = h + 2 * b
        var out = Plane(width: wp, height: hp)
        i1.withSamples { s in
            out.withMutableSamples { d in
                Parallel.forChunks(hp, threads: Parallel.workers(for: wp * hp, threads: parameters.threads)) { rows in
                    for yp in rows {
                        let src = s + min(max(yp - b, 0), h - 1) * w, dst = d + yp * wp
                        for x in 0..<b { dst[x] = src[0]; dst[wp - 1 - x] = src[w - 1] }
                        (dst + b).update(from: src, count: w)
                    }
                }
            }
        }
        return out
    }

    /// Runs the search seeded by the dense `initial` flow (this level's size) and returns the
    /// densified flow.
    func run(initial: FlowField) -> FlowField {
        let p = parameters, size = p.patchSize
        let xs = PatchSearch.gridPositions(length: i0.width, patch: size, stride: p.patchStride)
        let ys = PatchSearch.gridPositions(length: i0.height, patch: size, stride: p.patchStride)
        let nx = xs.count, ny = ys.count
        var pu = [Float](repeating: 0, count: nx * ny), pv = pu
        let centre = Float(size - 1) / 2
        for j in 0..<ny {
            for i in 0..<nx {
                let d = initial.sample(x: Float(xs[i]) + centre, y: Float(ys[j]) + centre)
                pu[j * nx + i] = d.u
                pv[j * nx + i] = d.v
            }
        }
        let padded = paddedSecond()
        padded.withSamples { i1p in
            i0.withSamples { t0 in
                gx.withSamples { gxp in
                    gy.withSamples { gyp in
                        pu.withUnsafeMutableBufferPointer { ub in
                            pv.withUnsafeMutableBufferPointer { vb in
                                guard let up = ub.baseAddress, let vp = vb.baseAddress else { return }
                                let ctx = PatchKernel.Context(i1p: i1p, paddedWidth: padded.width, paddedHeight: padded.height,
                                                              border: border, i0: t0, gx: gxp, gy: gyp, width: i0.width, height: i0.height,
                                                              size: size, meanNormalization: p.meanNormalization)
                                // Coarse levels (under ~8k patch-iterations) stay in one band: spatial
                                // propagation does not cross band seams, and there large motions
                                // must spread over the whole level (a split cost 0.2 px EPE at 512×368).
                                Parallel.forChunks(ny, threads: Parallel.workers(for: nx * ny * max(1, p.gradientDescentIterations), threads: p.threads, grain: 8192)) { band in
                                    var kernel = PatchKernel(ctx)
                                    defer { kernel.release() }
                                    searchBand(band, xs: xs, ys: ys, u: up, v: vp, kernel: &kernel)
                                }
                            }
                        }
                    }
                }
            }
        }
        return densify(xs: xs, ys: ys, pu: pu, pv: pv, padded: padded)
    }

    /// Aligns the patches of patch rows `band` (sequentially, so propagation can use neighbours
    /// already processed within the band).
    func searchBand(_ band: Range<Int>, xs: [Int], ys: [Int], u: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                    kernel: inout PatchKernel) {
        let p = parameters, nx = xs.count
        let iterations = p.gradientDescentIterations
        if exhaustiveRadius > 0 {
            let r = exhaustiveRadius
            for j in band {
                for i in 0..<nx {
                    let k = j * nx + i
                    kernel.prepare(x: xs[i], y: ys[j])
                    let su = u[k].rounded(), sv = v[k].rounded()
                    var best = (u[k], v[k]), bestCost = kernel.cost(u: u[k], v: v[k])
                    for dy in -r...r {
                        for dx in -r...r {
                            let cu = su + Float(dx), cv = sv + Float(dy)
                            guard kernel.inFrame(u: cu, v: cv) else { continue }
                            let c = kernel.cost(u: cu, v: cv)
                            if c < bestCost { bestCost = c; best = (cu, cv) }
                        }
                    }
                    (u[k], v[k]) = best
                }
            }
        }
        guard p.spatialPropagation else {
            for j in band {
                for i in 0..<nx {
                    let k = j * nx + i
                    kernel.prepare(x: xs[i], y: ys[j])
                    (u[k], v[k]) = kernel.align(u: u[k], v: v[k], iterations: iterations)
                }
            }
            return
        }
        let firstHalf = iterations / 2
        // Patch constants computed in the forward sweep, reused by the backward one.
        var saved = [SIMD8<Float>](repeating: .zero, count: band.count * nx)
        // Forward sweep: candidates are the patch's own seed, its left and upper neighbours.
        for j in band {
            for i in 0..<nx {
                let k = j * nx + i
                kernel.prepare(x: xs[i], y: ys[j])
                saved[(j - band.lowerBound) * nx + i] = kernel.constants
                var best = (u[k], v[k]), bestCost = kernel.cost(u: u[k], v: v[k])
                if i > 0 {
                    if kernel.inFrame(u: u[k - 1], v: v[k - 1]) {
                        let c = kernel.cost(u: u[k - 1], v: v[k - 1])
                        if c < bestCost { bestCost = c; best = (u[k - 1], v[k - 1]) }
                    }
                }
                if j > band.lowerBound {
                    if kernel.inFrame(u: u[k - nx], v: v[k - nx]) {
                        let c = kernel.cost(u: u[k - nx], v: v[k - nx])
                        if c < bestCost { bestCost = c; best = (u[k - nx], v[k - nx]) }
                    }
                }
                let aligned = kernel.alignWithCost(u: best.0, v: best.1, iterations: firstHalf)
                (u[k], v[k]) = (aligned.u, aligned.v)
                // Lane 5 of the saved constants: the cost at the result, so the backward sweep
                // need not evaluate it again (negative: unknown).
                saved[(j - band.lowerBound) * nx + i][5] = aligned.cost ?? -1
            }
        }
        // Backward sweep: the patch's current value, its right and lower neighbours.
        for j in band.reversed() {
            for i in (0..<nx).reversed() {
                let k = j * nx + i
                let constants = saved[(j - band.lowerBound) * nx + i]
                kernel.restore(x: xs[i], y: ys[j], constants: constants)
                var best = (u[k], v[k])
                var bestCost = constants[5] >= 0 ? constants[5] : kernel.cost(u: u[k], v: v[k])
                if i + 1 < nx {
                    if kernel.inFrame(u: u[k + 1], v: v[k + 1]) {
                        let c = kernel.cost(u: u[k + 1], v: v[k + 1])
                        if c < bestCost { bestCost = c; best = (u[k + 1], v[k + 1]) }
                    }
                }
                if j + 1 < band.upperBound {
                    if kernel.inFrame(u: u[k + nx], v: v[k + nx]) {
                        let c = kernel.cost(u: u[k + nx], v: v[k + nx])
                        if c < bestCost { bestCost = c; best = (u[k + nx], v[k + nx]) }
                    }
                }
                (u[k], v[k]) = kernel.align(u: best.0, v: best.1, iterations: iterations - firstHalf)
            }
        }
    }
}
