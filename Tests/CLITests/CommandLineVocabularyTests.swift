import Foundation
import WarpFlowTestSupport
import XCTest

/// The command line's shared vocabulary: suggestions for mistyped names, output paths checked
/// before any work, exit statuses, and `-q` keeping the result line.
final class CommandLineVocabularyTests: XCTestCase {
    func warpflow(_ args: String...) -> (status: Int32, stdout: String, stderr: String) {
        TestMedia.run(CLITests.binary, args)
    }

    func testMistypedOptionsAndCommandsGetTheNearestNameAndStatus64() {
        let cases: [([String], String)] = [
            (["fps", "in.mp4", "-o", "out.mp4", "--fsp", "60"], "unknown option '--fsp' for warpflow fps; did you mean '--fps'?"),
            (["lop", "tree.avi"], "unknown command 'lop' for warpflow; did you mean 'loop'?"),
            (["dataset", "biuld", "a.mp4", "-o", "d"], "unknown command 'biuld' for warpflow dataset; did you mean 'build'?"),
            (["loop", "a.mp4", "-o", "b.mp4", "--windw=2"], "unknown option '--windw' for warpflow loop; did you mean '--window'?"),
            (["flow", "a.png", "b.png", "-o", "f.flo", "--flow-prest", "fast"], "did you mean '--flow-preset'?"),
            (["loop", "a.mp4", "-o", "b.mp4", "--size", "64"], "'--size' is now '--working-side'"),
            (["dataset", "build", "a.mp4", "-o", "d", "--preset", "fast"], "'--preset' is now '--flow-preset'"),
        ]
        for (args, message) in cases {
            let r = TestMedia.run(CLITests.binary, args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        // Far from every name: left to ArgumentParser, which names the unknown option.
        let far = warpflow("fps", "in.mp4", "-o", "out.mp4", "--fps", "60", "--zzzzzzzz")
        XCTAssertEqual(far.status, 64)
        XCTAssertTrue(far.stderr.contains("--zzzzzzzz"), far.stderr)
    }

    func testOutputPathsAreCheckedBeforeAnyWork() throws {
        let folder = try TestMedia.makeScratchDirectory("cli-output-paths")
        let input = try TestMedia.makeClip(name: "cli-vocabulary.mp4", args: TestMedia.testSource(width: 96, height: 64, rate: "25", seconds: 1)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let cases: [([String], String)] = [
            (["fps", input, "-o", folder, "--factor", "2"], "is a directory"),
            (["run", input, "-o", folder + "/missing/out.mp4"], "does not exist"),
            (["loop", input, "-o", folder], "is a directory"),
            (["flow", input, "-o", folder], "is a directory"),
        ]
        for (args, message) in cases {
            let started = Date()
            let r = TestMedia.run(CLITests.binary, args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 5, "refused before decoding anything")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [], "nothing written")
    }

    func testQuietKeepsTheResultLineAndRuntimeFaultsExit1WithoutUsage() throws {
        let folder = try TestMedia.makeScratchDirectory("cli-quiet")
        let input = try TestMedia.makeClip(name: "cli-vocabulary.mp4", args: TestMedia.testSource(width: 96, height: 64, rate: "25", seconds: 1)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let quiet = warpflow("run", input, "-o", folder + "/q.mp4", "--preset", "ultrafast", "-q")
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertTrue(quiet.stdout.hasPrefix(folder + "/q.mp4: 25 frames in, 25 out"), quiet.stdout)
        XCTAssertEqual(quiet.stderr, "")
        // A file that is not a video is a runtime fault: exit 1, one line, no usage text.
        let text = folder + "/notes.mp4"
        try Data("not a video".utf8).write(to: URL(fileURLWithPath: text))
        let fault = warpflow("run", text, "-o", folder + "/x.mp4")
        XCTAssertEqual(fault.status, 1, fault.stderr)
        XCTAssertTrue(fault.stderr.hasPrefix("warpflow: error: "), fault.stderr)
        XCTAssertFalse(fault.stderr.contains("Usage:"), fault.stderr)
    }

    func testPackedRGBInputIsConvertedWhereAFilterNeedsPlanes() throws {
        let folder = try TestMedia.makeScratchDirectory("cli-negotiation")
        let rgb = try TestMedia.makeClip(name: "cli-rgb.mkv", args: TestMedia.testSource(width: 96, height: 64, rate: "25", seconds: 1)
            + ["-c:v", "ffv1", "-pix_fmt", "bgr0"])
        for (args, frames) in [(["fps", rgb, "-o", folder + "/fps.mp4", "--factor", "2"], "50"),
                               (["run", rgb, "-o", folder + "/loop.mp4", "-vf", "loop=mode=pingpong:window=0.5"], "13")] {
            let r = TestMedia.run(CLITests.binary, args + ["--preset", "ultrafast"])
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            let video = try XCTUnwrap(TestMedia.ffprobeStreams(args[3], type: "video").first)
            XCTAssertEqual(video["pix_fmt"] as? String, "yuv444p", "RGB becomes 4:4:4, no chroma lost")
            XCTAssertEqual(video["nb_frames"] as? String, frames)
        }
    }
}
