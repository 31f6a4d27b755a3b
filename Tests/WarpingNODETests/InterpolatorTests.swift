import Foundation
import MediaIO
import Flow
import Raster
import XCTest
@testable import WarpingNODE

/// The frame interpolator on frames with an exact answer: a texture rotating about the centre.
final class InterpolatorTests: XCTestCase {
    /// A smooth analytic texture in [0, 1], evaluated at (x, y) relative to the centre.
    static func texture(_ x: Double, _ y: Double) -> Double {
        0.5 + 0.18 * sin(x / 4.1 + y / 9.3) + 0.14 * cos(y / 3.7 - x / 11.2) + 0.1 * sin((x - y) / 6.3) + 0.05 * cos(x * y / 300)
    }

    /// A gray or yuv420p frame showing the texture rotated by `angle` radians about the centre
    /// (chroma: a second texture, so chroma rendering is checked too).
    static func rotatedFrame(size: Int, angle: Double, format: PixelFormat = .gray) throws -> Frame {
        let frame = try Frame(width: size, height: size, pixelFormat: format, timeBase: Rational(1, 25))
        let c = Double(size - 1) / 2
        for plane in 0..<frame.planeCount {
            try frame.withMutablePlane(plane) { buffer, stride, w, h in
                let scale = Double(size) / Double(w), cp = (Double(w) - 1) / 2
                for y in 0..<h {
                    for x in 0..<w {
                        // Rotating the picture by +angle: the sample at p shows the texture at R(−angle)·p.
                        let px = (Double(x) - cp) * scale, py = (Double(y) - cp) * scale
                        let sx = cos(angle) * px + sin(angle) * py, sy = -sin(angle) * px + cos(angle) * py
                        let value = plane == 0 ? texture(sx, sy) : texture(sy + 17, sx - 5)
                        buffer[y * stride + x] = UInt8(max(0, min(255, (value * 255).rounded())))
                    }
                }
                _ = c
            }
        }
        return frame
    }

    /// Mean absolute difference (8-bit units) of plane `plane` within `radius` of the centre.
    static func meanError(_ a: Frame, _ b: Frame, plane: Int = 0, radius: Double) -> Double {
        a.withPlane(plane) { pa, sa, w, h in
            b.withPlane(plane) { pb, sb, _, _ in
                var total = 0.0, n = 0.0
                let c = Double(w - 1) / 2, r = radius * Double(w) / Double(a.width)
                for y in 0..<h {
                    for x in 0..<w where (Double(x) - c) * (Double(x) - c) + (Double(y) - c) * (Double(y) - c) <= r * r {
                        total += abs(Double(pa[y * sa + x]) - Double(pb[y * sb + x]))
                        n += 1
                    }
                }
                return total / n
            }
        }
    }

    func prepare(_ method: InterpolationMethod, _ f0: Frame, _ f1: Frame, fit: Int = 0) throws -> InterpolatedPair {
        var s = InterpolationSettings()
        s.method = method
        s.fit.iterations = fit
        s.flowPreset = .high
        let converter = FrameConverter()
        return try FrameInterpolator(settings: s).prepare(first: f0, second: f1, firstLuma: try converter.luma(f0), secondLuma: try converter.luma(f1))
    }

    func testNodeFollowsTheRotationArcWhereLinearWarpingCutsAcross() throws {
        let size = 160, angle = 0.3  // 17°: a straight step misses the arc by ≈ 0.6 px at r = 52
        let f0 = try Self.rotatedFrame(size: size, angle: 0, format: .yuv420p)
        let f1 = try Self.rotatedFrame(size: size, angle: angle, format: .yuv420p)
        let truth = try Self.rotatedFrame(size: size, angle: angle / 2, format: .yuv420p)
        let node = try prepare(.node, f0, f1).render(at: 0.5)
        let linear = try prepare(.flow, f0, f1).render(at: 0.5)
        let nodeError = Self.meanError(node, truth, radius: 52), linearError = Self.meanError(linear, truth, radius: 52)
        XCTAssertLessThan(nodeError, linearError * 0.8, "node \(nodeError) vs linear \(linearError)")
        // Chroma is rendered in its own plane, not through RGB: it follows the same motion.
        XCTAssertLessThan(Self.meanError(node, truth, plane: 1, radius: 44), Self.meanError(linear, truth, plane: 1, radius: 44))
        XCTAssertEqual(node.pixelFormat, .yuv420p)
        XCTAssertEqual(try prepare(.node, f0, f1).statistics.foldedFraction, 0)
    }

    func testEndpointsReproduceTheFramesAndAnyTimeRenders() throws {
        let f0 = try Self.rotatedFrame(size: 64, angle: 0), f1 = try Self.rotatedFrame(size: 64, angle: 0.1)
        let pair = try prepare(.node, f0, f1)
        XCTAssertTrue(try pair.render(at: 0).samplesEqual(f0))
        XCTAssertTrue(try pair.render(at: 1).samplesEqual(f1))
        // Intermediate times move monotonically from frame 0 towards frame 1.
        var last = -1.0
        for t in [0.2, 0.4, 0.6, 0.8] {
            let d = Self.meanError(try pair.render(at: t), f0, radius: 24)
            XCTAssertGreaterThan(d, last)
            last = d
        }
        XCTAssertThrowsError(try pair.render(at: .nan))
    }

    func testTenBitFramesStayTenBit() throws {
        guard let p10 = PixelFormat(name: "yuv420p10le") else { return XCTFail("no yuv420p10le") }
        let converter = FrameConverter()
        let a = try converter.convert(try Self.rotatedFrame(size: 64, angle: 0, format: .yuv420p), width: 64, height: 64, pixelFormat: p10)
        let b = try converter.convert(try Self.rotatedFrame(size: 64, angle: 0.15, format: .yuv420p), width: 64, height: 64, pixelFormat: p10)
        let pair = try prepare(.node, a, b)
        let mid = try pair.render(at: 0.5)
        XCTAssertEqual(mid.pixelFormat, p10)
        // Samples use the 10-bit range: values above 255 occur and none exceeds 1023.
        let maxSample = mid.withPlane(0) { buf, stride, w, h -> UInt16 in
            var m: UInt16 = 0
            for y in 0..<h { for x in 0..<w { m = max(m, UnsafeRawPointer(buf.baseAddress! + y * stride).load(fromByteOffset: 2 * x, as: UInt16.self)) } }
            return m
        }
        XCTAssertGreaterThan(maxSample, 255)
        XCTAssertLessThanOrEqual(maxSample, 1023)
    }

    func testMismatchedFramesAreRejected() throws {
        let a = try Self.rotatedFrame(size: 64, angle: 0), b = try Self.rotatedFrame(size: 48, angle: 0)
        let converter = FrameConverter()
        XCTAssertThrowsError(try FrameInterpolator().prepare(first: a, second: b, firstLuma: try converter.luma(a), secondLuma: try converter.luma(b)))
        var s = InterpolationSettings()
        s.fieldSmoothing = .nan
        XCTAssertThrowsError(try FrameInterpolator(settings: s).prepare(first: a, second: a, firstLuma: try converter.luma(a), secondLuma: try converter.luma(a)))
    }
}
