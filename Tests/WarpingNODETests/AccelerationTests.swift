import Foundation
import MediaIO
import Flow
import Raster
import XCTest
@testable import WarpingNODE

/// Trajectories with acceleration from four frames, on a textured ball with an exact answer.
final class AccelerationTests: XCTestCase {
    static let width = 192, height = 160, radius = 20.0

    /// A gray frame: a textured ball centred at (`cx`, `cy`) over a still, gently textured
    /// background (anti-aliased edge, one pixel wide).
    static func ballFrame(cx: Double, cy: Double) throws -> Frame {
        let frame = try Frame(width: width, height: height, pixelFormat: .gray, timeBase: Rational(1, 25))
        try frame.withMutablePlane(0) { buffer, stride, w, h in
            for y in 0..<h {
                for x in 0..<w {
                    let dx = Double(x) - cx, dy = Double(y) - cy
                    let background = 0.35 + 0.08 * sin(Double(x) / 7.3) * cos(Double(y) / 5.9)
                    let ball = InterpolatorTests.texture(dx * 1.3, dy * 1.3)
                    let cover = min(max(radius + 0.5 - (dx * dx + dy * dy).squareRoot(), 0), 1)
                    let value = cover * ball + (1 - cover) * background
                    buffer[y * stride + x] = UInt8(max(0, min(255, (value * 255).rounded())))
                }
            }
        }
        return frame
    }

    /// Mean absolute difference (8-bit units) inside the ball at (`cx`, `cy`), radius − 3.
    static func ballError(_ a: Frame, _ b: Frame, cx: Double, cy: Double) -> Double {
        a.withPlane(0) { pa, sa, w, h in
            b.withPlane(0) { pb, sb, _, _ in
                var total = 0.0, n = 0.0
                let r = radius - 3
                for y in 0..<h {
                    for x in 0..<w where (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) <= r * r {
                        total += abs(Double(pa[y * sa + x]) - Double(pb[y * sb + x]))
                        n += 1
                    }
                }
                return total / n
            }
        }
    }

    /// Renders t = ½ between frames 0 and 1 of `positions` (frames −1, 0, 1, 2), with four
    /// frames, with two (node) and by linear flow warping; returns the three errors against
    /// `truth` and the four-frame pair's statistics.
    func errors(_ positions: [(Double, Double)], truth: (Double, Double)) throws
        -> (four: Double, two: Double, linear: Double, stats: PairStatistics, acceleration: (Float, Float)) {
        let frames = try positions.map { try Self.ballFrame(cx: $0.0, cy: $0.1) }
        let converter = FrameConverter()
        let luma = try frames.map { try converter.luma($0) }
        var settings = InterpolationSettings()
        settings.flowPreset = .high
        let node = FrameInterpolator(settings: settings)
        let flows = try (0..<3).map { try node.flows(firstLuma: luma[$0], secondLuma: luma[$0 + 1]) }
        let neighbours = PairNeighbours(before: (flows[0], 1), after: (flows[2], 1))
        let four = try node.prepare(first: frames[1], second: frames[2], firstLuma: luma[1], secondLuma: luma[2], flows: flows[1], neighbours: neighbours)
        let two = try node.prepare(first: frames[1], second: frames[2], firstLuma: luma[1], secondLuma: luma[2], flows: flows[1], neighbours: .none)
        settings.method = .flow
        let linear = try FrameInterpolator(settings: settings).prepare(first: frames[1], second: frames[2], firstLuma: luma[1], secondLuma: luma[2],
                                                                       flows: flows[1], neighbours: neighbours)
        let expected = try Self.ballFrame(cx: truth.0, cy: truth.1)
        func error(_ p: InterpolatedPair) throws -> Double { Self.ballError(try p.render(at: 0.5), expected, cx: truth.0, cy: truth.1) }
        // The estimated acceleration at the ball's centre at t = ½ (the field grid is the luma grid here).
        let velocity = try VelocityField(midpointFrom: flows[1].forward, backward: flows[1].backward, iterations: 2)
        let a = try XCTUnwrap(AccelerationEstimator.estimate(velocity: velocity, forward: flows[1].forward, backward: flows[1].backward,
                                                            neighbours: neighbours, threads: 2)).field
        let centre = (Float(truth.0), Float(truth.1))
        return (try error(four), try error(two), try error(linear), four.statistics,
                (a.u.bilinear(x: centre.0, y: centre.1), a.v.bilinear(x: centre.0, y: centre.1)))
    }

    func testBallOnAParabolaFollowsItsCurveWithFourFrames() throws {
        // p(k) = (70 + 6k, 80 − 10k + 6k²) at frames k = −1, 0, 1, 2: acceleration 12 px per
        // frame interval², so at t = ½ the straight path is off by 12/8 = 1.5 px.
        func p(_ k: Double) -> (Double, Double) { (70 + 6 * k, 80 - 10 * k + 6 * k * k) }
        let e = try errors([p(-1), p(0), p(1), p(2)], truth: p(0.5))
        XCTAssertLessThan(e.four, 0.6 * e.two, "four frames \(e.four) vs two \(e.two)")
        XCTAssertLessThan(e.four, 0.6 * e.linear, "four frames \(e.four) vs linear \(e.linear)")
        XCTAssertEqual(e.stats.foldedFraction, 0)
        XCTAssertNotNil(e.stats.accelerationAgreement)
        XCTAssertEqual(e.acceleration.0, 0, accuracy: 1.5)
        XCTAssertEqual(e.acceleration.1, 12, accuracy: 1.5)
    }

    func testJitterThatReversesEveryFrameIsNotTakenForAcceleration() throws {
        // A ball that steps right steadily and jumps up and down by 6 px every other frame: the
        // two acceleration estimates point in opposite directions and must cancel out.
        let positions = [(60.0, 86.0), (68.0, 80.0), (76.0, 86.0), (84.0, 80.0)]
        let e = try errors(positions, truth: (72, 83))
        // Each side alone says ±12 px per interval² (a 1.5 px error at t = ½); together, nothing.
        XCTAssertLessThan(hypot(e.acceleration.0, e.acceleration.1), 1)
        XCTAssertLessThan(e.four, 1.1 * e.two + 0.2, "four frames \(e.four) vs two \(e.two)")
    }

    func testAcceleratedFieldIsInvertedByIntegratingBack() throws {
        let w = 48, h = 40
        var vu = Plane(width: w, height: h), vv = vu, au = vu, av = vu
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                vu.data[i] = 2 + 0.5 * Float(sin(Double(y) / 6))
                vv.data[i] = -1 + 0.4 * Float(cos(Double(x) / 7))
                au.data[i] = 1.5 * Float(sin(Double(x + y) / 9))
                av.data[i] = 3
            }
        }
        let field = try VelocityField(u: vu, v: vv), acceleration = try Deformation(u: au, v: av)
        let forward = try field.deformation(from: 0.3, to: 1, acceleration: acceleration)
        let back = try field.deformation(from: 1, to: 0.3, acceleration: acceleration)
        let roundTrip = try back.composed(after: forward)
        // Away from the clamped border, the round trip returns every point within 0.05 px.
        var worst: Float = 0
        for y in 8..<(h - 8) { for x in 8..<(w - 8) { worst = max(worst, abs(roundTrip.u.data[y * w + x]), abs(roundTrip.v.data[y * w + x])) } }
        XCTAssertLessThan(worst, 0.05)
        XCTAssertEqual(forward.foldedFraction, 0)
        // A uniform field: the path is exactly the quadratic v(τ − t) + ½a((τ − ½)² − (t − ½)²).
        let uniform = try VelocityField(u: Plane(width: w, height: h, value: 2), v: Plane(width: w, height: h, value: 0))
        let d = try uniform.deformation(from: 0.5, to: 0, acceleration: try Deformation(u: Plane(width: w, height: h, value: 8), v: Plane(width: w, height: h)))
        XCTAssertEqual(d.u.data[w * 20 + 24], -2 * 0.5 + 0.5 * 8 * 0.25, accuracy: 1e-3)
        XCTAssertThrowsError(try uniform.deformation(from: .nan, to: 0, acceleration: try Deformation(u: Plane(width: w, height: h), v: Plane(width: w, height: h))))
        XCTAssertThrowsError(try uniform.deformation(from: 0, to: 1, acceleration: Deformation(identityWidth: 3, height: 3)))
    }
}

/// Fusion of the two warped frames where one of them cannot see the picture.
final class OcclusionBandTests: XCTestCase {
    func testVisibilityWeightsBeatThePlainBlendOnTheOcclusionBand() throws {
        // The ball crosses the background by 14 px: the background it uncovers (behind it) is
        // seen only in frame 1, the background it covers (ahead) only in frame 0.
        let c0 = (80.0, 80.0), c1 = (94.0, 80.0), mid = (87.0, 80.0)
        let f0 = try AccelerationTests.ballFrame(cx: c0.0, cy: c0.1), f1 = try AccelerationTests.ballFrame(cx: c1.0, cy: c1.1)
        let truth = try AccelerationTests.ballFrame(cx: mid.0, cy: mid.1)
        func render(occlusion: Bool) throws -> Frame {
            var s = InterpolationSettings()
            s.flowPreset = .high
            s.occlusion = occlusion
            let converter = FrameConverter()
            return try FrameInterpolator(settings: s).prepare(first: f0, second: f1, firstLuma: try converter.luma(f0),
                                                              secondLuma: try converter.luma(f1)).render(at: 0.5)
        }
        // The band: background at t = ½ that the ball covers in frame 0 or in frame 1.
        let r = AccelerationTests.radius
        func inside(_ x: Int, _ y: Int, _ c: (Double, Double), _ radius: Double) -> Bool {
            (Double(x) - c.0) * (Double(x) - c.0) + (Double(y) - c.1) * (Double(y) - c.1) <= radius * radius
        }
        func bandError(_ frame: Frame) -> Double {
            frame.withPlane(0) { p, sp, w, h in
                truth.withPlane(0) { q, sq, _, _ in
                    var total = 0.0, n = 0.0
                    for y in 0..<h {
                        for x in 0..<w where !inside(x, y, mid, r + 2) && (inside(x, y, c0, r - 1) || inside(x, y, c1, r - 1)) {
                            total += abs(Double(p[y * sp + x]) - Double(q[y * sq + x]))
                            n += 1
                        }
                    }
                    return total / max(n, 1)
                }
            }
        }
        let fused = bandError(try render(occlusion: true)), plain = bandError(try render(occlusion: false))
        XCTAssertLessThan(fused, 0.95 * plain, "fused \(fused) vs plain blend \(plain)")
    }
}
