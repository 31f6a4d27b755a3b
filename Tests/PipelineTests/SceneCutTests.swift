import Foundation
import MediaIO
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob
import WarpFlowTestSupport
import XCTest

/// `scenecut` on real clips made by FFmpeg (cuts at known frames), against FFmpeg's own
/// `scdet` scores, and the frame metadata it writes.
final class SceneCutTests: XCTestCase {
    /// The built-ins plus `scenecut` (registering again is harmless once it is a built-in).
    var registry: FilterRegistry {
        var r = FilterRegistry.standard
        r.register(SceneCutFilter.self)
        return r
    }

    func verifier(_ chain: String, _ input: StreamFormat) -> FilterVerifier {
        let registry = self.registry
        return FilterVerifier(input: input) { try registry.makeChain(chain)[0] }
    }

    func decode(_ path: String) throws -> (frames: [Frame], format: StreamFormat) {
        let reader = try VideoReader(path: path)
        var frames: [Frame] = []
        while let f = try reader.nextFrame() { frames.append(f) }
        return (frames, reader.info.format)
    }

    /// lavfi sources of 160×120 at 25 fps, one second each (`frames` frames), joined by concat.
    func concatenated(_ name: String, _ sources: [String], frames: Int = 25, extra: [String] = []) throws -> String {
        var args: [String] = []
        for s in sources { args += ["-f", "lavfi", "-i", "\(s)=size=160x120:rate=25"] }
        let trims = sources.indices.map { "[\($0):v]trim=end_frame=\(frames)[v\($0)]" }.joined(separator: ";")
        let labels = sources.indices.map { "[v\($0)]" }.joined()
        args += ["-filter_complex", "\(trims);\(labels)concat=n=\(sources.count):v=1:a=0"]
        return try TestMedia.makeClip(name: name, args: args + (extra.isEmpty
            ? ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p"] : extra))
    }

    func testOneCutAtTheJoinOfTwoSources() throws {
        let clip = try concatenated("scenecut-two.mp4", ["testsrc2", "smptebars"])
        let (frames, format) = try decode(clip)
        XCTAssertEqual(frames.count, 50)
        let report = try verifier("scenecut", format).verify(frames, expectedCount: 50)
        XCTAssertEqual(report.format, format)
        let cuts = report.frames.indices.filter { report.frames[$0].isSceneCut }
        XCTAssertEqual(cuts, [25])
        XCTAssertGreaterThan(report.frames[25].sceneScore ?? 0, 20)
        for (i, out) in report.frames.enumerated() {
            XCTAssertEqual(out.pts, frames[i].pts)
            XCTAssertTrue(out.samplesEqual(frames[i]), "mark mode must not touch the pixels (frame \(i))")
            XCTAssertNotNil(out.sceneScore, "frame \(i) is scored")
            if i != 25 { XCTAssertLessThan(out.sceneScore ?? 100, 5, "frame \(i)") }
        }
        XCTAssertEqual(report.frames[0].sceneMark, SceneMark(score: 0, isCut: false))
        // The cut frame carries its time like scdet: frame 25 at 25 fps is 1 s.
        XCTAssertEqual(Double(report.frames[25].metadata(Frame.sceneTimeKey) ?? ""), 1.0)
        // The counter of one instance.
        let filter = try XCTUnwrap(try registry.makeChain("scenecut=threshold=10")[0] as? SceneCutFilter)
        _ = try filter.configure(input: format)
        for f in frames { try filter.process(try f.copy()) { _ in } }
        XCTAssertEqual(filter.cutCount, 1)
        XCTAssertEqual(filter.framesScored, 50)
    }

    func testSmoothlyMovingClipHasNoCut() throws {
        let clip = try TestMedia.makeClip(name: "scenecut-smooth.mp4", args: TestMedia.testSource(width: 160, height: 120, rate: "25", seconds: 2)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let (frames, format) = try decode(clip)
        let report = try verifier("scenecut", format).verify(frames, expectedCount: frames.count)
        XCTAssertEqual(report.frames.filter(\.isSceneCut).count, 0)
        // keep mode on a single scene: the first frame only.
        let kept = try verifier("scenecut=mode=keep", format).verify(frames, expectedCount: 1)
        XCTAssertEqual(kept.pts, [frames[0].pts])
    }

    func testKeepModeEmitsTheFirstFrameOfEachScene() throws {
        let clip = try concatenated("scenecut-three.mp4", ["testsrc2", "smptebars", "mandelbrot"])
        let (frames, format) = try decode(clip)
        XCTAssertEqual(frames.count, 75)
        let report = try verifier("scenecut=mode=keep:threshold=10", format).verify(frames, expectedCount: 3)
        XCTAssertNil(report.format.frameCount)
        XCTAssertEqual(report.pts, [frames[0].pts, frames[25].pts, frames[50].pts])
        for (out, source) in zip(report.frames, [frames[0], frames[25], frames[50]]) {
            XCTAssertTrue(out.samplesEqual(source))
        }
        XCTAssertEqual(report.frames.map(\.isSceneCut), [false, true, true])
        // A threshold above every score keeps frame 0 only; 0 makes every frame a cut.
        try verifier("scenecut=mode=keep:threshold=100", format).verify(frames, expectedCount: 1)
        try verifier("scenecut=mode=keep:threshold=0", format).verify(frames, expectedCount: 75)
    }

    func testScoresMatchFFmpegScdetOnGrayVideo() throws {
        // Full-range gray, lossless: our luma is exactly the stored samples / 255, scdet's / 256.
        let clip = try concatenated("scenecut-gray.mkv", ["testsrc2", "mandelbrot"], frames: 12,
                                    extra: ["-pix_fmt", "gray", "-c:v", "ffv1"])
        let scoreFile = TestMedia.path("scenecut-gray-scdet.txt")
        let r = TestMedia.run("ffmpeg", ["-nostdin", "-v", "error", "-i", clip, "-vf",
                                         "scdet=threshold=0,metadata=print:key=lavfi.scd.score:file=\(scoreFile)", "-f", "null", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let theirs = try String(contentsOfFile: scoreFile, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("lavfi.scd.score=") }.compactMap { Double($0.dropFirst("lavfi.scd.score=".count)) }
        let (frames, format) = try decode(clip)
        XCTAssertEqual(frames[0].pixelFormat, .gray)
        let report = try verifier("scenecut", format).verify(frames, expectedCount: 24)
        let ours = report.frames.compactMap(\.sceneScore)
        XCTAssertEqual(ours.count, 24)
        XCTAssertEqual(theirs.count, 24)
        for (i, (a, b)) in zip(ours, theirs).enumerated() {
            XCTAssertEqual(a, b * 256 / 255, accuracy: 0.002, "frame \(i)")
        }
        XCTAssertGreaterThan(ours[12], 10)
        XCTAssertEqual(report.frames.indices.filter { report.frames[$0].isSceneCut }, [12])
    }

    func testBadOptionsGiveClearErrors() throws {
        XCTAssertThrowsError(try registry.makeChain("scenecut=threshold=150")) {
            XCTAssertEqual("\($0)", "filter scenecut: option threshold: \"150\" is out of range 0.0…100.0")
        }
        XCTAssertThrowsError(try registry.makeChain("scenecut=threshold=-1")) { XCTAssertTrue("\($0)".contains("out of range"), "\($0)") }
        XCTAssertThrowsError(try registry.makeChain("scenecut=mode=drop")) {
            XCTAssertEqual("\($0)", "filter scenecut: option mode: \"drop\" is not one of mark, keep")
        }
        XCTAssertThrowsError(try registry.makeChain("scenecut=level=3")) { XCTAssertTrue("\($0)".contains("valid options: threshold, mode"), "\($0)") }
        // Positional: threshold then mode.
        let filter = try XCTUnwrap(try registry.makeChain("scenecut=20:keep")[0] as? SceneCutFilter)
        XCTAssertEqual(filter.threshold, 20)
        XCTAssertEqual(filter.mode, .keep)
    }

    func testSceneMarksSurviveCloneAndCopy() throws {
        let frame = try Frame(width: 32, height: 16, pixelFormat: .yuv420p, pts: 50, timeBase: Rational(1, 25))
        XCTAssertNil(frame.sceneMark)
        XCTAssertFalse(frame.isSceneCut)
        try frame.setSceneMark(SceneMark(score: 42.5, isCut: true))
        try frame.setMetadata("user.note", "héllo = world")
        XCTAssertEqual(frame.metadata(Frame.sceneTimeKey), "2.000000")
        for other in [frame.clone(), try frame.copy()] {
            XCTAssertEqual(other.sceneMark, SceneMark(score: 42.5, isCut: true))
            XCTAssertTrue(other.isSceneCut)
            XCTAssertEqual(other.metadata("user.note"), "héllo = world")
        }
        let target = try Frame(width: 32, height: 16, pixelFormat: .yuv420p, timeBase: Rational(1, 25))
        target.copyProperties(from: frame)
        XCTAssertEqual(target.sceneScore, 42.5)
        // Changing a clone's marks leaves the original alone.
        let clone = frame.clone()
        try clone.setSceneMark(SceneMark(score: 1, isCut: false))
        XCTAssertFalse(clone.isSceneCut)
        XCTAssertTrue(frame.isSceneCut)
        try clone.setSceneMark(nil)
        XCTAssertNil(clone.sceneMark)
        XCTAssertEqual(frame.allMetadata.keys.sorted(), [Frame.sceneScoreKey, Frame.sceneTimeKey, "user.note"])
        try frame.setMetadata("user.note", nil)
        XCTAssertNil(frame.metadata("user.note"))
        XCTAssertThrowsError(try frame.setMetadata("", "x"))
    }
}
