import Foundation
import WarpFlowTestSupport
import XCTest

/// `warpflow poke` as a user runs it: a spectrum from `loop --spectrum-only`, outputs decoded
/// again, every bad input refused clearly.
final class PokeCommandTests: XCTestCase {
    func warpflow(_ args: String...) -> (status: Int32, stdout: String, stderr: String) {
        TestMedia.run(CLITests.binary, args)
    }

    /// A clip, its spectrum and the folder to write in.
    func spectrum() throws -> (clip: String, spectrum: String, folder: String) {
        let folder = try TestMedia.makeScratchDirectory("cli-poke")
        let clip = try TestMedia.makeClip(name: "poke-clip.mp4", args: TestMedia.testSource(width: 96, height: 64, rate: "10", seconds: 2)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let spectrum = folder + "/s.safetensors"
        let r = warpflow("loop", clip, "-o", spectrum, "--spectrum-only", "--window", "1.5", "--working-side", "64", "--k", "4",
                         "--flow-preset", "ultrafast")
        XCTAssertEqual(r.status, 0, r.stderr)
        return (clip, spectrum, folder)
    }

    func testAPokeMakesTheVideoAndItsReport() throws {
        let (clip, spectrum, folder) = try spectrum()
        let out = folder + "/poked.mp4"
        let r = warpflow("poke", clip, "--spectrum", spectrum, "--at", "48,32", "--force", "3,0", "--at", "10,10", "--force", "0,-2",
                         "--duration", "0.5", "--fps", "10", "-o", out, "--gif", "--preset", "ultrafast", "--json")
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["frames_out"] as? Int, 5)
        XCTAssertEqual(report["modes"] as? Int, 3, "k = 4: modes 1, 2, 3")
        XCTAssertEqual(try TestMedia.ffprobeVideoPTS(out).pts.count, 5, "the file decodes to the frames reported")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/poked.gif"))
        // A dataset sample serves as well; a shard has no frame rate, so it is given.
        let data = folder + "/data"
        let build = warpflow("dataset", "build", clip, "-o", data, "--window", "10", "--size", "96x64", "--k", "4", "--min-motion", "0",
                             "--flow-preset", "ultrafast")
        XCTAssertEqual(build.status, 0, build.stderr)
        let shard = data + "/clips/clip-000000-000.safetensors"
        let noRate = warpflow("poke", clip, "--spectrum", shard, "--at", "48,32", "--force", "3,0", "-o", folder + "/d.mp4")
        XCTAssertEqual(noRate.status, 1)
        XCTAssertTrue(noRate.stderr.contains("--spectrum-fps"), noRate.stderr)
        let fromShard = warpflow("poke", clip, "--spectrum", shard, "--spectrum-fps", "10", "--at", "48,32", "--force", "3,0",
                                 "--duration", "0.3", "--fps", "10", "-o", folder + "/d.mp4", "--preset", "ultrafast")
        XCTAssertEqual(fromShard.status, 0, fromShard.stderr)
        XCTAssertEqual(try TestMedia.ffprobeVideoPTS(folder + "/d.mp4").pts.count, 3)
    }

    func testBadInputsFailClearlyAndWriteNothing() throws {
        let (clip, spectrum, folder) = try spectrum()
        let out = folder + "/x.mp4"
        let square = try TestMedia.makeClip(name: "poke-square.png", args: TestMedia.testSource(width: 64, height: 64) + ["-frames:v", "1"])
        let damaged = folder + "/damaged.safetensors"
        try Data("not a spectrum".utf8).write(to: URL(fileURLWithPath: damaged))
        let cases: [([String], Int32, String)] = [
            (["poke", clip, "--spectrum", spectrum, "-o", out], 64, "give at least one poke"),
            (["poke", clip, "--spectrum", spectrum, "--at", "1,2", "-o", out], 64, "one force per poked pixel"),
            (["poke", clip, "--spectrum", spectrum, "--at", "1;2", "--force", "1,0", "-o", out], 64, "--at 1;2: expected X,Y"),
            (["poke", clip, "--spectrum", spectrum, "--at", "1,2", "--force", "nan,0", "-o", out], 64, "--force nan,0"),
            (["poke", clip, "--spectrum", spectrum, "--at", "1,2", "--force", "1,0", "--damping", "2", "-o", out], 64, "--damping: 2 is out of range"),
            (["poke", clip, "--spectrum", spectrum, "--at", "500,2", "--force", "1,0", "-o", out], 1, "outside the 96×64 still"),
            (["poke", square, "--spectrum", spectrum, "--at", "1,2", "--force", "1,0", "-o", out], 1, "of another shape"),
            (["poke", clip, "--spectrum", damaged, "--at", "1,2", "--force", "1,0", "-o", out], 1, "damaged.safetensors"),
            (["poke", clip, "--spectrum", folder + "/missing.safetensors", "--at", "1,2", "--force", "1,0", "-o", out], 1, "missing.safetensors"),
            (["poke", clip, "--spectrum", spectrum, "--at", "1,2", "--force", "1,0", "-o", spectrum], 64, "is the spectrum file"),
        ]
        for (args, status, message) in cases {
            let r = TestMedia.run(CLITests.binary, args)
            XCTAssertEqual(r.status, status, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(args) left \(out)")
        }
        XCTAssertEqual(TestMedia.listDirectory(folder).filter { $0.contains(".tmp") }, [], "no temporary left")
    }
}
