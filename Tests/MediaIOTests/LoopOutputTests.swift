import Foundation
import MediaIO
import WarpFlowTestSupport
import XCTest

/// Gapless-looping MP4 (`EncoderSettings.bFrames` 0 and `editList` false): the first frame at
/// time 0 with no edit list, constant frame durations, every frame there; checked with ffprobe
/// and by walking the MP4 box tree.
final class LoopOutputTests: XCTestCase {
    static let rate = Rational(30, 1)

    /// `count` yuv420p frames of a moving gradient, pts 0, 1, 2 … in time base 1/30.
    static func frames(_ count: Int, width: Int = 128, height: Int = 96) throws -> [Frame] {
        try (0..<count).map { k in
            let frame = try Frame(width: width, height: height, pixelFormat: .yuv420p, pts: Int64(k), timeBase: rate.inverted)
            for plane in 0..<3 {
                try frame.withMutablePlane(plane) { buffer, stride, w, h in
                    for y in 0..<h {
                        for x in 0..<w { buffer[y * stride + x] = UInt8(truncatingIfNeeded: plane == 0 ? 3 * x + 2 * y + 5 * k : 128 + (x - y + k) % 40) }
                    }
                }
            }
            return frame
        }
    }

    /// Writes `frames` with `settings` to `name` in a new folder; returns the path and writer.
    func write(_ frames: [Frame], _ settings: EncoderSettings, name: String = "loop.mp4") throws -> (String, VideoWriter) {
        let dir = try TestMedia.makeScratchDirectory("loop")
        let path = dir + "/" + name
        let format = StreamFormat(width: frames[0].width, height: frames[0].height, pixelFormat: .yuv420p,
                                  timeBase: Self.rate.inverted, frameRate: Self.rate, frameCount: frames.count)
        let writer = try VideoWriter(path: path, format: format, settings: settings)
        for f in frames { try writer.write(f) }
        try writer.finish()
        XCTAssertEqual(TestMedia.listDirectory(dir), [name], "temporary files left behind")
        return (path, writer)
    }

    /// The paths of every box in an MP4 ("moov/trak/edts/elst", …), descending into the
    /// containers on the way to edit lists and sample tables.
    static func boxPaths(_ path: String) throws -> [String] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let containers: Set<String> = ["moov", "trak", "edts", "mdia", "minf", "stbl"]
        var found: [String] = []
        func walk(_ range: Range<Int>, _ parent: String) {
            var at = range.lowerBound
            while at + 8 <= range.upperBound {
                var size = data[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
                let type = String(decoding: data[at + 4..<at + 8], as: UTF8.self)
                var header = 8
                if size == 1, at + 16 <= range.upperBound {
                    size = data[at + 8..<at + 16].reduce(0) { $0 << 8 | Int($1) }
                    header = 16
                } else if size == 0 {
                    size = range.upperBound - at
                }
                guard size >= header, at + size <= range.upperBound else {
                    XCTFail("malformed box \(type) at \(at) in \(path)")
                    return
                }
                let name = parent.isEmpty ? type : parent + "/" + type
                found.append(name)
                if containers.contains(type) { walk(at + header..<at + size, name) }
                at += size
            }
        }
        walk(0..<data.count, "")
        return found
    }

    /// ffprobe's video packets (pts, dts, duration in stream ticks) in file order.
    static func packets(_ path: String) throws -> [[Int]] {
        let result = TestMedia.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts,dts,duration", "-of", "csv=p=0", path])
        guard result.status == 0 else { throw TestMedia.ToolError(command: "ffprobe \(path)", status: result.status, stderr: result.stderr) }
        return result.stdout.split(separator: "\n").map { $0.split(separator: ",").compactMap { Int($0) } }
    }

    func testGaplessSettingsStartAtZeroWithoutEditListAtConstantRate() throws {
        let count = 40
        let frames = try Self.frames(count)
        // x264's `medium` uses B-frames by default, so bFrames 0 is what removes them.
        let (path, writer) = try write(frames, EncoderSettings(crf: 23, preset: "medium", bFrames: 0, editList: false))
        XCTAssertTrue(writer.warnings.isEmpty, "\(writer.warnings)")
        XCTAssertEqual(writer.packetsWritten, count)

        let boxes = try Self.boxPaths(path)
        XCTAssertTrue(boxes.contains("moov/trak/mdia/minf/stbl/stts"), "box walk did not reach the sample table: \(boxes)")
        XCTAssertFalse(boxes.contains { $0.hasSuffix("elst") || $0.hasSuffix("edts") }, "\(boxes)")

        let stream = try XCTUnwrap(TestMedia.ffprobeStreams(path, type: "video").first)
        XCTAssertEqual(Double(stream["start_time"] as? String ?? ""), 0)
        XCTAssertEqual(stream["has_b_frames"] as? Int, 0)
        XCTAssertEqual(stream["nb_frames"] as? String, "\(count)")
        XCTAssertEqual(stream["r_frame_rate"] as? String, "30/1")
        XCTAssertEqual(stream["avg_frame_rate"] as? String, "30/1")

        let packets = try Self.packets(path)
        XCTAssertEqual(packets.count, count)
        XCTAssertEqual(packets.first?.first, 0, "first packet pts")
        XCTAssertTrue(packets.allSatisfy { $0.count == 3 && $0[0] == $0[1] }, "pts ≠ dts: frames are reordered")
        let duration = try XCTUnwrap(packets.first?.last)
        XCTAssertGreaterThan(duration, 0)
        XCTAssertEqual(packets.map { $0.last }, Array(repeating: duration, count: count), "frame durations differ")
        XCTAssertEqual(packets.map { $0.first }, (0..<count).map { $0 * duration }, "pts are not evenly spaced")

        // Decoded: every frame, the first at pts 0.
        let probe = TestMedia.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                                              "stream=nb_read_frames:frame=best_effort_timestamp", "-of", "csv=p=0", path])
        let lines = probe.stdout.split(separator: "\n").map { String($0.split(separator: ",").first ?? "") }
        XCTAssertEqual(lines.first, "0", probe.stdout)
        XCTAssertEqual(lines.last, "\(count)", probe.stdout)
        let reader = try VideoReader(path: path)
        var decoded: [Int64] = []
        while let f = try reader.nextFrame() { decoded.append(Rational.rescale(f.pts, from: f.timeBase, to: Self.rate.inverted)) }
        XCTAssertEqual(decoded, (0..<Int64(count)).map { $0 })
    }

    /// The defaults keep the edit list and B-frames; no edit list with B-frames starts late and
    /// says so. Both show the gapless test's checks can fail.
    func testDefaultsKeepEditListAndBFramesShiftWithoutOne() throws {
        let frames = try Self.frames(20)
        let (defaults, plain) = try write(frames, EncoderSettings(crf: 23, preset: "medium"))
        XCTAssertTrue(plain.warnings.isEmpty, "\(plain.warnings)")
        XCTAssertTrue(try Self.boxPaths(defaults).contains("moov/trak/edts/elst"))
        let stream = try XCTUnwrap(TestMedia.ffprobeStreams(defaults, type: "video").first)
        XCTAssertGreaterThan(stream["has_b_frames"] as? Int ?? 0, 0)
        XCTAssertEqual(Double(stream["start_time"] as? String ?? ""), 0, "the edit list hides the B-frame delay")

        let (shifted, warned) = try write(frames, EncoderSettings(crf: 23, preset: "medium", editList: false))
        XCTAssertEqual(warned.warnings.count, 1)
        XCTAssertTrue(warned.warnings.first?.contains("B-frames") ?? false, "\(warned.warnings)")
        XCTAssertFalse(try Self.boxPaths(shifted).contains { $0.hasSuffix("elst") })
        let late = try XCTUnwrap(TestMedia.ffprobeStreams(shifted, type: "video").first)
        XCTAssertGreaterThan(Double(late["start_time"] as? String ?? "") ?? 0, 0)
        // libx265 does not announce its B-frames; the warning comes from the first packet.
        let (hevc, warnedHEVC) = try write(Array(frames.prefix(10)), EncoderSettings(codec: .hevc, crf: 28, preset: "ultrafast", editList: false))
        XCTAssertEqual(warnedHEVC.warnings.count, 1, "\(warnedHEVC.warnings)")
        let lateHEVC = try XCTUnwrap(TestMedia.ffprobeStreams(hevc, type: "video").first)
        XCTAssertGreaterThan(Double(lateHEVC["start_time"] as? String ?? "") ?? 0, 0)
    }

    func testGaplessHEVC() throws {
        let frames = try Self.frames(12)
        let (path, writer) = try write(frames, EncoderSettings(codec: .hevc, crf: 28, preset: "ultrafast", bFrames: 0, editList: false))
        XCTAssertTrue(writer.warnings.isEmpty, "\(writer.warnings)")
        XCTAssertFalse(try Self.boxPaths(path).contains { $0.hasSuffix("elst") })
        let stream = try XCTUnwrap(TestMedia.ffprobeStreams(path, type: "video").first)
        XCTAssertEqual(stream["codec_name"] as? String, "hevc")
        XCTAssertEqual(Double(stream["start_time"] as? String ?? ""), 0)
        XCTAssertEqual(stream["has_b_frames"] as? Int, 0)
        let packets = try Self.packets(path)
        XCTAssertEqual(packets.count, 12)
        XCTAssertTrue(packets.allSatisfy { $0.count == 3 && $0[0] == $0[1] && $0[2] == packets[0][2] }, "\(packets)")
    }

    func testBFramesOrKeyframeIntervalOutOfRangeIsRefusedWithoutFile() throws {
        let dir = try TestMedia.makeScratchDirectory("loopbad")
        let path = dir + "/bad.mp4"
        let format = StreamFormat(width: 64, height: 64, pixelFormat: .yuv420p, timeBase: Self.rate.inverted, frameRate: Self.rate, frameCount: 1)
        for b in [-1, 17] {
            XCTAssertThrowsError(try VideoWriter(path: path, format: format, settings: EncoderSettings(bFrames: b))) { error in
                XCTAssertEqual((error as? MediaError)?.kind, .invalidArgument)
                XCTAssertTrue("\(error)".contains("bFrames") && "\(error)".contains(path), "\(error)")
            }
        }
        for k in [0, -3, 100_001] {
            XCTAssertThrowsError(try VideoWriter(path: path, format: format, settings: EncoderSettings(keyframeInterval: k))) { error in
                XCTAssertEqual((error as? MediaError)?.kind, .invalidArgument)
                XCTAssertTrue("\(error)".contains("keyframe interval") && "\(error)".contains(path), "\(error)")
            }
        }
        XCTAssertEqual(TestMedia.listDirectory(dir), [])
    }

    /// Uniform quality codes an unchanged picture identically in every frame, frame 0 included
    /// (x264 otherwise gives the first frame its own quantiser: a flicker at every wrap of a
    /// loop whose background does not move).
    func testUniformQualityCodesAnUnchangedPictureTheSameInEveryFrame() throws {
        let textured = try (0..<6).map { k -> Frame in
            let frame = try Frame(width: 128, height: 96, pixelFormat: .yuv420p, pts: Int64(k), timeBase: Self.rate.inverted)
            for plane in 0..<3 {
                try frame.withMutablePlane(plane) { buffer, stride, w, h in
                    for y in 0..<h {
                        for x in 0..<w { buffer[y * stride + x] = UInt8(truncatingIfNeeded: (x &* 7919 ^ y &* 104_729) % 251) }
                    }
                }
            }
            return frame
        }
        let (path, _) = try write(textured, EncoderSettings(crf: 18, uniformQuality: true, keyframeInterval: 1))
        let reader = try VideoReader(path: path)
        var lumas: [[UInt8]] = []
        while let f = try reader.nextFrame() {
            lumas.append(f.withPlane(0) { data, stride, w, h in (0..<h).flatMap { y in (0..<w).map { data[y * stride + $0] } } })
        }
        XCTAssertEqual(lumas.count, 6)
        let source = textured[0].withPlane(0) { data, stride, w, h in (0..<h).flatMap { y in (0..<w).map { data[y * stride + $0] } } }
        XCTAssertNotEqual(lumas[0], source, "crf 18 is lossy: the check below compares coded pictures")
        for k in 1..<lumas.count { XCTAssertTrue(lumas[k] == lumas[0], "frame \(k) is coded differently from frame 0") }
    }
}
