import Foundation
import WarpFlowTestSupport
import XCTest

/// Runs the built `warpflow` binary as a user would and checks its output, exit codes and files.
final class CLITests: XCTestCase {
    /// The `warpflow` executable next to this test bundle (same build folder).
    static let binary: String = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("warpflow").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "warpflow"
    }()

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
        XCTAssertEqual((json["audio"] as? [Any])?.count, 1)
        let human = warpflow("probe", path)
        XCTAssertTrue(human.stdout.contains("160×120 yuv420p"), human.stdout)
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
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertTrue(process.isRunning, "the run ended before it could be interrupted")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertEqual(TestMedia.listDirectory(folder), [])
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
        let video = warpflow("flow", try clip(), "-o", folder + "/v.mp4", "--backward")
        XCTAssertNotEqual(video.status, 0)
        XCTAssertTrue(video.stderr.contains("--backward"), video.stderr)
        let bad = warpflow("flow", a, folder + "/missing.png", "-o", folder + "/x.flo")
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("missing.png"), bad.stderr)
    }
}
