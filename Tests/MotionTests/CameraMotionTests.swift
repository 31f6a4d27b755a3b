import Foundation
@testable import Motion
import Raster
import XCTest

/// `AffineMotion` (fit, composition, displacement), the tracker's camera, and the pixels that
/// `StillPixelDetector` sends with the camera.
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

    /// A 48 × 32 texture shifted `shift` px right, with fresh noise of ±`noise` per frame.
    static func texture(shift: Float, noise: Float, random: inout SplitMix64) -> Plane {
        Plane(width: 48, height: 32) { out in
            for y in 0..<32 {
                for x in 0..<48 {
                    let sx = Float(x) - shift, jitter = Float(random.unit() - 0.5) * 2 * noise
                    out[y * 48 + x] = 0.5 + 0.2 * sin(sx * 0.8) + 0.15 * cos(Float(y) * 0.6 + sx * 0.4) + jitter
                }
            }
        }
    }

    /// The fraction of the pixels of the left half (whose tracks stay inside the frame) that
    /// `StillPixelDetector` sends with the camera after 10 frames of the
    /// texture panned `speed` px per frame under `noise`, each pixel tracked with
    /// `trackError(i, t)` px of error in x, the camera's pan given for every frame.
    static func cameraFraction(speed: Float, noise: Float, trackError: (Int, Int) -> Float) throws -> Double {
        var random = SplitMix64(seed: 4)
        var detector = StillPixelDetector(reference: texture(shift: 0, noise: 0.001, random: &random))
        for t in 1...10 {
            let frame = texture(shift: speed * Float(t), noise: noise, random: &random)
            let camera = AffineMotion(a: 1, b: 0, c: Double(speed) * Double(t), d: 0, e: 1, f: 0).displacement(width: 48, height: 32)
            var track = camera
            for i in 0..<track.u.count { track.u.data[i] += trackError(i, t) }
            try detector.add(frame: frame, trajectory: track, camera: camera, threads: 1)
        }
        let mask = detector.cameraMask()
        let still = detector.stillMask()
        for i in 0..<mask.count { XCTAssertFalse(mask.data[i] > 0 && still.data[i] > 0, "pixel \(i) both still and with the camera") }
        var sent = 0
        for y in 0..<32 { for x in 0..<24 where mask.data[y * 48 + x] > 0 { sent += 1 } }
        return Double(sent) / Double(24 * 32)
    }

    /// Noise that hides the texture in every frame (nothing follows a pixel) and tracks that
    /// wander ±4 px: with the camera panning 2 px per frame nearly every pixel follows the
    /// camera; with a still camera, or where tracks follow the pixels, none does.
    func testPixelsNothingFollowsMoveWithTheCamera() throws {
        let wander: (Int, Int) -> Float = { i, t in 4 * sin(Float(i) * 1.7 + Float(t) * 0.9) }
        XCTAssertGreaterThan(try Self.cameraFraction(speed: 2, noise: 0.45, trackError: wander), 0.9)
        XCTAssertEqual(try Self.cameraFraction(speed: 0, noise: 0.45, trackError: wander), 0, "a still camera moves nothing")
        XCTAssertEqual(try Self.cameraFraction(speed: 2, noise: 0.002, trackError: { _, _ in 0.1 }), 0,
                       "pixels their tracks follow keep their tracks")
        var detector = StillPixelDetector(reference: Plane(width: 8, height: 8))
        XCTAssertThrowsError(try detector.add(frame: Plane(width: 8, height: 8), trajectory: FlowField(width: 8, height: 8),
                                              camera: FlowField(width: 4, height: 8)))
    }

    func testFollowingCameraReplacesOnlyMaskedPixels() throws {
        var mask = Plane(width: 4, height: 2)
        mask.data[5] = 1
        var track = FlowField(width: 4, height: 2)
        track.u.data[5] = 9
        track.u.data[6] = 7
        let camera = AffineMotion(a: 1, b: 0, c: 2, d: 0, e: 1, f: -1)
        let out = StillPixelDetector.followingCamera([track, track], cameras: [camera], mask: mask)
        XCTAssertEqual(out.count, 2)
        XCTAssertEqual(out[0][1, 1].u, 2)
        XCTAssertEqual(out[0][1, 1].v, -1)
        XCTAssertEqual(out[0][2, 1].u, 7)
        XCTAssertEqual(out[1], track, "a field without a camera is unchanged")
    }
}
