import DatasetJob
import Tensors
import Foundation
import WarpFlowTestSupport
import XCTest

/// Damaged datasets: merge opens and checks every shard it lists, refuses bad reports with
/// the file and key, writes its two files as one commit, and a resumed build rebuilds a clip
/// whose shards were damaged.
final class DamagedDatasetTests: XCTestCase {
    /// A built two-clip dataset (kept for the whole class), copied fresh for each case.
    static let pristine: String = {
        let dir = (try? TestMedia.makeScratchDirectory("damaged-pristine")) ?? NSTemporaryDirectory() + "/damaged-pristine"
        _ = try? DatasetBuilder(configuration: DatasetBuildTests.smallConfiguration(), directory: dir, threads: 2)
            .build(clips: ["object.mp4", "rotate.mp4"].map(DatasetBuildTests.sample))
        return dir
    }()

    func copy(_ label: String) throws -> String {
        let dir = try TestMedia.makeScratchDirectory("damaged-" + label)
        try FileManager.default.removeItem(atPath: dir)
        try FileManager.default.copyItem(atPath: Self.pristine, toPath: dir)
        for name in ["manifest.jsonl", "stats.json"] { try? FileManager.default.removeItem(atPath: dir + "/" + name) }
        return dir
    }

    /// Merges `dir`, expecting an error that contains every one of `words`, and no merged file.
    func assertRefused(_ dir: String, _ words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try DatasetMerger(directory: dir).merge(), file: file, line: line) { error in
            for w in words { XCTAssertTrue("\(error)".contains(w), "\"\(w)\" not in: \(error)", file: file, line: line) }
        }
        for name in ["manifest.jsonl", "stats.json"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + name), "\(name) written", file: file, line: line)
        }
    }

    var firstShard: String { "clips/clip-000000-000.safetensors" }

    /// Rewrites report `clip` of `dir` after `edit` changes its JSON object.
    func editReport(_ dir: String, clip: Int = 0, _ edit: (inout [String: Any]) -> Void) throws {
        let path = dir + "/clips/" + ClipReport.fileName(clip: clip)
        var o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        edit(&o)
        try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: path))
    }

    func testPristineDatasetMerges() throws {
        let dir = try copy("ok")
        let stats = try DatasetMerger(directory: dir).merge()
        XCTAssertGreaterThan(stats.samples, 0)
        let report = try ClipReport(path: dir + "/clips/" + ClipReport.fileName(clip: 0))
        XCTAssertEqual(Set(report.checksums.keys), Set(report.shards), "every shard's checksum is recorded")
    }

    func testDamagedShardsAreRefusedByName() throws {
        let cases: [(String, (String) throws -> Void, [String])] = [
            ("short", { let h = try FileHandle(forUpdating: URL(fileURLWithPath: $0)); try h.truncate(atOffset: h.seekToEnd() - 1); try h.close() }, ["checksum"]),
            ("empty", { try Data().write(to: URL(fileURLWithPath: $0)) }, ["checksum"]),
            ("missing", { try FileManager.default.removeItem(atPath: $0) }, ["cannot open"]),
            ("directory", { try FileManager.default.removeItem(atPath: $0); try FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: false) }, ["a directory"]),
            ("fifo", { try FileManager.default.removeItem(atPath: $0); XCTAssertEqual(mkfifo($0, 0o644), 0) }, ["a FIFO"]),
            ("loop", { try FileManager.default.removeItem(atPath: $0); try FileManager.default.createSymbolicLink(atPath: $0, withDestinationPath: $0) }, ["cannot open"]),
            ("edited", { path in
                var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                bytes[bytes.count - 5] ^= 0x40
                try Data(bytes).write(to: URL(fileURLWithPath: path))
            }, ["checksum", "delete clip-000000.json to rebuild"]),
        ]
        for (label, damage, words) in cases {
            let dir = try copy(label)
            try damage(dir + "/" + firstShard)
            assertRefused(dir, [firstShard] + words)
        }
    }

    func testWithoutChecksumsTheContentsAreStillChecked() throws {
        // Reports of builds that recorded no checksums: NaN values and a truncated file are found
        // by the layout and value checks.
        let nan = try copy("nan")
        try editReport(nan) { $0["shard_checksums"] = nil }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: nan + "/" + firstShard)))
        // The spectra tensor (float32) sits before the end of the file: put NaN bytes there.
        let file = try SafetensorsFile(path: nan + "/" + firstShard)
        let spectra = try XCTUnwrap(file.tensor("spectra"))
        let dataStart = bytes.count - file.tensors.map(\.byteRange.upperBound).max()!
        for i in 0..<4 { bytes[dataStart + spectra.byteRange.lowerBound + 8 + i] = 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: nan + "/" + firstShard))
        assertRefused(nan, [firstShard, "\"spectra\"", "nan"])

        let short = try copy("short-nosum")
        try editReport(short) { $0["shard_checksums"] = nil }
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: short + "/" + firstShard))
        try h.truncate(atOffset: h.seekToEnd() - 1)
        try h.close()
        assertRefused(short, [firstShard])
    }

    func testReportFieldsAreCheckedAgainstTheirRanges() throws {
        let cases: [(String, (inout [String: Any]) -> Void, [String])] = [
            ("index", { o in var s = o["samples"] as! [[String: Any]]; s[0]["index"] = 1_000_000; o["samples"] = s }, ["samples[0]", "index 1000000"]),
            ("width", { o in var s = o["samples"] as! [[String: Any]]; s[0]["width"] = 0; o["samples"] = s }, ["samples[0]", "0x40"]),
            ("fps", { o in var s = o["samples"] as! [[String: Any]]; s[0]["fps"] = "-30/1"; o["samples"] = s }, ["fps"]),
            ("shard", { o in var s = o["samples"] as! [[String: Any]]; s[0]["shard"] = "/etc/passwd"; o["samples"] = s }, ["/etc/passwd"]),
            ("shards", { o in o["shards"] = ["../../x.safetensors"] }, ["\"shards\""]),
            ("kept", { o in var w = o["windows"] as! [String: Any]; w["kept"] = 1_000_000_000_000_000; o["windows"] = w }, ["\"windows\""]),
            ("skipped", { o in o["status"] = "skipped" }, ["\"status\"", "skipped"]),
            ("duplicated", { o in var s = o["samples"] as! [[String: Any]]; s.append(s[0]); o["samples"] = s }, ["\"windows\""]),
            ("histogram", { o in
                var h = o["histogram"] as! [String: Any]
                h["counts"] = (h["counts"] as! [Any]).map { k in
                    (k as! [Any]).map { pair -> [Int] in let p = pair as! [NSNumber]; return [p[0].intValue, p[1].intValue * 1000] }
                }
                o["histogram"] = h
            }, ["\"histogram\""]),
        ]
        for (label, edit, words) in cases {
            let dir = try copy("report-" + label)
            try editReport(dir, edit)
            assertRefused(dir, [ClipReport.fileName(clip: 0)] + words)
        }
    }

    func testOneReportPerClipAndHugeCountsNeitherCrashNorAllocate() throws {
        let copied = try copy("bak")
        try FileManager.default.copyItem(atPath: copied + "/clips/clip-000000.json", toPath: copied + "/clips/clip-000000.bak.json")
        assertRefused(copied, ["clip-000000.bak.json", "not a clip report name"])
        let renamed = try copy("renamed")
        try FileManager.default.moveItem(atPath: renamed + "/clips/clip-000001.json", toPath: renamed + "/clips/clip-000007.json")
        assertRefused(renamed, ["clip-000007.json", "clip-000001.json"])
        let huge = try copy("huge")
        for clip in 0..<2 { try editReport(huge, clip: clip) { $0["clips_total"] = 8_000_000_000_000_000 } }
        assertRefused(huge, ["7999999999999998 of 8000000000000000 clips are not built yet", "clips 2, 3"])
        XCTAssertNoThrow(try DatasetMerger(directory: huge).merge(allowPartial: true))
    }

    func testMergeWritesBothFilesOrNeither() throws {
        let dir = try copy("commit")
        try FileManager.default.createDirectory(atPath: dir + "/stats.json", withIntermediateDirectories: false)
        XCTAssertThrowsError(try DatasetMerger(directory: dir).merge()) { XCTAssertTrue("\($0)".contains("stats.json"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/manifest.jsonl"))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.hasSuffix(".tmp") })
    }

    func testResumedBuildRebuildsAClipWhoseShardWasDamaged() throws {
        let dir = try copy("resume")
        let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + firstShard))
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: dir + "/" + firstShard))
        try h.truncate(atOffset: 1000)
        try h.close()
        let result = try DatasetBuilder(configuration: DatasetBuildTests.smallConfiguration(), directory: dir, threads: 2)
            .build(clips: ["object.mp4", "rotate.mp4"].map(DatasetBuildTests.sample))
        XCTAssertEqual(result.rebuiltClips.map(\.clip), [0])
        XCTAssertTrue(result.rebuiltClips[0].reason.contains(firstShard), result.rebuiltClips[0].reason)
        XCTAssertEqual(result.resumedClips, 1)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + firstShard)), original)
        XCTAssertNoThrow(try DatasetMerger(directory: dir).merge())
    }

    func testUnreadableReportsAndBadPercentilesSayWhatToDo() throws {
        for (label, bytes, words) in [("empty", Data(), ["is empty", "delete it to rebuild"]),
                                      ("truncated", Data("{\"format\": \"warpflow-dataset-clip\", \"vers".utf8), ["not valid JSON", "delete it to rebuild"]),
                                      ("huge-number", Data("{\"clip\": 1e999}".utf8), ["delete it to rebuild"])] {
            let dir = try copy("report-" + label)
            try bytes.write(to: URL(fileURLWithPath: dir + "/clips/" + ClipReport.fileName(clip: 1)))
            assertRefused(dir, [ClipReport.fileName(clip: 1)] + words)
        }
        let dir = try copy("percentile")
        for clip in 0..<2 {
            try editReport(dir, clip: clip) { o in var c = o["configuration"] as! [String: String]; c["percentile"] = "nan"; o["configuration"] = c }
        }
        assertRefused(dir, [ClipReport.fileName(clip: 0), "configuration \"percentile\" is \"nan\""])
        XCTAssertNoThrow(try DatasetMerger(directory: dir).merge(percentile: 90))
    }
}
