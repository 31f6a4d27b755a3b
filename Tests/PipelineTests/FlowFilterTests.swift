import Foundation
import Flow
import Pipeline
import Raster
import WarpFlowFilters
import FrameRateJob
import LoopJob
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

    /// The flows travel as values to `sideOutput`, with no files: pass mode, both directions
    /// and masks, the frames untouched.
    func testSideOutputReceivesTheFlowsAsValues() throws {
        let frames = try slidingFrames(count: 4)
        var settings = FlowSettings()
        settings.mode = .pass
        settings.direction = .both
        settings.occlusion = true
        settings.preset = .fast
        let filter = try FlowFilter(settings: settings)
        var pairs: [FlowPairOutput] = []
        filter.sideOutput = { pairs.append($0) }
        var chain = try FilterChain(filters: [filter], input: StreamFormat(width: 96, height: 64, pixelFormat: .yuv420p, timeBase: Rational(1, 25), frameRate: Rational(25, 1)))
        var out = 0
        for f in frames { try chain.push(f.clone()) { _ in out += 1 } }
        try chain.finish { _ in out += 1 }
        XCTAssertEqual(out, 4)
        XCTAssertEqual(pairs.map(\.index), [1, 2, 3])
        var mask = Plane(width: 96, height: 64)
        for y in 10..<54 { for x in 10..<86 { mask[x, y] = 1 } }
        let right = try FlowField(u: Plane(width: 96, height: 64, value: 2), v: Plane(width: 96, height: 64))
        let left = try FlowField(u: Plane(width: 96, height: 64, value: -2), v: Plane(width: 96, height: 64))
        for pair in pairs {
            XCTAssertLessThan(try XCTUnwrap(pair.forward).endPointError(to: right, mask: mask), 0.4)
            XCTAssertLessThan(try XCTUnwrap(pair.backward).endPointError(to: left, mask: mask), 0.4)
            XCTAssertNotNil(pair.occludedForward)
            XCTAssertNotNil(pair.occludedBackward)
        }
        // A chain cannot hand the flows to anyone: pass mode without files is refused there.
        XCTAssertThrowsError(try FilterRegistry.standard.makeChain("flow=mode=pass"))
    }

    /// A decoded 8-bit gray PNG as a 0/1 plane (255 → 1).
    func readMask(_ path: String) throws -> Plane {
        let reader = try VideoReader(path: path)
        let frame = try XCTUnwrap(try reader.nextFrame(), path)
        XCTAssertEqual(frame.pixelFormat, .gray, path)
        return try FrameConverter().luma(frame)
    }

    /// Mean of `plane` over columns `columns` and rows 8..<height-8.
    func mean(_ plane: Plane, columns: Range<Int>) -> Float {
        var sum: Float = 0, n: Float = 0
        for y in 8..<(plane.height - 8) { for x in columns { sum += plane[x, y]; n += 1 } }
        return sum / n
    }

    func testBothDirectionsWriteForwardBackwardFlowsAndOcclusionMasks() throws {
        let frames = try slidingFrames(count: 4)
        let folder = try TestMedia.makeScratchDirectory("flowboth")
        let format = StreamFormat(width: 96, height: 64, pixelFormat: .yuv420p, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        var run = 0
        let verifier = FilterVerifier(input: format) {
            run += 1
            return try FilterRegistry.standard.makeChain("flow=mode=pass:direction=both:occlusion=1:flo=\(folder)/r\(run)")[0]
        }
        let report = try verifier.verify(frames, expectedCount: 4)
        for (a, b) in zip(report.frames, frames) { XCTAssertTrue(a.samplesEqual(b), "pass mode leaves frames untouched") }
        let dir = folder + "/r1"
        XCTAssertEqual(TestMedia.listDirectory(dir), (1...3).flatMap { k in
            ["flow_00000\(k).flo", "flow_00000\(k)_backward.flo", "flow_00000\(k)_backward_occ.png", "flow_00000\(k)_occ.png"]
        }.sorted())
        var mask = Plane(width: 96, height: 64)
        for y in 10..<54 { for x in 10..<86 { mask[x, y] = 1 } }
        for k in 1...3 {
            let name = String(format: "%@/flow_%06d", dir, k)
            for (suffix, u) in [("", Float(2)), ("_backward", -2)] {
                let flow = try FlowField.read(floPath: name + suffix + ".flo")
                let truth = try FlowField(u: Plane(width: 96, height: 64, value: u), v: Plane(width: 96, height: 64))
                XCTAssertLessThan(try flow.endPointError(to: truth, mask: mask), 0.3, "flow \(k)\(suffix)")
            }
            // Content slides right: frame k−1's right strip leaves the picture (forward mask),
            // frame k's left strip was not in frame k−1 (backward mask).
            let forward = try readMask(name + "_occ.png"), backward = try readMask(name + "_backward_occ.png")
            XCTAssertEqual(forward.width, 96)
            XCTAssertEqual(forward.height, 64)
            XCTAssertEqual(backward.width, 96)
            XCTAssertGreaterThan(mean(forward, columns: 94..<96), 0.8, "forward mask \(k), uncovered strip")
            XCTAssertGreaterThan(mean(backward, columns: 0..<2), 0.8, "backward mask \(k), uncovered strip")
            XCTAssertLessThan(mean(forward, columns: 10..<86), 0.1, "forward mask \(k), interior")
            XCTAssertLessThan(mean(backward, columns: 10..<86), 0.1, "backward mask \(k), interior")
            XCTAssertTrue(forward.data.allSatisfy { $0 == 0 || $0 == 1 }, "masks are 0 or 255")
        }
    }

    func testBackwardColourViewAndOcclusionDirectory() throws {
        let frames = try slidingFrames(count: 3)
        let folder = try TestMedia.makeScratchDirectory("flowback")
        let format = StreamFormat(width: 96, height: 64, pixelFormat: .yuv420p, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        func colours(_ chain: String) throws -> [PlanarImage] {
            let report = try FilterVerifier(input: format) { try FilterRegistry.standard.makeChain(chain)[0] }.verify(frames, expectedCount: 3)
            return try report.frames.map { try FrameConverter().rgb($0) }
        }
        func meanColour(_ image: PlanarImage, columns: Range<Int>) -> [Float] {
            image.planes.map { mean($0, columns: columns) }
        }
        // Forward (+2, 0) is drawn red on the Middlebury wheel, backward (−2, 0) cyan-blue.
        let forward = try colours("flow=max=4")
        let backward = try colours("flow=max=4:direction=backward")
        let f = meanColour(forward[1], columns: 20..<76), b = meanColour(backward[1], columns: 20..<76)
        XCTAssertGreaterThan(f[0], f[2] + 0.2, "forward is reddish: \(f)")
        XCTAssertGreaterThan(b[2], b[0] + 0.2, "backward is bluish: \(b)")
        // With occlusion=1 the occluded strip is black and the masks land in occ=.
        let marked = try colours("flow=max=4:direction=backward:occlusion=1:occ=\(folder)/masks")
        XCTAssertLessThan(meanColour(marked[1], columns: 0..<2).max() ?? 1, 0.1)
        XCTAssertGreaterThan(meanColour(marked[1], columns: 20..<76).max() ?? 0, 0.5)
        XCTAssertEqual(TestMedia.listDirectory(folder + "/masks"), ["occ_000001_backward.png", "occ_000002_backward.png"])
        // A pattern for occ=.
        _ = try colours("flow=occlusion=1:occ=\(folder)/m%03d.png")
        XCTAssertEqual(TestMedia.listDirectory(folder).filter { $0.hasPrefix("m0") }, ["m001.png", "m002.png"])
        // A flo= pattern: backward flows and masks derive their names from it.
        _ = try colours("flow=mode=pass:direction=backward:occlusion=1:flo=\(folder)/p.d/b%02d.flo")
        XCTAssertEqual(TestMedia.listDirectory(folder + "/p.d"), ["b01_backward.flo", "b01_backward_occ.png", "b02_backward.flo", "b02_backward_occ.png"])
    }

    func testFlowFilterRejectsUselessCombinations() throws {
        let registry = FilterRegistry.standard
        func error(_ chain: String) -> String {
            do { _ = try registry.makeChain(chain); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(error("flow=occ=masks").contains("occ= writes occlusion masks; add occlusion=1"), error("flow=occ=masks"))
        XCTAssertTrue(error("flow=mode=pass:occlusion=1").contains("would do nothing"), error("flow=mode=pass:occlusion=1"))
        XCTAssertTrue(error("flow=direction=both").contains("direction=both in color mode"), error("flow=direction=both"))
        XCTAssertTrue(error("flow=direction=sideways").contains("is not one of forward, backward, both"), error("flow=direction=sideways"))
        XCTAssertTrue(error("flow=occlusion=1:occ=m%d%d.png").contains("option occ: pattern"), error("flow=occlusion=1:occ=m%d%d.png"))
        XCTAssertTrue(error("flow=mode=pass:occlusion=1:flo=f%d.flo:occ=f%d.flo").contains("must differ"))
        XCTAssertEqual(error("flow=direction=both:flo=flows"), "no error")
        XCTAssertEqual(error("flow=mode=pass:occlusion=1:occ=masks"), "no error")
        XCTAssertEqual(error("flow=occlusion=1"), "no error")
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
typealias SplitMix = SplitMix64
