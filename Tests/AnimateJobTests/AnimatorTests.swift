import AnimateJob
import Foundation
import MediaIO
import Raster
import WarpFlowTestSupport
import XCTest

/// `Animator`: exact ends, no folds, motion along the arc of a rotation, sizes conformed.
final class AnimatorTests: XCTestCase {
    /// A smooth random texture of blobs, values 0 … 1, `size × size`, rotated by `degrees`
    /// about its centre (bilinear; what leaves the square reads the edge).
    static func texture(size: Int, degrees: Double) -> Plane {
        var random = SplitMix64(seed: 11)
        var blobs: [(x: Double, y: Double, r: Double, a: Double)] = []
        for _ in 0..<70 {
            blobs.append((random.unit() * Double(size), random.unit() * Double(size), 3 + random.unit() * 9, random.unit() * 2 - 1))
        }
        let c = Double(size - 1) / 2, angle = degrees * .pi / 180
        var plane = Plane(width: size, height: size)
        for y in 0..<size {
            for x in 0..<size {
                // The source point that lands on (x, y) after rotating by `angle`.
                let dx = Double(x) - c, dy = Double(y) - c
                let sx = c + cos(angle) * dx + sin(angle) * dy, sy = c - sin(angle) * dx + cos(angle) * dy
                var v = 0.5
                for b in blobs {
                    let d2 = ((sx - b.x) * (sx - b.x) + (sy - b.y) * (sy - b.y)) / (b.r * b.r)
                    v += 0.25 * b.a * exp(-d2)
                }
                plane[x, y] = Float(min(1, max(0, v)))
            }
        }
        return plane
    }

    static func grayFrame(_ plane: Plane) throws -> Frame {
        let frame = try Frame(width: plane.width, height: plane.height, pixelFormat: .gray, timeBase: Rational(1, 25))
        try frame.withMutablePlane(0) { data, stride, w, h in
            for y in 0..<h { for x in 0..<w { data[y * stride + x] = UInt8((plane[x, y] * 255).rounded()) } }
        }
        return frame
    }

    /// PSNR (dB) of `frame`'s samples against `truth` over the central disc (what both pictures
    /// of a rotation hold).
    static func psnr(_ frame: Frame, _ truth: Plane) -> Double {
        let n = truth.width, c = Double(n - 1) / 2, r2 = (0.45 * Double(n)) * (0.45 * Double(n))
        var sum = 0.0, count = 0.0
        frame.withPlane(0) { data, stride, _, _ in
            for y in 0..<n { for x in 0..<n where (Double(x) - c) * (Double(x) - c) + (Double(y) - c) * (Double(y) - c) < r2 {
                let d = Double(data[y * stride + x]) / 255 - Double(truth[x, y])
                sum += d * d
                count += 1
            } }
        }
        return 10 * log10(1 / max(sum / count, 1e-12))
    }

    func testRotationIsFollowedWithExactEndsAndNoFolds() throws {
        let size = 128
        let a = try Self.grayFrame(Self.texture(size: size, degrees: 0))
        let b = try Self.grayFrame(Self.texture(size: size, degrees: 24))
        let truth = Self.texture(size: size, degrees: 12)
        var settings = AnimateSettings()
        settings.frames = 5
        settings.ease = .linear
        settings.threads = 2
        var scores: [AnimateMethod: Double] = [:]
        for method in AnimateMethod.allCases {
            settings.method = method
            let animator = try Animator(settings: settings)
            let (first, second) = try animator.conform(first: a, second: b, names: ("a", "b"))
            let animation = try animator.prepare(first: first, second: second)
            XCTAssertEqual(animation.count, 5)
            XCTAssertEqual(animation.times, [0, 0.25, 0.5, 0.75, 1])
            XCTAssertTrue(try animation.frame(0).samplesEqual(a), "\(method): t = 0 is A exactly")
            XCTAssertTrue(try animation.frame(4).samplesEqual(b), "\(method): t = 1 is B exactly")
            if method == .node { XCTAssertEqual(animation.statistics.foldedFraction, 0, "no frame's warp folds") }
            scores[method] = Self.psnr(try animation.frame(2), truth)
        }
        let node = try XCTUnwrap(scores[.node]), blend = try XCTUnwrap(scores[.blend])
        XCTAssertGreaterThan(node, blend + 3, "the middle frame follows the rotation: \(scores)")
    }

    func testPingpongAndEaseShapeTheTimes() throws {
        var s = AnimateSettings()
        s.frames = 4
        s.pingpong = true
        s.method = .blend
        let frame = try Self.grayFrame(Plane(width: 32, height: 32, value: 0.5))
        let animation = try Animator(settings: s).prepare(first: frame, second: frame)
        XCTAssertEqual(animation.count, 6, "A … B … back, the ends not repeated")
        XCTAssertEqual(animation.times.first, 0)
        XCTAssertEqual(animation.times[3], 1)
        XCTAssertEqual(AnimateEase.smooth.time(frame: 1, of: 3), 0.5)
        XCTAssertLessThan(AnimateEase.smooth.time(frame: 1, of: 5), 0.25, "smooth starts slowly")
        s.frames = 1
        XCTAssertThrowsError(try Animator(settings: s))
    }

    func testSizesAreRefusedOrFitted() throws {
        let a = try Self.grayFrame(Plane(width: 64, height: 48, value: 0.5))
        let b = try Self.grayFrame(Plane(width: 32, height: 32, value: 0.8))
        var s = AnimateSettings()
        XCTAssertThrowsError(try Animator(settings: s).conform(first: a, second: b, names: ("a.png", "b.png"))) { error in
            XCTAssertTrue("\(error)".contains("a.png and b.png differ in size (64×48 and 32×32)"), "\(error)")
        }
        for fit in [AnimateFit.pad, .crop] {
            s.fit = fit
            let (first, second) = try Animator(settings: s).conform(first: a, second: b, names: ("a", "b"))
            XCTAssertEqual([second.width, second.height], [64, 48], "\(fit)")
            XCTAssertEqual(second.pixelFormat, first.pixelFormat)
            let corner = second.withPlane(0) { data, _, _, _ in data[0] }
            XCTAssertEqual(corner, fit == .pad ? 0 : 204, "\(fit): the corner is padding or B itself")
        }
    }

    func testStillSourcesParse() throws {
        XCTAssertEqual(try StillSource.parse("a.png"), StillSource(path: "a.png"))
        XCTAssertEqual(try StillSource.parse("clip.mp4@1.5"), StillSource(path: "clip.mp4", time: 1.5))
        XCTAssertEqual(try StillSource.parse("me@home.png"), StillSource(path: "me@home.png"), "not a time: part of the name")
        for bad in ["", "@2", "clip.mp4@-1", "clip.mp4@nan", "clip.mp4@inf"] {
            XCTAssertThrowsError(try StillSource.parse(bad), bad)
        }
    }

    func testFramesOfAVideoAreChosenByTime() throws {
        let clip = try TestMedia.makeClip(name: "animate-source.mp4", args: TestMedia.testSource(width: 64, height: 48, rate: "10", seconds: 2)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let first = try StillSource(path: clip).load()
        let later = try StillSource(path: clip, time: 1.0).load()
        XCTAssertEqual(Double(later.pts - first.pts) * later.timeBase.doubleValue, 1.0, accuracy: 0.051)
        XCTAssertThrowsError(try StillSource(path: clip, time: 30).load()) { error in
            XCTAssertTrue("\(error)".contains("ends at"), "\(error)")
        }
        XCTAssertThrowsError(try StillSource(path: "/nonexistent/x.png").load()) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/x.png"), "\(error)")
        }
    }
}
