import MediaIO
import Flow
import Spectral
import Raster
import XCTest

/// The two ways to the spectrum agree: the truncated DFT (Motion) and libavutil's av_tx FFT
/// (MediaIO), on the same random trajectories.
final class SpectrumCrossCheckTests: XCTestCase {
    func testTruncatedDFTEqualsAVTXFFT() throws {
        var generator = SystemRandomNumberGenerator()
        let w = 37, h = 11, T = 150, K = 16
        var fields: [FlowField] = []
        for _ in 1..<T {
            let u = Plane(width: w, height: h, data: (0..<(w * h)).map { _ in Float.random(in: -6...6, using: &generator) })
            let v = Plane(width: w, height: h, data: (0..<(w * h)).map { _ in Float.random(in: -6...6, using: &generator) })
            fields.append(try FlowField(u: u, v: v))
        }
        let dft = try MotionSpectrum.truncatedDFT(trajectories: fields, frequencies: K, threads: 2)
        let fft = try FFTSpectrum.spectrum(trajectoriesX: fields.map(\.u), trajectoriesY: fields.map(\.v), frequencies: K, threads: 2)
        XCTAssertEqual(fft.count, dft.values.count)
        let scale = dft.values.map { abs($0) }.max() ?? 1
        let worst = zip(fft, dft.values).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst / scale, 1e-4, "av_tx vs truncated DFT: \(worst) of \(scale)")
    }
}
