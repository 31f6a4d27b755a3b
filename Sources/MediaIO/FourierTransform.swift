internal import CFFmpeg
import Foundation
import Raster

/// One owner of an AVTXContext (libavutil's av_tx): a forward complex DFT of `length` points
/// in Float, X_k = Σ_t x_t·e^{−2πi·k·t/n}, unscaled. `bins` limits the outputs to the low
/// frequencies k = 0 … L−1 and their negatives k = n−L+1 … n−1 (all n when 2L − 1 ≥ n).
///
/// Two methods: `direct` runs av_tx at length n; `bluestein` writes the DFT as a convolution
/// with the chirp e^{iπm²/n} (k·t = (k² + t² − (k−t)²)/2) and runs it through av_tx at a power
/// of two M ≥ n + (span of the wanted k) − 1, so only the wanted bins are paid for. `automatic`
/// uses `direct` for powers of two and `bluestein` otherwise, because av_tx's speed at other
/// lengths depends on the FFmpeg version: FFmpeg 5.1 (lavu 57.28) computes n = 150 by its naive
/// O(n²) path, about 430 µs per transform here, against about 2 µs through Bluestein.
///
/// Not thread-safe (the context and its buffers are reused by every call): one per thread.
public final class FourierTransform {
    /// How the transform is computed.
    public enum Method: String, Sendable, CaseIterable {
        /// `direct` for power-of-two lengths, `bluestein` otherwise.
        case automatic
        /// av_tx at the transform's own length n.
        case direct
        /// Chirp convolution through av_tx at a power-of-two length M.
        case bluestein
    }

    /// n: points of the transform.
    public let length: Int
    /// L: low-frequency bins wanted on each side (see the type's summary).
    public let bins: Int
    /// The method in use (`direct` or `bluestein`, never `automatic`).
    public let method: Method
    /// Length of the av_tx transform run (n for `direct`, M for `bluestein`).
    public let transformLength: Int
    /// The output indices written by `forward`, ascending.
    public let outputIndices: [Int]

    private let context: OpaquePointer
    private let function: av_tx_fn
    private let a, aHat, c, cHat: UnsafeMutablePointer<AVComplexFloat>
    /// Bluestein only: w_t = e^{−iπt²/n}, t = 0 … n−1, and FFT(b)/M of the chirp b_m = e^{iπm²/n}.
    private let chirp: [AVComplexFloat]
    private let kernelHat: [AVComplexFloat]
    /// Bluestein only: (output index, convolution index mod M, chirp index |k|) per wanted k.
    private let picks: [(out: Int, conv: Int, w: Int)]

    /// A transform of `length` points (1 … 2^22) keeping `bins` low-frequency bins per side
    /// (1 … length; nil: all). Throws `MediaError(.invalidArgument)` for lengths out of range and
    /// the error of av_tx_init if FFmpeg refuses the transform.
    public init(length: Int, bins: Int? = nil, method: Method = .automatic) throws {
        guard length >= 1, length <= 1 << 22 else {
            throw MediaError(.invalidArgument, path: "", "FFT length \(length) is outside 1 … 4194304")
        }
        let wanted = bins ?? length
        guard wanted >= 1, wanted <= length else {
            throw MediaError(.invalidArgument, path: "", "FFT bins \(wanted) is outside 1 … \(length) (the length)")
        }
        let all = 2 * wanted - 1 >= length
        let ks = all ? Array(0..<length) : Array(-(wanted - 1)...(wanted - 1))
        let isPowerOfTwo = length & (length - 1) == 0
        let resolved: Method = method == .automatic ? (isPowerOfTwo ? .direct : .bluestein) : method
        var points = length
        if resolved == .bluestein {
            // Differences k − t span (max k − min k) + n − 1 values; M must hold them all.
            let span = (ks.last ?? 0) - (ks.first ?? 0) + length
            points = 1
            while points < span { points *= 2 }
        }
        let bytes = points * MemoryLayout<AVComplexFloat>.stride
        let buffers = (0..<4).map { _ in av_mallocz(bytes)?.bindMemory(to: AVComplexFloat.self, capacity: points) }
        guard let b0 = buffers[0], let b1 = buffers[1], let b2 = buffers[2], let b3 = buffers[3] else {
            for b in buffers { av_free(b) }
            throw MediaError(.invalidArgument, path: "", "cannot allocate FFT buffers of \(points) points")
        }
        var ctx: OpaquePointer?
        var fn: av_tx_fn?
        let status = wf_tx_float_fft_init(&ctx, &fn, Int32(points))
        guard status >= 0, let ctx, let fn else {
            for b in buffers { av_free(b) }
            av_tx_uninit(&ctx)
            throw MediaError(.unsupportedFormat, path: "", "av_tx_init refused an FFT of \(points) points", code: status)
        }
        if resolved == .bluestein {
            let m = points
            chirp = (0..<length).map { Self.chirpValue($0, length: length, sign: -1) }
            // b_j = e^{+iπj²/n} for every difference j = k − t that occurs, stored at j mod M.
            for j in ((ks.first ?? 0) - (length - 1))...(ks.last ?? 0) {
                b2[(j % m + m) % m] = Self.chirpValue(j, length: length, sign: 1)
            }
            wf_tx_float_fft(ctx, fn, b3, b2)
            kernelHat = (0..<m).map { AVComplexFloat(re: b3[$0].re / Float(m), im: b3[$0].im / Float(m)) }
            picks = ks.map { k in (out: (k + length) % length, conv: (k % m + m) % m, w: abs(k)) }
        } else {
            (chirp, kernelHat, picks) = ([], [], [])
        }
        self.length = length
        self.bins = wanted
        self.method = resolved
        transformLength = points
        outputIndices = all ? ks : ks.map { ($0 + length) % length }.sorted()
        (a, aHat, c, cHat) = (b0, b1, b2, b3)
        (context, function) = (ctx, fn)
    }

    deinit {
        var ctx: OpaquePointer? = context
        av_tx_uninit(&ctx)
        for b in [a, aHat, c, cHat] { av_free(b) }
    }

    /// e^{sign·iπ·m²/n}, the phase taken from m² mod 2n exactly (|m| < 2^23, so m² fits).
    private static func chirpValue(_ m: Int, length n: Int, sign: Double) -> AVComplexFloat {
        let r = (m * m) % (2 * n)
        let angle = sign * Double.pi * Double(r) / Double(n)
        return AVComplexFloat(re: Float(cos(angle)), im: Float(sin(angle)))
    }

    private func run(_ input: UnsafeMutablePointer<AVComplexFloat>, _ output: UnsafeMutablePointer<AVComplexFloat>) {
        wf_tx_float_fft(context, function, output, input)
    }

    /// X = DFT(x) for x_t = real[t] + i·imaginary[t], t = 0 … n−1: writes X_k into
    /// `outputReal[k]`, `outputImaginary[k]` for every k in `outputIndices` and nothing else.
    /// All four pointers address `length` Floats.
    public func forward(real: UnsafePointer<Float>, imaginary: UnsafePointer<Float>,
                        outputReal: UnsafeMutablePointer<Float>, outputImaginary: UnsafeMutablePointer<Float>) {
        if method == .direct {
            for t in 0..<length { a[t] = AVComplexFloat(re: real[t], im: imaginary[t]) }
            run(a, aHat)
            for k in outputIndices {
                outputReal[k] = aHat[k].re
                outputImaginary[k] = aHat[k].im
            }
            return
        }
        // a_t = x_t·w_t (the tail of `a` stays zero), then c̃ = conj(FFT(conj(Â·B̂/M))).
        chirp.withUnsafeBufferPointer { w in
            for t in 0..<length {
                let x = real[t], y = imaginary[t], wr = w[t].re, wi = w[t].im
                a[t] = AVComplexFloat(re: x * wr - y * wi, im: x * wi + y * wr)
            }
        }
        run(a, aHat)
        kernelHat.withUnsafeBufferPointer { b in
            for j in 0..<transformLength {
                let p = aHat[j], q = b[j]
                c[j] = AVComplexFloat(re: p.re * q.re - p.im * q.im, im: -(p.re * q.im + p.im * q.re))
            }
        }
        run(c, cHat)
        chirp.withUnsafeBufferPointer { w in
            for pick in picks {
                let v = cHat[pick.conv], wk = w[pick.w]
                // X_k = w_k · conj(v)
                outputReal[pick.out] = wk.re * v.re + wk.im * v.im
                outputImaginary[pick.out] = wk.im * v.re - wk.re * v.im
            }
        }
    }

    /// Array form of `forward`: both inputs hold `length` values; bins outside
    /// `outputIndices` are 0 in the result. Throws `MediaError(.invalidArgument)` for other counts.
    public func forward(real: [Float], imaginary: [Float]) throws -> (real: [Float], imaginary: [Float]) {
        guard real.count == length, imaginary.count == length else {
            throw MediaError(.invalidArgument, path: "",
                             "FFT input has \(real.count) real and \(imaginary.count) imaginary values, expected \(length)")
        }
        var outRe = [Float](repeating: 0, count: length), outIm = outRe
        real.withUnsafeBufferPointer { r in
            imaginary.withUnsafeBufferPointer { i in
                outRe.withUnsafeMutableBufferPointer { or in
                    outIm.withUnsafeMutableBufferPointer { oi in
                        forward(real: r.baseAddress!, imaginary: i.baseAddress!, outputReal: or.baseAddress!, outputImaginary: oi.baseAddress!)
                    }
                }
            }
        }
        return (outRe, outIm)
    }
}

/// The first K bins of the DFT of every pixel's trajectory series, through `FourierTransform`
/// (av_tx), in the motion-spectrum layout: a benchmark peer of Motion's truncated DFT. The x
/// and y series of a pixel go through one complex transform, z_t = x_t + i·y_t, and are
/// separated by the symmetry of real series' spectra: X_k = (Z_k + conj Z_{n−k})/2,
/// Y_k = (Z_k − conj Z_{n−k})/(2i). Includes the transposes (planes → series → planes).
public enum FFTSpectrum {
    /// `trajectoriesX[t−1]`, `trajectoriesY[t−1]`: F_t's x and y planes (pixels) for t = 1 … T−1
    /// (F_0 = 0 implied, so T = count + 1). Returns 4K × H × W Floats (pixels), channel
    /// 4k + 0 Re x, 1 Im x, 2 Re y, 3 Im y, rows split over `threads`. Throws
    /// `MediaError(.invalidArgument)` for no planes, counts or sizes that differ, empty planes
    /// or K outside 1 … T.
    public static func spectrum(trajectoriesX: [Plane], trajectoriesY: [Plane], frequencies: Int, threads: Int,
                                method: FourierTransform.Method = .automatic) throws -> [Float] {
        guard let first = trajectoriesX.first, trajectoriesX.count == trajectoriesY.count else {
            throw MediaError(.invalidArgument, path: "", "FFT spectrum needs as many x as y planes, at least one "
                             + "(got \(trajectoriesX.count) and \(trajectoriesY.count))")
        }
        let (w, h) = (first.width, first.height)
        for p in trajectoriesX + trajectoriesY where p.width != w || p.height != h {
            throw MediaError(.invalidArgument, path: "", "FFT spectrum planes differ in size: \(w)×\(h) vs \(p.width)×\(p.height)")
        }
        let n = trajectoriesX.count + 1
        guard w > 0, h > 0, frequencies >= 1, frequencies <= n else {
            throw MediaError(.invalidArgument, path: "", "FFT spectrum of \(w)×\(h) planes, K = \(frequencies): need a non-empty size and 1 ≤ K ≤ T = \(n)")
        }
        let planeSize = w * h
        let (total, overflow) = planeSize.multipliedReportingOverflow(by: 4 * frequencies)
        guard !overflow else { throw MediaError(.invalidArgument, path: "", "FFT spectrum of \(w)×\(h)×\(4 * frequencies) is too large") }
        let workers = max(1, min(threads, h))
        let transforms = try (0..<workers).map { _ in try FourierTransform(length: n, bins: frequencies, method: method) }
        var out = [Float](repeating: 0, count: total)
        withPlanePointers(trajectoriesX + trajectoriesY) { planes in
            out.withUnsafeMutableBufferPointer { buffer in
                guard let dst = buffer.baseAddress else { return }
                Parallel.forEach(workers) { worker in
                    let rows = (worker * h / workers)..<((worker + 1) * h / workers)
                    transformPixels((rows.lowerBound * w)..<(rows.upperBound * w), planes: planes, series: n,
                                    frequencies: frequencies, planeSize: planeSize, transform: transforms[worker], into: dst)
                }
            }
        }
        return out
    }

    /// Pixels `range`, 8 at a time: gathers each pixel's series, transforms, scatters the bins.
    private static func transformPixels(_ range: Range<Int>, planes: UnsafeBufferPointer<UnsafePointer<Float>>, series n: Int,
                                        frequencies: Int, planeSize: Int, transform: FourierTransform,
                                        into dst: UnsafeMutablePointer<Float>) {
        let group = 8, half = n - 1
        var re = [Float](repeating: 0, count: group * n), im = re
        var zr = [Float](repeating: 0, count: n), zi = zr
        var p = range.lowerBound
        while p < range.upperBound {
            let g = min(group, range.upperBound - p)
            for t in 1..<n {
                let xs = planes[t - 1] + p, ys = planes[half + t - 1] + p
                for j in 0..<g {
                    re[j * n + t] = xs[j]
                    im[j * n + t] = ys[j]
                }
            }
            for j in 0..<g {
                re.withUnsafeBufferPointer { r in im.withUnsafeBufferPointer { i in
                    zr.withUnsafeMutableBufferPointer { a in zi.withUnsafeMutableBufferPointer { b in
                        transform.forward(real: r.baseAddress! + j * n, imaginary: i.baseAddress! + j * n,
                                          outputReal: a.baseAddress!, outputImaginary: b.baseAddress!)
                    } }
                } }
                for k in 0..<frequencies {
                    let m = (n - k) % n
                    let (a, b, c, d) = (zr[k], zi[k], zr[m], zi[m])
                    let o = dst + 4 * k * planeSize + p + j
                    o[0] = 0.5 * (a + c)
                    o[planeSize] = 0.5 * (b - d)
                    o[2 * planeSize] = 0.5 * (b + d)
                    o[3 * planeSize] = 0.5 * (c - a)
                }
            }
            p += g
        }
    }

    /// Calls `body` with pointers to every plane's samples, valid during the call (one nested
    /// buffer access per plane, so no pointer outlives its access).
    private static func withPlanePointers(_ planes: [Plane], _ body: (UnsafeBufferPointer<UnsafePointer<Float>>) -> Void) {
        var pointers: [UnsafePointer<Float>] = []
        pointers.reserveCapacity(planes.count)
        func nest(_ i: Int) {
            if i == planes.count {
                pointers.withUnsafeBufferPointer(body)
                return
            }
            planes[i].data.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                pointers.append(base)
                nest(i + 1)
            }
        }
        nest(0)
    }
}
