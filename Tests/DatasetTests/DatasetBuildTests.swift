import DatasetJob
import Foundation
import Flow
import WarpFlowTestSupport
import XCTest

/// End-to-end builds over real encoded clips (the bundled samples and clips made by ffmpeg).
final class DatasetBuildTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static func sample(_ name: String) -> String { repository + "/Samples/clips/" + name }

    /// Small and quick: 20-frame windows at 64×40, 4 frequencies, float32.
    static func smallConfiguration() -> DatasetConfiguration {
        var c = DatasetConfiguration()
        c.window = 20
        c.stride = 20
        c.width = 64
        c.height = 40
        c.frequencies = 4
        c.precision = .float32
        c.flowPreset = .fast
        c.samplesPerShard = 2
        return c
    }

    func files(_ directory: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory + "/clips") where name.hasSuffix(".safetensors") {
            out[name] = FileManager.default.contents(atPath: directory + "/clips/" + name)
        }
        return out
    }

    func testShardedBuildMergesToTheUnshardedResult() throws {
        let clips = ["object.mp4", "rotate.mp4", "cut.mp4", "pan.mp4", "audio.mp4"].map(Self.sample)
        let whole = try TestMedia.makeScratchDirectory("whole"), sharded = try TestMedia.makeScratchDirectory("sharded")
        let builder = DatasetBuilder(configuration: Self.smallConfiguration(), directory: whole, threads: 2)
        let one = try builder.build(clips: clips)
        let merged = try XCTUnwrap(one.merged)
        XCTAssertGreaterThan(merged.samples, 0)
        for i in 0..<3 {
            let part = try DatasetBuilder(configuration: Self.smallConfiguration(), directory: sharded, threads: 1)
                .build(clips: clips, shard: ShardSpec(index: i, count: 3))
            XCTAssertNil(part.merged, "a shard must not merge by itself")
            XCTAssertEqual(part.reports.map(\.clip), Array(stride(from: i, to: clips.count, by: 3)))
        }
        let stats = try DatasetMerger(directory: sharded).merge()
        XCTAssertTrue(stats == merged, "merged statistics differ")
        XCTAssertEqual(stats.scales, merged.scales)
        XCTAssertTrue(stats.scales.allSatisfy { $0 > 0 }, "moving clips give non-zero scales: \(stats.scales)")
        for name in ["stats.json", "manifest.jsonl"] {
            let a = try String(contentsOfFile: whole + "/" + name, encoding: .utf8).split(separator: "\n")
            let b = try String(contentsOfFile: sharded + "/" + name, encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(a.count, b.count, name)
            for (x, y) in zip(a, b) where x != y { XCTFail("\(name) differs:\n\(x.prefix(600))\n\(y.prefix(600))") }
        }
        let a = try files(whole), b = try files(sharded)
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        XCTAssertEqual(a, b, "shards are byte-identical whatever the sharding and thread count")
        let manifest = try String(contentsOfFile: whole + "/manifest.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(manifest.count, merged.samples)
    }

    func testMergeRefusesMissingClipsAndMixedBuilds() throws {
        let clips = ["object.mp4", "rotate.mp4"].map(Self.sample)
        let dir = try TestMedia.makeScratchDirectory("partial")
        _ = try DatasetBuilder(configuration: Self.smallConfiguration(), directory: dir).build(clips: clips, shard: ShardSpec(index: 0, count: 2))
        XCTAssertThrowsError(try DatasetMerger(directory: dir).merge()) { error in
            XCTAssertTrue("\(error)".contains("1 of 2 clips are not built yet"), "\(error)")
        }
        XCTAssertNoThrow(try DatasetMerger(directory: dir).merge(allowPartial: true))
        var other = Self.smallConfiguration()
        other.window = 10
        XCTAssertThrowsError(try DatasetBuilder(configuration: other, directory: dir).build(clips: clips, shard: ShardSpec(index: 0, count: 2))) {
            XCTAssertTrue("\($0)".contains("other options") && "\($0)".contains("window 20 vs 10"), "\($0)")
        }
        XCTAssertThrowsError(try DatasetMerger(directory: TestMedia.makeScratchDirectory("empty")).merge()) {
            XCTAssertTrue("\($0)".contains("not a warpflow dataset directory"), "\($0)")
        }
    }

    func testInterruptedBuildResumesWithoutDuplicates() throws {
        let clips = ["object.mp4", "rotate.mp4", "cut.mp4"].map(Self.sample)
        let dir = try TestMedia.makeScratchDirectory("resume")
        let builder = DatasetBuilder(configuration: Self.smallConfiguration(), directory: dir, threads: 2)
        let first = try builder.build(clips: clips)
        let manifest = FileManager.default.contents(atPath: dir + "/manifest.jsonl")
        let shards = try files(dir)
        // What a kill leaves: clip 1 finished some shard parts but not its report, a temporary
        // file half-written, and the merged files not yet updated.
        try FileManager.default.removeItem(atPath: dir + "/clips/" + ClipReport.fileName(clip: 1))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/clips/.clip-000001-001.safetensors.tmp-999"))
        try FileManager.default.removeItem(atPath: dir + "/manifest.jsonl")
        let second = try builder.build(clips: clips)
        XCTAssertEqual(second.resumedClips, 2)
        XCTAssertEqual(second.reports.map(\.clip), [0, 1, 2])
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/manifest.jsonl"), manifest)
        XCTAssertEqual(try files(dir), shards)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir + "/clips").contains { $0.contains(".tmp") })
        XCTAssertTrue(first.merged == second.merged, "merged statistics differ")
        let lines = try String(contentsOfFile: dir + "/manifest.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(Set(lines).count, lines.count, "no duplicate samples")
    }

    func testBadClipsAreSkippedWithTheirReasons() throws {
        let corrupt = TestMedia.path("corrupt-\(UUID().uuidString.prefix(6)).mp4")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }).write(to: URL(fileURLWithPath: corrupt))
        let short = try TestMedia.makeClip(name: "short-dataset.mp4", args: TestMedia.testSource(width: 96, height: 64, seconds: 0.2)
                                           + ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        let audioOnly = try TestMedia.makeClip(name: "audio-only-dataset.m4a", args: TestMedia.sineSource(seconds: 1) + ["-c:a", "aac"])
        let empty = TestMedia.path("empty-\(UUID().uuidString.prefix(6)).mp4")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let clips = [corrupt, Self.sample("object.mp4"), short, audioOnly, empty]
        let dir = try TestMedia.makeScratchDirectory("bad")
        let result = try DatasetBuilder(configuration: Self.smallConfiguration(), directory: dir).build(clips: clips)
        let byClip = Dictionary(uniqueKeysWithValues: result.reports.map { ($0.clip, $0) })
        XCTAssertEqual(byClip[1]?.status, .ok)
        XCTAssertGreaterThan(byClip[1]?.samples.count ?? 0, 0)
        for i in [0, 2, 3, 4] {
            XCTAssertEqual(byClip[i]?.status, .skipped, "clip \(i)")
            XCTAssertTrue(byClip[i]?.shards.isEmpty ?? false)
        }
        XCTAssertTrue(byClip[2]?.reason?.contains("too short: 5 frames, a window needs 20") ?? false, "\(byClip[2]?.reason ?? "")")
        XCTAssertTrue(byClip[3]?.reason?.lowercased().contains("video") ?? false, "\(byClip[3]?.reason ?? "")")
        let stats = try XCTUnwrap(result.merged)
        XCTAssertEqual(stats.clipsSkipped, 4)
        XCTAssertEqual(Set(stats.skippedClips.map(\.clip)), [0, 2, 3, 4])
        let json = try JSONSerialization.jsonObject(with: XCTUnwrap(FileManager.default.contents(atPath: dir + "/stats.json"))) as? [String: Any]
        XCTAssertEqual((json?["skipped_clips"] as? [Any])?.count, 4)
    }

    func testWindowsAreFilteredAndCountedByReason() throws {
        let still = try TestMedia.makeClip(name: "still-dataset.mp4", args: ["-f", "lavfi", "-i", "color=c=gray:size=96x64:rate=25:duration=1",
                                                                            "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        var c = Self.smallConfiguration()
        c.maximumCameraMotion = 1.5
        let dir = try TestMedia.makeScratchDirectory("filters")
        let result = try DatasetBuilder(configuration: c, directory: dir).build(clips: [still, Self.sample("cut.mp4"), Self.sample("pan.mp4")])
        let reports = result.reports
        XCTAssertEqual(reports[0].windows[.lowMotion], 1, "a still clip has too little motion: \(reports[0].windows)")
        XCTAssertGreaterThanOrEqual(reports[1].windows[.sceneCut] ?? 0, 1, "cut.mp4 has a cut: \(reports[1].windows)")
        XCTAssertGreaterThanOrEqual(reports[2].windows[.cameraMotion] ?? 0, 1, "pan.mp4 pans: \(reports[2].windows)")
        let stats = try XCTUnwrap(result.merged)
        XCTAssertEqual(stats.windows.values.reduce(0, +), reports.map(\.windowsTotal).reduce(0, +))
    }

    func testInputsExpandDirectoriesSortedAndRejectMissingPaths() throws {
        let dir = try TestMedia.makeScratchDirectory("inputs")
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        for name in ["b.mp4", "a.MOV", "notes.txt", "sub/c.mkv"] { _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data()) }
        let expanded = try ClipInputs.expand([dir, "/etc/hostname"])
        XCTAssertEqual(expanded, [dir + "/a.MOV", dir + "/b.mp4", dir + "/sub/c.mkv", "/etc/hostname"])
        XCTAssertThrowsError(try ClipInputs.expand([dir + "/missing"])) { XCTAssertTrue("\($0)".contains("no such file")) }
    }
}
