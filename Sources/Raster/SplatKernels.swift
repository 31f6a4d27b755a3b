/// The optimised passes behind `Plane.splat` (forward warping). The scalar reference,
/// `Plane.splatScalar`, is written independently in Splatting.swift.
///
/// 1. Scores (SIMD): which source pixels land and their α·z; the largest score.
/// 2. Weights (SIMD exp), and a stable counting sort of the landing pixels by their top target
///    row ⌊y + v⌋ (per-worker histograms over source row chunks, so parallel and stable).
/// 3. Scatter: each worker owns a band of target rows (balanced by the number of pixels landing
///    in it) and walks it in tiles of a few rows; for a tile it splats the pixels of the buckets
///    that reach it into a small interleaved accumulator that stays in cache, then normalises
///    the tile into the output planes (one SIMD division per pixel). A target pixel sums the
///    pixels of bucket r − 1 then those of bucket r, in source order, whatever the bands and
///    tiles: the result does not depend on the thread count.
enum SplatKernels {
    /// Lower bound of the softmax exponent α·z − max(α·z): weights never fall below e^−50
    /// (≈ 2e−22), so a target reached only by low-importance pixels still gets their average,
    /// and `weight · holeThreshold` stays a normal Float.
    static let exponentFloor: Float = -50

    /// e^x for x in [`exponentFloor`, 0] (other finite x are clamped to that range): range
    /// reduction x = n·ln 2 + r, |r| ≤ ½ ln 2, and a degree-7 Taylor polynomial for e^r
    /// (relative error below 2e−7); 2^n is built in the exponent bits. exp8(0) is exactly 1.
    @inline(__always)
    static func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let x = x.replacing(with: exponentFloor, where: x .< exponentFloor).replacing(with: 0, where: x .> 0)
        // n = round(x / ln 2) by the 1.5·2^23 trick: adding it rounds to an integer in ulps of 1.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let n = (x * 1.442_695_04 + magic) - magic
        // r = x − n·ln 2 in two parts (ln 2 = hi + lo) so r keeps its precision.
        let r = (x - n * 0.693_145_75) - n * 1.428_606_8e-6
        var p = SIMD8<Float>(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^n: n + 127 lies in [54, 127]; as a Float in [2^23, 2^24) its mantissa bits are the
        // integer itself, which shifted into the exponent field gives 2^n.
        let biased = unsafeBitCast(n + (127 + 8_388_608), to: SIMD8<UInt32>.self) & 0x7F_FFFF
        let scale = unsafeBitCast(biased &<< 23, to: SIMD8<Float>.self)
        return p * scale
    }

    /// Scalar entry to `exp8` (one lane), so row tails use the same function as the SIMD body
    /// and the result does not depend on where a row is cut.
    @inline(__always)
    static func exp1(_ x: Float) -> Float { exp8(SIMD8(repeating: x))[0] }

    /// Pass 1 on source row `y`: `score[x]` = α·z clamped to ±Float.greatestFiniteMagnitude (0
    /// without `importance`) for a pixel whose target x + u, y + v lies in (−1, w) × (−1, h) with
    /// finite u, v, z, and −∞ for a skipped pixel. Returns the row's largest score.
    static func scoreRow(_ y: Int, width w: Int, height h: Int, u: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         importance z: UnsafePointer<Float>?, alpha: Float, score: UnsafeMutablePointer<Float>) -> Float {
        let fw = Float(w), fh = Float(h), fy = Float(y), big = Float.greatestFiniteMagnitude
        let row = y * w
        var top8 = SIMD8<Float>(repeating: -.infinity)
        let lanes = SIMD8<Float>(0, 1, 2, 3, 4, 5, 6, 7)
        var x = 0
        while x + 8 <= w {
            let tx = (lanes + Float(x)) + UnsafeRawPointer(u + row + x).loadUnaligned(as: SIMD8<Float>.self)
            let ty = fy + UnsafeRawPointer(v + row + x).loadUnaligned(as: SIMD8<Float>.self)
            var keep = (tx .> -1) .& (tx .< fw) .& (ty .> -1) .& (ty .< fh)
            var s = SIMD8<Float>(repeating: 0)
            if let z {
                let a = alpha * UnsafeRawPointer(z + row + x).loadUnaligned(as: SIMD8<Float>.self)
                keep .&= a .== a
                s = a.replacing(with: -big, where: a .< -big).replacing(with: big, where: a .> big)
            }
            s.replace(with: -.infinity, where: .!keep)
            UnsafeMutableRawPointer(score + row + x).storeBytes(of: s, as: SIMD8<Float>.self)
            // A masked maximum by comparison (the generic pointwiseMax is not inlined).
            top8.replace(with: s, where: s .> top8)
            x += 8
        }
        var top = top8.max()
        while x < w {
            let tx = Float(x) + u[row + x], ty = fy + v[row + x]
            var keep = tx > -1 && tx < fw && ty > -1 && ty < fh
            var s: Float = 0
            if let z {
                let a = alpha * z[row + x]
                keep = keep && !a.isNaN
                s = min(max(a, -big), big)
            }
            score[row + x] = keep ? s : -.infinity
            if keep { top = max(top, s) }
            x += 1
        }
        return top
    }

    /// Pass 2 over samples `range`: turns scores into weights in place, e^max(score − maximum,
    /// floor) for kept pixels and 0 for skipped ones (score −∞). With `average`, 1 and 0.
    static func weights(_ score: UnsafeMutablePointer<Float>, _ range: Range<Int>, maximum: Float, average: Bool) {
        var i = range.lowerBound
        let end = range.upperBound
        while i + 8 <= end {
            let s = UnsafeRawPointer(score + i).loadUnaligned(as: SIMD8<Float>.self)
            // −∞ − maximum is −∞ and clamps to the floor; the lane is zeroed anyway.
            var f = average ? SIMD8<Float>(repeating: 1) : exp8(s - maximum)
            f.replace(with: 0, where: s .== -.infinity)
            UnsafeMutableRawPointer(score + i).storeBytes(of: f, as: SIMD8<Float>.self)
            i += 8
        }
        while i < end {
            let s = score[i]
            score[i] = s == -.infinity ? 0 : (average ? 1 : exp1(s - maximum))
            i += 1
        }
    }

    /// ⌊t⌋ for t in (−1, Int.max) without a libm call.
    @inline(__always)
    static func floorIndex(_ t: Float) -> Int {
        let i = Int(t)
        return Float(i) > t ? i - 1 : i
    }

    /// Inputs and outputs of passes 3 and 4, shared read-only by the workers (each writes only
    /// its own target rows of `outputs`).
    struct Buffers: @unchecked Sendable {
        let width: Int, height: Int, channels: Int
        let u: UnsafePointer<Float>, v: UnsafePointer<Float>
        /// Per source pixel: its weight, 0 for a skipped pixel.
        let weight: UnsafePointer<Float>
        /// One pointer per channel to its source plane.
        let sources: UnsafePointer<UnsafePointer<Float>>
        /// Landing source pixels sorted by top target row r = ⌊y + v⌋ ∈ [−1, h − 1]: bucket r is
        /// `order[bucketStart[r + 1] ..< bucketStart[r + 2]]`, in source order.
        let order: UnsafePointer<Int32>, bucketStart: UnsafePointer<Int>
        /// The coverage plane, then one plane per channel.
        let outputs: UnsafePointer<UnsafeMutablePointer<Float>>
    }

    /// Pass 3 for target rows `tile`: splats the pixels of buckets tile.lower − 1 … tile.upper − 1
    /// into `acc`, one `V` per tile pixel (lane 0 coverage, lane 1 weight, lanes 2 … 1 + channels
    /// Σ weight·sample, the rest 0), so one splat onto a pixel is one vector multiply-add.
    static func scatter<V: SIMD>(_ b: Buffers, tile: Range<Int>, acc: UnsafeMutableRawPointer, lanes: V.Type) where V.Scalar == Float {
        let w = b.width, c = b.channels, stride = MemoryLayout<V>.stride
        acc.initializeMemory(as: UInt8.self, repeating: 0, count: tile.count * w * stride)
        for r in (tile.lowerBound - 1)..<tile.upperBound where r >= -1 {
            let top = r >= tile.lowerBound, bottom = r + 1 < tile.upperBound
            let rowBase = (r - tile.lowerBound) * w
            var rowStart = 0, sy = 0
            for j in b.bucketStart[r + 1]..<b.bucketStart[r + 2] {
                let i = Int(b.order[j])
                let f = b.weight[i]
                // Buckets are in source order: the row changes rarely, so divide only then.
                if i < rowStart || i - rowStart >= w { sy = i / w; rowStart = sy * w }
                let sx = i - rowStart
                let tx = Float(sx) + b.u[i], ty = Float(sy) + b.v[i]
                // Landing pixels have tx in (−1, w), so this cannot trap; ⌊ty⌋ is r.
                let x0 = floorIndex(tx)
                let ax = tx - Float(x0), ay = ty - Float(r)
                var packed = V()
                packed[0] = 1
                packed[1] = f
                for k in 0..<c { packed[2 + k] = f * b.sources[k][i] }
                @inline(__always) func deposit(_ t: Int, _ bw: Float) {
                    let p = acc + t * stride
                    p.storeBytes(of: p.load(as: V.self) + bw * packed, as: V.self)
                }
                let left = x0 >= 0, right = x0 + 1 < w
                if top {
                    if left { deposit(rowBase + x0, (1 - ax) * (1 - ay)) }
                    if right { deposit(rowBase + x0 + 1, ax * (1 - ay)) }
                }
                if bottom {
                    if left { deposit(rowBase + w + x0, (1 - ax) * ay) }
                    if right { deposit(rowBase + w + x0 + 1, ax * ay) }
                }
            }
        }
    }

    /// Pass 4 for target rows `tile`: the coverage, and each channel's sum divided by the summed
    /// weight (one vector division per pixel) where the coverage reaches `threshold`, 0 in holes,
    /// written to `outputs`. Returns the number of holes.
    static func normalize<V: SIMD>(_ b: Buffers, tile: Range<Int>, acc: UnsafeMutableRawPointer, threshold: Float,
                                   lanes: V.Type) -> Int where V.Scalar == Float {
        let c = b.channels, stride = MemoryLayout<V>.stride, first = tile.lowerBound * b.width
        var holes = 0
        for t in 0..<(tile.count * b.width) {
            let a = (acc + t * stride).load(as: V.self)
            b.outputs[0][first + t] = a[0]
            if a[0] < threshold {
                holes += 1
                for k in 0..<c { b.outputs[1 + k][first + t] = 0 }
            } else {
                let q = a / V(repeating: a[1])
                for k in 0..<c { b.outputs[1 + k][first + t] = q[2 + k] }
            }
        }
        return holes
    }

    /// Passes 3 and 4 for target rows `band` with an accumulator of `V`: tiles of about 1 MB.
    static func splatBand<V: SIMD>(_ b: Buffers, band: Range<Int>, threshold: Float, lanes: V.Type) -> Int where V.Scalar == Float {
        guard !band.isEmpty else { return 0 }
        let bytes = MemoryLayout<V>.stride
        let tileRows = max(2, min(band.count, (1 << 20) / max(1, b.width * bytes)))
        let acc = UnsafeMutableRawPointer.allocate(byteCount: tileRows * b.width * bytes, alignment: 64)
        defer { acc.deallocate() }
        var holes = 0
        for start in stride(from: band.lowerBound, to: band.upperBound, by: tileRows) {
            let tile = start..<min(start + tileRows, band.upperBound)
            scatter(b, tile: tile, acc: acc, lanes: lanes)
            holes += normalize(b, tile: tile, acc: acc, threshold: threshold, lanes: lanes)
        }
        return holes
    }
}

extension Plane {
    /// The optimised `splat` after its checks: `alpha` applies only with `importance` (softmax).
    static func splatFast(_ planes: [Plane], u: Plane, v: Plane, importance: Plane?, alpha: Float,
                          fillHoles: Bool, holeThreshold: Float, threads: Int) -> SplatResult {
        let w = u.width, h = u.height, n = w * h, c = planes.count
        // Pixel indices are stored as Int32; a larger plane (over 8 GB of samples) goes the slow way.
        guard n > 0, n < Int(Int32.max) else {
            return splatReference(planes, u: u, v: v, importance: importance, alpha: importance == nil ? nil : alpha,
                                  fillHoles: fillHoles, holeThreshold: holeThreshold)
        }
        // More channels than one SIMD16 accumulator holds: splat them in groups.
        if c > 14 {
            var out: [Plane] = []
            var result = SplatResult(planes: [], weight: u, holeCount: 0, holeThreshold: holeThreshold)
            for start in stride(from: 0, to: c, by: 14) {
                result = splatFast(Array(planes[start..<min(start + 14, c)]), u: u, v: v, importance: importance, alpha: alpha,
                                   fillHoles: false, holeThreshold: holeThreshold, threads: threads)
                out += result.planes
            }
            result.planes = fillHoles && result.holeCount > 0
                ? pushPull(out, weight: result.weight, threshold: holeThreshold, threads: threads) : out
            return result
        }
        let workers = Parallel.workers(for: n, threads: threads, grain: 8192), buckets = h + 1
        let sourceRows = { (k: Int) in (k * h / workers)..<((k + 1) * h / workers) }
        let score = UnsafeMutablePointer<Float>.allocate(capacity: n), order = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: h)
        let cursor = UnsafeMutablePointer<Int>.allocate(capacity: workers * buckets)
        let bucketStart = UnsafeMutablePointer<Int>.allocate(capacity: buckets + 1)
        let pointers = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: max(1, c))
        let outputs = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: c + 1)
        let holes = UnsafeMutablePointer<Int>.allocate(capacity: workers)
        defer {
            score.deallocate(); order.deallocate(); rowMax.deallocate(); cursor.deallocate()
            bucketStart.deallocate(); pointers.deallocate(); outputs.deallocate(); holes.deallocate()
        }
        cursor.initialize(repeating: 0, count: workers * buckets)
        var made: [Plane] = []
        u.withSamples { up in v.withSamples { vp in withOptionalSamples(importance) { zp in withAllSamples(planes[...]) { sources in
            for k in 0..<c { pointers[k] = sources[k] }
            // Pass 1: scores and, per worker, how many landing pixels each top target row gets.
            Parallel.forChunks(workers, threads: workers) { ks in
                for k in ks {
                    let counts = cursor + k * buckets
                    for y in sourceRows(k) {
                        rowMax[y] = SplatKernels.scoreRow(y, width: w, height: h, u: up, v: vp, importance: zp, alpha: alpha, score: score)
                        let fy = Float(y)
                        for i in (y * w)..<(y * w + w) where score[i] > -.infinity {
                            counts[SplatKernels.floorIndex(fy + vp[i]) + 1] += 1
                        }
                    }
                }
            }
            let top = (0..<h).reduce(-Float.infinity) { max($0, rowMax[$1]) }
            // Bucket starts, and each worker's first slot in each bucket (after earlier workers').
            bucketStart[0] = 0
            for bucket in 0..<buckets {
                var next = bucketStart[bucket]
                for k in 0..<workers {
                    let count = cursor[k * buckets + bucket]
                    cursor[k * buckets + bucket] = next
                    next += count
                }
                bucketStart[bucket + 1] = next
            }
            // Pass 2: weights, and the landing pixels in bucket order (stable: source order).
            Parallel.forChunks(workers, threads: workers) { ks in
                for k in ks {
                    let rows = sourceRows(k), slots = cursor + k * buckets
                    SplatKernels.weights(score, (rows.lowerBound * w)..<(rows.upperBound * w), maximum: top, average: zp == nil)
                    for y in rows {
                        let fy = Float(y)
                        for i in (y * w)..<(y * w + w) where score[i] > 0 {
                            let bucket = SplatKernels.floorIndex(fy + vp[i]) + 1
                            order[slots[bucket]] = Int32(truncatingIfNeeded: i)
                            slots[bucket] += 1
                        }
                    }
                }
            }
            // Target bands with equal work: each pixel touches two rows, each row is cleared and normalised.
            let cost = { (r: Int) in bucketStart[r + 2] - bucketStart[r] + w }
            let total = (0..<h).reduce(0) { $0 + cost($1) }
            var bounds = [0], done = 0
            for r in 0..<h {
                done += cost(r)
                while bounds.count < workers, done * workers >= bounds.count * total { bounds.append(r + 1) }
            }
            while bounds.count <= workers { bounds.append(h) }
            bounds[workers] = h
            // Passes 3 and 4, straight into the output planes.
            made = makePlanes(c + 1, width: w, height: h) { out in
                for k in 0...c { outputs[k] = out[k] }
                let buffers = SplatKernels.Buffers(width: w, height: h, channels: c, u: up, v: vp, weight: UnsafePointer(score),
                                                   sources: UnsafePointer(pointers), order: UnsafePointer(order),
                                                   bucketStart: UnsafePointer(bucketStart), outputs: UnsafePointer(outputs))
                func run<V: SIMD>(_ type: V.Type) where V.Scalar == Float {
                    Parallel.forChunks(workers, threads: workers) { ks in
                        for k in ks {
                            holes[k] = SplatKernels.splatBand(buffers, band: bounds[k]..<bounds[k + 1], threshold: holeThreshold, lanes: type)
                        }
                    }
                }
                if c <= 2 { run(SIMD4<Float>.self) } else if c <= 6 { run(SIMD8<Float>.self) } else { run(SIMD16<Float>.self) }
            }
        } } } }
        let holeCount = (0..<workers).reduce(0) { $0 + holes[$1] }
        var out = Array(made.dropFirst())
        if fillHoles, holeCount > 0 { out = pushPull(consume out, weight: made[0], threshold: holeThreshold, threads: threads) }
        return SplatResult(planes: out, weight: made[0], holeCount: holeCount, holeThreshold: holeThreshold)
    }

    /// `count` new planes of `width × height` (non-empty), every sample written by `fill`, which is
    /// given pointers to all of them at once.
    static func makePlanes(_ count: Int, width: Int, height: Int, _ fill: ([UnsafeMutablePointer<Float>]) -> Void) -> [Plane] {
        var made: [Plane] = []
        func nest(_ pointers: [UnsafeMutablePointer<Float>]) {
            if pointers.count == count { fill(pointers); return }
            // The innermost plane is finished first, so they are collected in reverse.
            let plane = Plane(width: width, height: height) { nest(pointers + [$0]) }
            made.append(plane)
        }
        nest([])
        return made.reversed()
    }

    /// Calls `body` with pointers to the samples of every plane in `planes` (all non-empty).
    static func withAllSamples(_ planes: ArraySlice<Plane>, _ body: ([UnsafePointer<Float>]) -> Void,
                               _ collected: [UnsafePointer<Float>] = []) {
        guard let first = planes.first else { body(collected); return }
        first.withSamples { p in withAllSamples(planes.dropFirst(), body, collected + [p]) }
    }

    /// Calls `body` with a pointer to `plane`'s samples, or nil when there is no plane.
    static func withOptionalSamples(_ plane: Plane?, _ body: (UnsafePointer<Float>?) -> Void) {
        if let plane { plane.withSamples { body($0) } } else { body(nil) }
    }
}
