import Foundation
import MediaIO
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob
import WarpFlowTestSupport
import XCTest

/// The `fps` filter: exact output clock, originals bit-exact, cuts never morphed, dropped
/// repeats, 10-bit, bad options.
final class FpsFilterTests: XCTestCase {
    let registry = FilterRegistry.standard

    func format(_ w: Int = 64, _ h: Int = 48, _ pf: PixelFormat = .yuv420p, rate: Rational = Rational(24, 1)) -> StreamFormat {
        StreamFormat(width: w, height: h, pixelFormat: pf, timeBase: rate.inverted, frameRate: rate, frameCount: nil)
    }

    func verifier(_ chain: String, _ input: StreamFormat) -> FilterVerifier {
        FilterVerifier(input: input) { try self.registry.makeChain(chain)[0] }
    }

    /// Frames of a textured pattern sliding `step` pixels right per frame.
    func slidingFrames(_ f: StreamFormat, count: Int, step: Int = 2, ptsStep: Int64 = 1) throws -> [Frame] {
        try (0..<count).map { k in
            let frame = try Frame(width: f.width, height: f.height, pixelFormat: f.pixelFormat, pts: Int64(k) * ptsStep, timeBase: f.timeBase)
            for plane in 0..<frame.planeCount {
                try frame.withMutablePlane(plane) { buffer, stride, w, h in
                    let shift = plane == 0 ? k * step : k * step / 2
                    for y in 0..<h {
                        for x in 0..<w {
                            let u = Double(x - shift), v = Double(y)
                            let value = 128 + 60 * sin(u / 3.3 + v / 7.1) + 40 * cos(v / 2.9 - u / 8.3)
                            buffer[y * stride + x] = UInt8(max(0, min(255, value)))
                        }
                    }
                }
            }
            return frame
        }
    }

    func test24To60KeepsOriginalsAndInventsTheRestOnTheExactGrid() throws {
        let input = format()
        let frames = try slidingFrames(input, count: 5)
        // 5 frames span 5/24 s; at 60 fps: ⌈12.5⌉ = 13 frames on pts 0…12 (time base 1/60).
        for method in ["node", "flow", "blend", "dup"] {
            let report = try verifier("fps=fps=60:method=\(method)", input).verify(frames, expectedCount: 13)
            XCTAssertEqual(report.pts, Array(0...12), method)
            XCTAssertEqual(report.format.timeBase, Rational(1, 60))
            for i in stride(from: 0, to: 5, by: 2) {
                XCTAssertTrue(report.frames[5 * i / 2].samplesEqual(frames[i]), "\(method): output \(5 * i / 2) is source \(i) untouched")
            }
        }
    }

    func testMotionCompensationBeatsBlendingOnASlide() throws {
        let input = format(96, 64)
        // Sliding 4 px per frame; frame at t = ½ is the pattern shifted by 2 px.
        let frames = try slidingFrames(input, count: 3, step: 4)
        let truth = try slidingFrames(input, count: 2, step: 2)[1]
        func error(_ method: String) throws -> Double {
            let report = try verifier("fps=fps=48:method=\(method)", input).verify(frames, expectedCount: 6)
            return Self.meanAbsoluteDifference(report.frames[1], truth, margin: 8)
        }
        let node = try error("node"), flow = try error("flow"), blend = try error("blend")
        XCTAssertLessThan(node, blend * 0.5, "node \(node) vs blend \(blend)")
        XCTAssertLessThan(flow, blend * 0.5)
        XCTAssertLessThan(node, 3)
    }

    func testNTSCRatesGiveExactCountsAndTimestamps() throws {
        var input = format(48, 32, rate: Rational(30000, 1001))
        input.frameCount = 6
        let report = try verifier("fps=fps=60000/1001:method=flow", input).verify(try slidingFrames(input, count: 6), expectedCount: 12)
        XCTAssertEqual(report.format.frameCount, 12)
        XCTAssertEqual(report.format.timeBase, Rational(1001, 60000))
        XCTAssertEqual(report.pts, Array(0..<12))
        let factor = try verifier("fps=factor=2.5:method=blend", input).verify(try slidingFrames(input, count: 6), expectedCount: 15)
        XCTAssertEqual(factor.format.frameRate, Rational(75000, 1001))
    }

    func testCutIsNeverMorphedAcross() throws {
        let input = format()
        var frames = try slidingFrames(input, count: 3)
        // Frames 3…5 are another scene: an inverted, differently moving picture.
        let other = try FilterVerifier.syntheticFrames(input, count: 3)
        for (k, f) in other.enumerated() { f.pts = Int64(3 + k); frames.append(f) }
        let report = try verifier("fps=fps=48:method=node", input).verify(frames, expectedCount: 12)
        // Output 5 sits between source 2 (last of scene 1) and 3: it repeats source 2.
        XCTAssertTrue(report.frames[5].samplesEqual(frames[2]))
        XCTAssertTrue(report.frames[6].samplesEqual(frames[3]))
        // With scene_policy=blend it is their plain blend, never a warp.
        let blended = try verifier("fps=fps=48:method=node:scene_policy=blend", input).verify(frames, expectedCount: 12)
        let expected = try Frame(width: 64, height: 48, pixelFormat: .yuv420p, timeBase: Rational(1, 48))
        try BlendKernel.blend(frames[2], frames[3], into: expected, weight: 0.5, bytesPerSample: 1, scalar: true)
        XCTAssertTrue(blended.frames[5].samplesEqual(expected))
        // An upstream scenecut's marks are honoured, and its threshold decides.
        let filters = try registry.makeChain("scenecut=threshold=100,fps=fps=48:method=node")
        _ = try filters[1].configure(input: try filters[0].configure(input: input))
        var out: [Frame] = []
        for f in frames { try filters[0].process(try f.copy()) { try filters[1].process($0) { out.append($0) } } }
        try filters[1].finish { out.append($0) }
        XCTAssertFalse(out[5].samplesEqual(frames[2]), "threshold 100 marks no cut, so the pair is interpolated")
    }

    func testRepeatedAndBackwardPtsAreDroppedWithAWarning() throws {
        let input = format()
        let frames = try slidingFrames(input, count: 5)
        frames[2].pts = 1  // repeats frame 1's pts
        frames[3].pts = 0  // goes backwards
        let filter = try registry.makeChain("fps=fps=48:method=flow")[0]
        _ = try filter.configure(input: input)
        var out: [Frame] = []
        for f in frames { try filter.process(f) { out.append($0) } }
        try filter.finish { out.append($0) }
        // Frames 0, 1, 4 remain: 5/24 s at 48 fps = 10 frames.
        XCTAssertEqual(out.map(\.pts), Array(0..<10))
        XCTAssertEqual(filter.warnings.count, 1)
        XCTAssertTrue(filter.warnings[0].contains("dropped 2"), filter.warnings[0])
    }

    func testTenBitInputStaysTenBit() throws {
        let input = format(64, 48, .yuv420p10)
        let frames = try FilterVerifier.syntheticFrames(input, count: 3)
        let report = try verifier("fps=fps=48:method=node", input).verify(frames, expectedCount: 6)
        XCTAssertEqual(report.format.pixelFormat, .yuv420p10)
        XCTAssertTrue(report.frames[2].samplesEqual(frames[1]))
        XCTAssertEqual(report.frames[1].pixelFormat, .yuv420p10)
    }

    func testBadOptionsAreClearErrors() {
        for chain in ["fps=fps=0", "fps", "fps=fps=-5", "fps=fps=60:factor=2", "fps=factor=0.5", "fps=fps=60:method=magic",
                      "fps=fps=nan", "fps=fps=inf", "fps=fps=1e308", "fps=fps=10000000000.000000001", "fps=fps=1/0",
                      "fps=fps=60:scene=200", "fps=fps=60:fit=-1", "fps=factor=9223372036854775807"] {
            XCTAssertThrowsError(try registry.makeChain(chain), chain) { error in
                XCTAssertTrue("\(error)".contains("fps") || "\(error)".contains("factor"), "\(chain): \(error)")
            }
        }
        // A factor whose product with the input's rate leaves the valid range fails in configure.
        XCTAssertThrowsError(try registry.makeChain("fps=factor=1000")[0].configure(input: format(rate: Rational(60, 1))))
        XCTAssertThrowsError(try registry.makeChain("fps=fps=60")[0].configure(input: format(64, 48, .nv12))) { error in
            XCTAssertTrue("\(error)".contains("scale=format=yuv420p"), "\(error)")
        }
        XCTAssertThrowsError(try registry.makeChain("fps=fps=60")[0].configure(input: format(4, 4)))
    }

    static func meanAbsoluteDifference(_ a: Frame, _ b: Frame, margin: Int) -> Double {
        a.withPlane(0) { pa, sa, w, h in
            b.withPlane(0) { pb, sb, _, _ in
                var total = 0.0, n = 0.0
                for y in margin..<(h - margin) {
                    for x in margin..<(w - margin) {
                        total += abs(Double(pa[y * sa + x]) - Double(pb[y * sb + x]))
                        n += 1
                    }
                }
                return total / n
            }
        }
    }
}
