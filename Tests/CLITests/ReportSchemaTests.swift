import Foundation
import WarpFlowTestSupport
import XCTest

/// Every subcommand's `--json` report validates against its schema in
/// `Sources/warpflow/Schemas/`, and the shared keys mean the same everywhere.
final class ReportSchemaTests: XCTestCase {
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/warpflow/Schemas").standardizedFileURL

    func schema(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Self.schemas.appendingPathComponent(name + ".schema.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], name)
    }

    /// Runs `warpflow args… --json`, checks the exit status and the report against `schema`,
    /// and returns the report.
    @discardableResult
    func report(_ schemaName: String, _ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Any {
        let r = TestMedia.run(CLITests.binary, args + ["--json"])
        XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)", file: file, line: line)
        let value = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8), options: [.fragmentsAllowed])
        let problems = JSONSchemaCheck.violations(of: value, against: try schema(schemaName))
        XCTAssertEqual(problems, [], "\(args.prefix(2)): \(problems.joined(separator: "; "))", file: file, line: line)
        return value
    }

    func testEveryCommandsReportMatchesItsSchema() throws {
        let folder = try TestMedia.makeScratchDirectory("cli-schemas")
        let clip = try TestMedia.makeClip(name: "cli-schemas.mp4", args: TestMedia.testSource(width: 96, height: 64, rate: "25", seconds: 1)
            + TestMedia.sineSource(seconds: 1) + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"])
        let a = try TestMedia.makeClip(name: "cli-schemas-a.png", args: TestMedia.testSource(width: 96, height: 64) + ["-frames:v", "1"])
        let b = try TestMedia.makeClip(name: "cli-schemas-b.png", args: TestMedia.testSource(width: 96, height: 64)
            + ["-vf", "select=eq(n\\,3)", "-frames:v", "1"])

        try report("probe", ["probe", clip])
        try report("filters", ["filters"])
        let run = try XCTUnwrap(try report("run", ["run", clip, "-o", folder + "/run.mp4", "--preset", "ultrafast"]) as? [String: Any])
        XCTAssertEqual(run["frames_in"] as? Int, 25)
        XCTAssertEqual(run["warnings"] as? [String], [])
        try report("fps", ["fps", clip, "-o", folder + "/fps.mp4", "--factor", "2", "--method", "blend", "--preset", "ultrafast"])
        let pair = try XCTUnwrap(try report("flow", ["flow", a, b, "-o", folder + "/ab.flo", "--flow-preset", "ultrafast"]) as? [String: Any])
        XCTAssertTrue(pair["frames_in"] is NSNull, "two pictures are not video frames")
        try report("flow", ["flow", clip, "-o", folder + "/flow.mp4", "--flow-preset", "ultrafast", "--preset", "ultrafast"])
        let data = folder + "/data"
        let build = try XCTUnwrap(try report("dataset-build", ["dataset", "build", clip, "-o", data, "--window", "8", "--size", "64x40",
                                                               "--flow-preset", "ultrafast", "--min-motion", "0"]) as? [String: Any])
        XCTAssertEqual(build["output"] as? String, data)
        try report("dataset-merge", ["dataset", "merge", data])
        let loop = try XCTUnwrap(try report("loop", ["loop", clip, "-o", folder + "/loop.mp4", "--mode", "pingpong", "--window", "0.5",
                                                     "--preset", "ultrafast"]) as? [String: Any])
        XCTAssertTrue(loop["held_fraction"] is NSNull, "a value not computed is null, not −1")
        try report("loop", ["loop", clip, "-o", folder + "/spectrum.safetensors", "--spectrum-only", "--window", "0.5",
                            "--working-side", "64", "--k", "4", "--flow-preset", "ultrafast"])
        let animate = try XCTUnwrap(try report("animate", ["animate", a, b, "-o", folder + "/anim.mp4", "--frames", "5",
                                                           "--preset", "ultrafast"]) as? [String: Any])
        XCTAssertEqual(animate["frames_out"] as? Int, 5)
        let poke = try XCTUnwrap(try report("poke", ["poke", clip, "--spectrum", folder + "/spectrum.safetensors", "--at", "40,30",
                                                     "--force", "2,1", "--duration", "0.3", "--fps", "10", "-o", folder + "/poke.mp4",
                                                     "--preset", "ultrafast"]) as? [String: Any])
        XCTAssertEqual(poke["frames_out"] as? Int, 3)
    }

    func testTheCheckCatchesWhatItShould() throws {
        let s = try schema("run")
        let bad: [String: Any] = ["input": 3, "output": NSNull(), "seconds": "fast", "frames_in": 1.5, "frames_out": -1,
                                  "warnings": [1], "extra": true]
        let problems = JSONSchemaCheck.violations(of: bad, against: s)
        for expected in ["$.input", "$.seconds", "$.frames_in", "$.frames_out", "$.warnings[0]", "\"extra\"", "missing required key \"decode\""] {
            XCTAssertTrue(problems.contains { $0.contains(expected) }, "\(expected) not caught: \(problems)")
        }
    }
}
