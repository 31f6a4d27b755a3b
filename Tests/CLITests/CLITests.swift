import Foundation
import WarpFlowTestSupport
import XCTest

/// Runs the built `warpflow` binary as a user would and checks its output, exit codes and files.
final class CLITests: XCTestCase {
    /// The `warpflow` executable next to this test bundle (same build folder, whatever
    /// `--scratch-path` was): searched from the folder holding the `.xctest` bundle (macOS) or
    /// the test runner executable (Linux), then up to three folders above it.
    static let binary: String = {
        var starts = [Bundle(for: CLITests.self).bundleURL.deletingLastPathComponent()]
        if let exe = Bundle.main.executableURL { starts.append(exe.deletingLastPathComponent()) }
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<4 {
                let candidate = dir.appendingPathComponent("warpflow").path
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                   FileManager.default.isExecutableFile(atPath: candidate) {
                    return candidate
                }
                dir = dir.deletingLastPathComponent()
            }
        }
        return "warpflow"
    }()

    override func setUpWithError() throws {
        try super.setUpWithError()
        // A missing binary is a failure, not a skip: `swift test` builds it (CLITests depends on it).
        guard Self.binary.hasPrefix("/") else {
            throw BinaryNotFound(searchedFrom: Bundle(for: CLITests.self).bundleURL.path)
        }
    }

    struct BinaryNotFound: Error, CustomStringConvertible {
        let searchedFrom: String
        var description: String { "the warpflow executable was not found next to the test bundle \(searchedFrom)" }
    }

    func warpflow(_ args: String...) -> (status: Int32, stdout: String, stderr: String) {
        TestMedia.run(Self.binary, args)
    }

    func clip() throws -> String {
        try TestMedia.makeClip(name: "cli.mp4", args: TestMedia.testSource(width: 160, height: 120, rate: "25", seconds: 1)
            + TestMedia.sineSource(seconds: 1) + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"])
    }

    func testProbeJSONMatchesFFprobe() throws {
        let path = try clip()
        let r = warpflow("probe", path, "--json")
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let video = try XCTUnwrap(json["video"] as? [String: Any])
        let ff = try XCTUnwrap(TestMedia.ffprobeStreams(path, type: "video").first)
        XCTAssertEqual(video["width"] as? Int, ff["width"] as? Int)
        XCTAssertEqual(video["height"] as? Int, ff["height"] as? Int)
        XCTAssertEqual(video["frame_rate"] as? String, (ff["avg_frame_rate"] as? String)?.replacingOccurrences(of: "/1", with: ""))
        XCTAssertEqual(video["frame_count"] as? Int, Int(ff["nb_frames"] as? String ?? ""))
        XCTAssertEqual(video["codec"] as? String, ff["codec_name"] as? String)
        XCTAssertEqual(video["pixel_format"] as? String, ff["pix_fmt"] as? String)
        XCTAssertEqual(video["time_base"] as? String, ff["time_base"] as? String)
        let duration = try XCTUnwrap(video["duration"] as? Double)
        XCTAssertEqual(duration, Double(ff["duration"] as? String ?? "") ?? -1, accuracy: 0.002)
        let audio = try XCTUnwrap(json["audio"] as? [[String: Any]])
        let ffAudio = try TestMedia.ffprobeStreams(path, type: "audio")
        XCTAssertEqual(audio.count, 1)
        XCTAssertEqual(audio.first?["sample_rate"] as? Int, Int(ffAudio.first?["sample_rate"] as? String ?? ""))
        XCTAssertEqual(audio.first?["channels"] as? Int, ffAudio.first?["channels"] as? Int)
        let human = warpflow("probe", path)
        XCTAssertTrue(human.stdout.contains("160×120 yuv420p"), human.stdout)

        // An NTSC rate stays an exact rational, in both outputs.
        let ntsc = try TestMedia.makeClip(name: "cli-ntsc.mp4", args: TestMedia.testSource(width: 96, height: 64, rate: "30000/1001", seconds: 1)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let ntscJSON = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(warpflow("probe", ntsc, "--json").stdout.utf8)) as? [String: Any])
        XCTAssertEqual((ntscJSON["video"] as? [String: Any])?["frame_rate"] as? String, "30000/1001")
        XCTAssertEqual((ntscJSON["audio"] as? [Any])?.count, 0)
        XCTAssertTrue(warpflow("probe", ntsc).stdout.contains("30000/1001 fps (29.970)"))
        let missing = warpflow("probe", TestMedia.path("cli-no-such-file.mp4"))
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("cli-no-such-file.mp4"), missing.stderr)
    }

    func testFiltersListsBuiltinsWithOptions() throws {
        let r = warpflow("filters")
        XCTAssertEqual(r.status, 0)
        for name in ["null:", "scale:", "trim:", "blend:", "flow:"] { XCTAssertTrue(r.stdout.contains(name), "missing \(name)") }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(warpflow("filters", "blend", "--json").stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual((json.first?["options"] as? [[String: Any]])?.first?["name"] as? String, "fps")
        XCTAssertNotEqual(warpflow("filters", "nosuch").status, 0)
    }

    func testRunNullLosslessAndJSONStats() throws {
        let path = try clip()
        let out = TestMedia.path("cli-null.mp4")
        let r = warpflow("run", path, "-o", out, "-vf", "null", "--crf", "0", "--preset", "ultrafast", "--json")
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["frames_in"] as? Int, 25)
        XCTAssertEqual(json["frames_out"] as? Int, 25)
        XCTAssertGreaterThan(json["audio_packets"] as? Int ?? 0, 0)
        let ff = try XCTUnwrap(TestMedia.ffprobeStreams(out, type: "video").first)
        XCTAssertEqual(ff["nb_frames"] as? String, "25")
        // --crf 0 is lossless: every decoded picture is bit-identical to the input's.
        XCTAssertEqual(try Self.frameHashes(out), try Self.frameHashes(path))
        let silent = TestMedia.path("cli-noaudio.mp4")
        XCTAssertEqual(warpflow("run", path, "-o", silent, "--no-audio", "--preset", "ultrafast", "--quiet").status, 0)
        XCTAssertEqual(try TestMedia.ffprobeStreams(silent, type: "audio").count, 0)
        XCTAssertEqual(try TestMedia.ffprobeStreams(silent, type: "video").first?["nb_frames"] as? String, "25")
    }

    func testProgressBarOnlyOnATerminal() throws {
        let path = try clip()
        let folder = try TestMedia.makeScratchDirectory("cli-progress")
        // Not a terminal (a pipe): no progress bar, nothing on stderr, the summary on stdout.
        let piped = warpflow("run", path, "-o", folder + "/piped.mp4", "-vf", "null", "--preset", "ultrafast")
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stderr, "")
        XCTAssertTrue(piped.stdout.contains("25 frames in, 25 out"), piped.stdout)
        // On a pseudo-terminal (util-linux `script`): the bar reaches 25/25, 100 %, with fps and ETA.
        #if !os(Linux)
        throw XCTSkip("the pseudo-terminal check uses util-linux `script` options")
        #endif
        let script = "/usr/bin/script"
        guard FileManager.default.isExecutableFile(atPath: script) else {
            throw XCTSkip("no \(script) to make a pseudo-terminal")
        }
        let command = [Self.binary, "run", path, "-o", folder + "/tty.mp4", "-vf", "null", "--preset", "ultrafast"]
            .map { "'" + $0 + "'" }.joined(separator: " ")
        let tty = TestMedia.run(script, ["-qec", command, "/dev/null"])
        XCTAssertEqual(tty.status, 0, tty.stdout + tty.stderr)
        let lastDraw = tty.stdout.components(separatedBy: "\r").last { $0.contains("[") } ?? ""
        XCTAssertTrue(lastDraw.contains("25/25 100%"), tty.stdout)
        XCTAssertTrue(lastDraw.contains(" fps") && lastDraw.contains("ETA"), tty.stdout)
    }

    /// The MD5 of every decoded video picture, in order, from ffmpeg's framemd5 muxer.
    static func frameHashes(_ path: String) throws -> [String] {
        let r = TestMedia.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-map", "0:v", "-f", "framemd5", "-"])
        guard r.status == 0 else { throw TestMedia.ToolError(command: "ffmpeg framemd5 \(path)", status: r.status, stderr: r.stderr) }
        return r.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: ",").last.map(String.init) }
    }

    func testBadChainAndMissingInputFailCleanly() throws {
        let folder = try TestMedia.makeScratchDirectory("cli-bad")
        let bad = warpflow("run", try clip(), "-o", folder + "/o.mp4", "-vf", "scale=w=abc")
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("filter scale: option w: \"abc\" is not an integer"), bad.stderr)
        let missing = warpflow("run", folder + "/nope.mp4", "-o", folder + "/o.mp4")
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.mp4"), missing.stderr)
        let usage = warpflow("run", "--crf", "99", "x.mp4", "-o", "y.mp4")
        XCTAssertNotEqual(usage.status, 0)
        XCTAssertTrue(usage.stderr.contains("--crf"), usage.stderr)
        XCTAssertEqual(TestMedia.listDirectory(folder), [])

        // Writing over the input (same path spelled differently, or a hard link) is refused and
        // leaves the input untouched.
        let source = folder + "/in.mp4"
        try FileManager.default.copyItem(atPath: try clip(), toPath: source)
        let before = try Data(contentsOf: URL(fileURLWithPath: source))
        try FileManager.default.linkItem(atPath: source, toPath: folder + "/link.mp4")
        for target in [folder + "/./in.mp4", folder + "/link.mp4"] {
            let same = warpflow("run", source, "-o", target, "-vf", "null")
            XCTAssertNotEqual(same.status, 0, target)
            XCTAssertTrue(same.stderr.contains("is the input file"), same.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: source)), before)
        XCTAssertEqual(TestMedia.listDirectory(folder).sorted(), ["in.mp4", "link.mp4"])
    }

    func testInterruptLeavesNoOutputAndExits130() throws {
        let long = try TestMedia.makeClip(name: "cli-long.mp4", args: TestMedia.testSource(width: 640, height: 360, rate: "25", seconds: 30)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let folder = try TestMedia.makeScratchDirectory("cli-int")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["run", long, "-o", folder + "/o.mp4", "-vf", "blend=fps=50", "--preset", "slow", "--quiet"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until the run is writing (its temporary output appears; the Ctrl-C handler is
        // installed before that), so a slow start on a loaded machine cannot race the signal.
        let deadline = Date().addingTimeInterval(60)
        while TestMedia.listDirectory(folder).isEmpty, process.isRunning, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertTrue(process.isRunning, "the run ended before it could be interrupted")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertEqual(TestMedia.listDirectory(folder), [])
    }

    func testFlowVideoBackwardWithOcclusionMasks() throws {
        let video = try clip()
        let folder = try TestMedia.makeScratchDirectory("cli-flow-video")
        // Backward flows with their masks in a new directory: one PNG per frame pair.
        let r = warpflow("flow", video, "-o", folder + "/back.mp4", "--backward", "--occlusion", folder + "/masks",
                         "--flow-preset", "fast", "--json")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("--backward is for two images"), r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["direction"] as? String, "backward")
        XCTAssertEqual(json["frames_out"] as? Int, 25)
        XCTAssertEqual(json["occlusion"] as? String, folder + "/masks")
        let masks = TestMedia.listDirectory(folder + "/masks")
        XCTAssertEqual(masks, (1...24).map { String(format: "occ_%06d_backward.png", $0) })
        let png = try XCTUnwrap(TestMedia.ffprobeStreams(folder + "/masks/occ_000007_backward.png", type: "video").first)
        XCTAssertEqual(png["width"] as? Int, 160)
        XCTAssertEqual(png["height"] as? Int, 120)
        XCTAssertEqual(png["pix_fmt"] as? String, "gray")
        XCTAssertEqual(try TestMedia.ffprobeStreams(folder + "/back.mp4", type: "video").first?["nb_frames"] as? String, "25")
        // Forward, masks by pattern: the colour video differs from the backward one.
        let f = warpflow("flow", video, "-o", folder + "/fwd.mp4", "--occlusion", folder + "/m%03d.png", "--flow-preset", "fast", "--quiet")
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertEqual(TestMedia.listDirectory(folder).filter { $0.hasPrefix("m0") }.count, 24)
        XCTAssertTrue(TestMedia.listDirectory(folder).contains("m001.png"))
        XCTAssertNotEqual(try Self.frameHashes(folder + "/fwd.mp4"), try Self.frameHashes(folder + "/back.mp4"))
        let text = warpflow("flow", video, "-o", folder + "/b2.mp4", "--backward", "--flow-preset", "fast")
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("25 backward flow frames"), text.stdout)
        // A single file for a video's masks, and --visualize on a video, are refused clearly.
        let single = warpflow("flow", video, "-o", folder + "/x.mp4", "--occlusion", folder + "/occ.png")
        XCTAssertNotEqual(single.status, 0)
        XCTAssertTrue(single.stderr.contains("--occlusion takes a directory or a pattern with %d"), single.stderr)
        let visualize = warpflow("flow", video, "-o", folder + "/x.mp4", "--visualize", folder + "/v.png")
        XCTAssertNotEqual(visualize.status, 0)
        XCTAssertTrue(visualize.stderr.contains("--visualize is for two images"), visualize.stderr)
        let badPattern = warpflow("flow", video, "-o", folder + "/x.mp4", "--occlusion", folder + "/m%d%d")
        XCTAssertEqual(badPattern.status, 64, "a bad pattern is a misuse of the flag")
        XCTAssertTrue(badPattern.stderr.contains("--occlusion: pattern"), badPattern.stderr)
        XCTAssertFalse(TestMedia.listDirectory(folder).contains("x.mp4"))
        let help = warpflow("flow", "--help")
        XCTAssertTrue(help.stdout.contains("occ_000001_backward.png"), help.stdout)
    }

    func testFlowBetweenTwoImagesWritesFloAndPictures() throws {
        let a = try TestMedia.makeClip(name: "cli-a.png", args: ["-f", "lavfi", "-i", "mandelbrot=size=128x96:end_scale=0.5", "-frames:v", "1"])
        let b = try TestMedia.makeClip(name: "cli-b.png", args: ["-i", a, "-vf", "pad=iw+3:ih:3:0:color=black,crop=128:96:0:0"])
        let folder = try TestMedia.makeScratchDirectory("cli-flow")
        let r = warpflow("flow", a, b, "-o", folder + "/ab.flo", "--occlusion", folder + "/occ.png", "--visualize", folder + "/vis.png", "--json")
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["width"] as? Int, 128)
        XCTAssertEqual(TestMedia.listDirectory(folder).sorted(), ["ab.flo", "occ.png", "vis.png"])
        let flo = try Data(contentsOf: URL(fileURLWithPath: folder + "/ab.flo"))
        XCTAssertEqual(flo.count, 12 + 128 * 96 * 8)
        XCTAssertEqual(String(decoding: flo.prefix(4), as: UTF8.self), "PIEH")
        // b is a shifted 3 px right: away from the uncovered left strip, the flow is (+3, 0).
        let samples = flo.dropFirst(12).withUnsafeBytes { raw in (0..<(128 * 96 * 2)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float32.self) } }
        var su: Double = 0, sv: Double = 0, n: Double = 0
        for y in 8..<88 { for x in 12..<120 { su += Double(samples[2 * (y * 128 + x)]); sv += Double(samples[2 * (y * 128 + x) + 1]); n += 1 } }
        XCTAssertEqual(su / n, 3, accuracy: 0.3, "mean horizontal flow")
        XCTAssertEqual(sv / n, 0, accuracy: 0.3, "mean vertical flow")
        let bad = warpflow("flow", a, folder + "/missing.png", "-o", folder + "/x.flo")
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("missing.png"), bad.stderr)
    }
}
