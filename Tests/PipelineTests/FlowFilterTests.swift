import Foundation
import Motion
import Pipeline
import Raster
import WarpFlowFilters
import WarpFlowTestSupport
import XCTest

final class FlowFilterTests: XCTestCase {
    /// Frames of a smooth random texture sliding right by `shift` pixels per frame.
    func slidingFrames(count: Int, width: Int = 96, height: Int = 64, shift: Int = 2) throws -> [Frame] {
        var rng = SplitMix(seed: 7)
        let big = width + shift * count + 8
        var texture = [Float](repeating: 0, count: big * height)
        for _ in 0..<60 {   // a sum of random blobs: texture at several scales
            let cx = Float.random(in: 0..<Float(big), using: &rng), cy = Float.random(in: 0..<Float(height), using: &rng)
            let r = Float.random(in: 2...9, using: &rng), a = Float.random(in: -1...1, using: &rng)
            for y in 0..<height { for x in 0..<big {
                let d2 = ((Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy)) / (r * r)
                texture[y * big + x] += a * exp(-d2)
            } }
        }
        let rate = Rational(25, 1)
        return try (0..<count).map { k in
            let frame = try Frame(width: width, height: height, pixelFormat: .yuv420p, pts: Int64(k), timeBase: rate.inverted)
            try frame.withMutablePlane(0) { p, stride, w, h in
                for y in 0..<h { for x in 0..<w {
                    let v = 128 + 60 * texture[y * big + (x + shift * (count - k))]
                    p[y * stride + x] = UInt8(max(0, min(255, v)))
                } }
            }
            for plane in 1...2 { try frame.withMutablePlane(plane) { p, _, _, _ in p.update(repeating: 128) } }
            return frame
        }
    }

    func testFlowFilterRendersColourWheelAndWritesFloFiles() throws {
        let frames = try slidingFrames(count: 4)
        let folder = try TestMedia.makeScratchDirectory("flowfilter")
        let format = StreamFormat(width: 96, height: 64, pixelFormat: .yuv420p, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let registry = FilterRegistry.standard
        var run = 0
        let verifier = FilterVerifier(input: format) {
            run += 1
            return try registry.makeChain("flow=preset=medium:mode=color:flo=\(folder)/r\(run)_%03d.flo")[0]
        }
        let report = try verifier.verify(frames, expectedCount: 4)
        XCTAssertEqual(report.format, format)
        // The first output (no previous frame) is the zero-flow picture: white in RGB.
        XCTAssertFalse(report.frames[1].samplesEqual(report.frames[0]))
        // Frames move right by 2 px: every saved flow reads about (+2, 0) away from the borders.
        for index in 1...3 {
            let flow = try FlowField.read(floPath: String(format: "%@/r1_%03d.flo", folder, index))
            var mask = Plane(width: 96, height: 64)
            for y in 10..<54 { for x in 10..<86 { mask[x, y] = 1 } }
            let truth = try FlowField(u: Plane(width: 96, height: 64, value: 2), v: Plane(width: 96, height: 64))
            XCTAssertLessThan(try flow.endPointError(to: truth, mask: mask), 0.3, "flow \(index)")
        }
        XCTAssertEqual(TestMedia.listDirectory(folder).filter { $0.hasPrefix("r1_") }.count, 3)
    }

    func testFlowFilterRejectsTinyFramesAndBadPatterns() throws {
        let registry = FilterRegistry.standard
        XCTAssertThrowsError(try registry.makeChain("flow=mode=pass")) { XCTAssertTrue("\($0)".contains("flo="), "\($0)") }
        XCTAssertThrowsError(try registry.makeChain("flow=flo=a%d%d.flo"))
        let filter = try registry.makeChain("flow")[0]
        let tiny = StreamFormat(width: 4, height: 4, pixelFormat: .yuv420p, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        XCTAssertThrowsError(try filter.configure(input: tiny)) { XCTAssertTrue("\($0)".contains("too small"), "\($0)") }
    }
}

/// A small deterministic generator for test textures.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
