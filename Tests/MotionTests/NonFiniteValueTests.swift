import XCTest
import Raster
@testable import Flow

/// Float → Int conversions fed by input (flow values from .flo files, kernel sizes, level
/// counts) never trap: they are range-checked or rejected with an error.
final class NonFiniteValueTests: XCTestCase {
    func testAnInitialFlowWithNaNIsRejected() throws {
        let (i0, i1, _) = makePair(width: 32, height: 32, forward: { ($0 + 1, $1) }, backward: { ($0 - 1, $1) })
        // The bytes of a .flo file with a NaN vector.
        var initial = FlowField(width: 32, height: 32)
        initial.u.data[5] = .nan
        let decoded = try FlowField.decode(flo: initial.encodedFlo())
        XCTAssertThrowsError(try FlowEstimator(preset: .fast).flow(from: i0, to: i1, initial: decoded)) { error in
            XCTAssertEqual(error as? MotionError, .nonFiniteInput(what: "the initial flow"))
        }
        // Huge finite vectors (Middlebury's 1e9 "unknown") are accepted and do not trap.
        var unknown = FlowField(width: 32, height: 32)
        for i in 0..<unknown.u.count { unknown.u.data[i] = 1e9; unknown.v.data[i] = -3e38 }
        XCTAssertNoThrow(try FlowEstimator(preset: .fast).flow(from: i0, to: i1, initial: unknown))
    }

    func testNaNFlowsWarpWithoutTrapping() throws {
        var flow = FlowField(width: 16, height: 16)
        for i in 0..<flow.u.count where i % 3 == 0 { flow.u.data[i] = .nan; flow.v.data[i] = i % 2 == 0 ? .infinity : -.infinity }
        let image = Plane(width: 16, height: 16, value: 0.25)
        XCTAssertEqual(flow.warp(image).count, 256)
        XCTAssertNoThrow(try flow.occlusionMask(backward: flow))
        XCTAssertNoThrow(try flow.composed(after: flow))
        _ = flow.sample(x: .nan, y: .nan)
    }

    func testGaussianKernelForAnySigma() {
        XCTAssertEqual(Plane.gaussianKernel(sigma: .nan), [1])
        XCTAssertEqual(Plane.gaussianKernel(sigma: .infinity), [1])
        XCTAssertEqual(Plane.gaussianKernel(sigma: 0), [1])
        XCTAssertEqual(Plane.gaussianKernel(sigma: -2), [1])
        XCTAssertEqual(Plane.gaussianKernel(sigma: 1e30).count, 2 * Plane.maximumKernelRadius + 1)
        XCTAssertEqual(Plane.gaussianKernel(sigma: 1).count, 7)
        let plane = Plane(width: 8, height: 8, value: 0.5)
        XCTAssertEqual(plane.blurred(sigma: .infinity).data, plane.data)
        XCTAssertEqual(plane.blurred(sigma: .nan).data, plane.data)
    }

    func testLevelRangeForDegenerateSizes() {
        let estimator = FlowEstimator(preset: .medium)
        XCTAssertEqual(estimator.levelRange(width: 0, height: 0).coarsest, 0)
        XCTAssertEqual(estimator.levelRange(width: 1 << 40, height: 1 << 40).finest, estimator.parameters.finestLevel)
    }
}
