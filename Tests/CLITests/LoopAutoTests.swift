import Foundation
import Raster
import WarpFlowTestSupport
import XCTest

/// `warpflow loop` with its defaults (`--mode auto --window auto`): the window and the mode are
/// chosen by trial renders, reported on stderr and in --json, and fall back honestly.
final class LoopAutoTests: XCTestCase {
    /// The planner renders dozens of trial loops: minutes in an instrumented build.
    /// `make sanitize` sets WARPFLOW_SKIP_SLOW_CLI=1 (`make test` runs them).
    override func setUpWithError() throws {
        if ProcessInfo.processInfo.environment["WARPFLOW_SKIP_SLOW_CLI"] == "1" {
            throw XCTSkip("the automatic loop planner's CLI tests run in make test, not under AddressSanitizer")
        }
    }

    func json(_ r: (status: Int32, stdout: String, stderr: String)) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stderr)
    }

    /// Red pixels (R − max(G, B) > 100) of each decoded frame of `path`.
    func redPixels(_ path: String, width: Int, height: Int) throws -> [Int] {
        let raw = try TestMedia.makeScratchDirectory("loop-red") + "/frames.rgb"
        let r = TestMedia.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", raw])
        XCTAssertEqual(r.status, 0, r.stderr)
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        let size = width * height * 3
        return stride(from: 0, to: data.count - size + 1, by: size).map { base in
            var n = 0
            for i in stride(from: base, to: base + size, by: 3) where Int(data[i]) - max(Int(data[i + 1]), Int(data[i + 2])) > 100 { n += 1 }
            return n
        }
    }

    /// The defaults on a 60-frame clip (shorter than the 150 frames of the old default window):
    /// a spectral loop of a clean oscillation, its window and the trial's numbers in --json.
    func testDefaultsWorkOnASixtyFrameClip() throws {
        let clip = try TestMedia.makeClip(name: "loop-auto-sway.mp4", args: [
            "-loop", "1", "-framerate", "30", "-i", try texturedPicture(), "-t", "2",
            "-vf", "crop=w=256:h=192:x='32+12*sin(2*PI*n/30)':y=24", "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"])
        let out = TestMedia.path("loop-auto-\(UUID().uuidString.prefix(6)).mp4")
        let r = loopCLI(["loop", clip, "-o", out, "--working-side", "64", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r)
        XCTAssertEqual(o["mode"] as? String, "spectral", r.stderr)
        XCTAssertEqual(o["window_auto"] as? Bool, true)
        let start = try XCTUnwrap(o["window_start"] as? Double), length = try XCTUnwrap(o["window_duration"] as? Double)
        XCTAssertGreaterThanOrEqual(start, 0)
        XCTAssertLessThanOrEqual(start + length, 2.0 + 1e-6, "inside the clip")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(o["trial_realism"] as? Double), 0.9)
        XCTAssertTrue(r.stderr.contains("spectral loop of"), r.stderr)
        XCTAssertEqual(try lumaFrames(out).count, try XCTUnwrap(o["loop_frames"] as? Int))
    }

    /// A picture that sways (the whole frame, ±12 px, 1 s period) while a red square crosses it
    /// once in the first second: the loop sways and the square is in none of its frames (the
    /// window avoids it or holds its pixels from the window's background).
    func testAnObjectCrossingOnceIsLeftOut() throws {
        let clip = try TestMedia.makeClip(name: "loop-crossing.mp4", args: [
            "-loop", "1", "-framerate", "30", "-i", try texturedPicture(), "-f", "lavfi", "-i", "color=c=red:size=28x28:rate=30",
            "-filter_complex", "[0]crop=w=256:h=192:x='32+12*sin(2*PI*n/30)':y=24,format=gray,format=yuv420p[bg];"
                + "[bg][1]overlay=x='-40+330*(t-0.1)':y=90:enable='between(t,0.1,1.0)'",
            "-t", "3", "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"])
        XCTAssertGreaterThan(try redPixels(clip, width: 256, height: 192)[15], 400, "the square is in the source")
        let out = TestMedia.path("loop-crossing-\(UUID().uuidString.prefix(6)).mp4")
        let r = loopCLI(["loop", clip, "-o", out, "--working-side", "64", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r)
        let red = try redPixels(out, width: 256, height: 192)
        XCTAssertEqual(red.count, try XCTUnwrap(o["loop_frames"] as? Int))
        XCTAssertLessThan(red.max() ?? 0, 40, "the crossing square is left out of every loop frame (\(o["window_start"] ?? "?"))")
        let frames = try lumaFrames(out)
        let steps = zip(frames, frames.dropFirst()).map { LoopCommandTests.meanAbsDifference($0, $1) }
        XCTAssertGreaterThan(steps.reduce(0, +) / Double(steps.count), 0.005, "the loop moves")
    }

    /// A pan has no motion that loops: auto falls back to pingpong, says so on stderr with the
    /// trial's numbers, and in --json.
    func testAPanFallsBackWithTheNumbers() throws {
        let clip = try TestMedia.makeClip(name: "loop-pan.mp4", args: [
            "-loop", "1", "-framerate", "30", "-i", try stillPicture(), "-vf", "crop=w=160:h=120:x='n*2':y=40",
            "-t", "2", "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"])
        let out = TestMedia.path("loop-pan-\(UUID().uuidString.prefix(6)).mp4")
        let r = loopCLI(["loop", clip, "-o", out, "--working-side", "64", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r)
        XCTAssertEqual(o["mode"] as? String, "pingpong", r.stderr)
        let why = try XCTUnwrap(o["fallback"] as? String)
        XCTAssertTrue(why.contains("realism"), why)
        XCTAssertTrue(r.stderr.contains("fell back to pingpong") && r.stderr.contains("realism"), r.stderr)
        // An explicit mode still wins.
        let forced = loopCLI(["loop", clip, "-o", out, "--working-side", "64", "--mode", "spectral", "--window", "1", "--json"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try json(forced)["mode"] as? String, "spectral")
    }

    /// A window across a scene cut: refused when given, naming the cut's time; chosen inside one
    /// shot when automatic.
    func testAWindowNeverSpansACut() throws {
        let a = try TestMedia.makeClip(name: "loop-shot-a.mp4", args: TestMedia.testSource(width: 160, height: 120, rate: "30", seconds: 1)
            + ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"])
        let clip = TestMedia.path("loop-two-shots.mp4")
        let made = TestMedia.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", a, "-f", "lavfi", "-i", "mandelbrot=size=160x120:rate=30",
                                            "-filter_complex", "[1]trim=duration=1.5,setpts=PTS-STARTPTS[b];[0][b]concat=n=2:v=1",
                                            "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p", clip])
        XCTAssertEqual(made.status, 0, made.stderr)
        let out = TestMedia.path("loop-cut-\(UUID().uuidString.prefix(6)).mp4")
        let refused = loopCLI(["loop", clip, "-o", out, "--mode", "spectral", "--start", "0", "--window", "2", "--working-side", "64"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("scene cut at 1.0"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let r = loopCLI(["loop", clip, "-o", out, "--working-side", "64", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r)
        let start = try XCTUnwrap(o["window_start"] as? Double), length = try XCTUnwrap(o["window_duration"] as? Double)
        XCTAssertTrue(start + length <= 1.0 + 1e-6 || start >= 1.0 - 1e-6, "window \(start) + \(length) inside one shot")
        XCTAssertEqual((o["scene_cuts"] as? [Double])?.count, 1, "\(o["scene_cuts"] ?? "none")")
    }
}
