import Foundation
import Flow
import Raster
import LoopJob
import XCTest

/// `StillPixelDetector` on a window whose still and moving parts are known.
final class StillPixelsTests: XCTestCase {
    static let width = 48, height = 32

    /// A textured picture (luma 0.2 … 0.8) shifted right by `shift` pixels in columns
    /// `moving` (the rest unshifted), with a little noise (±`noise`) everywhere.
    static func picture(shift: Float, moving: Range<Int>, noise: Float, seed: Int) -> Plane {
        var generator = seed &* 2_654_435_761 &+ 1
        return Plane(width: width, height: height) { out in
            for y in 0..<height {
                for x in 0..<width {
                    let sx = moving.contains(x) ? Float(x) - shift : Float(x)
                    generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let jitter = (Float(generator >> 40 & 0xFFFF) / 65_535 - 0.5) * 2 * noise
                    out[y * width + x] = 0.5 + 0.15 * sin(sx * 0.9) + 0.15 * cos(Float(y) * 0.7 + sx * 0.3) + jitter
                }
            }
        }
    }

    /// `detector`'s mask after frames t = 1 … 10, each `frameAt(t).frame` with its pixels in
    /// `columns` tracked `frameAt(t).drift` px to the right (the others untracked, 0).
    static func stillMask(of detector: StillPixelDetector, columns: Range<Int>,
                          _ frameAt: (Int) -> (frame: Plane, drift: Float)) throws -> Plane {
        var detector = detector
        for t in 1...10 {
            let (frame, drift) = frameAt(t)
            var u = Plane(width: width, height: height)
            for y in 0..<height { for x in columns { u.data[y * width + x] = drift } }
            try detector.add(frame: frame, trajectory: try FlowField(u: u, v: Plane(width: width, height: height)), threads: 1)
        }
        return detector.stillMask()
    }

    /// The fraction of the pixels in `columns` that `mask` holds still.
    static func heldFraction(_ mask: Plane, columns: Range<Int>) -> Double {
        var held = 0
        for y in 0..<height { for x in columns where mask.data[y * width + x] > 0 { held += 1 } }
        return Double(held) / Double(columns.count * height)
    }

    /// Columns 0 ..< 20 still (tracked with ±0.2 px of jitter, as a flow estimator gives on a
    /// still wall); columns 28 ..< 48 moving 1 px per frame (tracked exactly).
    func testStillRegionIsFoundAndMovingRegionKept() throws {
        let still = 0..<20, moving = 28..<48
        let reference = Self.picture(shift: 0, moving: moving, noise: 0.001, seed: 0)
        var detector = StillPixelDetector(reference: reference)
        var fields: [FlowField] = []
        for t in 1...10 {
            let frame = Self.picture(shift: Float(t), moving: moving, noise: 0.001, seed: t)
            var u = Plane(width: Self.width, height: Self.height), v = u
            for y in 0..<Self.height {
                for x in 0..<Self.width {
                    let i = y * Self.width + x
                    if moving.contains(x) {
                        u.data[i] = Float(t)
                    } else {
                        u.data[i] = 0.2 * sin(Float(i * 7 + t))
                        v.data[i] = 0.2 * cos(Float(i * 3 + t))
                    }
                }
            }
            let field = try FlowField(u: u, v: v)
            try detector.add(frame: frame, trajectory: field, threads: 2)
            fields.append(field)
        }
        XCTAssertEqual(detector.frames, 10)
        let mask = detector.stillMask()
        var stillFound = 0, stillTotal = 0, movingHeld = 0
        for y in 0..<Self.height {
            for x in 0..<Self.width {
                let held = mask.data[y * Self.width + x] > 0
                if still.contains(x) { stillTotal += 1; stillFound += held ? 1 : 0 }
                if moving.contains(x) && held { movingHeld += 1 }
            }
        }
        XCTAssertGreaterThan(Double(stillFound) / Double(stillTotal), 0.95, "still pixels found: \(stillFound) of \(stillTotal)")
        XCTAssertEqual(movingHeld, 0, "no moving pixel is held still")
        let fraction = StillPixelDetector.fraction(of: mask)
        XCTAssertGreaterThan(fraction, 0.4)
        XCTAssertLessThan(fraction, 0.6)
        let held = StillPixelDetector.holdingStill(fields, mask: mask)
        for (before, after) in zip(fields, held) {
            for i in 0..<mask.count {
                if mask.data[i] > 0 {
                    XCTAssertEqual(after.u.data[i], 0)
                    XCTAssertEqual(after.v.data[i], 0)
                } else {
                    XCTAssertEqual(after.u.data[i], before.u.data[i])
                }
            }
        }
    }

    /// Small real motion (0.04 px per frame, mean trajectory 0.22 px, under the motion limit)
    /// on a textured picture is explained better by its trajectory than by standing still, so
    /// it keeps moving.
    func testSmallRealMotionIsNotHeld() throws {
        let all = 0..<Self.width
        let reference = Self.picture(shift: 0, moving: all, noise: 0, seed: 0)
        var detector = StillPixelDetector(reference: reference)
        for t in 1...10 {
            let shift = 0.04 * Float(t)
            let field = try FlowField(u: Plane(width: Self.width, height: Self.height, data: [Float](repeating: shift, count: reference.count)),
                                      v: Plane(width: Self.width, height: Self.height))
            try detector.add(frame: Self.picture(shift: shift, moving: all, noise: 0, seed: t), trajectory: field, threads: 1)
        }
        XCTAssertLessThan(StillPixelDetector.fraction(of: detector.stillMask()), 0.1)
    }

    /// A still picture whose tracks drifted far (12 px in columns 0 ..< 20, as the background
    /// a passing object dragged along, or a flat area whose flow wandered): beyond the motion
    /// limit, yet standing still explains the frames far better than the tracks, so the track
    /// counts as lost and the pixels are held. With `lostTrackRatio` 0 the rule is off and they
    /// move.
    func testLostTracksAreHeldStillWhateverTheirMotion() throws {
        let drifted = 0..<20
        let reference = Self.picture(shift: 0, moving: 0..<0, noise: 0, seed: 0)
        func mask(lostTrackRatio: Float) throws -> Plane {
            try Self.stillMask(of: StillPixelDetector(reference: reference, lostTrackRatio: lostTrackRatio), columns: drifted) { t in
                (Self.picture(shift: 0, moving: 0..<0, noise: 0.001, seed: t), 12)
            }
        }
        XCTAssertGreaterThan(Self.heldFraction(try mask(lostTrackRatio: 0.5), columns: drifted), 0.95)
        XCTAssertLessThan(Self.heldFraction(try mask(lostTrackRatio: 0), columns: drifted), 0.05, "without the rule, the 8 px limit keeps them moving")
        // A flat picture tracked 12 px: both costs are zero, nothing shows the track lost, so
        // the motion limit keeps it moving (the flat inside of a moving object).
        let flat = Plane(width: Self.width, height: Self.height, data: [Float](repeating: 0.5, count: reference.count))
        var detector = StillPixelDetector(reference: flat)
        let far = Plane(width: Self.width, height: Self.height, data: [Float](repeating: 12, count: reference.count))
        for _ in 1...4 { try detector.add(frame: flat, trajectory: try FlowField(u: far, v: far), threads: 1) }
        XCTAssertEqual(StillPixelDetector.fraction(of: detector.stillMask()), 0)
    }

    /// Background in columns 0 ..< 20 that something covers in the last 3 of 10 frames, its
    /// tracks dragged 30 px along while covered (a mean of 9 px, beyond the 8 px limit, and
    /// there standing still and the track explain the frames equally badly): judged on the 7
    /// frames where it was seen, it is still. With `coveredCost` 1 (no frame counts as covered)
    /// it keeps moving.
    func testFramesWhereThePixelIsCoveredAreLeftOut() throws {
        let covered = 0..<20
        let reference = Self.picture(shift: 0, moving: 0..<0, noise: 0, seed: 0)
        func mask(coveredCost: Float) throws -> Plane {
            try Self.stillMask(of: StillPixelDetector(reference: reference, coveredCost: coveredCost), columns: covered) { t in
                // From frame 8 the cover: white over the whole frame (the picture is 0.2 … 0.8),
                // so the dragged tracks land on it too.
                t > 7 ? (Plane(width: Self.width, height: Self.height, value: 1), 30)
                      : (Self.picture(shift: 0, moving: 0..<0, noise: 0.001, seed: t), 0)
            }
        }
        XCTAssertGreaterThan(Self.heldFraction(try mask(coveredCost: 0.08), columns: covered), 0.95)
        XCTAssertLessThan(Self.heldFraction(try mask(coveredCost: 1), columns: covered), 0.05, "judged on every frame, the 9 px mean keeps them moving")
    }

    func testSizeMismatchThrows() throws {
        var detector = StillPixelDetector(reference: Plane(width: 8, height: 8))
        XCTAssertThrowsError(try detector.add(frame: Plane(width: 8, height: 6), trajectory: FlowField(width: 8, height: 8)))
        XCTAssertThrowsError(try detector.add(frame: Plane(width: 8, height: 8), trajectory: FlowField(width: 4, height: 8)))
        XCTAssertEqual(detector.frames, 0)
        XCTAssertEqual(StillPixelDetector.fraction(of: detector.stillMask()), 0, "nothing is still before any frame")
    }
}
