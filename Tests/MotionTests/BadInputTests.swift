import XCTest
import Raster
@testable import Flow

final class BadInputTests: XCTestCase {
    func testImagesOfDifferentSizes() {
        let a = Plane(width: 64, height: 48, value: 0.5), b = Plane(width: 64, height: 50, value: 0.5)
        XCTAssertThrowsError(try FlowEstimator().flow(from: a, to: b)) { error in
            XCTAssertEqual(error as? MotionError, .sizeMismatch(what: "the two images", firstWidth: 64, firstHeight: 48, secondWidth: 64, secondHeight: 50))
            XCTAssertEqual("\(error)", "the two images differ in size: 64×48 vs 64×50")
        }
    }

    func testOnePixelImages() {
        let a = Plane(width: 1, height: 1, value: 0.5)
        XCTAssertThrowsError(try FlowEstimator().flow(from: a, to: a)) { error in
            XCTAssertEqual("\(error)", "image is 1×1; optical flow needs at least 8×8 pixels")
        }
        let empty = Plane(width: 0, height: 0)
        XCTAssertThrowsError(try FlowEstimator().flow(from: empty, to: empty))
    }

    func testSmallestAcceptedImageWorks() throws {
        let (i0, i1, _) = makePair(width: 8, height: 8, forward: { ($0 + 0.5, $1) }, backward: { ($0 - 0.5, $1) })
        for preset in FlowEstimator.Preset.allCases {
            let flow = try FlowEstimator(preset: preset).flow(from: i0, to: i1)
            XCTAssertEqual(flow.width, 8)
            XCTAssertTrue(flow.u.allFinite && flow.v.allFinite)
        }
        let (t0, t1, _) = makePair(width: 9, height: 300, forward: { ($0, $1 + 1) }, backward: { ($0, $1 - 1) })
        XCTAssertEqual(try FlowEstimator(preset: .high).flow(from: t0, to: t1).height, 300)
    }

    func testNonFiniteInput() {
        var a = Plane(width: 32, height: 32, value: 0.5)
        let b = a
        a[5, 7] = .nan
        XCTAssertThrowsError(try FlowEstimator().flow(from: a, to: b)) { error in
            XCTAssertEqual("\(error)", "the first image contains NaN or infinite samples")
        }
        a[5, 7] = .infinity
        XCTAssertThrowsError(try FlowEstimator().flow(from: b, to: a)) { error in
            XCTAssertEqual(error as? MotionError, .nonFiniteInput(what: "the second image"))
        }
    }

    func testInvalidParameters() {
        var p = FlowEstimator.Parameters(preset: .fast)
        p.patchStride = 0
        let a = Plane(width: 32, height: 32, value: 0.5)
        XCTAssertThrowsError(try FlowEstimator(parameters: p).flow(from: a, to: a)) { error in
            XCTAssertTrue("\(error)".contains("patchStride = 0"), "\(error)")
        }
        p = FlowEstimator.Parameters(preset: .fast)
        p.threads = 0
        XCTAssertThrowsError(try FlowEstimator(parameters: p).flow(from: a, to: a))
    }

    func testFlatImagesGiveFiniteZeroFlow() throws {
        let a = Plane(width: 40, height: 30, value: 0.3)
        let flow = try FlowEstimator(preset: .medium).flow(from: a, to: a)
        XCTAssertEqual(flow.u.data.map(abs).max() ?? 1, 0, accuracy: 1e-3)
        XCTAssertEqual(flow.v.data.map(abs).max() ?? 1, 0, accuracy: 1e-3)
    }
}
