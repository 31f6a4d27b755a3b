import Foundation
import Flow
import LoopJob
import Raster
import Spectral
import XCTest

/// The pixels that `StillPixelDetector` sends with the camera.
final class StillPixelsCameraTests: XCTestCase {
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
