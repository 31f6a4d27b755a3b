import Raster
import XCTest
@testable import Flow

/// The symmetric refinement of a field at the midpoint between two frames.
final class MidpointRefinementTests: XCTestCase {
    func testAWrongMidpointFieldIsPulledTowardsTheTrueMotion() throws {
        // Frame 0 shows the texture at p, frame 1 at p − (3, −2): content moves by (3, −2), so
        // the midpoint field is (3, −2) everywhere. Start up to 1.2 px off, varying smoothly (a
        // perfectly uniform start would freeze the total-variation weights).
        let w = 96, h = 80, texture = Texture(seed: 7)
        let first = texture.render(width: w, height: h)
        let second = texture.render(width: w, height: h) { ($0 - 3, $1 + 2) }
        var su = Plane(width: w, height: h, value: 3), sv = Plane(width: w, height: h, value: -2)
        for y in 0..<h {
            for x in 0..<w {
                su.data[y * w + x] += 1.2 * sin(Float(x) / 9) * cos(Float(y) / 13)
                sv.data[y * w + x] += 0.8 * cos(Float(x + y) / 11)
            }
        }
        let start = try FlowField(u: su, v: sv)
        let estimator = FlowEstimator(preset: .medium)
        let refined = try estimator.refinedMidpointField(start, first: first, second: second, iterations: 5, levels: 2)
        let truth = try FlowField(u: Plane(width: w, height: h, value: 3), v: Plane(width: w, height: h, value: -2))
        let mask = interiorMask(width: w, height: h, margin: 12)
        let before = try start.endPointError(to: truth, mask: mask), after = try refined.endPointError(to: truth, mask: mask)
        XCTAssertLessThan(after, 0.3 * before, "EPE \(before) → \(after)")
        // Zero confidence leaves the data terms out: smoothing alone gets nowhere as near.
        let blind = try estimator.refinedMidpointField(start, first: first, second: second, confidence: Plane(width: w, height: h),
                                                       iterations: 5, levels: 2)
        XCTAssertGreaterThan(try blind.endPointError(to: truth, mask: mask), 2 * after)
        XCTAssertEqual(try estimator.refinedMidpointField(start, first: first, second: second, iterations: 0), start)
    }

    func testBadSizesAndParametersAreErrors() throws {
        let a = Plane(width: 32, height: 32), b = Plane(width: 32, height: 30)
        let field = FlowField(width: 32, height: 32), estimator = FlowEstimator(preset: .fast)
        XCTAssertThrowsError(try estimator.refinedMidpointField(field, first: a, second: b, iterations: 3))
        XCTAssertThrowsError(try estimator.refinedMidpointField(field, first: a, second: a, confidence: b, iterations: 3))
        XCTAssertThrowsError(try estimator.refinedMidpointField(field, first: a, second: a, iterations: 101))
        XCTAssertThrowsError(try estimator.refinedMidpointField(field, first: a, second: a, iterations: 3, levels: 0))
    }
}
