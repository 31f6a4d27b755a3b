import XCTest
import Raster
@testable import Flow

final class FlowFieldTests: XCTestCase {
    /// 128×96, a 32 px square moving (6, 2) px over a static background.
    let scene = SquareScene(width: 128, height: 96, x0: 40, y0: 30, side: 32, dx: 6, dy: 2)

    func testCompositionWithBackwardFlowIsNearZeroAwayFromOcclusions() throws {
        let (i0, i1) = scene.frames()
        let estimator = FlowEstimator(preset: .medium)
        let forward = try estimator.flow(from: i0, to: i1), backward = try estimator.flow(from: i1, to: i0)
        let round = try backward.composed(after: forward)
        // Exact flows compose to exactly zero wherever the pixel stays visible.
        let exact = try scene.truth(backward: true).composed(after: scene.truth(backward: false))
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

    /// Precision (a detection counts if a truly occluded pixel lies within `tolerance` px,
    /// since estimated flow blurs motion edges by a few pixels), strict recall, and the false
    /// alarm rate on pixels farther than 6 px from the square in either frame.
    func scores(_ found: Plane, _ truth: Plane, tolerance: Int) -> (precision: Double, recall: Double, falseAlarms: Double) {
        var tp = 0.0, flagged = 0.0, hits = 0.0, positives = 0.0, far = 0.0, farFlagged = 0.0
        let w = found.width, h = found.height
        func near(_ x: Int, _ y: Int, _ r: Int, _ test: (Int, Int) -> Bool) -> Bool {
            for yy in max(0, y - r)...min(h - 1, y + r) { for xx in max(0, x - r)...min(w - 1, x + r) where test(xx, yy) { return true } }
            return false
        }
        for y in 4..<(h - 4) {
            for x in 4..<(w - 4) {
                let f = found[x, y] > 0.5, t = truth[x, y] > 0.5
                if f { flagged += 1; if near(x, y, tolerance, { truth[$0, $1] > 0.5 }) { tp += 1 } }
                if t { positives += 1; if f { hits += 1 } }
                if !near(x, y, 6, { scene.inSquare($0, $1, frame: 0) || scene.inSquare($0, $1, frame: 1) }) {
                    far += 1
                    if f { farFlagged += 1 }
                }
            }
        }
        return (tp / max(1, flagged), hits / max(1, positives), farFlagged / max(1, far))
    }

    func testOcclusionMaskOfExactFlowsIsExact() throws {
        let f = scene.truth(backward: false), b = scene.truth(backward: true)
        let covered = try f.occlusionMask(backward: b), uncovered = try b.occlusionMask(backward: f)
        XCTAssertEqual(covered, scene.occluded(backward: false))
        XCTAssertEqual(uncovered, scene.occluded(backward: true))
    }

    func testOcclusionMaskFindsUncoveredRegionOfMovingSquare() throws {
        let (i0, i1) = scene.frames()
        let pair = try FlowEstimator(preset: .medium).flowPair(i0, i1)
        let forward = pair.forward, backward = pair.backward
        XCTAssertEqual(pair.occludedInSecond, try backward.occlusionMask(backward: forward))
        // Region of frame 1 uncovered by the square (hidden in frame 0): backward flow's occlusions.
        let uncovered = try backward.occlusionMask(backward: forward)
        let u = scores(uncovered, scene.occluded(backward: true), tolerance: 3)
        XCTAssertGreaterThan(u.recall, 0.8, "uncovered recall \(u.recall)")
        XCTAssertGreaterThan(u.precision, 0.55, "uncovered precision (3 px tolerance) \(u.precision)")
        XCTAssertLessThan(u.falseAlarms, 0.01, "uncovered false alarms away from the square \(u.falseAlarms)")
        // Region of frame 0 about to be covered: forward flow's occlusions.
        let covered = try forward.occlusionMask(backward: backward)
        let c = scores(covered, scene.occluded(backward: false), tolerance: 3)
        XCTAssertGreaterThan(c.recall, 0.8, "covered recall \(c.recall)")
        XCTAssertGreaterThan(c.precision, 0.55, "covered precision (3 px tolerance) \(c.precision)")
        XCTAssertLessThan(c.falseAlarms, 0.01, "covered false alarms away from the square \(c.falseAlarms)")
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
        XCTAssertThrowsError(try b.composed(after: a))
        XCTAssertThrowsError(try a.occlusionMask(backward: b))
        XCTAssertThrowsError(try a.endPointError(to: b))
        XCTAssertThrowsError(try FlowField(u: Plane(width: 2, height: 2), v: Plane(width: 3, height: 2)))
    }
}
