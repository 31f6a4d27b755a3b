import Foundation
@testable import MediaIO
import Raster
import WarpFlowTestSupport
import XCTest

final class ConverterTests: XCTestCase {
    func testSIMDKernelsMatchScalar() {
        for count in [0, 1, 15, 16, 17, 33, 100] {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255) }
            let shorts = (0..<count).map { _ in UInt16.random(in: 0...1023) }
            var a = [Float](repeating: -1, count: count), b = a
            SampleKernels.bytesToFloat(bytes, &a, count: count, offset: 16, scale: 1 / 219, clamp: true)
            SampleKernels.bytesToFloatScalar(bytes, &b, count: count, offset: 16, scale: 1 / 219, clamp: true)
            XCTAssertEqual(a, b)
            SampleKernels.shortsToFloat(shorts, &a, count: count, offset: 64, scale: 1 / 876, clamp: true)
            SampleKernels.shortsToFloatScalar(shorts, &b, count: count, offset: 64, scale: 1 / 876, clamp: true)
            XCTAssertEqual(a, b)
            var floats = (0..<count).map { _ in Float.random(in: -0.2...1.2) }
            if count > 3 { floats[3] = .nan }
            var x = [UInt8](repeating: 7, count: count), y = x
            SampleKernels.floatToBytes(floats, &x, count: count)
            SampleKernels.floatToBytesScalar(floats, &y, count: count)
            XCTAssertEqual(x, y)
        }
    }

    /// Our RGB of the first frame against ffmpeg's own conversion of it to planar RGB (full
    /// chroma interpolation, like ours; ffmpeg's packed rgb24 route repeats chroma samples
    /// instead, which differs a lot at sharp colour edges).
    func testRGBMatchesFFmpeg() throws {
        let clip = try Clips.h264()
        let (_, frames) = try Clips.decodeAll(clip)
        let swscale = FrameConverter()
        swscale.forceSwscale = true
        for image in [try FrameConverter().rgb(frames[0]), try swscale.rgb(frames[0])] {
            try compareWithFFmpeg(image, clip: clip)
        }
    }

    private func compareWithFFmpeg(_ image: PlanarImage, clip: String) throws {
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.width, 160)
        let raw = TestMedia.path("frame0.rgb")
        let r = TestMedia.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", clip, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gbrp", raw])
        XCTAssertEqual(r.status, 0, r.stderr)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        XCTAssertEqual(bytes.count, 160 * 120 * 3)
        var sum: Double = 0, worst: Float = 0
        for i in 0..<(160 * 120) {
            for c in 0..<3 {
                // gbrp planes: G, B, R.
                let plane = [2, 0, 1][c]
                let d = abs(image.planes[c].data[i] - Float(bytes[plane * 160 * 120 + i]) / 255)
                sum += Double(d)
                worst = max(worst, d)
            }
        }
        let mean = sum / Double(160 * 120 * 3)
        XCTAssertLessThan(mean, 5.0 / 255, "mean difference \(mean * 255)/255")
        XCTAssertLessThan(worst, 160 / 255, "largest difference \(worst * 255)/255")
        XCTAssertTrue(image.planes.allSatisfy { $0.data.allSatisfy { $0 >= 0 && $0 <= 1 } })
    }

    /// The direct YUV path against swscale, for 4:2:0, 4:2:2 and 4:4:4, limited and full range.
    func testDirectYUVPathMatchesSwscale() throws {
        let (_, frames) = try Clips.decodeAll(try Clips.h264())
        let direct = FrameConverter(), swscale = FrameConverter()
        swscale.forceSwscale = true
        for format in [PixelFormat.yuv420p, .yuv422p, .yuv444p, .yuvj420p] {
            let frame = try direct.convert(frames[4], width: 160, height: 120, pixelFormat: format)
            let a = try direct.rgb(frame), b = try swscale.rgb(frame)
            var sum: Float = 0
            for c in 0..<3 { for i in 0..<a.planes[c].count { sum += abs(a.planes[c].data[i] - b.planes[c].data[i]) } }
            // 4:4:4 has no chroma interpolation, so only the matrix and rounding can differ; 4:2:x
            // differ at sharp chroma edges (bilinear co-sited here, bicubic in swscale).
            let bound: Float = format == .yuv444p ? 1 / 255 : 5 / 255
            XCTAssertLessThan(sum / Float(3 * 160 * 120), bound, "\(format)")
        }
        // Odd sizes: every output sample is written.
        let odd = try direct.convert(frames[4], width: 35, height: 21, pixelFormat: .yuv420p)
        let image = try direct.rgb(odd)
        XCTAssertEqual(image.width, 35)
        XCTAssertEqual(image.height, 21)
        XCTAssertTrue(image.planes.allSatisfy { $0.data.allSatisfy { $0 >= 0 && $0 <= 1 } })
    }

    func testCombineRowSIMDMatchesScalar() {
        let n = 37
        let y = (0..<n).map { _ in UInt8.random(in: 0...255) }
        let u = (0..<n).map { _ in Float.random(in: 0...255) }, v = (0..<n).map { _ in Float.random(in: 0...255) }
        let c = YUVToRGB(kr: 0.2126, kb: 0.0722, fullRange: false).coefficients
        var r1 = [Float](repeating: 0, count: n), g1 = r1, b1 = r1, r2 = r1, g2 = r1, b2 = r1
        YUVToRGB.combineRow(y, u, v, &r1, &g1, &b1, count: n, c)
        YUVToRGB.combineRowScalar(y, u, v, &r2, &g2, &b2, count: n, c)
        for i in 0..<n {
            XCTAssertEqual(r1[i], r2[i], accuracy: 1e-5)
            XCTAssertEqual(g1[i], g2[i], accuracy: 1e-5)
            XCTAssertEqual(b1[i], b2[i], accuracy: 1e-5)
        }
    }

    func testUpsampleRowSIMDMatchesScalar() {
        for (width, shift) in [(1, 1), (2, 1), (33, 1), (64, 1), (35, 0), (16, 0)] {
            let cw = -((-width) >> shift)
            let a = (0..<cw).map { _ in UInt8.random(in: 0...255) }, b = (0..<cw).map { _ in UInt8.random(in: 0...255) }
            var x = [Float](repeating: -1, count: width), y = x
            var scratch = [Float](repeating: 0, count: cw + 16)
            YUVToRGB.upsampleRowScalar(a, b, wb: 0.25, shiftX: shift, chromaWidth: cw, width: width, into: &x)
            YUVToRGB.upsampleRow(a, b, wb: 0.25, shiftX: shift, chromaWidth: cw, width: width, scratch: &scratch, into: &y)
            for i in 0..<width { XCTAssertEqual(x[i], y[i], accuracy: 1e-4, "width \(width) shift \(shift) at \(i)") }
        }
    }

    func testLumaAgreesWithRGB() throws {
        let (_, frames) = try Clips.decodeAll(try Clips.h264())
        let converter = FrameConverter()
        let luma = try converter.luma(frames[3])
        let rgb = try converter.rgb(frames[3])
        var sum: Float = 0
        for i in 0..<luma.count {
            let y = 0.299 * rgb.planes[0].data[i] + 0.587 * rgb.planes[1].data[i] + 0.114 * rgb.planes[2].data[i]
            sum += abs(y - luma.data[i])
        }
        XCTAssertLessThan(sum / Float(luma.count), 0.02)
        // Luma of an RGB frame goes through the RGB path and agrees too.
        let rgbFrame = try converter.convert(frames[3], width: 160, height: 120, pixelFormat: .rgb24)
        let luma2 = try converter.luma(rgbFrame)
        XCTAssertEqual(luma2.count, luma.count)
        let diff = zip(luma.data, luma2.data).map { abs($0 - $1) }.reduce(0, +) / Float(luma.count)
        XCTAssertLessThan(diff, 0.02)
    }

    func testImageToFrameAndBack() throws {
        let (_, frames) = try Clips.decodeAll(try Clips.h264())
        let converter = FrameConverter()
        let image = try converter.rgb(frames[5])
        for format in [PixelFormat.yuv444p, .gbrp, .rgb24] {
            let frame = try converter.frame(from: image, pixelFormat: format, pts: 42, timeBase: Rational(1, 25))
            XCTAssertEqual(frame.pixelFormat, format)
            XCTAssertEqual(frame.pts, 42)
            XCTAssertEqual(frame.timeBase, Rational(1, 25))
            let back = try converter.rgb(frame)
            let err = zip(image.planes, back.planes).map { p, q in zip(p.data, q.data).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 1
            XCTAssertLessThan(err, format == .yuv444p ? 6 / 255 : 0.6 / 255, "\(format)")
        }
        let gray = try converter.frame(from: PlanarImage(planes: [try converter.luma(frames[5])]), pixelFormat: .yuv420p, pts: 0, timeBase: Rational(1, 25))
        XCTAssertEqual(gray.pixelFormat, .yuv420p)
    }

    func testScalingAlgorithms() throws {
        let (_, frames) = try Clips.decodeAll(try Clips.h264())
        let converter = FrameConverter()
        let source = try converter.luma(frames[2])
        for algorithm in ScaleAlgorithm.allCases {
            let small = try converter.convert(frames[2], width: 80, height: 60, pixelFormat: .yuv420p, algorithm: algorithm)
            XCTAssertEqual(small.width, 80)
            XCTAssertEqual(small.height, 60)
            XCTAssertEqual(small.pts, frames[2].pts)
            XCTAssertEqual(small.index, frames[2].index)
            let luma = try converter.luma(small)
            // Downscaled luma matches the 2×2 box average of the original, roughly.
            var sum: Float = 0
            for y in 0..<60 {
                for x in 0..<80 {
                    let box = (source[2 * x, 2 * y] + source[2 * x + 1, 2 * y] + source[2 * x, 2 * y + 1] + source[2 * x + 1, 2 * y + 1]) / 4
                    sum += abs(luma[x, y] - box)
                }
            }
            XCTAssertLessThan(sum / 4800, 0.06, "\(algorithm)")
        }
        // The algorithms really differ: point sampling copies one source sample of each 2×2
        // block; bicubic filters, so most of its samples are none of the block's four.
        func yPlane(_ f: Frame) -> [[UInt8]] {
            f.withPlane(0) { buf, stride, w, h in (0..<h).map { y in (0..<w).map { buf[y * stride + $0] } } }
        }
        let src = yPlane(frames[2])
        func copiedFraction(_ algorithm: ScaleAlgorithm) throws -> Double {
            let out = yPlane(try converter.convert(frames[2], width: 80, height: 60, pixelFormat: .yuv420p, algorithm: algorithm))
            var copied = 0
            for y in 0..<60 {
                for x in 0..<80 where [src[2 * y][2 * x], src[2 * y][2 * x + 1], src[2 * y + 1][2 * x], src[2 * y + 1][2 * x + 1]].contains(out[y][x]) {
                    copied += 1
                }
            }
            return Double(copied) / 4800
        }
        XCTAssertEqual(try copiedFraction(.point), 1, accuracy: 0.001)
        XCTAssertLessThan(try copiedFraction(.bicubic), 0.8)
    }
}

/// Layout and colour correctness against swscale: shifted and big-endian samples, and Float →
/// frame conversions that keep the source's depth and tags.
final class ConverterLayoutTests: XCTestCase {
    func testFloatToShortsSIMDMatchesScalar() {
        for count in [0, 1, 7, 8, 9, 31, 100] {
            let values = (0..<count).map { i -> Float in i % 9 == 0 ? .nan : Float.random(in: -0.2...1.2) }
            var a = [UInt16](repeating: 1, count: count), b = a
            values.withUnsafeBufferPointer { v in
                a.withUnsafeMutableBufferPointer { SampleKernels.floatToShorts(v.baseAddress ?? UnsafePointer(bitPattern: 8)!, $0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, count: count) }
                b.withUnsafeMutableBufferPointer { SampleKernels.floatToShortsScalar(v.baseAddress ?? UnsafePointer(bitPattern: 8)!, $0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, count: count) }
            }
            XCTAssertEqual(a, b)
        }
    }

    func tenBitFrame() throws -> Frame {
        let (_, frames) = try Clips.decodeAll(try Clips.h264())
        guard let p10 = PixelFormat(name: "yuv420p10le") else { throw XCTSkip("no yuv420p10le") }
        return try FrameConverter().convert(frames[3], width: frames[3].width, height: frames[3].height, pixelFormat: p10)
    }

    func testLumaHonoursShiftAndByteOrder() throws {
        let reference = try tenBitFrame()
        let converter = FrameConverter()
        let expected = try converter.luma(reference)
        for name in ["p010le", "yuv420p10be", "p010be"] {
            guard let format = PixelFormat(name: name) else { continue }
            let other = try FrameConverter().convert(reference, width: reference.width, height: reference.height, pixelFormat: format, algorithm: .point)
            let luma = try converter.luma(other)
            var worst: Float = 0
            for i in 0..<luma.count { worst = max(worst, abs(luma.data[i] - expected.data[i])) }
            XCTAssertLessThan(worst, 1e-5, name)
        }
        XCTAssertEqual(PixelFormat(name: "p010le")?.componentShift, 6)
        XCTAssertEqual(PixelFormat(name: "yuv420p10be")?.isBigEndian, true)
    }

    func testFloatImageBecomesAFrameLikeItsSourceKeepingDepthAndTags() throws {
        let source = try tenBitFrame()
        source.colorTags = ColorTags(matrix: 9, range: 2, primaries: 9, transfer: 18)  // BT.2020, full range, HLG
        let converter = FrameConverter()
        let image = try converter.rgb(source)
        let out = try converter.frame(from: image, like: source)
        XCTAssertEqual(out.pixelFormat, source.pixelFormat)
        XCTAssertEqual(out.colorTags, source.colorTags)
        XCTAssertEqual(out.pts, source.pts)
        // The round trip through Float RGB keeps 10-bit precision: far below one 8-bit step.
        let a = try converter.luma(source), b = try converter.luma(out)
        var total: Float = 0
        for i in 0..<a.count { total += abs(a.data[i] - b.data[i]) }
        XCTAssertLessThan(total / Float(a.count), 0.25 / 255)
        XCTAssertThrowsError(try converter.frame(from: PlanarImage(width: 8, height: 8, channels: 3), like: source))
    }
}

/// `withPlane` reports sizes in samples that cover the whole visible row, for every layout.
final class PlaneGeometryTests: XCTestCase {
    func testWidthsCoverTheVisibleRow() throws {
        let cases: [(String, Int, [Int])] = [("yuv420p", 1, [161, 81, 81]), ("nv12", 1, [161, 162]), ("p010le", 2, [161, 162]),
                                             ("yuv420p10le", 2, [161, 81, 81]), ("rgb24", 1, [483]), ("gray", 1, [161])]
        for (name, bytes, widths) in cases {
            guard let format = PixelFormat(name: name) else { continue }
            let frame = try Frame(width: 161, height: 9, pixelFormat: format, timeBase: Rational(1, 1))
            for plane in 0..<frame.planeCount {
                let w = frame.withPlane(plane) { _, _, w, _ in w }
                XCTAssertEqual(w, widths[plane], "\(name) plane \(plane)")
                XCTAssertEqual(w * bytes, frame.visibleBytesPerRow(plane), "\(name) plane \(plane)")
            }
        }
    }
}
