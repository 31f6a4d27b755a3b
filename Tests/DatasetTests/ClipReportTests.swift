import DatasetJob
import Tensors
import Foundation
import WarpFlowTestSupport
import XCTest

/// Clip reports are what resume and merge trust: they must round-trip exactly and reject damage.
final class ClipReportTests: XCTestCase {
    nonisolated(unsafe) static var built: String?

    func reportPath() throws -> String {
        if let built = Self.built { return built }
        let dir = try TestMedia.makeScratchDirectory("reports")
        _ = try DatasetBuilder(configuration: DatasetBuildTests.smallConfiguration(), directory: dir)
            .build(clips: [DatasetBuildTests.sample("object.mp4")])
        Self.built = dir + "/clips/" + ClipReport.fileName(clip: 0)
        return Self.built!
    }

    func testReportsRoundTripExactly() throws {
        let path = try reportPath()
        let report = try ClipReport(path: path)
        XCTAssertGreaterThan(report.samples.count, 0)
        let again = try ClipReport(data: report.serialized(), path: "copy")
        XCTAssertTrue(again == report)
        XCTAssertEqual(try again.serialized(), try report.serialized())
    }

    func testVersion1ReportsAreReadAndWrittenBackAsVersion1() throws {
        var o = try XCTUnwrap(JSONSerialization.jsonObject(with: XCTUnwrap(FileManager.default.contents(atPath: reportPath())))
                              as? [String: Any])
        XCTAssertEqual(o["version"] as? Int, 2)
        XCTAssertGreaterThan((o["decisions"] as? [Any])?.count ?? 0, 0)
        // An older build's report: no decisions, notes or irregular_time count.
        o["version"] = 1
        o.removeValue(forKey: "decisions")
        o.removeValue(forKey: "notes")
        var w = try XCTUnwrap(o["windows"] as? [String: Any])
        w.removeValue(forKey: "irregular_time")
        o["windows"] = w
        let old = try ClipReport(data: JSONSerialization.data(withJSONObject: o), path: "old.json")
        XCTAssertEqual(old.version, 1)
        XCTAssertTrue(old.decisions.isEmpty)
        let again = try ClipReport(data: old.serialized(), path: "again.json")
        XCTAssertTrue(again == old, "a version 1 report parses again after writing (fuzz finding clipreport-2)")
        let written = try XCTUnwrap(JSONSerialization.jsonObject(with: old.serialized()) as? [String: Any])
        XCTAssertEqual(written["version"] as? Int, 1)
        XCTAssertNil(written["decisions"])
    }

    func testDamagedReportsAreRejectedNamingTheFile() throws {
        let original = try XCTUnwrap(JSONSerialization.jsonObject(with: XCTUnwrap(FileManager.default.contents(atPath: reportPath())))
                                     as? [String: Any])
        func damaged(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var o = original
            edit(&o)
            let data = try JSONSerialization.data(withJSONObject: o)
            do {
                _ = try ClipReport(data: data, path: "damaged.json")
                return "accepted"
            } catch let e as DatasetError {
                XCTAssertEqual(e.subject, "damaged.json")
                return e.problem
            }
        }
        XCTAssertTrue(try damaged { $0["clip"] = "seven" }.contains("\"clip\" must be an integer"))
        XCTAssertTrue(try damaged { $0["clip"] = 9 }.contains("out of range"))
        XCTAssertTrue(try damaged { $0["version"] = 3 }.contains("version 1 or 2"))
        XCTAssertTrue(try damaged { $0["decisions"] = [] }.contains("window decisions"))
        XCTAssertTrue(try damaged { $0["notes"] = [7] }.contains("notes"))
        XCTAssertTrue(try damaged { $0["windows"] = ["kept": -1, "scene_cut": 0, "low_motion": 0, "camera_motion": 0] }.contains("negative"))
        XCTAssertTrue(try damaged { $0.removeValue(forKey: "samples") }.contains("\"samples\""))
        XCTAssertNotEqual(try damaged { o in
            var h = o["histogram"] as! [String: Any]
            h["counts"] = [[[999_999, 1]], [], [], []]
            o["histogram"] = h
        }, "accepted")
        XCTAssertNotEqual(try damaged { o in
            var h = o["histogram"] as! [String: Any]
            h["bins_per_octave"] = 0
            o["histogram"] = h
        }, "accepted")
        XCTAssertThrowsError(try ClipReport(data: Data("[1,2]".utf8), path: "damaged.json"))
        XCTAssertThrowsError(try ClipReport(data: Data(), path: "damaged.json"))
    }
}
