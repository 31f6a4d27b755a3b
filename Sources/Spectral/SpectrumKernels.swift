import Flow
import Foundation

/// The DFT basis entries a set of frames needs: cos and sin of 2π·(k·t mod T)/T for every
/// frequency k < K and every frame time t of the set, computed in Double from the exact integer
/// phase (so every caller gets bit-identical Float twiddles), laid out `[k · count + frame]`.
struct DFTTwiddles: Sendable {
    /// Number of frames (times) in the set.
    let count: Int
    /// Number of frequencies K.
    let frequencies: Int
    /// cos(2π·(k·t mod T)/T), `[k · count + frame]`.
    let cosines: [Float]
    /// sin(2π·(k·t mod T)/T), same layout; the spectrum subtracts sin·F (e^{−iθ}).
    let sines: [Float]

    /// Twiddles for `times` (each in 0..<T) at frequencies 0..<K. The caller has checked
    /// 1 ≤ K ≤ T ≤ `SpectrumLimits.maximumWindow`, so k·t < 2^48 cannot overflow.
    init(times: [Int], frequencies: Int, windowLength: Int) {
        count = times.count
        self.frequencies = frequencies
        var c = [Float](repeating: 0, count: times.count * frequencies)
        var s = c
        for k in 0..<frequencies {
            for (f, t) in times.enumerated() {
                let phase = Double((k * t) % windowLength) / Double(windowLength)
                c[k * times.count + f] = Float(cos(2 * Double.pi * phase))
                s[k * times.count + f] = Float(sin(2 * Double.pi * phase))
            }
        }
        cosines = c
        sines = s
    }
}

/// Limits shared by the spectrum types, so that index arithmetic on them cannot overflow.
enum SpectrumLimits {
    /// Largest window length T (frames).
    static let maximumWindow = 1 << 24
}

/// Truncated-DFT kernels: add Σ_f F_f·e^{−2πi·k·t_f/T} to a spectrum held as 4K channel planes
/// (channel 4k + 0 Re x, 1 Im x, 2 Re y, 3 Im y), for the pixels of one index range. The SIMD
/// kernel keeps a pixel group's four sums for one k in registers while it runs over the frames,
/// so state is read and written once per call; the scalar kernel is its reference, with the
/// same operation order per pixel.
enum DFTKernels {
    /// Accumulates `frames` (pointers to each frame's u and v planes of `planeSize` samples,
    /// pixels) with `twiddles` into `state` (4K planes of `planeSize`), pixels `range` only.
    static func accumulate(state: UnsafeMutablePointer<Float>, planeSize: Int,
                           us: UnsafeBufferPointer<UnsafePointer<Float>>, vs: UnsafeBufferPointer<UnsafePointer<Float>>,
                           twiddles: DFTTwiddles, range: Range<Int>) {
        let n = twiddles.count
        guard n > 0, !range.isEmpty else { return }
        twiddles.cosines.withUnsafeBufferPointer { cb in
            twiddles.sines.withUnsafeBufferPointer { sb in
                guard let cos = cb.baseAddress, let sin = sb.baseAddress else { return }
                var x = range.lowerBound
                while x + 8 <= range.upperBound {
                    for k in 0..<twiddles.frequencies {
                        let base = state + 4 * k * planeSize + x
                        var rx = load(base), ix = load(base + planeSize)
                        var ry = load(base + 2 * planeSize), iy = load(base + 3 * planeSize)
                        let ck = cos + k * n, sk = sin + k * n
                        for f in 0..<n {
                            let u = load(us[f] + x), v = load(vs[f] + x)
                            let c = ck[f], s = sk[f]
                            rx += c * u
                            ix -= s * u
                            ry += c * v
                            iy -= s * v
                        }
                        store(rx, base)
                        store(ix, base + planeSize)
                        store(ry, base + 2 * planeSize)
                        store(iy, base + 3 * planeSize)
                    }
                    x += 8
                }
                if x < range.upperBound {
                    accumulateScalar(state: state, planeSize: planeSize, us: us, vs: vs, twiddles: twiddles,
                                     range: x..<range.upperBound)
                }
            }
        }
    }

    /// Scalar reference of `accumulate` (same arguments, same per-pixel operation order).
    static func accumulateScalar(state: UnsafeMutablePointer<Float>, planeSize: Int,
                                 us: UnsafeBufferPointer<UnsafePointer<Float>>, vs: UnsafeBufferPointer<UnsafePointer<Float>>,
                                 twiddles: DFTTwiddles, range: Range<Int>) {
        let n = twiddles.count
        for x in range {
            for k in 0..<twiddles.frequencies {
                let base = state + 4 * k * planeSize + x
                var rx = base[0], ix = base[planeSize], ry = base[2 * planeSize], iy = base[3 * planeSize]
                for f in 0..<n {
                    let u = us[f][x], v = vs[f][x]
                    let c = twiddles.cosines[k * n + f], s = twiddles.sines[k * n + f]
                    rx += c * u
                    ix -= s * u
                    ry += c * v
                    iy -= s * v
                }
                base[0] = rx
                base[planeSize] = ix
                base[2 * planeSize] = ry
                base[3 * planeSize] = iy
            }
        }
    }

    /// Whole-window kernel: `us[t − 1]`, `vs[t − 1]` hold F_t for t = 1 … T−1. Uses the basis'
    /// symmetry cos θ_{T−t} = cos θ_t, sin θ_{T−t} = −sin θ_t: per pixel group it forms
    /// F_t + F_{T−t} and F_t − F_{T−t} once for all k (the middle t = T/2 of an even T pairs
    /// with zero), so each k costs half the multiply-adds of `accumulate`. `twiddles` are for
    /// times 1 … ⌊T/2⌋.
    static func accumulateWindow(state: UnsafeMutablePointer<Float>, planeSize: Int,
                                 us: UnsafeBufferPointer<UnsafePointer<Float>>, vs: UnsafeBufferPointer<UnsafePointer<Float>>,
                                 twiddles: DFTTwiddles, range: Range<Int>) {
        let pairs = twiddles.count, T = us.count + 1
        guard pairs > 0, !range.isEmpty else { return }
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 4 * pairs) { scratch in
            twiddles.cosines.withUnsafeBufferPointer { cb in
                twiddles.sines.withUnsafeBufferPointer { sb in
                    guard let cos = cb.baseAddress, let sin = sb.baseAddress, let sc = scratch.baseAddress else { return }
                    var x = range.lowerBound
                    while x + 8 <= range.upperBound {
                        for j in 0..<pairs {
                            let t = j + 1, mirror = T - t
                            let u = load(us[t - 1] + x), v = load(vs[t - 1] + x)
                            let um = mirror == t ? .zero : load(us[mirror - 1] + x), vm = mirror == t ? .zero : load(vs[mirror - 1] + x)
                            sc[4 * j] = u + um
                            sc[4 * j + 1] = u - um
                            sc[4 * j + 2] = v + vm
                            sc[4 * j + 3] = v - vm
                        }
                        for k in 0..<twiddles.frequencies {
                            let base = state + 4 * k * planeSize + x
                            var rx = load(base), ix = load(base + planeSize)
                            var ry = load(base + 2 * planeSize), iy = load(base + 3 * planeSize)
                            let ck = cos + k * pairs, sk = sin + k * pairs
                            for j in 0..<pairs {
                                let c = ck[j], s = sk[j]
                                rx += c * sc[4 * j]
                                ix -= s * sc[4 * j + 1]
                                ry += c * sc[4 * j + 2]
                                iy -= s * sc[4 * j + 3]
                            }
                            store(rx, base)
                            store(ix, base + planeSize)
                            store(ry, base + 2 * planeSize)
                            store(iy, base + 3 * planeSize)
                        }
                        x += 8
                    }
                    if x < range.upperBound {
                        accumulateWindowScalar(state: state, planeSize: planeSize, us: us, vs: vs, twiddles: twiddles,
                                               range: x..<range.upperBound)
                    }
                }
            }
        }
    }

    /// Scalar reference of `accumulateWindow` (same arguments, same per-pixel operation order).
    static func accumulateWindowScalar(state: UnsafeMutablePointer<Float>, planeSize: Int,
                                       us: UnsafeBufferPointer<UnsafePointer<Float>>, vs: UnsafeBufferPointer<UnsafePointer<Float>>,
                                       twiddles: DFTTwiddles, range: Range<Int>) {
        let pairs = twiddles.count, T = us.count + 1
        for x in range {
            for k in 0..<twiddles.frequencies {
                let base = state + 4 * k * planeSize + x
                var rx = base[0], ix = base[planeSize], ry = base[2 * planeSize], iy = base[3 * planeSize]
                for j in 0..<pairs {
                    let t = j + 1, mirror = T - t
                    let u = us[t - 1][x], v = vs[t - 1][x]
                    let um: Float = mirror == t ? 0 : us[mirror - 1][x], vm: Float = mirror == t ? 0 : vs[mirror - 1][x]
                    let c = twiddles.cosines[k * pairs + j], s = twiddles.sines[k * pairs + j]
                    rx += c * (u + um)
                    ix -= s * (u - um)
                    ry += c * (v + vm)
                    iy -= s * (v - vm)
                }
                base[0] = rx
                base[planeSize] = ix
                base[2 * planeSize] = ry
                base[3 * planeSize] = iy
            }
        }
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}

/// Histogram bin kernels. A finite Float |v| = 2^e·(1 + m/2^23); its bin is fixed by e and by
/// how many of the b − 1 sub-octave thresholds M_i = ⌈2^23·(2^(i/b) − 1)⌉ the mantissa m
/// reaches (an exact integer test: 2^(i/b) is irrational, so no Float lies on an edge except
/// the powers of two). The SIMD kernel estimates the sub-octave index from a polynomial for
/// log2(1 + m/2^23) and corrects it against the thresholds; the scalar kernel binary-searches
/// them.
struct BinLayout: Sendable, Equatable {
    let minExponent: Int, maxExponent: Int, binsPerOctave: Int
    /// M_0 = 0, M_1 … M_{b−1}, M_b = 2^23 (mantissa units).
    let thresholds: [Int32]

    init(minExponent: Int, maxExponent: Int, binsPerOctave: Int) {
        self.minExponent = minExponent
        self.maxExponent = maxExponent
        self.binsPerOctave = binsPerOctave
        var t: [Int32] = [0]
        for i in 1..<max(1, binsPerOctave) {
            let edge = 8_388_608 * pow(2, Double(i) / Double(binsPerOctave))
            t.append(Int32(edge.rounded(.up)) - 8_388_608)
        }
        t.append(8_388_608)
        thresholds = t
    }

    /// Bins: bin 0, (max − min)·b regular bins, the top bin.
    var binCount: Int { (maxExponent - minExponent) * binsPerOctave + 2 }

    /// Marker for NaN and ±infinity, which have no bin.
    static let nonFinite: Int32 = -1

    /// The bin of |value| (scalar reference), or `nonFinite`.
    func binScalar(_ value: Float) -> Int32 {
        let bits = value.bitPattern & 0x7FFF_FFFF
        let field = Int(bits >> 23)
        if field == 255 { return Self.nonFinite }
        let e = field - 127
        if field == 0 || e < minExponent { return 0 }
        if e >= maxExponent { return Int32(binCount - 1) }
        let m = Int32(bits & 0x7F_FFFF)
        // Largest i with thresholds[i] ≤ m, i in 0..<b.
        var lo = 0, hi = binsPerOctave
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if thresholds[mid] <= m { lo = mid } else { hi = mid }
        }
        return Int32(1 + (e - minExponent) * binsPerOctave + lo)
    }

    /// Bins of `values[0..<count]` into `bins` (SIMD estimate, exact correction); `nonFinite`
    /// for NaN and ±infinity.
    func bins(_ values: UnsafePointer<Float>, count: Int, into bins: UnsafeMutablePointer<Int32>) {
        let b = SIMD8<Float>(repeating: Float(binsPerOctave)), last = Int32(binCount - 1), top = binsPerOctave - 1
        let c = Log2Polynomial.coefficients.map { SIMD8<Float>(repeating: $0) }
        let (c0, c1, c2, c3, c4, c5, c6, c7, c8) = (c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8])
        // Adding 2^23 to a value in (−1, 2^22) leaves its nearest integer in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 8_388_608), magicBits = SIMD8<UInt32>(repeating: 0x4B00_0000)
        let one = SIMD8<UInt32>(repeating: 0x3F80_0000)
        let lowField = UInt32(127 + minExponent), span = UInt32(maxExponent - minExponent)
        thresholds.withUnsafeBufferPointer { tb in
            guard let th = tb.baseAddress else { return }
            var i = 0
            while i + 8 <= count {
                let raw = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<UInt32>.self) & 0x7FFF_FFFF
                let field = raw &>> 23, m = raw & 0x7F_FFFF
                // f = m/2^23 exactly: the Float 1.m minus 1.
                let f = SIMD8<Float>(bitPatternOf: one | m) - 1
                var p = c8
                p = p * f + c7; p = p * f + c6; p = p * f + c5; p = p * f + c4
                p = p * f + c3; p = p * f + c2; p = p * f + c1; p = p * f + c0
                let estimate = SIMD8<UInt32>(bitPatternOf: p * b + magic) &- magicBits
                for lane in 0..<8 {
                    let fe = field[lane], octave = fe &- lowField
                    let out: Int32
                    if octave < span {
                        // Regular bins: the estimate (within one of the truth) corrected exactly.
                        var s = max(0, min(top, Int(Int32(bitPattern: estimate[lane]))))
                        let ml = Int32(bitPattern: m[lane])
                        while ml >= th[s + 1] { s += 1 }
                        while ml < th[s] { s -= 1 }
                        out = Int32(1 + Int(octave) * binsPerOctave + s)
                    } else if fe == 255 {
                        out = Self.nonFinite
                    } else {
                        out = fe < lowField ? 0 : last
                    }
                    bins[i + lane] = out
                }
                i += 8
            }
            while i < count {
                bins[i] = binScalar(values[i])
                i += 1
            }
        }
    }
}

/// A polynomial for log2(1 + f), f in [0, 1): the interpolant at 9 Chebyshev nodes (degree 8,
/// the 9 coefficients `BinLayout.bins` unrolls), built in
/// Double (Newton divided differences, expanded to monomial form) and rounded to Float. Its
/// error (below 1e-6) only decides how often the histogram kernel's exact correction moves
/// an estimate by one bin.
enum Log2Polynomial {
    /// Monomial coefficients, lowest degree first.
    static let coefficients: [Float] = {
        let n = 9
        let xs = (0..<n).map { 0.5 - 0.5 * cos(Double.pi * (Double($0) + 0.5) / Double(n)) }
        var d = xs.map { log2(1 + $0) }
        for level in 1..<n {
            for i in stride(from: n - 1, through: level, by: -1) {
                d[i] = (d[i] - d[i - 1]) / (xs[i] - xs[i - level])
            }
        }
        // p = d0 + (f − x0)(d1 + (f − x1)(d2 + …)), expanded from the innermost term out.
        var poly = [d[n - 1]]
        for i in stride(from: n - 2, through: 0, by: -1) {
            var next = [Double](repeating: 0, count: poly.count + 1)
            for (j, a) in poly.enumerated() {
                next[j + 1] += a
                next[j] -= a * xs[i]
            }
            next[0] += d[i]
            poly = next
        }
        return poly.map { Float($0) }
    }()
}

/// Normalisation kernels: v ↦ sign(v)·sqrt(|v|/s) and back, n ↦ sign(n)·n²·s, over a
/// contiguous run of samples sharing one scale s > 0 (callers write zeros where s = 0).
enum NormalizationKernels {
    /// `out[i] = sign(v)·sqrt(|v|/scale)` for `count` samples (SIMD, scalar tail).
    static func normalize(_ input: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int, scale: Float) {
        var i = 0
        let sign = SIMD8<UInt32>(repeating: 0x8000_0000)
        while i + 8 <= count {
            let v = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD8<Float>.self)
            let bits = SIMD8<UInt32>(bitPatternOf: v)
            let root = (SIMD8<Float>(bitPatternOf: bits & ~sign) / scale).squareRoot()
            UnsafeMutableRawPointer(out + i).storeBytes(of: SIMD8<Float>(bitPatternOf: SIMD8<UInt32>(bitPatternOf: root) | (bits & sign)),
                                                        as: SIMD8<Float>.self)
            i += 8
        }
        normalizeScalar(input + i, out + i, count: count - i, scale: scale)
    }

    /// Scalar reference of `normalize`.
    static func normalizeScalar(_ input: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int, scale: Float) {
        for i in 0..<max(0, count) {
            let v = input[i]
            let root = (v.magnitude / scale).squareRoot()
            out[i] = v.sign == .minus ? -root : root
        }
    }

    /// `out[i] = n·|n|·scale` (= sign(n)·n²·s) for `count` samples (SIMD, scalar tail).
    static func denormalize(_ input: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int, scale: Float) {
        var i = 0
        let sign = SIMD8<UInt32>(repeating: 0x8000_0000)
        while i + 8 <= count {
            let n = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD8<Float>.self)
            let magnitude = SIMD8<Float>(bitPatternOf: SIMD8<UInt32>(bitPatternOf: n) & ~sign)
            UnsafeMutableRawPointer(out + i).storeBytes(of: n * magnitude * scale, as: SIMD8<Float>.self)
            i += 8
        }
        denormalizeScalar(input + i, out + i, count: count - i, scale: scale)
    }

    /// Scalar reference of `denormalize`.
    static func denormalizeScalar(_ input: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int, scale: Float) {
        for i in 0..<max(0, count) {
            let n = input[i]
            out[i] = n * n.magnitude * scale
        }
    }
}

extension SIMD8 where Scalar == Float {
    /// The Floats whose IEEE bit patterns are `bits`.
    @inline(__always) init(bitPatternOf bits: SIMD8<UInt32>) {
        self = unsafeBitCast(bits, to: SIMD8<Float>.self)
    }
}

extension SIMD8 where Scalar == UInt32 {
    /// The IEEE bit patterns of `values`.
    @inline(__always) init(bitPatternOf values: SIMD8<Float>) {
        self = unsafeBitCast(values, to: SIMD8<UInt32>.self)
    }
}
