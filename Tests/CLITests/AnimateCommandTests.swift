import Foundation
import WarpFlowTestSupport
import XCTest

/// `warpflow animate` as a user runs it: outputs decoded again, every bad input refused clearly.
final class AnimateCommandTests: XCTestCase {
    func warpflow(_ args: String...) -> (status: Int32, stdout: String, stderr: String) {
        TestMedia.run(CLITests.binary, args)
    }

    func testTwoPicturesMakeTheAnimationAndItsGIF() throws {
        let folder = try TestMedia.makeScratchDirectory("cli-animate")
        let a = try TestMedia.makeClip(name: "animate-a.png", args: TestMedia.testSource(width: 96, height: 64) + ["-frames:v", "1"])
        let b = try TestMedia.makeClip(name: "animate-b.png", args: TestMedia.testSource(width: 96, height: 64)
            + ["-vf", "select=eq(n\\,4)", "-frames:v", "1"])
        let out = folder + "/anim.mp4"
        let r = warpflow("animate", a, b, "-o", out, "--frames", "6", "--pingpong", "--gif", "--preset", "ultrafast", "--json")
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["frames_out"] as? Int, 10, "A … B … back: 6 + 4")
        XCTAssertEqual(report["folded_fraction"] as? Double, 0)
        XCTAssertEqual(try TestMedia.ffprobeVideoPTS(out).pts.count, 10, "the file decodes to the frames reported")
        XCTAssertEqual(report["gif"] as? String, folder + "/anim.gif")
        XCTAssertEqual(try TestMedia.ffprobeStreams(folder + "/anim.gif", type: "video").first?["codec_name"] as? String, "gif")
        // Frames of one video, chosen by time.
        let clip = try TestMedia.makeClip(name: "animate-clip.mp4", args: TestMedia.testSource(width: 96, height: 64, rate: "10", seconds: 1)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let fromClip = warpflow("animate", clip + "@0.1", clip + "@0.6", "-o", folder + "/clip.gif", "--frames", "4")
        XCTAssertEqual(fromClip.status, 0, fromClip.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/clip.gif"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/clip.gif.mp4"), "-o x.gif leaves no intermediate")
    }

    func testBadInputsFailClearlyAndWriteNothing() throws {
        let folder = try TestMedia.makeScratchDirectory("cli-animate-bad")
        let a = try TestMedia.makeClip(name: "animate-bad-a.png", args: TestMedia.testSource(width: 96, height: 64) + ["-frames:v", "1"])
        let small = try TestMedia.makeClip(name: "animate-bad-small.png", args: TestMedia.testSource(width: 48, height: 48) + ["-frames:v", "1"])
        let out = folder + "/x.mp4"
        let cases: [([String], Int32, String)] = [
            (["animate", a, folder + "/missing.png", "-o", out], 1, "missing.png"),
            (["animate", a, small, "-o", out], 1, "--fit pad or --fit crop"),
            (["animate", a, a, "-o", out, "--frames", "1"], 64, "--frames"),
            (["animate", a, a, "-o", out, "--fps", "0"], 64, "--fps: 0 is out of range 1…240"),
            (["animate", a, a, "-o", out, "--reach", "nan"], 64, "--reach"),
            (["animate", a, a + "@-1", "-o", out], 64, "give seconds ≥ 0"),
            (["animate", a, a, "-o", folder], 64, "is a directory"),
            (["animate", a, a, "-o", a], 64, "is the input file"),
            (["animate", a, a, "-o", out, "--method", "morph"], 64, "--method"),
        ]
        for (args, status, message) in cases {
            let r = TestMedia.run(CLITests.binary, args)
            XCTAssertEqual(r.status, status, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(args) left \(out)")
        }
        // Fitted instead of refused.
        let fitted = warpflow("animate", a, small, "-o", out, "--fit", "pad", "--frames", "3", "--preset", "ultrafast")
        XCTAssertEqual(fitted.status, 0, fitted.stderr)
        XCTAssertEqual(try TestMedia.ffprobeStreams(out, type: "video").first?["width"] as? Int, 96)
        XCTAssertEqual(TestMedia.listDirectory(folder).filter { $0.contains(".tmp") }, [], "no temporary left")
    }
}
