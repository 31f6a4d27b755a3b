import Foundation
import WarpFlowTestSupport
import XCTest

/// Every numeric option of every subcommand, fed the values that break naive parsing: each must
/// give a clear error that names the option, a non-zero exit (never a trap), and no output.
final class HostileValueTests: XCTestCase {
    static let hostile = ["nan", "-nan", "inf", "-inf", "1e308", "-1e308", "9223372036854775807", "-9223372036854775808",
                          "18446744073709551616", "1/0", "", "٣", "６０", "1e-320", "0x10", " 5", "5 ", "--"]

    func warpflow(_ args: [String]) -> (status: Int32, stdout: String, stderr: String) {
        TestMedia.run(CLITests.binary, args)
    }

    func testEveryNumericOptionRejectsHostileValuesCleanly() throws {
        let clip = try TestMedia.makeClip(name: "hostile.mp4", args: TestMedia.testSource(width: 64, height: 48, rate: "25", seconds: 0.2)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let a = try TestMedia.makeClip(name: "hostile-a.png", args: ["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1"])
        let out = TestMedia.path("hostile-out.mp4"), flo = TestMedia.path("hostile-out.flo")
        // (subcommand arguments before the option, option, extra arguments after, output written)
        let cases: [([String], String, [String], String)] = [
            (["run", clip, "-o", out], "--crf", [], out), (["run", clip, "-o", out], "--qp", [], out),
            (["fps", clip, "-o", out], "--fps", [], out), (["fps", clip, "-o", out, "--fps", "50"], "--crf", [], out),
            (["fps", clip, "-o", out], "--factor", [], out), (["fps", clip, "-o", out, "--fps", "50"], "--scene-threshold", [], out),
            (["fps", clip, "-o", out, "--fps", "50"], "--fit", [], out), (["fps", clip, "-o", out, "--fps", "50"], "--midpoint", [], out),
            (["fps", clip, "-o", out, "--fps", "50"], "--threads", [], out), (["fps", clip, "-o", out, "--fps", "50"], "--qp", [], out),
            (["flow", a, a, "-o", flo], "--max", [], flo), (["flow", a, a, "-o", flo], "--threads", [], flo),
            (["flow", clip, "-o", out], "--crf", [], out),
            (["run", clip, "-o", out], "--start", [], out), (["fps", clip, "-o", out, "--fps", "50"], "--duration", [], out),
        ]
        var checked = 0
        for (prefix, option, suffix, output) in cases {
            for value in Self.hostile {
                try? FileManager.default.removeItem(atPath: output)
                let r = warpflow(prefix + [option, value] + suffix)
                // Some values are fine for some options ("1e-320" is a valid tiny --max); the rule
                // is: success is allowed only with a sane result, failure must be clean.
                if r.status == 0 { continue }
                XCTAssertFalse([4, 5, 6, 8, 11, 132, 133, 134, 136, 139].contains(r.status), "\(option) \(value.debugDescription) trapped: \(r.stderr)")
                XCTAssertTrue(r.stderr.contains(option) || r.stderr.contains(option.dropFirst(2)),
                              "\(prefix[0]) \(option) \(value.debugDescription): the error must name the option: \(r.stderr)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(option) \(value.debugDescription) left \(output)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 150, "most hostile values must be rejected")
    }
}
