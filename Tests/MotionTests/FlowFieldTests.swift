import XCTest
import Raster
@testable import Motion

final class FlowFieldTests: XCTestCase {
    /// 128×96, a 32 px square moving (6, 2) px over a static background.
    let scene = SquareScene(width: 128, height: 96, x0: 40, y0: 30, side: 32, dx: 6, dy: 2)

    func testCompositionWithBackwardFlowIsNearZeroAwayFromOcclusions() throws {
        let (i0, i1) = scene.frames()
        let estimator = FlowEstimator(preset: .medium)
        let forward = try estimator.flow(from: i0, to: i1), backward = try estimator.flow(from: i1, to: i0)
        let round = try forward.composed(with: backward)
        // Exact flows compose to exactly zero wherever the pixel stays visible.
        let exact = try scene.truth(backward: false).composed(with: scene.truth(backward: true))
        // Away from occlusions: pixels ≥ 4 px from any occluded pixel, the square's edges and the border.
        var mask = interiorMask(width: scene.width, height: scene.height, margin: 8)
        let occ = scene.occluded(backward: false)
        for y in 0..<scene.height {
            for x in 0..<scene.width {
                var near = false
                for yy in max(0, y - 4)...min(scene.height - 1, y + 4) {
                    for xx in max(0, x - 4)...min(scene.width - 1, x + 4) {
                        if occ[xx, yy] > 0 || scene.inSquare(xx, yy, frame: 0) != scene.inSquare(x, y, frame: 0) { near = true }
                    }
                }
                if near { mask.data[y * scene.width + x] = 0 }
            }
        }
        let zero = FlowField(width: scene.width, height: scene.height)
        XCTAssertEqual(try exact.endPointError(to: zero, mask: mask), 0, accuracy: 1e-6)
        let residual = try round.endPointError(to: zero, mask: mask)
        XCTAssertLessThan(residual, 0.1, "|forward ∘ backward| = \(residual) px")
        // The estimated forward flow itself is right there too.
        XCTAssertLessThan(try forward.endPointError(to: scene.truth(backward: false), mask: mask), 0.1)
    }

    func precisionRecall(_ found: Plane, _ truth: Plane, margin: Int) -> (Double, Double) {
        var tp = 0.0, fp = 0.0, fn = 0.0
        for y in margin..<(found.height - margin) {
            for x in margin..<(found.width - margin) {
                let f = found[x, y] > 0.5, t = truth[x, y] > 0.5
                if f && t { tp += 1 } else if f { fp += 1 } else if t { fn += 1 }
            }
        }
        return (tp / max(1, tp + fp), tp / max(1, tp + fn))
    }

    func testOcclusionMaskOfExactFlowsIsExact() throws {
        let f = scene.truth(backward: false), b = scene.truth(backward: true)
        let covered = try f.occlusionMask(backward: b), uncovered = try b.occlusionMask(backward: f)
        XCTAssertEqual(covered, scene.occluded(backward: false))
        XCTAssertEqual(uncovered, scene.occluded(backward: true))
    }

    func testOcclusionMaskFindsUncoveredRegionOfMovingSquare() throws {
        let (i0, i1) = scene.frames()
        let estimator = FlowEstimator(preset: .medium)
        let forward = try estimator.flow(from: i0, to: i1), backward = try estimator.flow(from: i1, to: i0)
        // Region of frame 1 uncovered by the square (hidden in frame 0): backward flow's occlusions.
        let uncovered = try backward.occlusionMask(backward: forward)
        let (p1, r1) = precisionRecall(uncovered, scene.occluded(backward: true), margin: 4)
        XCTAssertGreaterThan(p1, 0.6, "uncovered precision \(p1)")
        XCTAssertGreaterThan(r1, 0.6, "uncovered recall \(r1)")
        // Region of frame 0 about to be covered: forward flow's occlusions.
        let covered = try forward.occlusionMask(backward: backward)
        let (p0, r0) = precisionRecall(covered, scene.occluded(backward: false), margin: 4)
        XCTAssertGreaterThan(p0, 0.6, "covered precision \(p0)")
        XCTAssertGreaterThan(r0, 0.6, "covered recall \(r0)")
    }

    func testColorWheelMatchesMiddleburyConvention() throws {
        var flow = FlowField(width: 4, height: 1)
        flow.u.data = [1, 0, -1, 0]
        flow.v.data = [0, 1, 0, 0]
        let rgb = flow.colorWheel(maxMagnitude: 1)
        // Right (+x) is red, down (+y) is greenish-yellow... zero motion is white.
        XCTAssertEqual(rgb.planes[0][0, 0], 1, accuracy: 1e-4)
        XCTAssertLessThan(rgb.planes[1][0, 0], 0.1)
        XCTAssertLessThan(rgb.planes[0][2, 0], 0.1) // left (−x) is cyan/blue: no red
        XCTAssertGreaterThan(rgb.planes[2][2, 0], 0.5)
        for c in 0..<3 { XCTAssertEqual(rgb.planes[c][3, 0], 1, accuracy: 1e-6) }
    }

    func testSizeMismatchesThrow() {
        let a = FlowField(width: 4, height: 4), b = FlowField(width: 5, height: 4)
        XCTAssertThrowsError(try a.composed(with: b))
        XCTAssertThrowsError(try a.occlusionMask(backward: b))
        XCTAssertThrowsError(try a.endPointError(to: b))
        XCTAssertThrowsError(try FlowField(u: Plane(width: 2, height: 2), v: Plane(width: 3, height: 2)))
    }
}
