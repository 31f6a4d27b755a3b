import Raster

/// The vectorised solver of `VariationalRefinement`. Pixels are split by colour (red: x + y even,
/// black: odd) into two half-width arrays per quantity, so a red-black SOR pass reads and writes
/// only what it needs with contiguous SIMD8 loads (the neighbours of a red pixel are black, at the
/// same half-index or one off). Rows carry a zero border so no step branches; edges that leave
/// the image have weight 0. Unknowns are the increments (du, dv); the fixed part of the flow is
/// folded into the right-hand side once per fixed-point iteration.
extension VariationalRefinement {
    /// Rows of overlap each band solves beyond its own rows, so bands solved independently
    /// agree with a global solve to well under 0.01 px at their seams.
    static let bandHalo = 8

    /// The refined flow (SIMD). With several workers the image is cut into horizontal bands,
    /// each solved on its own (one dispatch per level, not one per sweep) over its rows plus
    /// `bandHalo` rows of overlap, keeping only its own rows.
    func refine(_ flow: FlowField) -> FlowField {
        let p = parameters, w = flow.width, h = flow.height
        guard w > 1, h > 1, p.refinementIterations > 0 else { return refineScalar(flow) }
        let t = terms(for: flow)
        let workers = Parallel.workers(for: w * h, threads: p.threads, grain: 4096)
        var out = flow
        out.u.withMutableSamples { ou in
            out.v.withMutableSamples { ov in
                Parallel.forChunks(h, threads: workers) { rows in
                    let lo = max(0, rows.lowerBound - VariationalRefinement.bandHalo)
                    let hi = min(h, rows.upperBound + VariationalRefinement.bandHalo)
                    solveBand(t, flow, rows: lo..<hi, keep: rows, u: ou, v: ov)
                }
            }
        }
        return out
    }

    /// Solves rows `rows` (at least 2) and adds the increments of rows `keep` to `u`, `v`.
    func solveBand(_ t: Terms, _ flow: FlowField, rows: Range<Int>, keep: Range<Int>,
                   u outU: UnsafeMutablePointer<Float>, v outV: UnsafeMutablePointer<Float>) {
        let p = parameters, w = flow.width, h = rows.count, top = rows.lowerBound
        let half = (w + 1) / 2, chunks = (half + 7) / 8
        let hs = chunks * 8 + 2, size = hs * (h + 2)
        // Slots; each holds one array per colour.
        let slotCount = 25
        let block = UnsafeMutablePointer<Float>.allocate(capacity: slotCount * 2 * size)
        defer { block.deallocate() }
        // Only the borders need zeros (every interior sample is written before it is read);
        // the unknowns start at zero everywhere.
        for array in 0..<(slotCount * 2) {
            let a = block + array * size
            a.initialize(repeating: 0, count: hs)
            (a + (h + 1) * hs).initialize(repeating: 0, count: hs)
            for y in 1...h {
                a[y * hs] = 0
                (a + y * hs + half).initialize(repeating: 0, count: hs - half)
            }
        }
        @inline(__always) func pick(_ s: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>), _ c: Int) -> UnsafeMutablePointer<Float> {
            c == 0 ? s.0 : s.1
        }
        func slot(_ s: Int) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
            (block + (2 * s) * size, block + (2 * s + 1) * size)
        }
        let u0 = slot(0), v0 = slot(1), ix = slot(2), iy = slot(3), iz = slot(4), ixx = slot(5), ixy = slot(6)
        let iyy = slot(7), ixz = slot(8), iyz = slot(9), on = slot(10), nd = slot(11), nx = slot(12), ny = slot(13)
        let kd = slot(14), kg = slot(15), du = slot(16), dv = slot(17), we = slot(18), ws = slot(19)
        for c in 0..<2 {
            pick(du, c).update(repeating: 0, count: size)
            pick(dv, c).update(repeating: 0, count: size)
        }
        // a11/a22 become ω/(a + Σw) and b1/b2 the full right-hand side once edge weights are known.
        let a11 = slot(20), a12 = slot(21), a22 = slot(22), b1 = slot(23), b2 = slot(24)
        // Split the inputs by colour: pixel (x, y) goes to colour (x + y) & 1 at half-index x / 2.
        let inputs: [(Plane, (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>))] = [
            (flow.u, u0), (flow.v, v0), (t.ix, ix), (t.iy, iy), (t.iz, iz), (t.ixx, ixx), (t.ixy, ixy),
            (t.iyy, iyy), (t.ixz, ixz), (t.iyz, iyz), (t.inside, on),
        ]
        for (plane, dst) in inputs {
            plane.withSamples { src in
                for y in 0..<h {
                    let row = src + (y + top) * w, base = (y + 1) * hs + 1
                    let even = pick(dst, y & 1) + base, odd = pick(dst, 1 - (y & 1)) + base
                    var x = 0
                    while x + 1 < w { even[x >> 1] = row[x]; odd[x >> 1] = row[x + 1]; x += 2 }
                    if x < w { even[x >> 1] = row[x] }
                }
            }
        }
        let alpha = p.smoothnessWeight, gamma = p.gradientWeight, delta = p.intensityWeight
        let eps2 = VariationalRefinement.epsilon * VariationalRefinement.epsilon
        let zeta2 = VariationalRefinement.zeta * VariationalRefinement.zeta
        let omega = p.sorOmega
        typealias V8 = SIMD8<Float>
        @inline(__always) func ld(_ q: UnsafeMutablePointer<Float>) -> V8 { UnsafeRawPointer(q).loadUnaligned(as: V8.self) }
        @inline(__always) func st(_ v: V8, _ q: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(q).storeBytes(of: v, as: V8.self) }
        let lane = V8(0, 1, 2, 3, 4, 5, 6, 7), zero = V8(repeating: 0)
        /// 1/√x for x > 0: bit-trick estimate and one Newton step (relative error < 2e-3, ample
        /// for robust weights; the scalar reference's exact weights agree to < 1e-3 px of flow),
        /// much cheaper than a square root and a division on 8 lanes.
        @inline(__always) func rsqrt(_ x: V8) -> V8 {
            var y = unsafeBitCast(SIMD8<UInt32>(repeating: 0x5f37_59df) &- (unsafeBitCast(x, to: SIMD8<UInt32>.self) &>> 1), to: V8.self)
            let half = 0.5 * x
            y = y * (1.5 - half * y * y)
            return y
        }
        /// Calls `body(c, y, q, k, i)` for every colour, row and 8-lane chunk.
        @inline(__always) func sweep(colours: [Int], _ body: (Int, Int, Int, Int, Int) -> Void) {
            for c in colours {
                for y in 0..<h {
                    let q = (y + c) & 1
                    for chunk in 0..<chunks { body(c, y, q, (y + 1) * hs + chunk * 8 + 1, chunk * 8) }
                }
            }
        }
        // Fixed per level: gradient normalisations and term weights (0 where frame 1 is left).
        sweep(colours: [0, 1]) { c, _, _, k, _ in
            let gx = ld(pick(ix, c) + k), gy = ld(pick(iy, c) + k), gxx = ld(pick(ixx, c) + k)
            let gxy = ld(pick(ixy, c) + k), gyy = ld(pick(iyy, c) + k), inside = ld(pick(on, c) + k)
            let n = 1 / (gx * gx + gy * gy + zeta2)
            st(n, pick(nd, c) + k)
            st(inside * delta * n, pick(kd, c) + k)
            st(inside * gamma, pick(kg, c) + k)
            st(1 / (gxx * gxx + gxy * gxy + zeta2), pick(nx, c) + k)
            st(1 / (gxy * gxy + gyy * gyy + zeta2), pick(ny, c) + k)
        }
        // Robust weights and normal-equation coefficients of one row, frozen for the SOR sweeps.
        // Every row function resolves its colour's arrays once and then walks the row's chunks.
        @inline(__always) func weightsRow(_ c: Int, _ y: Int) {
            let o = 1 - c, q = (y + c) & 1, base = (y + 1) * hs + 1
            let pix = pick(ix, c) + base, piy = pick(iy, c) + base, pixx = pick(ixx, c) + base
            let pixy = pick(ixy, c) + base, piyy = pick(iyy, c) + base
            let piz = pick(iz, c) + base, pixz = pick(ixz, c) + base, piyz = pick(iyz, c) + base
            let pdu = pick(du, c) + base, pdv = pick(dv, c) + base, pnx = pick(nx, c) + base, pny = pick(ny, c) + base
            let pkd = pick(kd, c) + base, pnd = pick(nd, c) + base, pkg = pick(kg, c) + base
            let pa11 = pick(a11, c) + base, pa12 = pick(a12, c) + base, pa22 = pick(a22, c) + base
            let pb1 = pick(b1, c) + base, pb2 = pick(b2, c) + base
            let pu0 = pick(u0, c) + base, pv0 = pick(v0, c) + base
            let ou0 = pick(u0, o) + base + q, ov0 = pick(v0, o) + base + q
            let odu = pick(du, o) + base + q, odv = pick(dv, o) + base + q
            let su0 = pick(u0, o) + base + hs, sv0 = pick(v0, o) + base + hs
            let sdu = pick(du, o) + base + hs, sdv = pick(dv, o) + base + hs
            let pwe = pick(we, c) + base, pws = pick(ws, c) + base
            let hasSouth = y + 1 < h
            let rowLength = Float((w - q + 1) / 2), eastLength = Float((w - q) / 2)
            for chunk in 0..<chunks {
                let k = chunk * 8
                let iv = lane + Float(k)
                let inRow = iv .< rowLength, eastOK = iv .< eastLength
                let gx = ld(pix + k), gy = ld(piy + k), gxx = ld(pixx + k)
                let gxy = ld(pixy + k), gyy = ld(piyy + k)
                let tz = ld(piz + k), txz = ld(pixz + k), tyz = ld(piyz + k)
                let d = ld(pdu + k), e = ld(pdv + k)
                let nX = ld(pnx + k), nY = ld(pny + k)
                let rD = tz + gx * d + gy * e
                let wD = ld(pkd + k) * rsqrt(ld(pnd + k) * rD * rD + eps2)
                let rX = txz + gxx * d + gxy * e, rY = tyz + gxy * d + gyy * e
                let wG = ld(pkg + k) * rsqrt(nX * rX * rX + nY * rY * rY + eps2)
                let gX = wG * nX, gY = wG * nY
                st(wD * gx * gx + gX * gxx * gxx + gY * gxy * gxy, pa11 + k)
                st(wD * gx * gy + gX * gxx * gxy + gY * gxy * gyy, pa12 + k)
                st(wD * gy * gy + gX * gxy * gxy + gY * gyy * gyy, pa22 + k)
                st(-(wD * tz * gx + gX * txz * gxx + gY * tyz * gxy), pb1 + k)
                st(-(wD * tz * gy + gX * txz * gxy + gY * tyz * gyy), pb2 + k)
                let uc = ld(pu0 + k) + d, vc = ld(pv0 + k) + e
                let ux = (ld(ou0 + k) + ld(odu + k) - uc).replacing(with: zero, where: .!eastOK)
                let vx = (ld(ov0 + k) + ld(odv + k) - vc).replacing(with: zero, where: .!eastOK)
                var uy = zero, vy = zero
                if hasSouth {
                    uy = ld(su0 + k) + ld(sdu + k) - uc
                    vy = ld(sv0 + k) + ld(sdv + k) - vc
                }
                let wsm = alpha * rsqrt(ux * ux + uy * uy + vx * vx + vy * vy + eps2)
                st(wsm.replacing(with: zero, where: .!eastOK), pwe + k)
                st(hasSouth ? wsm.replacing(with: zero, where: .!inRow) : zero, pws + k)
            }
        }
        // Fold the edge weights into the coefficients (needs the neighbours' weights).
        @inline(__always) func foldRow(_ c: Int, _ y: Int) {
            let o = 1 - c, q = (y + c) & 1, base = (y + 1) * hs + 1
            let west = base - 1 + q, east = base + q, north = base - hs, south = base + hs
            let oWe = pick(we, o), oWs = pick(ws, o), ou0 = pick(u0, o), ov0 = pick(v0, o)
            let pwe = pick(we, c) + base, pws = pick(ws, c) + base
            let pa11 = pick(a11, c) + base, pa22 = pick(a22, c) + base, pb1 = pick(b1, c) + base, pb2 = pick(b2, c) + base
            let pu0 = pick(u0, c) + base, pv0 = pick(v0, c) + base
            for chunk in 0..<chunks {
                let k = chunk * 8
                let wW = ld(oWe + west + k), wE = ld(pwe + k), wN = ld(oWs + north + k), wS = ld(pws + k)
                let sw = wW + wE + wN + wS
                let raw1 = ld(pa11 + k) + sw, raw2 = ld(pa22 + k) + sw
                st(omega / raw1.replacing(with: 1e-12, where: raw1 .< 1e-12), pa11 + k)
                st(omega / raw2.replacing(with: 1e-12, where: raw2 .< 1e-12), pa22 + k)
                let su = wW * ld(ou0 + west + k) + wE * ld(ou0 + east + k) + wN * ld(ou0 + north + k) + wS * ld(ou0 + south + k)
                let sv = wW * ld(ov0 + west + k) + wE * ld(ov0 + east + k) + wN * ld(ov0 + north + k) + wS * ld(ov0 + south + k)
                st(ld(pb1 + k) + su - sw * ld(pu0 + k), pb1 + k)
                st(ld(pb2 + k) + sv - sw * ld(pv0 + k), pb2 + k)
            }
        }
        // One red-black SOR update of the pixels of one colour in one row.
        @inline(__always) func sorRow(_ c: Int, _ y: Int) {
            let o = 1 - c, q = (y + c) & 1, base = (y + 1) * hs + 1
            let west = base - 1 + q, east = base + q, north = base - hs, south = base + hs
            let oWe = pick(we, o), oWs = pick(ws, o), duo = pick(du, o), dvo = pick(dv, o)
            let pwe = pick(we, c) + base, pws = pick(ws, c) + base
            let pa11 = pick(a11, c) + base, pa12 = pick(a12, c) + base, pa22 = pick(a22, c) + base
            let pb1 = pick(b1, c) + base, pb2 = pick(b2, c) + base
            let pdu = pick(du, c) + base, pdv = pick(dv, c) + base
            let rowLength = (w - q + 1) / 2
            for chunk in 0..<chunks {
                let k = chunk * 8
                let wW = ld(oWe + west + k), wE = ld(pwe + k), wN = ld(oWs + north + k), wS = ld(pws + k)
                let su = wW * ld(duo + west + k) + wE * ld(duo + east + k) + wN * ld(duo + north + k) + wS * ld(duo + south + k)
                let sv = wW * ld(dvo + west + k) + wE * ld(dvo + east + k) + wN * ld(dvo + north + k) + wS * ld(dvo + south + k)
                let d = ld(pdu + k), e = ld(pdv + k), m12 = ld(pa12 + k)
                var d1 = (1 - omega) * d + (ld(pb1 + k) + su - m12 * e) * ld(pa11 + k)
                var e1 = (1 - omega) * e + (ld(pb2 + k) + sv - m12 * d1) * ld(pa22 + k)
                if k + 8 > rowLength {
                    let inRow = (lane + Float(k)) .< Float(rowLength)
                    d1 = d.replacing(with: d1, where: inRow)
                    e1 = e.replacing(with: e1, where: inRow)
                }
                st(d1, pdu + k)
                st(e1, pdv + k)
            }
        }
        // Each fixed-point iteration is one wavefront over the rows: stage j (weights, fold, then
        // the 2·sorIterations half-sweeps) works on row r − 2j at step r. Every stage then sees
        // exactly the values the plain stage-after-stage order would give it (a half-sweep at row
        // y reads rows y ± 1 of the previous stage, which ran two rows ahead), while the rows in
        // flight stay in cache.
        let stages = 2 + 2 * p.sorIterations
        for _ in 0..<p.refinementIterations {
            for r in 0..<(h + 2 * (stages - 1)) {
                for j in 0..<stages {
                    let y = r - 2 * j
                    if y < 0 || y >= h { continue }
                    switch j {
                    case 0: weightsRow(0, y); weightsRow(1, y)
                    case 1: foldRow(0, y); foldRow(1, y)
                    default: sorRow((j - 2) & 1, y)
                    }
                }
            }
        }
        for (dst, inc) in [(outU, du), (outV, dv)] {
            for y in keep {
                let row = dst + y * w, base = (y - top + 1) * hs + 1
                let even = pick(inc, (y - top) & 1) + base, odd = pick(inc, 1 - ((y - top) & 1)) + base
                for x in 0..<w { row[x] += (x & 1 == 0 ? even : odd)[x >> 1] }
            }
        }
    }
}
