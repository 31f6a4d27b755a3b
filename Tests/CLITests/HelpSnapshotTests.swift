import Foundation
import WarpFlowTestSupport
import XCTest

/// Every command's `--help`, at 80 columns, against the text committed in `HelpSnapshots/`:
/// a flag renamed, dropped or given another default or range shows up as a diff in review.
/// `WARPFLOW_UPDATE_HELP=1 swift test --filter HelpSnapshotTests` rewrites the snapshots.
final class HelpSnapshotTests: XCTestCase {
    static let commands: [[String]] = [
        [], ["probe"], ["fps"], ["run"], ["flow"], ["loop"], ["animate"], ["poke"], ["filters"], ["dataset"], ["dataset", "build"], ["dataset", "merge"],
    ]

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("HelpSnapshots")

    func testEveryCommandsHelpMatchesItsSnapshot() throws {
        let update = ProcessInfo.processInfo.environment["WARPFLOW_UPDATE_HELP"] == "1"
        for command in Self.commands {
            let r = TestMedia.run("/usr/bin/env", ["COLUMNS=80", CLITests.binary] + command + ["--help"])
            XCTAssertEqual(r.status, 0, "\(command): \(r.stderr)")
            let name = (["warpflow"] + command).joined(separator: "-") + ".txt"
            let file = Self.folder.appendingPathComponent(name)
            if update {
                try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
                try Data(r.stdout.utf8).write(to: file)
                continue
            }
            let expected = try String(contentsOf: file, encoding: .utf8)
            if expected != r.stdout {
                let got = r.stdout.components(separatedBy: "\n"), want = expected.components(separatedBy: "\n")
                let line = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
                XCTFail("\(name) differs from `warpflow \(command.joined(separator: " ")) --help` at line \(line + 1):\n"
                        + "snapshot: \(line < want.count ? want[line] : "<end>")\nhelp:     \(line < got.count ? got[line] : "<end>")\n"
                        + "(WARPFLOW_UPDATE_HELP=1 rewrites the snapshots)")
            }
        }
    }

    /// The loop and fps commands' flags come from the jobs' settings tables: every flag a table
    /// names is a flag of its command, and its help carries the table's range.
    func testSettingsTablesNameRealFlags() throws {
        for (command, flags) in [("loop", ["--k", "--tear-guard", "--scene-threshold", "--working-side", "--flow-preset", "--from-spectrum",
                                           "--amplitude", "--alpha", "--drift", "--tracking", "--period", "--origin", "--fill", "--repeat"]),
                                 ("fps", ["--scene-threshold", "--scene-policy", "--flow-preset", "--fit", "--refine", "--midpoint",
                                          "--sampling", "--dedup", "--no-acceleration", "--no-occlusion", "--method"])] {
            let help = TestMedia.run("/usr/bin/env", ["COLUMNS=200", CLITests.binary, command, "--help"]).stdout
            for flag in flags { XCTAssertTrue(help.contains(flag + " "), "\(command) --help lacks \(flag)") }
        }
        let loopHelp = TestMedia.run("/usr/bin/env", ["COLUMNS=200", CLITests.binary, "loop", "--help"]).stdout
        XCTAssertTrue(loopHelp.contains("(0…1024)"), "--k shows the filter's range")
        // The same range refuses the same value on both paths, naming each its own way.
        let cli = TestMedia.run(CLITests.binary, ["loop", "in.mp4", "-o", "out.mp4", "--k", "1025"])
        XCTAssertEqual(cli.status, 64)
        XCTAssertTrue(cli.stderr.contains("--k: 1025 is out of range 0…1024"), cli.stderr)
        let chain = TestMedia.run(CLITests.binary, ["run", "in.mp4", "-o", "out.mp4", "-vf", "loop=k=1025"])
        XCTAssertNotEqual(chain.status, 0)
        XCTAssertTrue(chain.stderr.contains("out of range 0…1024"), chain.stderr)
    }
}
