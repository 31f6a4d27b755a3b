import Foundation
import MediaIO
import Raster
import XCTest

/// libavutil's av_tx FFT through `FourierTransform` (direct and Bluestein) and `FFTSpectrum`
/// against DFTs computed here in Double from the definition.
final class FourierTransformTests: XCTestCase {
    /// A deterministic generator (SplitMix64).
    typealias RNG = SplitMix64

    /// X_k = Σ_t x_t e^{−2πikt/n} in Double.
    static func dft(_ re: [Float], _ im: [Float], k: Int) -> (Double, Double) {
        let n = re.count
        var sr = 0.0, si = 0.0
        for t in 0..<n {
            let angle = -2 * Double.pi * Double((k * t) % n) / Double(n)
            sr += Double(re[t]) * cos(angle) - Double(im[t]) * sin(angle)
            si += Double(re[t]) * sin(angle) + Double(im[t]) * cos(angle)
        }
        return (sr, si)
    }

    func testTransformsMatchTheDefinition() throws {
        var rng = RNG(state: 5)
        for n in [1, 2, 3, 8, 97, 128, 150] {
            let re = (0..<n).map { _ in Float.random(in: -3...3, using: &rng) }
            let im = (0..<n).map { _ in Float.random(in: -3...3, using: &rng) }
            let scale = zip(re, im).reduce(0.0) { $0 + Double(abs($1.0) + abs($1.1)) }
            for bins in [nil, 1, 4, (n + 1) / 2].filter({ ($0 ?? 0) <= n }) {
                for method in FourierTransform.Method.allCases {
                    let fft = try FourierTransform(length: n, bins: bins, method: method)
                    XCTAssertNotEqual(fft.method, .automatic)
                    let (outRe, outIm) = try fft.forward(real: re, imaginary: im)
                    let wanted = Set(fft.outputIndices)
                    for k in 0..<n {
                        if wanted.contains(k) {
                            let (er, ei) = Self.dft(re, im, k: k)
                            XCTAssertEqual(Double(outRe[k]), er, accuracy: 1e-5 * scale, "n \(n) bins \(String(describing: bins)) \(method) k \(k)")
                            XCTAssertEqual(Double(outIm[k]), ei, accuracy: 1e-5 * scale, "n \(n) bins \(String(describing: bins)) \(method) k \(k)")
                        } else {
                            XCTAssertEqual(outRe[k], 0)
                            XCTAssertEqual(outIm[k], 0)
                        }
                    }
                    let low = bins ?? n
                    let expected = 2 * low - 1 >= n ? Array(0..<n) : Array(0..<low) + Array((n - low + 1)..<n)
                    XCTAssertEqual(fft.outputIndices, expected)
                }
            }
        }
    }

    func testMethodChoice() throws {
        XCTAssertEqual(try FourierTransform(length: 128).method, .direct)
        let gid = try FourierTransform(length: 150, bins: 16)
        XCTAssertEqual(gid.method, .bluestein)
        XCTAssertEqual(gid.transformLength, 256)  // ≥ 150 + 2·16 − 2 = 180
        XCTAssertEqual(try FourierTransform(length: 150).transformLength, 512)  // ≥ 2·150 − 1
        XCTAssertEqual(try FourierTransform(length: 150, method: .direct).transformLength, 150)
    }

    /// FFTSpectrum of random trajectories against the truncated DFT of the definition
    /// (F_0 = 0, channels Re x, Im x, Re y, Im y per k), relative to Σ_t |F_t| per pixel.
    func testSpectrumMatchesTruncatedDFT() throws {
        var rng = RNG(state: 9)
        for (w, h, T, K) in [(11, 3, 150, 16), (9, 2, 32, 32), (4, 1, 2, 1), (5, 2, 7, 4)] {
            let xs = (1..<T).map { _ in Plane(width: w, height: h, data: (0..<(w * h)).map { _ in Float.random(in: -5...5, using: &rng) }) }
            let ys = (1..<T).map { _ in Plane(width: w, height: h, data: (0..<(w * h)).map { _ in Float.random(in: -5...5, using: &rng) }) }
            let n = w * h
            for method in FourierTransform.Method.allCases {
                for threads in [1, 2] {
                    let values = try FFTSpectrum.spectrum(trajectoriesX: xs, trajectoriesY: ys, frequencies: K, threads: threads, method: method)
                    XCTAssertEqual(values.count, 4 * K * n)
                    for p in 0..<n {
                        let seriesX = [0] + xs.map { $0.data[p] }, seriesY = [0] + ys.map { $0.data[p] }
                        let zeros = [Float](repeating: 0, count: T)
                        let sx = seriesX.reduce(0.0) { $0 + Double(abs($1)) }, sy = seriesY.reduce(0.0) { $0 + Double(abs($1)) }
                        for k in 0..<K {
                            let (xr, xi) = Self.dft(seriesX, zeros, k: k), (yr, yi) = Self.dft(seriesY, zeros, k: k)
                            let expected = [(xr, sx), (xi, sx), (yr, sy), (yi, sy)]
                            for (j, (e, scale)) in expected.enumerated() {
                                XCTAssertEqual(Double(values[(4 * k + j) * n + p]), e, accuracy: 1e-4 * scale,
                                               "\(w)×\(h) T \(T) K \(K) \(method) pixel \(p) k \(k) channel \(j)")
                            }
                        }
                    }
                }
            }
        }
    }

    func testBadArgumentsThrow() {
        XCTAssertThrowsError(try FourierTransform(length: 0))
        XCTAssertThrowsError(try FourierTransform(length: 1 << 23))
        XCTAssertThrowsError(try FourierTransform(length: 8, bins: 0))
        XCTAssertThrowsError(try FourierTransform(length: 8, bins: 9))
        XCTAssertThrowsError(try FourierTransform(length: 8).forward(real: [1, 2], imaginary: [1, 2]))
        let p = Plane(width: 3, height: 2)
        XCTAssertThrowsError(try FFTSpectrum.spectrum(trajectoriesX: [], trajectoriesY: [], frequencies: 1, threads: 1))
        XCTAssertThrowsError(try FFTSpectrum.spectrum(trajectoriesX: [p, p], trajectoriesY: [p], frequencies: 1, threads: 1))
        XCTAssertThrowsError(try FFTSpectrum.spectrum(trajectoriesX: [p, p], trajectoriesY: [p, p], frequencies: 4, threads: 1))
        XCTAssertThrowsError(try FFTSpectrum.spectrum(trajectoriesX: [p, p], trajectoriesY: [p, p], frequencies: 0, threads: 1))
        XCTAssertThrowsError(try FFTSpectrum.spectrum(trajectoriesX: [p, Plane(width: 2, height: 3)], trajectoriesY: [p, p],
                                                      frequencies: 1, threads: 1))
        let empty = Plane(width: 0, height: 0)
        XCTAssertThrowsError(try FFTSpectrum.spectrum(trajectoriesX: [empty], trajectoriesY: [empty], frequencies: 1, threads: 1))
    }
}
