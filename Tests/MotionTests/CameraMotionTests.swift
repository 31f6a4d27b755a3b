import Foundation
@testable import Flow
@testable import Spectral
import Raster
import XCTest

/// `AffineMotion` (fit, composition, displacement) and the tracker's camera.
final class CameraMotionTests: XCTestCase {
    static let zoom = AffineMotion(a: 1.04, b: -0.01, c: -2.5, d: 0.02, e: 1.03, f: 1.25)

    /// Asserts that two maps agree within `accuracy` pixels over a `width × height` frame.
    static func assertClose(_ m: AffineMotion?, _ n: AffineMotion, width: Int, height: Int, accuracy: Double,
                            file: StaticString = #filePath, line: UInt = #line) {
        guard let m else { return XCTFail("no fit", file: file, line: line) }
        for (x, y) in [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1), (width / 2, height / 2)] {
            let p = m.map(x: Double(x), y: Double(y)), q = n.map(x: Double(x), y: Double(y))
            XCTAssertEqual(p.x, q.x, accuracy: accuracy, "x at (\(x), \(y))", file: file, line: line)
            XCTAssertEqual(p.y, q.y, accuracy: accuracy, "y at (\(x), \(y))", file: file, line: line)
        }
    }

    func testDisplacementIsTheMapMinusThePixel() {
        let field = Self.zoom.displacement(width: 40, height: 30)
        for (x, y) in [(0, 0), (39, 0), (17, 29), (39, 29)] {
            let p = Self.zoom.map(x: Double(x), y: Double(y))
            XCTAssertEqual(Double(field[x, y].u), p.x - Double(x), accuracy: 1e-4)
            XCTAssertEqual(Double(field[x, y].v), p.y - Double(y), accuracy: 1e-4)
        }
    }

    func testFollowedByAppliesTheFirstMapThenTheSecond() {
        let pan = AffineMotion(a: 1, b: 0, c: 3, d: 0, e: 1, f: -2)
        let both = Self.zoom.followed(by: pan)
        for (x, y) in [(0.0, 0.0), (12.5, -3.0), (100.0, 40.0)] {
            let once = Self.zoom.map(x: x, y: y), twice = pan.map(x: once.x, y: once.y), direct = both.map(x: x, y: y)
            XCTAssertEqual(direct.x, twice.x, accuracy: 1e-9)
            XCTAssertEqual(direct.y, twice.y, accuracy: 1e-9)
        }
        XCTAssertEqual(AffineMotion.identity.followed(by: Self.zoom), Self.zoom)
    }

    /// A third of the pixels move on their own (up to ±20 px, as a walker or a branch does): the
    /// fit still finds the camera within 0.05 px, while a plain least-squares fit (no reweighting) is
    /// pulled off by more than a pixel.
    func testFitFindsTheCameraDespiteThingsMovingOnTheirOwn() throws {
        let w = 96, h = 64
        var field = Self.zoom.displacement(width: w, height: h)
        var random = SplitMix64(seed: 9)
        for y in 0..<h {
            for x in 0..<(w / 3) {
                field.u.data[y * w + x] += Float(12 + 8 * random.unit())
                field.v.data[y * w + x] += Float(-20 + 10 * random.unit())
            }
        }
        field.u.data[5] = .nan
        Self.assertClose(AffineMotion.fitted(to: field), Self.zoom, width: w, height: h, accuracy: 0.05)
        let plain = try XCTUnwrap(AffineMotion.fitted(to: field, passes: 0))
        let corner = plain.map(x: 0, y: 0), truth = Self.zoom.map(x: 0, y: 0)
        XCTAssertGreaterThan(abs(corner.x - truth.x) + abs(corner.y - truth.y), 1)
    }

    func testNoFitWithoutEnoughPixelsOrOnOneLine() {
        var empty = FlowField(width: 8, height: 8)
        for i in 0..<64 { empty.u.data[i] = .infinity }
        XCTAssertNil(AffineMotion.fitted(to: empty))
        XCTAssertNil(AffineMotion.fitted(to: FlowField(width: 50, height: 1)), "one row: the y terms are not determined")
    }

    /// A textured frame panned 1.5 px right and 0.5 px down per frame: chained and direct
    /// trackers both report the camera's 3-frame pan.
    func testTrackerFollowsTheCamera() throws {
        let w = 96, h = 64
        let reference = Plane(width: w, height: h) { out in
            for y in 0..<h { for x in 0..<w { out[y * w + x] = 0.5 + 0.2 * sin(Float(x) * 0.35) * cos(Float(y) * 0.3) + 0.1 * sin(Float(x + 2 * y) * 0.13) } }
        }
        let pan = AffineMotion(a: 1, b: 0, c: 1.5, d: 0, e: 1, f: 0.5)
        for mode in TrajectoryMode.allCases {
            var tracker = try TrajectoryTracker(reference: reference, mode: mode, estimator: FlowEstimator(preset: .medium, threads: 1),
                                                estimatesCamera: true)
            var moved = AffineMotion.identity
            for _ in 1...3 {
                moved = moved.followed(by: pan)
                // Frame t shows reference point p at moved(p): sample the reference at moved⁻¹(q).
                let back = moved.displacement(width: w, height: h)
                var u = back.u, v = back.v
                for i in 0..<u.count { u.data[i] = -u.data[i]; v.data[i] = -v.data[i] }
                try tracker.push(reference.warped(u: u, v: v, threads: 1))
            }
            Self.assertClose(tracker.camera, moved, width: w, height: h, accuracy: 0.25)
            var off = try TrajectoryTracker(reference: reference, mode: mode, estimator: FlowEstimator(preset: .medium, threads: 1))
            try off.push(reference)
            XCTAssertEqual(off.camera, .identity)
        }
    }

}
