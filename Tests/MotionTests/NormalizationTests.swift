import Foundation
@testable import Flow
@testable import Spectral
import XCTest

/// The magnitude histogram (bins, percentiles, merging, sparse form) and the normalisation.
final class NormalizationTests: XCTestCase {
    /// A spectrum of K frequencies holding `values` (4·W·H per frequency, in order).
    func spectrum(_ perFrequency: [[Float]], width: Int) throws -> MotionSpectrum {
        let n = perFrequency[0].count / 4
        return try MotionSpectrum(width: width, height: n / width, frequencies: perFrequency.count, windowLength: 150,
                                  values: perFrequency.flatMap { $0 })
    }

    func testPowersOfTwoAndSpecialValues() throws {
        let h = try MagnitudeHistogram(frequencies: 1)
        let b = h.binsPerOctave, last = h.binCount - 1
        XCTAssertEqual(h.binCount, 40 * 32 + 2)
        for e in -20...20 {
            let x = Float(sign: .plus, exponent: e, significand: 1)
            XCTAssertEqual(h.bin(of: x), e == 20 ? last : 1 + (e + 20) * b, "2^\(e)")
            XCTAssertEqual(h.bin(of: -x), h.bin(of: x), "−2^\(e)")
            XCTAssertEqual(h.bin(of: x.nextDown), e == -20 ? 0 : (e + 20) * b, "just below 2^\(e)")
            XCTAssertEqual(h.lowerEdge(of: h.bin(of: x)), e == 20 ? exp2(20) : Double(x))
        }
        XCTAssertEqual(h.bin(of: 0), 0)
        XCTAssertEqual(h.bin(of: -0.0), 0)
        XCTAssertEqual(h.bin(of: .leastNonzeroMagnitude), 0)
        XCTAssertEqual(h.bin(of: Float.leastNormalMagnitude.nextDown), 0)
        XCTAssertEqual(h.bin(of: .greatestFiniteMagnitude), last)
        XCTAssertEqual(h.bin(of: 3e30), last)
        XCTAssertEqual(h.bin(of: .nan), -1)
        XCTAssertEqual(h.bin(of: .infinity), -1)
        XCTAssertEqual(h.bin(of: -.infinity), -1)
        XCTAssertEqual(h.lowerEdge(of: 0), 0)
        XCTAssertEqual(h.upperEdge(of: 0), exp2(-20))
        XCTAssertEqual(h.upperEdge(of: last), .infinity)
        // Extreme layouts: the whole Float exponent range.
        let wide = try MagnitudeHistogram(frequencies: 1, minExponent: -126, maxExponent: 128, binsPerOctave: 1)
        XCTAssertEqual(wide.bin(of: .leastNormalMagnitude), 1)
        XCTAssertEqual(wide.bin(of: .greatestFiniteMagnitude), wide.binCount - 2)
        XCTAssertEqual(wide.bin(of: Float.leastNormalMagnitude.nextDown), 0)
    }

    /// Every Float next to every irrational edge 2^(min + j/b) of several octaves lands on the
    /// side the edge (computed in Double) says.
    func testInteriorEdges() throws {
        for b in [32, 7, 1, 100] {
            let h = try MagnitudeHistogram(frequencies: 1, binsPerOctave: b)
            for j in stride(from: 0, to: 40 * b, by: max(1, b / 8)) + Array(((20 * b - b)...(20 * b + b))) {
                let edge = exp2(-20 + Double(j) / Double(b))
                let x = Float(edge)
                for y in [x.nextDown, x, x.nextUp] {
                    XCTAssertEqual(h.bin(of: y), Double(y) >= edge ? 1 + j : j, "b \(b) edge \(j), value \(y)")
                }
            }
        }
    }

    func testSIMDBinsMatchScalar() throws {
        var rng = SpectrumTestRNG(seed: 3)
        for b in [32, 5, 1, 4096] {
            let layout = BinLayout(minExponent: -20, maxExponent: 20, binsPerOctave: b)
            var values = (0..<2003).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)) }
            values += (0..<1000).map { _ in Float.random(in: -50...50, using: &rng) }
            // Mantissas exactly on and just below every threshold, in a few octaves.
            for m in layout.thresholds.dropFirst().dropLast() {
                for e in [-21, -3, 0, 19] {
                    for mm in [m, m - 1] {
                        values.append(Float(bitPattern: UInt32(e + 127) << 23 | UInt32(mm)))
                    }
                }
            }
            values += [0, -0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
            var bins = [Int32](repeating: 99, count: values.count)
            values.withUnsafeBufferPointer { v in bins.withUnsafeMutableBufferPointer { layout.bins(v.baseAddress!, count: v.count, into: $0.baseAddress!) } }
            for (i, v) in values.enumerated() {
                XCTAssertEqual(bins[i], layout.binScalar(v), "b \(b) value \(v) (\(String(v.bitPattern, radix: 16)))")
            }
        }
        // The polynomial the SIMD estimate starts from.
        var worst = 0.0
        for i in 0...10_000 {
            let f = Double(i) / 10_000, c = Log2Polynomial.coefficients
            let p = c.reversed().reduce(0.0) { $0 * f + Double($1) }
            worst = max(worst, abs(p - log2(1 + f)))
        }
        XCTAssertLessThan(worst, 1e-5)
    }

    /// The percentile of 10 000 log-uniform values, against the exact one of the sorted values.
    func testPercentileOfLogUniformValues() throws {
        var rng = SpectrumTestRNG(seed: 17)
        let n = 10_000
        let k0 = (0..<n).map { _ in Float(exp2(Double.random(in: -5...8, using: &rng))) * (Bool.random(using: &rng) ? 1 : -1) }
        let k1 = (0..<n).map { _ in Float(exp2(Double.random(in: -30...30, using: &rng))) }
        var h = try MagnitudeHistogram(frequencies: 2)
        try h.add(try spectrum([k0, k1], width: 50))
        XCTAssertEqual(h.totalCount(frequency: 0), UInt64(n))
        let bound = exp2(1.0 / 32) - 1
        let sorted0 = k0.map { Double(abs($0)) }.sorted()
        for p in [0.01, 1, 10, 50, 97, 99.9, 100] {
            let rank = Int((p * Double(n) / 100).rounded(.up))
            let exact = sorted0[rank - 1], estimate = h.percentile(p, frequency: 0)
            XCTAssertLessThan(abs(estimate - exact) / exact, bound, "P \(p): \(estimate) vs \(exact)")
        }
        // Frequency 1 reaches past both ends: its extremes come from bin 0 and the top bin.
        let sorted1 = k1.map { Double($0) }.sorted()
        let median = h.percentile(50, frequency: 1), exactMedian = sorted1[n / 2 - 1]
        XCTAssertLessThan(abs(median - exactMedian) / exactMedian, bound)
        XCTAssertLessThanOrEqual(h.percentile(1, frequency: 1), exp2(-20))
        XCTAssertEqual(h.percentile(100, frequency: 1), exp2(20))
        XCTAssertEqual(try MagnitudeHistogram(frequencies: 3).percentile(97, frequency: 2), 0)
        XCTAssertEqual(h.scales(percentile: 97).count, 2)
        XCTAssertEqual(Double(h.scales(percentile: 97)[0]), h.percentile(97, frequency: 0), accuracy: 1e-6 * h.percentile(97, frequency: 0))
    }

    func testMergeOfHalvesEqualsWhole() throws {
        var rng = SpectrumTestRNG(seed: 23)
        let width = 16, rows = 6
        func values() -> [Float] { (0..<(4 * width * rows)).map { _ in Float.random(in: -9...9, using: &rng) * Float.random(in: 0...1, using: &rng) } }
        let a = [values(), values(), values()], b = [values(), values(), values()]
        var ha = try MagnitudeHistogram(frequencies: 3), hb = try MagnitudeHistogram(frequencies: 3)
        try ha.add(try spectrum(a, width: width))
        try hb.add(try spectrum(b, width: width))
        // The whole: both halves' values in one spectrum twice the height.
        var whole = try MagnitudeHistogram(frequencies: 3)
        let plane = width * rows
        var joined: [[Float]] = []
        for k in 0..<3 {
            var channels: [Float] = []
            for c in 0..<4 {
                let range = (c * plane)..<((c + 1) * plane)
                channels += a[k][range]
                channels += b[k][range]
            }
            joined.append(channels)
        }
        try whole.add(try spectrum(joined, width: width))
        var merged = ha
        try merged.merge(hb)
        XCTAssertEqual(merged, whole)
        XCTAssertEqual(merged.counts, whole.counts)
        XCTAssertEqual(merged.scales(percentile: 97), whole.scales(percentile: 97))
        var reversed = hb
        try reversed.merge(ha)
        XCTAssertEqual(reversed, whole)
        XCTAssertEqual(merged.totalCount(frequency: 1), UInt64(2 * 4 * width * rows))
        // The scalar reference kernel gives the same histogram.
        var scalar = try MagnitudeHistogram(frequencies: 3)
        try scalar.add(try spectrum(joined, width: width), scalar: true)
        XCTAssertEqual(scalar, whole)
    }

    func testSparseRoundTripAndValidation() throws {
        var rng = SpectrumTestRNG(seed: 31)
        var h = try MagnitudeHistogram(frequencies: 2, minExponent: -10, maxExponent: 6, binsPerOctave: 8)
        try h.add(try spectrum([(0..<64).map { _ in Float.random(in: -100...100, using: &rng) }, [Float](repeating: 0, count: 64)], width: 4))
        let sparse = (0..<2).map { h.sparseCounts(frequency: $0) }
        XCTAssertEqual(sparse[1].count, 1)
        XCTAssertEqual(sparse[1].first?.bin, 0)
        XCTAssertEqual(sparse[1].first?.count, 64)
        XCTAssertEqual(sparse[0].map(\.bin), sparse[0].map(\.bin).sorted())
        XCTAssertFalse(sparse[0].contains { $0.count == 0 })
        let back = try MagnitudeHistogram(frequencies: 2, minExponent: -10, maxExponent: 6, binsPerOctave: 8, sparseCounts: sparse)
        XCTAssertEqual(back, h)
        func rejects(_ lists: [[(bin: Int, count: UInt64)]], _ message: String, line: UInt = #line) {
            XCTAssertThrowsError(try MagnitudeHistogram(frequencies: 2, minExponent: -10, maxExponent: 6, binsPerOctave: 8,
                                                        sparseCounts: lists), message, line: line)
        }
        rejects([[(0, 1)]], "one list for K = 2")
        rejects([[(130, 1)], []], "bin past the end")
        rejects([[(-1, 1)], []], "negative bin")
        rejects([[(3, 1), (3, 0)], []], "bin listed twice")
        rejects([[(3, .max), (4, 1)], []], "total overflow")
        XCTAssertThrowsError(try MagnitudeHistogram(frequencies: 0))
        XCTAssertThrowsError(try MagnitudeHistogram(frequencies: 1, minExponent: 5, maxExponent: 5))
        XCTAssertThrowsError(try MagnitudeHistogram(frequencies: 1, minExponent: -127))
        XCTAssertThrowsError(try MagnitudeHistogram(frequencies: 1, maxExponent: 129))
        XCTAssertThrowsError(try MagnitudeHistogram(frequencies: 1, binsPerOctave: 0))
    }

    func testAddAndMergeRefuseWithoutChanging() throws {
        var h = try MagnitudeHistogram(frequencies: 1)
        try h.add(try spectrum([[1, 2, 3, 4]], width: 1))
        let before = h
        XCTAssertThrowsError(try h.add(try spectrum([[1, .nan, 3, 4]], width: 1))) { error in
            XCTAssertEqual(error as? MotionError, .nonFiniteInput(what: "motion spectrum added to the magnitude histogram"))
        }
        XCTAssertThrowsError(try h.add(try spectrum([[1, 2, .infinity, 4]], width: 1)))
        XCTAssertThrowsError(try h.add(try spectrum([[1, 2, 3, 4], [1, 2, 3, 4]], width: 1)), "K differs")
        XCTAssertThrowsError(try h.merge(try MagnitudeHistogram(frequencies: 1, binsPerOctave: 16)), "layout differs")
        let huge = try MagnitudeHistogram(frequencies: 1, minExponent: -20, maxExponent: 20, binsPerOctave: 32,
                                          sparseCounts: [[(bin: 500, count: UInt64.max - 3)]])
        XCTAssertThrowsError(try h.merge(huge), "total overflow")
        XCTAssertEqual(h, before)
    }

    func testNormalizationMatchesTheFormulaAndInverts() throws {
        var rng = SpectrumTestRNG(seed: 41)
        let width = 7, rows = 3, run = 4 * width * rows
        var values = (0..<(3 * run)).map { _ in Float.random(in: -20...20, using: &rng) }
        values[5] = 0
        values[6] = -0.0
        values[7] = 1e-30
        let s = try MotionSpectrum(width: width, height: rows, frequencies: 3, windowLength: 10, values: values)
        let scales: [Float] = [2.5, 0, 0.03]
        let norm = try SpectrumNormalization(scales: scales)
        let normalized = try norm.normalized(s)
        for (i, v) in values.enumerated() {
            let scale = Double(scales[i / run])
            let expected = scale == 0 ? 0 : (v < 0 ? -1.0 : 1.0) * (Double(abs(v)) / scale).squareRoot()
            XCTAssertEqual(Double(normalized.values[i]), expected, accuracy: 1e-6 * max(1, abs(expected)), "value \(i)")
        }
        let back = try norm.denormalized(normalized)
        for (i, v) in values.enumerated() {
            let expected: Float = scales[i / run] == 0 ? 0 : v
            XCTAssertEqual(back.values[i], expected, accuracy: 1e-5 * max(1, abs(expected)), "value \(i)")
        }
        // SIMD kernels against their scalar references, with a tail.
        var a = [Float](repeating: 0, count: values.count), b = a
        for kernel in [(NormalizationKernels.normalize, NormalizationKernels.normalizeScalar),
                       (NormalizationKernels.denormalize, NormalizationKernels.denormalizeScalar)] {
            values.withUnsafeBufferPointer { v in
                a.withUnsafeMutableBufferPointer { kernel.0(v.baseAddress!, $0.baseAddress!, v.count - 3, 0.7) }
                b.withUnsafeMutableBufferPointer { kernel.1(v.baseAddress!, $0.baseAddress!, v.count - 3, 0.7) }
            }
            XCTAssertEqual(a, b)
        }
        XCTAssertThrowsError(try norm.normalized(try MotionSpectrum(width: 1, height: 1, frequencies: 1, windowLength: 2, values: [1, 2, 3, 4])))
        XCTAssertThrowsError(try SpectrumNormalization(scales: [1, .nan]))
        XCTAssertThrowsError(try SpectrumNormalization(scales: [-1]))
        XCTAssertThrowsError(try SpectrumNormalization(scales: [.infinity]))
        XCTAssertThrowsError(try SpectrumNormalization(scales: []))
    }
}
