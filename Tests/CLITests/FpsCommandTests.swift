import Foundation
import WarpFlowTestSupport
import XCTest

/// `warpflow fps` end to end on real files: exact rates and counts, originals bit-exact,
/// audio in sync, cuts, VFR, 10-bit, bad options. Outputs are checked by decoding them again.
final class FpsCommandTests: XCTestCase {
    func warpflow(_ args: [String]) -> (status: Int32, stdout: String, stderr: String) {
        TestMedia.run(CLITests.binary, args)
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// Per-frame MD5 of the decoded yuv420p (or `pixFmt`) pictures.
    func frameHashes(_ path: String, pixFmt: String = "yuv420p") throws -> [String] {
        let r = TestMedia.run("ffmpeg", ["-v", "error", "-i", path, "-map", "0:v:0", "-pix_fmt", pixFmt, "-f", "framemd5", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    /// Packet pts of the first video stream, sorted, and the stream time base.
    func videoTimes(_ path: String) throws -> (pts: [Int64], timeBase: (Int64, Int64)) {
        let (pts, tb) = try TestMedia.ffprobeVideoPTS(path)
        let ratio = try XCTUnwrap(TestMedia.parseRatio(tb))
        return (pts, (ratio.num, ratio.den))
    }

    /// Asserts that pts step by exactly 1/rate seconds (rate = num/den).
    func assertExactGrid(_ path: String, rate: (Int64, Int64), count: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let (pts, tb) = try videoTimes(path)
        XCTAssertEqual(pts.count, count, "frame count", file: file, line: line)
        for (k, p) in pts.enumerated() {
            // time = p·tb = (pts0·tb) + k·den/num exactly: p·tb.num·num == pts0·tb.num·num + k·den·tb.den
            let lhs = (p - pts[0]) * tb.0 * rate.0, rhs = Int64(k) * rate.1 * tb.1
            XCTAssertEqual(lhs, rhs, "frame \(k) is off the exact grid", file: file, line: line)
        }
    }

    func test24To60IsExactKeepsOriginalsAndAudioInSync() throws {
        let input = try TestMedia.makeClip(name: "fps24.mp4", args: TestMedia.testSource(width: 128, height: 96, rate: "24", seconds: 1)
            + TestMedia.sineSource(seconds: 1) + ["-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"])
        let output = TestMedia.path("fps24-60.mp4")
        let r = warpflow(["fps", input, "-o", output, "--fps", "60", "--crf", "0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let stats = try json(r.stdout)
        XCTAssertEqual(stats["frames_out"] as? Int, 60)
        XCTAssertEqual(stats["output_fps"] as? String, "60")
        XCTAssertEqual(stats["folded_fraction_max"] as? Double, 0)
        for key in ["scene_cuts", "fit_seconds", "out_of_grid_fraction", "frames_per_second", "frames_interpolated"] {
            XCTAssertNotNil(stats[key], key)
        }
        try assertExactGrid(output, rate: (60, 1), count: 60)
        // Source frame i (at i/24 s) is output 5i/2 for even i, bit-exact.
        let inHashes = try frameHashes(input), outHashes = try frameHashes(output)
        XCTAssertEqual(outHashes.count, 60)
        for i in stride(from: 0, to: 24, by: 2) { XCTAssertEqual(outHashes[5 * i / 2], inHashes[i], "source \(i)") }
        XCTAssertNotEqual(outHashes[1], inHashes[0])
        // Audio lasts as long as the video, within one output frame.
        let audio = try XCTUnwrap(TestMedia.ffprobeStreams(output, type: "audio").first)
        let video = try XCTUnwrap(TestMedia.ffprobeStreams(output, type: "video").first)
        let da = Double(audio["duration"] as? String ?? "") ?? -1, dv = Double(video["duration"] as? String ?? "") ?? -10
        XCTAssertEqual(da, dv, accuracy: 1.0 / 60 + 0.025, "audio \(da) s vs video \(dv) s")
    }

    func testNTSCDoublingIsExact() throws {
        let input = try TestMedia.makeClip(name: "fps2997.mp4", args: TestMedia.testSource(width: 96, height: 64, rate: "30000/1001", seconds: 1)
            + ["-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let output = TestMedia.path("fps2997-5994.mp4")
        let r = warpflow(["fps", input, "-o", output, "--fps", "60000/1001", "--method", "flow", "--crf", "0", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let frames = try frameHashes(input).count
        try assertExactGrid(output, rate: (60000, 1001), count: 2 * frames)
    }

    func testHardCutIsRepeatedNotMorphed() throws {
        // Two unrelated scenes, the cut after frame 12 (25 fps → 50 fps).
        let input = try TestMedia.makeClip(name: "fpscut.mp4", args: [
            "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=0.52", "-f", "lavfi", "-i", "mandelbrot=size=96x64:rate=25",
            "-filter_complex", "[1]trim=end_frame=13,setpts=PTS-STARTPTS[b];[0][b]concat=n=2:v=1,format=yuv420p",
            "-c:v", "libx264", "-qp", "0", "-preset", "ultrafast"])
        let output = TestMedia.path("fpscut-50.mp4")
        let r = warpflow(["fps", input, "-o", output, "--fps", "50", "--crf", "0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try json(r.stdout)["scene_cuts"] as? Int, 1)
        let inHashes = try frameHashes(input), outHashes = try frameHashes(output)
        let cut = 13  // first frame of the second scene
        XCTAssertEqual(outHashes[2 * cut - 1], inHashes[cut - 1], "the frame between the scenes repeats the last of the first")
        XCTAssertEqual(outHashes[2 * cut], inHashes[cut])
        XCTAssertNotEqual(outHashes[2 * cut - 3], inHashes[cut - 2], "within a scene frames are interpolated")
    }

    func testVariableFrameRateIsPlacedByRealTimestamps() throws {
        // 25 fps with frames 5…9 dropped: a 200 ms gap, written with its real timestamps.
        let input = try TestMedia.makeClip(name: "fpsvfr.mkv", args: TestMedia.testSource(width: 96, height: 64, rate: "25", seconds: 1)
            + ["-vf", "select='not(between(n,5,9))'", "-fps_mode", "vfr", "-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let output = TestMedia.path("fpsvfr-25.mp4")
        let r = warpflow(["fps", input, "-o", output, "--fps", "25", "--crf", "0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // The output is constant-rate and covers the whole second: 25 frames on the exact grid.
        try assertExactGrid(output, rate: (25, 1), count: 25)
        let inHashes = try frameHashes(input), outHashes = try frameHashes(output)
        XCTAssertEqual(inHashes.count, 20)
        // Frames after the gap keep their real time: source frame 10 (the 6th kept) is output 10.
        XCTAssertEqual(outHashes[10], inHashes[5])
        XCTAssertEqual(outHashes[4], inHashes[4])
        XCTAssertFalse(inHashes.contains(outHashes[7]), "the gap is filled with invented frames")
    }

    func testTenBitStaysTenBit() throws {
        let input = try TestMedia.makeClip(name: "fps10.mkv", args: TestMedia.testSource(width: 96, height: 64, rate: "25", seconds: 0.4)
            + ["-pix_fmt", "yuv420p10le", "-c:v", "ffv1"])
        let output = TestMedia.path("fps10-50.mp4")
        let r = warpflow(["fps", input, "-o", output, "--factor", "2", "--crf", "0", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let video = try XCTUnwrap(TestMedia.ffprobeStreams(output, type: "video").first)
        XCTAssertEqual(video["pix_fmt"] as? String, "yuv420p10le")
        XCTAssertEqual(video["r_frame_rate"] as? String, "50/1")
    }

    func testBadOptionsFailClearlyAndWriteNothing() throws {
        let input = try TestMedia.makeClip(name: "fpsbad.mp4", args: TestMedia.testSource(width: 64, height: 48, rate: "25", seconds: 0.2)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let output = TestMedia.path("fpsbad-out.mp4")
        let cases: [([String], String)] = [
            (["--fps", "0"], "--fps"), (["--fps", "-30"], "--fps"), (["--fps", "nan"], "--fps"), (["--fps", "inf"], "--fps"),
            (["--fps", "1e308"], "--fps"), (["--fps", "1/0"], "--fps"), (["--fps", "9223372036854775807"], "--fps"),
            (["--fps", "-9223372036854775808/-1"], "--fps"), (["--fps", "10000000000.000000001"], "--fps"), (["--fps", ""], "--fps"),
            (["--fps", "６０"], "--fps"), (["--factor", "0.5"], "--factor"), (["--factor", "nan"], "--factor"),
            (["--fps", "60", "--factor", "2"], "--factor"), ([], "--fps"), (["--fps", "60", "--method", "magic"], "method"),
            (["--fps", "60", "--scene-threshold", "nan"], "--scene-threshold"), (["--fps", "60", "--scene-threshold", "1e308"], "--scene-threshold"),
            (["--fps", "60", "--fit", "99999999999999999999"], "fit"), (["--fps", "60", "--flow-preset", "turbo"], "--flow-preset"),
            (["--fps", "60", "--threads", "-1"], "--threads"),
        ]
        for (args, mention) in cases {
            let r = warpflow(["fps", input, "-o", output] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertFalse([4, 5, 6, 11].contains(r.status), "\(args) trapped: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(mention), "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(args) left an output")
        }
        let missing = warpflow(["fps", TestMedia.path("no-such.mp4"), "-o", output, "--fps", "60"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no-such.mp4"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    /// Mean absolute luma difference (8-bit units) between consecutive decoded frames.
    func consecutiveDifferences(_ path: String, width: Int, height: Int) throws -> [Double] {
        let raw = TestMedia.path(((path as NSString).lastPathComponent as NSString).deletingPathExtension + ".gray")
        let r = TestMedia.run("ffmpeg", ["-v", "error", "-y", "-i", path, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", raw])
        XCTAssertEqual(r.status, 0, r.stderr)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        let n = width * height, count = bytes.count / n
        return (1..<count).map { k in
            var sum = 0
            for i in 0..<n { sum += abs(Int(bytes[k * n + i]) - Int(bytes[(k - 1) * n + i])) }
            return Double(sum) / Double(n)
        }
    }

    func testAnimationOnTwosIsRetimedWithoutStillThenJump() throws {
        // 12 drawings per second shown at 24 fps (each drawing twice), doubled to 48 fps.
        let input = try TestMedia.makeClip(name: "fpstwos.mp4", args: TestMedia.testSource(width: 128, height: 96, rate: "12", seconds: 2)
            + ["-vf", "fps=24", "-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let output = TestMedia.path("fpstwos-48.mp4"), plain = TestMedia.path("fpstwos-48-nodedup.mp4")
        let r = warpflow(["fps", input, "-o", output, "--factor", "2", "--crf", "0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let stats = try json(r.stdout)
        // 24 drawings, each shown twice: the 23 repeats before a new drawing are dropped (the
        // last one ends the clip, a hold, and is kept).
        XCTAssertEqual(stats["repeats_dropped"] as? Int, 23)
        XCTAssertEqual(stats["frames_out"] as? Int, 96)
        try assertExactGrid(output, rate: (48, 1), count: 96)
        let off = warpflow(["fps", input, "-o", plain, "--factor", "2", "--crf", "0", "--dedup", "off", "--json"])
        XCTAssertEqual(off.status, 0, off.stderr)
        XCTAssertEqual(try json(off.stdout)["repeats_dropped"] as? Int, 0)
        // Without dedup, three of every four output frames repeat a drawing: still, then a jump.
        // With it, every step between output frames moves (the last drawing's hold aside).
        let steps = try consecutiveDifferences(output, width: 128, height: 96).dropLast(4)
        let stillSteps = try consecutiveDifferences(plain, width: 128, height: 96).dropLast(4)
        XCTAssertGreaterThan(stillSteps.filter { $0 < 0.3 }.count, stillSteps.count / 3)
        XCTAssertEqual(steps.filter { $0 < 0.3 }.count, 0, "\(steps)")
        let sorted = steps.sorted()
        XCTAssertLessThan(sorted[sorted.count - 1], 3 * sorted[sorted.count / 2], "steps vary: \(steps)")
    }

    func testStaleTemporariesOfTheOutputAreRemovedByTheNextRun() throws {
        let input = try TestMedia.makeClip(name: "fpsstale.mp4", args: TestMedia.testSource(width: 64, height: 48, rate: "10", seconds: 0.5)
            + ["-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let dir = try TestMedia.makeScratchDirectory("stale")
        let output = dir + "/out.mp4"
        // What killed runs leave: temporaries of this output by dead processes (an id past any
        // pid_max, and the old form without one), and one of another output, which must stay.
        let stale = [dir + "/.out.mp4.2147483000.77.tmp", dir + "/.out.mp4.123456789012.tmp"], other = dir + "/.other.mp4.2147483000.5.tmp"
        for path in stale + [other] { XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]))) }
        let r = warpflow(["fps", input, "-o", output, "--factor", "2", "--method", "blend", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(TestMedia.listDirectory(dir).sorted(), [".other.mp4.2147483000.5.tmp", "out.mp4"])
    }
}
