import Foundation
import WarpFlowTestSupport
import XCTest

/// `warpflow dataset build|merge` as a user (or a scheduler) runs it.
final class DatasetCommandTests: XCTestCase {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples/clips").path
    static let quick = ["--window", "20", "--size", "64x40", "--k", "4", "--flow-preset", "fast", "--dtype", "float32"]

    func warpflow(_ args: [String], environment: [String: String] = [:]) -> (status: Int32, stdout: String, stderr: String) {
        guard environment.isEmpty else {
            return TestMedia.run("/usr/bin/env", environment.map { "\($0.key)=\($0.value)" } + [CLITests.binary] + args)
        }
        return TestMedia.run(CLITests.binary, args)
    }

    func testBadOptionsNameTheOptionAndWriteNothing() throws {
        let dir = TestMedia.path("dataset-bad-\(UUID().uuidString.prefix(6))")
        let clip = Self.samples + "/object.mp4"
        let cases: [([String], String)] = [
            (["--size", "10x10"], "--size"), (["--size", "wide"], "--size"), (["--k", "0"], "--k"),
            (["--window", "1"], "--window"), (["--stride", "0"], "--stride"), (["--percentile", "0"], "--percentile"),
            (["--percentile", "nan"], "--percentile"), (["--shard", "3/3"], "--shard"), (["--shard", "x"], "--shard"),
            (["--dtype", "int8"], "--dtype"), (["--tracking", "sideways"], "--tracking"), (["--flow-preset", "ludicrous"], "--flow-preset"),
            (["--min-motion", "-1"], "--min-motion"), (["--threads", "-3"], "--threads"), (["--shard-count", "0"], "--shard-count"),
        ]
        for (extra, option) in cases {
            let r = warpflow(["dataset", "build", clip, "-o", dir] + extra)
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertTrue(r.stderr.contains(option), "\(extra): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        }
        let missing = warpflow(["dataset", "build", clip, Self.samples + "/nope.mp4", "-o", dir])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.mp4: no such file or directory"), missing.stderr)
        let env = warpflow(["dataset", "build", clip, "-o", dir], environment: ["JOB_COMPLETION_INDEX": "0"])
        XCTAssertEqual(env.status, 1)
        XCTAssertTrue(env.stderr.contains("--shard-count"), env.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "nothing is written for a bad command line")
        let merge = warpflow(["dataset", "merge", dir])
        XCTAssertEqual(merge.status, 1)
        XCTAssertTrue(merge.stderr.contains(dir), merge.stderr)
    }

    func testSlurmArrayVariablesPickTheShardAndMergeCompletesIt() throws {
        let dir = try TestMedia.makeScratchDirectory("dataset-slurm")
        let clips = ["object.mp4", "rotate.mp4", "cut.mp4"].map { Self.samples + "/" + $0 }
        for task in 0..<2 {
            let r = warpflow(["dataset", "build"] + clips + ["-o", dir, "--json"] + Self.quick,
                             environment: ["SLURM_ARRAY_TASK_ID": "\(task + 5)", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_COUNT": "2"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(json["shard"] as? String, "\(task)/2")
            XCTAssertEqual(json["clips"] as? Int, task == 0 ? 2 : 1)
            XCTAssertEqual(json["merged"] as? Bool, false)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/stats.json"), "shards do not merge by themselves")
        let merge = warpflow(["dataset", "merge", dir, "--json"])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(merge.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((json["scales"] as? [Double])?.count, 4)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/stats.json"))
    }

    /// SIGKILL (no chance to clean up) in the middle of a build, then the same command again.
    func testKilledBuildResumesAndMatchesACleanBuild() throws {
        let clips = ["object.mp4", "rotate.mp4", "cut.mp4", "pan.mp4"].map { Self.samples + "/" + $0 }
        let args = clips + Self.quick + ["--threads", "1", "-q"]
        let clean = try TestMedia.makeScratchDirectory("dataset-clean")
        XCTAssertEqual(warpflow(["dataset", "build"] + args + ["-o", clean]).status, 0)

        let dir = try TestMedia.makeScratchDirectory("dataset-killed")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = ["dataset", "build"] + args + ["-o", dir]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill once the first clip is done and the second is under way.
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: dir + "/clips/clip-000000.json"), Date() < deadline, process.isRunning {
            usleep(20_000)
        }
        usleep(300_000)
        XCTAssertTrue(process.isRunning, "the build finished before it could be killed; make the clips longer")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/manifest.jsonl"))

        let again = warpflow(["dataset", "build"] + clips + Self.quick + ["--threads", "1", "-o", dir])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("already done"), again.stdout)
        XCTAssertFalse(again.stdout.contains("(0 already done"), again.stdout)
        for name in ["manifest.jsonl", "stats.json"] {
            XCTAssertEqual(FileManager.default.contents(atPath: dir + "/" + name), FileManager.default.contents(atPath: clean + "/" + name), name)
        }
        let leftovers = TestMedia.listDirectory(dir + "/clips").filter { $0.contains("tmp") }
        XCTAssertEqual(leftovers, [])
        XCTAssertEqual(TestMedia.listDirectory(dir + "/clips"), TestMedia.listDirectory(clean + "/clips"))
    }
}
