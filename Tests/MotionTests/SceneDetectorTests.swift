import XCTest
import Raster
@testable import Flow

/// The scdet score on planes with known differences, and the SIMD difference kernel against
/// its scalar reference.
final class SceneDetectorTests: XCTestCase {
    func randomPlane(_ w: Int, _ h: Int, seed: UInt64) -> Plane { .seededNoise(w, h, seed: seed) }

    func testSIMDDifferenceMatchesScalarReference() {
        for (w, h) in [(1, 1), (15, 3), (16, 2), (17, 4), (31, 5), (32, 1), (33, 7), (100, 50), (641, 9)] {
            let a = randomPlane(w, h, seed: 1), b = randomPlane(w, h, seed: 2)
            for step in [1, 2, 3] {
                let simd = SceneDetector.meanAbsoluteDifference(a, b, rowStep: step)
                let scalar = SceneDetector.meanAbsoluteDifferenceScalar(a, b, rowStep: step)
                XCTAssertEqual(simd, scalar, accuracy: 1e-6 * max(1, scalar), "\(w)×\(h) step \(step)")
            }
        }
        // Known value: |0.2 − 0.7| everywhere.
        let mean = SceneDetector.meanAbsoluteDifference(Plane(width: 70, height: 3, value: 0.2), Plane(width: 70, height: 3, value: 0.7), rowStep: 1)
        XCTAssertEqual(mean, 0.5, accuracy: 1e-6)
        XCTAssertEqual(SceneDetector.meanAbsoluteDifference(Plane(width: 0, height: 0), Plane(width: 0, height: 0), rowStep: 1), 0)
    }

    func testScoreIsMinOfDifferenceAndItsChange() throws {
        var detector = try SceneDetector(threshold: 10)
        XCTAssertNil(detector.push(Plane(width: 40, height: 30, value: 0.2)))
        // Identical frame: mafd 0, score 0.
        let same = try XCTUnwrap(detector.push(Plane(width: 40, height: 30, value: 0.2)))
        XCTAssertEqual(same.score, 0)
        XCTAssertFalse(same.isCut)
        // Jump of 0.5: mafd 50, previous mafd 0 → score 50, a cut.
        let jump = try XCTUnwrap(detector.push(Plane(width: 40, height: 30, value: 0.7)))
        XCTAssertEqual(jump.mafd, 50, accuracy: 1e-4)
        XCTAssertEqual(jump.score, 50, accuracy: 1e-4)
        XCTAssertTrue(jump.isCut)
        XCTAssertFalse(jump.sizeChanged)
        // Steady change of 0.05 per frame: mafd 5 each time, so after the first step diff = 0.
        var steady = try SceneDetector(threshold: 1)
        var scores: [Double] = []
        for k in 0..<6 {
            if let m = steady.push(Plane(width: 33, height: 9, value: 0.1 + 0.05 * Float(k))) { scores.append(m.score) }
        }
        XCTAssertEqual(scores[0], 5, accuracy: 1e-4)        // compared with the first frame's mafd 0
        for s in scores.dropFirst() { XCTAssertEqual(s, 0, accuracy: 1e-4) }
        // Threshold boundary: a score equal to the threshold is a cut.
        var boundary = try SceneDetector(threshold: 50)
        _ = boundary.push(Plane(width: 8, height: 8, value: 0.25))
        XCTAssertEqual(boundary.push(Plane(width: 8, height: 8, value: 0.75))?.isCut, true)
    }

    func testSizeChangeIsACutAndResetForgets() throws {
        var detector = try SceneDetector()
        _ = detector.push(Plane(width: 40, height: 30, value: 0.5))
        let changed = try XCTUnwrap(detector.push(Plane(width: 20, height: 30, value: 0.5)))
        XCTAssertTrue(changed.isCut)
        XCTAssertTrue(changed.sizeChanged)
        XCTAssertEqual(changed.score, 100)
        // The next frame compares with the new size and starts afresh.
        let after = try XCTUnwrap(detector.push(Plane(width: 20, height: 30, value: 0.5)))
        XCTAssertEqual(after.score, 0)
        XCTAssertFalse(after.isCut)
        detector.reset()
        XCTAssertNil(detector.push(Plane(width: 20, height: 30, value: 0.9)))
    }

    func testBadParametersThrow() {
        for t in [-0.5, 100.5, Double.nan, .infinity] {
            XCTAssertThrowsError(try SceneDetector(threshold: t)) { XCTAssertTrue("\($0)".contains("threshold"), "\($0)") }
        }
        XCTAssertThrowsError(try SceneDetector(rowStep: 17))
        XCTAssertNoThrow(try SceneDetector(threshold: 0))
        XCTAssertNoThrow(try SceneDetector(threshold: 100))
    }

    func testRowSamplingGivesNearlyTheSameScore() throws {
        // Automatic sampling: every second row only above 1920×1080.
        let auto = try SceneDetector()
        XCTAssertEqual(auto.effectiveRowStep(for: Plane(width: 1920, height: 1080)), 1)
        XCTAssertEqual(auto.effectiveRowStep(for: Plane(width: 1920, height: 1088)), 2)
        XCTAssertEqual(try SceneDetector(rowStep: 1).effectiveRowStep(for: Plane(width: 3840, height: 2160)), 1)
        // A smooth texture (sum of waves) sliding by 3 px per frame, read on every row and on
        // every second row.
        func frame(_ k: Int) -> Plane {
            var p = Plane(width: 400, height: 300)
            for y in 0..<300 { for x in 0..<400 {
                let fx = Float(x + 3 * k), fy = Float(y)
                p[x, y] = 0.5 + 0.2 * sin(fx * 0.05) * cos(fy * 0.031) + 0.15 * sin((fx + fy) * 0.013)
            } }
            return p
        }
        var half = try SceneDetector(rowStep: 2), full = try SceneDetector(rowStep: 1)
        var compared = 0
        for f in (0..<4).map(frame) {
            let a = half.push(f), b = full.push(f)
            if let a, let b {
                XCTAssertEqual(a.mafd, b.mafd, accuracy: 0.05)
                XCTAssertEqual(a.score, b.score, accuracy: 0.05)
                XCTAssertGreaterThan(a.mafd, 1)
                compared += 1
            }
        }
        XCTAssertEqual(compared, 3)
    }
}
