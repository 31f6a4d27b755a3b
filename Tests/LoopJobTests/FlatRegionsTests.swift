import Foundation
import Flow
import Raster
import LoopJob
import XCTest

/// `Raster.FlatRegions`, and `StillPixelDetector` holding mostly-still flat regions whole.
final class FlatRegionsTests: XCTestCase {
    /// 40 × 30: a textured left third; a flat right part (0.3) holding a flat square (0.7,
    /// columns 22 ..< 32, rows 10 ..< 20) and, below it, a smooth ramp that rises 0.0015 per
    /// column (rows 24 ..< 30, flat and connected).
    static func picture() -> Plane {
        Plane(width: 40, height: 30) { out in
            for y in 0..<30 {
                for x in 0..<40 {
                    var v: Float = 0.3
                    if x < 12 { v = 0.5 + 0.3 * sin(Float(x) * 1.3 + Float(y) * 0.7) }
                    if (22..<32).contains(x) && (10..<20).contains(y) { v = 0.7 }
                    if y >= 24 && x >= 12 { v = 0.3 + 0.0015 * Float(x - 12) }
                    out[y * 40 + x] = v
                }
            }
        }
    }

    func testRegionsAreSplitByEdgesAndJoinedAlongGradients() throws {
        let p = Self.picture()
        let regions = try FlatRegions(of: p, range: 2 / 255, step: 1.5 / 255)
        let label = { (x: Int, y: Int) in regions.labels[y * 40 + x] }
        XCTAssertEqual(label(5, 5), -1, "texture is not flat")
        XCTAssertGreaterThanOrEqual(label(36, 3), 0)
        XCTAssertGreaterThanOrEqual(label(27, 15), 0, "the square's inside is flat")
        XCTAssertNotEqual(label(27, 15), label(36, 3), "the square's edge splits it from the background")
        XCTAssertEqual(label(36, 3), label(37, 28), "the ramp (0.0015 per pixel) joins the background")
        XCTAssertEqual(label(21, 15), -1, "next to the square's edge the patch is not flat")
        XCTAssertEqual(regions.sizes.reduce(0, +), regions.labels.filter { $0 >= 0 }.count)
        XCTAssertEqual(regions.count, regions.sizes.count)
        // A strict step cuts the ramp off; a wide range makes everything flat and one region.
        let strict = try FlatRegions(of: p, range: 2 / 255, step: 0.001)
        XCTAssertNotEqual(strict.labels[3 * 40 + 36], strict.labels[28 * 40 + 37])
        XCTAssertEqual(try FlatRegions(of: p, range: 1, step: 1).count, 1)
        var holed = p
        holed.data[3 * 40 + 36] = .nan
        XCTAssertEqual(try FlatRegions(of: holed, range: 2 / 255, step: 1.5 / 255).labels[3 * 40 + 36], -1)
        XCTAssertThrowsError(try FlatRegions(of: p, range: -1, step: 0))
        XCTAssertThrowsError(try FlatRegions(of: p, range: 0, step: .nan))
    }

    /// The flat background is still except a 6 × 6 patch right of the square whose tracks are
    /// pushed 3 px per frame (as flow pushes a flat area ahead of a moving object; its picture
    /// never changes); the square moves 2 px per frame, tracked exactly. With flat regions the
    /// pushed patch is held with the rest of its region; without, it moves; the square's flat
    /// inside keeps moving either way.
    func testMostlyStillFlatRegionsAreHeldWhole() throws {
        let reference = Self.picture()
        let pushed = { (x: Int, y: Int) in (33..<39).contains(x) && (2..<8).contains(y) }
        let square = { (x: Int, y: Int) in (22..<32).contains(x) && (10..<20).contains(y) }
        var masks: [Plane] = []
        for flat in [true, false] {
            var detector = StillPixelDetector(reference: reference, flatRegions: flat)
            for t in 1...10 {
                var u = Plane(width: 40, height: 30)
                for y in 0..<30 {
                    for x in 0..<40 where pushed(x, y) || square(x, y) { u.data[y * 40 + x] = Float(pushed(x, y) ? 3 * t : 2 * t) }
                }
                // Frame t: the square drawn 2t px to the right over the background.
                let frame = Plane(width: 40, height: 30) { out in
                    for y in 0..<30 {
                        for x in 0..<40 {
                            let inside = (22 + 2 * t..<32 + 2 * t).contains(x) && (10..<20).contains(y)
                            out[y * 40 + x] = inside ? 0.7 : (square(x, y) ? 0.3 : reference.data[y * 40 + x])
                        }
                    }
                }
                try detector.add(frame: frame, trajectory: try FlowField(u: u, v: Plane(width: 40, height: 30)), threads: 1)
            }
            masks.append(detector.stillMask())
        }
        func held(_ mask: Plane, _ inside: (Int, Int) -> Bool) -> Double {
            var n = 0, h = 0
            for y in 0..<30 { for x in 0..<40 where inside(x, y) { n += 1; h += mask.data[y * 40 + x] > 0 ? 1 : 0 } }
            return Double(h) / Double(n)
        }
        XCTAssertEqual(held(masks[0], pushed), 1, "the pushed patch is held with its region")
        XCTAssertEqual(held(masks[1], pushed), 0, "without flat regions the pushed patch moves")
        let inner = { (x: Int, y: Int) in (24..<30).contains(x) && (12..<18).contains(y) }
        XCTAssertEqual(held(masks[0], inner), 0, "the square's flat inside keeps moving")
    }
}
