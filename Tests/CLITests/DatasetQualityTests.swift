import DatasetJob
import Tensors
import Foundation
import WarpFlowTestSupport
import XCTest

/// What a training set holds on footage with flat areas, irregular time and few usable
/// windows: still walls stay still, filters explain themselves, K fits the window.
final class DatasetQualityTests: XCTestCase {
    static let size = (width: 128, height: 80)

    func warpflow(_ args: [String]) -> (status: Int32, stdout: String, stderr: String) {
        TestMedia.run(CLITests.binary, args)
    }

    /// A fixed camera on a flat, grainy wall (noise fresh every frame) with a textured object
    /// (a test card) swinging in front of it between x = 30 and 98, y = 16 and 64 (working
    /// pixels at 128 × 80). Lossless, 25 fps, 48 frames.
    static func wallClip() throws -> String {
        try TestMedia.makeClip(name: "dataset-wall.mkv", args: [
            "-f", "lavfi", "-i", "color=c=0xd8d4cc:s=256x160:r=25:d=1.92,noise=alls=6:allf=t,format=yuv444p",
            "-f", "lavfi", "-i", "testsrc=s=56x56:r=25:d=1.92,format=yuv444p",
            "-filter_complex", "[0][1]overlay=x='100+32*sin(2*PI*t)':y='52+8*sin(4*PI*t)':shortest=1",
            "-c:v", "ffv1",
        ])
    }

    /// Builds `clip` into a fresh directory; returns it and the command's result.
    func build(_ clip: String, _ extra: [String], label: String) throws -> (dir: String, run: (status: Int32, stdout: String, stderr: String)) {
        let dir = try TestMedia.makeScratchDirectory(label)
        try FileManager.default.removeItem(atPath: dir)
        let r = warpflow(["dataset", "build", clip, "-o", dir, "--size", "\(Self.size.width)x\(Self.size.height)",
                          "--threads", "2"] + extra)
        return (dir, r)
    }

    func report(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/clips/clip-000000.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testStillWallBesideAMovingObjectStaysStillAndIsNotCameraMotion() throws {
        let clip = try Self.wallClip()
        let (dir, r) = try build(clip, ["--window", "16", "--stride", "16", "--trajectories", "--dtype", "float32"], label: "wall")
        XCTAssertEqual(r.status, 0, r.stderr)
        // Default filters: the fixed camera is never dropped as camera motion.
        let o = try report(dir)
        let windows = try XCTUnwrap(o["windows"] as? [String: Int])
        XCTAssertEqual(windows["camera_motion"], 0, "\(windows)")
        XCTAssertEqual(windows["kept"], 3, "\(windows)")
        let decisions = try XCTUnwrap(o["decisions"] as? [[String: Any]])
        XCTAssertEqual(decisions.count, 3)
        for d in decisions {
            let camera = try XCTUnwrap(d["camera_motion"] as? Double)
            XCTAssertLessThan(camera, 0.5, "\(d)")
            XCTAssertNotNil(d["mean_motion"] as? Double)
            XCTAssertNotNil(d["cut_score"] as? Double)
        }
        // The wall left and right of the object's path: trajectories under 0.5 px.
        let shard = try SafetensorsFile(path: dir + "/clips/clip-000000-000.safetensors")
        XCTAssertEqual(shard.metadata["version"], "2")
        let t = try shard.floats("trajectories")          // [N, T-1, 2, H, W]
        let c = try shard.uint8("confidence")              // [N, T-1, H, W]
        let w = Self.size.width, h = Self.size.height, steps = 15, n = 3
        XCTAssertEqual(t.count, n * steps * 2 * w * h)
        XCTAssertEqual(c.count, n * steps * w * h)
        var lengths: [Float] = [], wallConfidence = 0.0, objectConfidence = 0.0, wallCount = 0, objectCount = 0
        for s in 0..<n {
            for step in 0..<steps {
                let base = (s * steps + step) * 2 * w * h
                for y in 4..<(h - 4) {
                    for x in 4..<(w - 4) {
                        let i = y * w + x
                        let conf = Double(c[(s * steps + step) * w * h + i]) / 255
                        if x < 20 || x > 108 {
                            lengths.append((t[base + i] * t[base + i] + t[base + w * h + i] * t[base + w * h + i]).squareRoot())
                            wallConfidence += conf
                            wallCount += 1
                        } else if s == 0, step == 0, (40...88).contains(x), (30...50).contains(y) {
                            objectConfidence += conf
                            objectCount += 1
                        }
                    }
                }
            }
        }
        lengths.sort()
        let p95 = lengths[lengths.count * 95 / 100]
        XCTAssertLessThan(p95, 0.5, "wall |F_t| 95th percentile \(p95) px")
        // The wall is flat: its trajectories are a guess, marked untrusted; the test card is not.
        XCTAssertLessThan(wallConfidence / Double(wallCount), 0.5)
        XCTAssertGreaterThan(objectConfidence / Double(objectCount), 0.5)
    }

    func testFewKeptWindowsGiveAHintWithTheThresholdThatKeepsHalf() throws {
        let clip = try Self.wallClip()
        let (dir, r) = try build(clip, ["--window", "16", "--stride", "16", "--min-motion", "1000", "--json"], label: "hint")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("0 of 3 windows kept; 3 dropped as low_motion"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--min-motion "), r.stderr)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let warnings = try XCTUnwrap(o["warnings"] as? [String])
        XCTAssertTrue(warnings.contains { $0.contains("would keep half of those") }, "\(warnings)")
        // The suggested value keeps at least half of the windows when used.
        let suggested = try XCTUnwrap(warnings.first { $0.contains("--min-motion ") }?
            .components(separatedBy: "--min-motion ").last?.split(separator: " ").first.flatMap { Double($0) })
        let (_, again) = try build(clip, ["--window", "16", "--stride", "16", "--min-motion", "\(suggested)", "--json"], label: "hint2")
        let o2 = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(o2["samples"] as? Int), 2, "--min-motion \(suggested)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/stats.json"))
    }

    func testShortWindowLowersKWithANote() throws {
        let clip = try Self.wallClip()
        let (_, plain) = try build(clip, ["--window", "8", "--stride", "20", "--flow-preset", "fast", "--min-motion", "0"], label: "k8")
        XCTAssertEqual(plain.status, 0, "a window of 8 frames works without --k: \(plain.stderr)")
        let (dir, asked) = try build(clip, ["--window", "8", "--stride", "20", "--k", "16", "--flow-preset", "fast", "--min-motion", "0"], label: "k16")
        XCTAssertEqual(asked.status, 0, asked.stderr)
        XCTAssertTrue(asked.stderr.contains("k lowered from 16 to 4"), asked.stderr)
        let notes = try XCTUnwrap(try report(dir)["notes"] as? [String])
        XCTAssertTrue(notes.contains { $0.contains("k lowered from 16 to 4") }, "\(notes)")
        let shard = try SafetensorsFile(path: dir + "/clips/clip-000000-000.safetensors")
        XCTAssertEqual(shard.metadata["k"], "4")
    }

    func testIrregularTimestampsDropTheirWindowWithTheReason() throws {
        // 55 frames at 25 fps, but frames 28 and later come 0.2 s late (a gap of 6 frames).
        let clip = try TestMedia.makeClip(name: "dataset-gap.mkv", args: [
            "-f", "lavfi", "-i", "testsrc=s=128x80:r=25:d=2.2",
            "-vf", "settb=1/25,setpts='N+gte(N\\,28)*5'", "-fps_mode", "passthrough", "-c:v", "ffv1",
        ])
        let (dir, r) = try build(clip, ["--window", "16", "--stride", "16", "--min-motion", "0", "--flow-preset", "fast"], label: "gap")
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try report(dir)
        let windows = try XCTUnwrap(o["windows"] as? [String: Int])
        XCTAssertEqual(windows["irregular_time"], 1, "\(windows)")
        XCTAssertEqual(windows["kept"], 2, "\(windows)")
        let decisions = try XCTUnwrap(o["decisions"] as? [[String: Any]])
        let irregular = try XCTUnwrap(decisions.first { $0["verdict"] as? String == "irregular_time" })
        XCTAssertEqual(irregular["start_frame"] as? Int, 16)
        XCTAssertEqual(try XCTUnwrap(irregular["longest_interval"] as? Double), 0.24, accuracy: 0.002)
        XCTAssertTrue(r.stderr.contains("not evenly spaced"), r.stderr)
        // The kept windows' samples carry the clip's rate and exact start times.
        let manifest = try String(contentsOfFile: dir + "/manifest.jsonl", encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"start\":\"37/25\""), manifest)
        XCTAssertTrue(manifest.contains("\"fps\":\"25\""), manifest)
    }
}
