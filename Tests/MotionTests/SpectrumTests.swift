import Foundation
@testable import Flow
@testable import Spectral
import Raster
import XCTest

/// A small deterministic generator (SplitMix64), so a failing case can be replayed.
typealias SpectrumTestRNG = SplitMix64

/// The truncated DFT of trajectories (streaming, batched, scalar reference) against the
/// analytic spectrum of sinusoidal motion and against each other.
final class SpectrumTests: XCTestCase {
    static func randomTrajectories(width: Int, height: Int, count: Int, seed: UInt64, amplitude: Float = 4) -> [FlowField] {
        var rng = SpectrumTestRNG(seed: seed)
        return (0..<count).map { _ in
            let u = Plane(width: width, height: height, data: (0..<(width * height)).map { _ in Float.random(in: -amplitude...amplitude, using: &rng) })
            let v = Plane(width: width, height: height, data: (0..<(width * height)).map { _ in Float.random(in: -amplitude...amplitude, using: &rng) })
            return try! FlowField(u: u, v: v)
        }
    }

    /// Asserts |a − b| ≤ relative · Σ_t |F_t| for every value, per pixel and component (the
    /// natural scale of a sum of T terms, which cancellation cannot shrink).
    func assertSpectraClose(_ a: MotionSpectrum, _ b: MotionSpectrum, trajectories: [FlowField], relative: Double,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.values.count, b.values.count, file: file, line: line)
        let n = a.width * a.height
        var worst = 0.0
        for p in 0..<n {
            let sx = trajectories.reduce(0.0) { $0 + Double(abs($1.u.data[p])) }
            let sy = trajectories.reduce(0.0) { $0 + Double(abs($1.v.data[p])) }
            for c in 0..<(4 * a.frequencies) {
                let scale = max(c % 4 < 2 ? sx : sy, 1e-30)
                worst = max(worst, abs(Double(a.values[c * n + p]) - Double(b.values[c * n + p])) / scale)
            }
        }
        XCTAssertLessThanOrEqual(worst, relative, "worst relative difference \(worst)", file: file, line: line)
    }

    /// x: A·cos(2πft/T + φ), y: B·sin(2πft/T + φ), different A, B, φ per pixel, F_0 = 0. Over
    /// the full period the sums are A·T/2·e^{iφ} (x) and −i·B·T/2·e^{iφ} (y) at k = f and 0 at
    /// every other k < T/2; setting F_0 = 0 removes the t = 0 terms A·cos φ and B·sin φ from
    /// every k.
    func testSinusoidalMotionHasTheAnalyticSpectrum() throws {
        let w = 19, h = 5, T = 24, K = 6, f = 2
        var rng = SpectrumTestRNG(seed: 7)
        let params = (0..<(w * h)).map { _ in
            (a: Double.random(in: 0.5...6, using: &rng), b: Double.random(in: 0.5...6, using: &rng),
             phi: Double.random(in: -Double.pi...Double.pi, using: &rng))
        }
        let fields = (1..<T).map { t -> FlowField in
            let angle = { (phi: Double) in 2 * Double.pi * Double(f * t) / Double(T) + phi }
            let u = Plane(width: w, height: h, data: params.map { Float($0.a * cos(angle($0.phi))) })
            let v = Plane(width: w, height: h, data: params.map { Float($0.b * sin(angle($0.phi))) })
            return try! FlowField(u: u, v: v)
        }
        let batched = try MotionSpectrum.truncatedDFT(trajectories: fields, frequencies: K, threads: 2)
        let half = Double(T) / 2, n = w * h
        for (p, q) in params.enumerated() {
            for k in 0..<K {
                let peak = k == f ? 1.0 : 0.0
                let expected = [peak * q.a * half * cos(q.phi) - q.a * cos(q.phi), peak * q.a * half * sin(q.phi),
                                peak * q.b * half * sin(q.phi) - q.b * sin(q.phi), -peak * q.b * half * cos(q.phi)]
                for j in 0..<4 {
                    XCTAssertEqual(Double(batched.values[(4 * k + j) * n + p]), expected[j], accuracy: 2e-5 * half * 6,
                                   "pixel \(p) k \(k) channel \(j)")
                }
            }
            // |S_f| (without the t = 0 correction) is A·T/2 and its phase is φ.
            let re = Double(batched.values[(4 * f) * n + p]) + q.a * cos(q.phi), im = Double(batched.values[(4 * f + 1) * n + p])
            XCTAssertEqual(hypot(re, im), q.a * half, accuracy: 1e-4 * q.a * half)
            XCTAssertEqual(remainder(atan2(im, re) - q.phi, 2 * Double.pi), 0, accuracy: 1e-4)
        }
    }

    func testAccumulatorBatchedAndReferenceAgree() throws {
        for (w, h, T, K, seed) in [(37, 11, 150, 16, UInt64(1)), (8, 3, 5, 5, 2), (3, 2, 2, 1, 3), (64, 4, 40, 21, 4)] {
            let fields = Self.randomTrajectories(width: w, height: h, count: T - 1, seed: seed)
            let reference = try MotionSpectrum.referenceDFT(trajectories: fields, frequencies: K)
            for threads in [1, 2] {
                let batched = try MotionSpectrum.truncatedDFT(trajectories: fields, frequencies: K, threads: threads)
                assertSpectraClose(batched, reference, trajectories: fields, relative: 1e-5)
                var accumulator = try SpectrumAccumulator(width: w, height: h, frequencies: K, windowLength: T, threads: threads)
                var rng = SpectrumTestRNG(seed: seed + 100)
                for t in Array(1..<T).shuffled(using: &rng) { try accumulator.add(fields[t - 1], at: t) }
                XCTAssertEqual(accumulator.addedCount, T - 1)
                let streamed = accumulator.spectrum()
                XCTAssertEqual(streamed.windowLength, T)
                XCTAssertEqual(streamed.frequencies, K)
                assertSpectraClose(streamed, reference, trajectories: fields, relative: 1e-5)
                assertSpectraClose(streamed, batched, trajectories: fields, relative: 1e-5)
            }
        }
    }

    /// A spectrum read mid-window holds the times added so far (the others count as zero),
    /// and reading it does not disturb the sums.
    func testPartialSpectrumAndContinuation() throws {
        let (w, h, T, K) = (13, 7, 30, 8)
        let fields = Self.randomTrajectories(width: w, height: h, count: T - 1, seed: 11)
        var accumulator = try SpectrumAccumulator(width: w, height: h, frequencies: K, windowLength: T)
        for t in 1...11 { try accumulator.add(fields[t - 1], at: t) }
        let zero = FlowField(width: w, height: h)
        let partialFields = (1..<T).map { $0 <= 11 ? fields[$0 - 1] : zero }
        assertSpectraClose(accumulator.spectrum(), try MotionSpectrum.referenceDFT(trajectories: partialFields, frequencies: K),
                           trajectories: fields, relative: 1e-5)
        for t in 12..<T { try accumulator.add(fields[t - 1], at: t) }
        assertSpectraClose(accumulator.spectrum(), try MotionSpectrum.referenceDFT(trajectories: fields, frequencies: K),
                           trajectories: fields, relative: 1e-5)
    }

    func testSIMDKernelMatchesScalarKernel() {
        for (w, h, n, K) in [(29, 3, 9, 4), (8, 1, 1, 1), (5, 5, 17, 17), (40, 2, 3, 6)] {
            let fields = Self.randomTrajectories(width: w, height: h, count: n, seed: UInt64(w * 31 + n))
            let timed = fields.enumerated().map { ($0.element, $0.offset + 1) }
            var simd = [Float](repeating: 0.25, count: 4 * K * w * h), scalar = simd
            SpectrumAccumulator.fold(timed, into: &simd, width: w, height: h, frequencies: K, windowLength: n + 1, threads: 2)
            SpectrumAccumulator.fold(timed, into: &scalar, width: w, height: h, frequencies: K, windowLength: n + 1, threads: 1,
                                     scalar: true)
            let worst = zip(simd, scalar).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-5 * Float(n) * 4, "\(w)×\(h), \(n) frames, K \(K)")
            // The whole-window kernel (t and T−t together), odd and even T.
            for frames in [n, n + 1] {
                let window = Self.randomTrajectories(width: w, height: h, count: frames, seed: UInt64(frames))
                let k = min(K, frames + 1)
                var a = [Float](repeating: -0.5, count: 4 * k * w * h), b = a
                MotionSpectrum.foldWindow(window, into: &a, width: w, height: h, frequencies: k, threads: 2)
                MotionSpectrum.foldWindow(window, into: &b, width: w, height: h, frequencies: k, threads: 1, scalar: true)
                let worstWindow = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worstWindow, 1e-5 * Float(frames) * 4, "window \(w)×\(h), \(frames) frames, K \(k)")
            }
        }
    }

    func testChannelLayout() throws {
        let values = (0..<(4 * 2 * 3 * 2)).map { Float($0) }
        let s = try MotionSpectrum(width: 3, height: 2, frequencies: 2, windowLength: 4, values: values)
        XCTAssertEqual(s.channel(5).data, [30, 31, 32, 33, 34, 35])
        XCTAssertEqual(s.channel(5)[2, 1], 35)
    }

    func testBadParametersThrow() throws {
        func invalid(_ body: () throws -> Void, _ message: String, line: UInt = #line) {
            XCTAssertThrowsError(try body(), message, line: line) { error in
                guard let e = error as? MotionError else { return XCTFail("not a MotionError: \(error)", line: line) }
                switch e {
                case .invalidParameter, .sizeMismatch: break
                default: XCTFail("unexpected \(e)", line: line)
                }
                XCTAssertFalse(e.description.isEmpty)
            }
        }
        invalid({ _ = try SpectrumAccumulator(width: 4, height: 4, frequencies: 11, windowLength: 10) }, "K > T")
        invalid({ _ = try SpectrumAccumulator(width: 4, height: 4, frequencies: 0, windowLength: 10) }, "K = 0")
        invalid({ _ = try SpectrumAccumulator(width: 4, height: 4, frequencies: 1, windowLength: 1) }, "T = 1")
        invalid({ _ = try SpectrumAccumulator(width: 0, height: 4, frequencies: 1, windowLength: 4) }, "width 0")
        invalid({ _ = try SpectrumAccumulator(width: 4, height: -1, frequencies: 1, windowLength: 4) }, "height −1")
        invalid({ _ = try SpectrumAccumulator(width: Int.max / 2, height: 4, frequencies: 1, windowLength: 4) }, "huge")
        invalid({ _ = try SpectrumAccumulator(width: 4, height: 4, frequencies: 2, windowLength: Int.max) }, "huge T")
        var accumulator = try SpectrumAccumulator(width: 4, height: 3, frequencies: 2, windowLength: 6)
        let field = FlowField(width: 4, height: 3)
        invalid({ try accumulator.add(field, at: 0) }, "t = 0")
        invalid({ try accumulator.add(field, at: 6) }, "t = T")
        invalid({ try accumulator.add(field, at: -3) }, "t < 0")
        invalid({ try accumulator.add(FlowField(width: 3, height: 4), at: 2) }, "size mismatch")
        try accumulator.add(field, at: 2)
        invalid({ try accumulator.add(field, at: 2) }, "t repeated")
        XCTAssertEqual(accumulator.addedCount, 1)
        let fields = Self.randomTrajectories(width: 4, height: 3, count: 5, seed: 5)
        invalid({ _ = try MotionSpectrum.truncatedDFT(trajectories: [], frequencies: 1) }, "no trajectories")
        invalid({ _ = try MotionSpectrum.truncatedDFT(trajectories: fields, frequencies: 7) }, "K > T")
        invalid({ _ = try MotionSpectrum.truncatedDFT(trajectories: fields, frequencies: 0) }, "K = 0")
        invalid({ _ = try MotionSpectrum.truncatedDFT(trajectories: fields + [FlowField(width: 4, height: 4)], frequencies: 2) },
                "sizes differ")
        invalid({ _ = try MotionSpectrum.referenceDFT(trajectories: fields, frequencies: 7) }, "reference K > T")
        invalid({ _ = try MotionSpectrum(width: 2, height: 2, frequencies: 1, windowLength: 3, values: [0, 1]) }, "count")
    }
}
