@testable import Flow
@testable import Spectral
import Raster
import XCTest

/// The pieces a regularising tracker is made of: the fill, the consistency and the evidence.
final class TrajectoryConfidenceTests: XCTestCase {
    /// 64 × 32: dark on the left (x < 32), bright on the right; with `soft`, column 32 is the
    /// average of both (a one-pixel anti-aliased edge).
    func twoRegions(soft: Bool) -> Plane {
        Plane(width: 64, height: 32, data: (0..<(64 * 32)).map { i in
            let x = i % 64
            return x < 32 ? 0.2 : (x == 32 && soft ? 0.5 : 0.8)
        })
    }

    func testFillKeepsToItsSideOfAnEdgeAndFallsToZeroAwayFromSources() throws {
        for soft in [false, true] {
            let reference = twoRegions(soft: soft)
            let fill = FlatRegionFill(reference: reference)
            // Measured: 5 px everywhere; trusted only on a 6-px band of the bright side (x 40…45).
            let field = try FlowField(u: Plane(width: 64, height: 32, value: 5), v: Plane(width: 64, height: 32))
            let weight = Plane(width: 64, height: 32, data: (0..<(64 * 32)).map { (40...45).contains($0 % 64) ? 1 : 0 })
            let out = fill.apply(field, weight: weight)
            let row = 16 * 64
            XCTAssertEqual(out.u.data[row + 42], 5, accuracy: 1e-4, "a source keeps its measurement")
            XCTAssertGreaterThan(out.u.data[row + 47], 1.5, "next to the sources, on their side, the fill follows them")
            XCTAssertGreaterThan(out.u.data[row + 47], out.u.data[row + 50], "and decays away from them")
            XCTAssertLessThan(out.u.data[row + 63], 0.5, "far from the sources, the fill falls towards zero")
            XCTAssertLessThan(abs(out.u.data[row + 30]), 0.05, "soft \(soft): nothing crosses the edge")
            XCTAssertLessThan(abs(out.u.data[row + 10]), 0.01, "soft \(soft)")
            XCTAssertEqual(out.v.data[row + 42], 0, accuracy: 1e-6)
        }
    }

    func testConsistencyOfForwardAndBackwardFlows() throws {
        let w = 32, h = 24
        let forward = try FlowField(u: Plane(width: w, height: h, value: 2), v: Plane(width: w, height: h))
        let inverse = try FlowField(u: Plane(width: w, height: h, value: -2), v: Plane(width: w, height: h))
        let still = FlowField(width: w, height: h)
        let rules = TrajectoryConfidence()
        let (agree, _) = rules.consistencies(forward: forward, backward: inverse, looseness: 3)
        XCTAssertEqual(agree.data[10 * w + 5], 1, accuracy: 1e-6)
        XCTAssertEqual(agree.data[10 * w + w - 1], 0, "p + F leaves the picture")
        let (strict, loose) = rules.consistencies(forward: forward, backward: still, looseness: 3)
        XCTAssertLessThan(strict.data[10 * w + 5], 0.1, "a round trip of 2 px")
        XCTAssertGreaterThan(loose.data[10 * w + 5], 0.5, "tolerated three times as much")
        XCTAssertEqual(rules.consistency(forward: forward, backward: nil).data[10 * w + 5], 1)
    }

    func testEvidenceIgnoresBrightnessOffsetsAndPrefersTheTrueShift() throws {
        // A random texture shifted by 2 px to the right, 0.1 brighter.
        let w = 48, h = 32
        var rng = SystemRandomNumberGenerator()
        let reference = Plane(width: w, height: h, data: (0..<(w * h)).map { _ in Float.random(in: 0.2...0.7, using: &rng) })
        let moved = Plane(width: w, height: h, data: (0..<(w * h)).map { i in reference.data[(i / w) * w + max(0, i % w - 2)] + 0.1 })
        let evidence = MotionEvidence(reference: reference, guide: nil)
        let frame = evidence.smoothed(moved)
        let truth = try FlowField(u: Plane(width: w, height: h, value: 2), v: Plane(width: w, height: h))
        let atTruth = evidence.mismatch(evidence.residual(of: frame, under: truth))
        let atZero = evidence.mismatch(evidence.residual(of: frame, under: nil))
        let i = 16 * w + 24
        XCTAssertLessThan(atTruth[i], 1e-6, "the offset is allowed for: \(atTruth[i])")
        XCTAssertGreaterThan(atZero[i], 100 * max(atTruth[i], 1e-8))
        let rules = TrajectoryConfidence()
        let typical = MotionEvidence.typical(atTruth)
        XCTAssertEqual(rules.evidence(measured: atTruth, alternative: atZero, typical: typical)[i], 1)
        XCTAssertEqual(rules.evidence(measured: atZero, alternative: atTruth, typical: typical)[i], 0)
    }

    func noise(_ w: Int, _ h: Int, seed: UInt64) -> Plane { .seededNoise(w, h, seed: seed) }

    func testPooledMismatchMatchesItsScalarReference() {
        for (w, h) in [(37, 23), (64, 40), (5, 3)] {
            let reference = noise(w, h, seed: 1), other = noise(w, h, seed: 2)
            let evidence = MotionEvidence(reference: reference, guide: [reference, noise(w, h, seed: 3), other])
            let difference = zip(reference.data, other.data).map { $0 - $1 }
            let second = difference.map { $0 * 0.5 + 0.1 }
            let scalar = evidence.mismatchScalar(difference)
            for threads in [1, 2] {
                let (a, b) = evidence.mismatches(difference, second, threads: threads)
                XCTAssertEqual(a, scalar, "\(w)×\(h), \(threads) threads: same sums in the same order")
                XCTAssertEqual(b, evidence.mismatchScalar(second))
                XCTAssertEqual(evidence.mismatch(difference, threads: threads), scalar)
            }
            XCTAssertEqual(evidence.mismatch([1, 2, 3]), [Float](repeating: 0, count: w * h), "a mismatched size gives zeros")
        }
    }

    func testRedBlackFillMatchesItsScalarReference() throws {
        for (w, h) in [(83, 67), (64, 64), (9, 7)] {
            let reference = noise(w, h, seed: 4)
            let fill = FlatRegionFill(reference: reference, rangeSigma: 0.5)
            let field = try FlowField(u: noise(w, h, seed: 5).scaled(by: 8), v: noise(w, h, seed: 6).scaled(by: -3))
            let weight = noise(w, h, seed: 7)
            let scalar = fill.applyScalar(field, weight: weight)
            for threads in [1, 2] {
                let fast = fill.apply(field, weight: weight, threads: threads)
                XCTAssertEqual(fast.u.data, scalar.u.data, "\(w)×\(h), \(threads) threads")
                XCTAssertEqual(fast.v.data, scalar.v.data)
            }
        }
    }

    func testDecayIsTheExponentialWithinItsStatedError() {
        var x: Float = 0
        while x < 30 {
            let exact = expf(-x), fast = TrajectoryConfidence.decay(x)
            XCTAssertLessThanOrEqual(abs(fast - exact), 3e-6 * exact, "x = \(x)")
            x += 0.0137
        }
        XCTAssertEqual(TrajectoryConfidence.decay(30), 0)
        XCTAssertEqual(TrajectoryConfidence.decay(.nan), 0)
        XCTAssertEqual(TrajectoryConfidence.decay(.infinity), 0)
        XCTAssertEqual(TrajectoryConfidence.decay(-1), 1, "negative input counts as 0")
    }

    func testConsistencyMatchesItsScalarReference() throws {
        let w = 45, h = 21
        var u = noise(w, h, seed: 8).scaled(by: 12), v = noise(w, h, seed: 9).scaled(by: -6)
        for i in [3, 50, 51] { u.data[i] = .nan }
        v.data[70] = .infinity
        u.data[90] = -.infinity
        let forward = FlowField.holding(u: u.scaled(by: 1), v: v)  // non-finite on purpose
        let backward = try FlowField(u: noise(w, h, seed: 10).scaled(by: -12), v: noise(w, h, seed: 11).scaled(by: 6))
        let rules = TrajectoryConfidence()
        for field in [backward, nil] {
            let reference = rules.consistenciesScalar(forward: forward, backward: field, looseness: 3)
            for threads in [1, 2] {
                let fast = rules.consistencies(forward: forward, backward: field, looseness: 3, threads: threads)
                XCTAssertEqual(fast.strict.data, reference.strict.data, "backward \(field != nil), \(threads) threads")
                XCTAssertEqual(fast.loose.data, reference.loose.data)
            }
            XCTAssertEqual(reference.strict.data[3], 0, "a NaN displacement has no consistency")
            XCTAssertEqual(reference.loose.data[70], 0)
        }
    }
}
