import Foundation
import WarpFlowTestSupport
import XCTest

/// `warpflow run` over damaged input as a user runs it: exit 0 only with an output that
/// decodes to the frames it reports, and one warning line per kind of repair.
final class DamagedInputCLITests: XCTestCase {
    func warpflow(_ args: String...) throws -> (status: Int32, stdout: String, stderr: String) {
        guard CLITests.binary.hasPrefix("/") else {
            throw CLITests.BinaryNotFound(searchedFrom: Bundle(for: CLITests.self).bundleURL.path)
        }
        return TestMedia.run(CLITests.binary, args)
    }

    func testDamagedDTSJumpRunsAndSaysWhatWasRepaired() throws {
        let input = try DamagedMedia.transportStream(name: "cli-dts-jump.ts") { index, _ in index == 10 ? .shift(-(1 << 28)) : .keep }
        let output = TestMedia.path("cli-dts-jump.mp4")
        let r = try warpflow("run", input, "-o", output, "-vf", "null", "--preset", "ultrafast")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("100 frames in, 100 out"), r.stdout)
        XCTAssertEqual(r.stderr, "warpflow: warning: input timestamps repaired: 2 discontinuities re-timed (1 frame shifted)\n")
        let probe = try DamagedMedia.ffprobeVideo(output)
        XCTAssertEqual(probe.decodedFrames, 100)
        XCTAssertTrue(DamagedMedia.strictlyIncreasing(probe.packets.map(\.dts)))

        let json = try warpflow("run", input, "-o", output, "-vf", "null", "--preset", "ultrafast", "--json")
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let decode = try XCTUnwrap(object["decode"] as? [String: Any])
        XCTAssertEqual(decode["timestamp_discontinuities"] as? Int, 2)
        XCTAssertEqual(decode["frames_retimed"] as? Int, 1)
        XCTAssertEqual(decode["frames_dropped"] as? Int, 0)
    }

    func testResolutionChangeMidStreamRunsWithAWarning() throws {
        let input = try DamagedMedia.concatenatedSizes(name: "cli-joined.ts")
        for (chain, size) in [("scale=w=320:h=240", "320×240"), ("null", "160×120")] {
            let output = TestMedia.path("cli-joined-\(chain.prefix(5)).mp4")
            let r = try warpflow("run", input, "-o", output, "-vf", chain, "--preset", "ultrafast")
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("50 frames in, 50 out"), r.stdout)
            XCTAssertTrue(r.stderr.contains("warpflow: warning: input size or pixel format changed mid-stream: 25 frames scaled (bicubic) to the stream's 160×120 yuv420p\n"),
                          r.stderr)
            let probe = try DamagedMedia.ffprobeVideo(output)
            XCTAssertEqual(probe.decodedFrames, 50, chain)
            XCTAssertEqual(Set(probe.sizes), [size], chain)
        }
    }

    func testFpsCommandReportsTheRepairsToo() throws {
        let input = try DamagedMedia.concatenatedSizes(name: "cli-joined-fps.ts")
        let output = TestMedia.path("cli-joined-fps.mp4")
        let r = try warpflow("fps", input, "-o", output, "--fps", "50", "--method", "blend", "--preset", "ultrafast")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: input timestamps repaired: 1 discontinuity re-timed (25 frames shifted)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: input size or pixel format changed mid-stream: 25 frames scaled"), r.stderr)
        let probe = try DamagedMedia.ffprobeVideo(output)
        XCTAssertEqual(probe.decodedFrames, 100)
        XCTAssertEqual(Set(probe.sizes), ["160×120"])
    }
}
