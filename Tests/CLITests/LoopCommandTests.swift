import Foundation
import MediaIO
import Raster
import WarpFlowTestSupport
import XCTest

/// `warpflow loop` on clips whose motion is known.
final class LoopCommandTests: XCTestCase {
    /// `loop CLIP --OPTION VALUE` fails and names the option.
    func assertRefused(_ clip: String, _ option: String, _ value: String, file: StaticString = #filePath, line: UInt = #line) {
        let bad = loopCLI(["loop", clip, "-o", TestMedia.path("loop-bad-\(option).mp4"), "--\(option)", value])
        XCTAssertNotEqual(bad.status, 0, file: file, line: line)
        XCTAssertTrue(bad.stderr.contains("--\(option)"), bad.stderr, file: file, line: line)
    }


    static func meanAbsDifference(_ a: Plane, _ b: Plane) -> Double {
        zip(a.data, b.data).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(a.count)
    }

    /// Seam ratio: mean |frame L−1 − frame 0| over the median step between consecutive frames.
    static func seamRatio(_ frames: [Plane]) -> Double {
        let steps = zip(frames, frames.dropFirst()).map { meanAbsDifference($0, $1) }.sorted()
        return meanAbsDifference(frames[frames.count - 1], frames[0]) / max(steps[steps.count / 2], 1e-9)
    }

    func testSpectralLoopOfAnOscillationIsSeamlessAndStartsOnTheReferenceFrame() throws {
        let clip = try oscillatingClip()
        let out = TestMedia.path("loop-spectral-\(UUID().uuidString.prefix(6)).mp4")
        let r = loopCLI(["loop", clip, "-o", out, "--mode", "spectral", "--window", "1", "--duration", "1", "--k", "8", "--working-side", "128",
                          "--crf", "0", "--origin", "reference", "--gif", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["loop_frames"] as? Int, 30)
        XCTAssertEqual(json["period_frames"] as? Int, 30, "the clip's period is the window")
        XCTAssertEqual(json["origin_phase"] as? Double, 0)
        let frames = try lumaFrames(out)
        XCTAssertEqual(frames.count, 30, "duration × fps frames exactly")
        let source = try lumaFrames(clip)
        XCTAssertEqual(frames[0].data, source[0].data, "frame 0 is the reference frame itself (lossless output)")
        let ratio = Self.seamRatio(frames)
        XCTAssertTrue((0.5...1.6).contains(ratio), "seam ratio \(ratio)")
        // The loop moves: its middle frame is not the reference.
        XCTAssertGreaterThan(Self.meanAbsDifference(frames[7], frames[0]), 0.01)
        // Gapless MP4: first frame at time 0, constant rate.
        let pts = try TestMedia.ffprobeVideoPTS(out)
        XCTAssertEqual(pts.pts.first, 0)
        XCTAssertEqual(Set(zip(pts.pts, pts.pts.dropFirst()).map { $1 - $0 }).count, 1, "constant frame duration")
        // The GIF plays at 25 fps (4 cs per frame, the loop's 30 fps capped), resampled so the
        // loop still lasts 1 s: 25 frames.
        let gif = (out as NSString).deletingPathExtension + ".gif"
        XCTAssertEqual(try lumaFrames(gif).count, 25)
        XCTAssertEqual(json["gif_frame_rate"] as? String, "25")
    }

    /// `-o x.gif` writes the GIF alone (its MP4 is an intermediate, never left behind); an RGB
    /// source still gives a 4:2:0 MP4, which browsers and phones play.
    func testGIFOutputAloneAndRGBSourceGivesA420MP4() throws {
        let rgb = try TestMedia.makeClip(name: "loop-rgb.mp4", args: [
            "-loop", "1", "-framerate", "30", "-i", try stillPicture(), "-t", "1",
            "-vf", "crop=w=128:h=96:x='32+8*sin(2*PI*n/30)':y=24", "-c:v", "libx264rgb", "-qp", "0", "-pix_fmt", "rgb24"])
        let folder = try TestMedia.makeScratchDirectory("loop-gif-only")
        let r = loopCLI(["loop", rgb, "-o", folder + "/l.gif", "--mode", "spectral", "--window", "1", "--k", "4", "--working-side", "64",
                         "--gif-width", "64", "--gif-fps", "10", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(TestMedia.listDirectory(folder), ["l.gif"])
        // 10 fps for the loop's 1 s: 10 frames, 64 px wide (48 high, in proportion).
        XCTAssertEqual(try lumaFrames(folder + "/l.gif").count, 10)
        XCTAssertEqual(try TestMedia.ffprobeStreams(folder + "/l.gif", type: "video").first?["height"] as? Int, 48)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["gif"] as? String, folder + "/l.gif")
        let m = loopCLI(["loop", rgb, "-o", folder + "/l.mp4", "--mode", "spectral", "--window", "1", "--k", "4", "--working-side", "64", "-q"])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertEqual(try TestMedia.ffprobeStreams(folder + "/l.mp4", type: "video").first?["pix_fmt"] as? String, "yuv420p")
    }

    /// By default the file begins at a half-frame phase where the step into the first frame is
    /// an ordinary one: the seam ratio stays near 1, and the first frame shows the clip's pose
    /// at that phase (the loop's period is the window here, so phase φ is source frame 30φ).
    func testAutomaticOriginStartsOnAnOrdinaryStepAtTheClipsPose() throws {
        let clip = try oscillatingClip()
        let out = TestMedia.path("loop-origin-\(UUID().uuidString.prefix(6)).mp4")
        let r = loopCLI(["loop", clip, "-o", out, "--mode", "spectral", "--window", "1", "--k", "8", "--working-side", "128", "--crf", "0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let phase = try XCTUnwrap(json["origin_phase"] as? Double)
        let slot = phase * 30 - 0.5
        XCTAssertTrue((0..<1).contains(phase), "origin_phase \(phase)")
        XCTAssertEqual(slot, slot.rounded(), accuracy: 1e-6, "a half-frame phase")
        let frames = try lumaFrames(out), source = try lumaFrames(clip)
        XCTAssertEqual(frames.count, 30)
        XCTAssertTrue((0.7...1.5).contains(Self.seamRatio(frames)), "seam ratio \(Self.seamRatio(frames))")
        // The first frame lies between source frames j and j + 1 (j = slot), far from the pose
        // a quarter period away.
        let j = Int(slot.rounded())
        let near = min(Self.meanAbsDifference(frames[0], source[j]), Self.meanAbsDifference(frames[0], source[(j + 1) % 30]))
        let far = Self.meanAbsDifference(frames[0], source[(j + 8) % 30])
        XCTAssertLessThan(near, 0.5 * far, "first frame vs the source at its phase \(near), a quarter period on \(far)")
        assertRefused(clip, "origin", "middle")
    }

    /// A still textured picture under a little sensor noise, with a square bobbing at its
    /// bottom. Chained tracking wanders on the noise, so without `--still` the loop moves the
    /// still top of the picture; with it (the default) those pixels are held exactly still
    /// (`still_fraction` in --json) and the top of every decoded frame stays (nearly) what it is
    /// in frame 0. `--no-still` reports −1.
    func testStillBackgroundIsHeldStill() throws {
        let still = try stillPicture()
        let clip = try TestMedia.makeClip(name: "loop-bobbing.mp4", args: [
            "-loop", "1", "-framerate", "30", "-i", still, "-t", "1.2",
            "-vf", "crop=w=256:h=192:x=32:y=24,noise=alls=2:allf=t,drawbox=x='100+20*sin(2*PI*t)':y=150:w=32:h=32:color=yellow:t=fill",
            "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"])
        var fractions: [Double?] = [], change: [Double] = []
        for flag in ["--still", "--no-still"] {
            let out = TestMedia.path("loop-still-\(UUID().uuidString.prefix(6)).mp4")
            let r = loopCLI(["loop", clip, "-o", out, "--mode", "spectral", "--window", "1", "--k", "6", "--working-side", "128", flag, "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            // A fraction not computed is null.
            fractions.append(json["still_fraction"] as? Double)
            let frames = try lumaFrames(out)
            XCTAssertEqual(frames.count, 30)
            // The top 96 rows, above anything that moves: mean change from frame 0.
            let top = frames.map { Plane(width: $0.width, height: 96, data: Array($0.data.prefix(96 * $0.width))) }
            change.append(top.dropFirst().map { Self.meanAbsDifference($0, top[0]) }.reduce(0, +) / Double(top.count - 1))
        }
        XCTAssertGreaterThan(try XCTUnwrap(fractions[0]), 0.8, "most of the picture is still")
        XCTAssertNil(fractions[1], "--no-still computes nothing")
        XCTAssertLessThan(change[0], 0.25 * change[1], "still top: change \(change[0]) held, \(change[1]) not held")
    }

    /// A square of colour bars sliding 6 px per frame over a still picture: swung out and back, it uncovers
    /// the picture where it stood in the reference frame. `--fill background`
    /// fills those holes from the window's steady background, the picture itself; `--fill
    /// smooth` smears their surroundings in. Checked on the frame where the square is farthest
    /// from its reference box, against the clip's own background there; and in --json.
    func testUncoveredPictureIsFilledFromTheWindowsBackground() throws {
        let still = try stillPicture()
        let clip = try TestMedia.makeClip(name: "loop-sliding-square.mp4", args: [
            "-loop", "1", "-framerate", "30", "-i", still, "-f", "lavfi", "-i", "smptebars=size=40x40:rate=30",
            "-filter_complex", "[0]crop=w=256:h=192:x=32:y=24[bg];[bg][1]overlay=x='20+180*t':y=80", "-t", "1.2",
            "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"])
        // The square's box in the reference frame, as the clip's last frame shows it (the square gone).
        let truth = try XCTUnwrap(try lumaFrames(clip).last)
        func box(_ p: Plane) -> [Float] { (80..<120).flatMap { y in (20..<60).map { p[$0, y] } } }
        var error: [String: Double] = [:]
        for fill in ["background", "smooth"] {
            let out = TestMedia.path("loop-fill-\(fill)-\(UUID().uuidString.prefix(6)).mp4")
            // Without the tear guard, which would smooth the square's motion at its edges and slow its swing.
            let r = loopCLI(["loop", clip, "-o", out, "--mode", "spectral", "--window", "1", "--k", "6", "--working-side", "256", "--fill", fill, "--crf", "0",
                              "--tear-guard", "0", "--json", "-q"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            XCTAssertGreaterThan(try XCTUnwrap(json["hole_fraction"] as? Double), 0.001, "the swing uncovers picture")
            let filled = try XCTUnwrap(json["background_fill"] as? Double)
            if fill == "background" { XCTAssertGreaterThan(filled, 0.5) } else { XCTAssertEqual(filled, 0) }
            let want = box(truth)
            error[fill] = try lumaFrames(out).map { frame in
                zip(box(frame), want).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(want.count)
            }.min()
        }
        let background = try XCTUnwrap(error["background"]), smooth = try XCTUnwrap(error["smooth"])
        XCTAssertLessThan(background, 0.05, "the uncovered box shows the clip's background")
        XCTAssertLessThan(background, 0.5 * smooth, "background fill \(background) vs smooth \(smooth)")
        assertRefused(clip, "fill", "zeros")
    }

    /// A window of 35 frames over an oscillation of period 30: `--period auto` finds the
    /// period the clip has, `--period window` (the default) keeps the window's 35 steps.
    func testAutomaticPeriodFindsTheClipsOwnPeriod() throws {
        let clip = try oscillatingClip()
        for (period, want) in [("auto", 30), ("window", 35)] {
            let out = TestMedia.path("loop-period-\(period)-\(UUID().uuidString.prefix(6)).mp4")
            let r = loopCLI(["loop", clip, "-o", out, "--mode", "spectral", "--window", "1.15", "--duration", "1", "--k", "8", "--working-side", "128",
                              "--crf", "0", "--period", period, "--json", "-q"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(json["window_frames"] as? Int, 35)
            XCTAssertEqual(json["period_frames"] as? Int, want, "--period \(period)")
            XCTAssertEqual(try lumaFrames(out).count, 30, "the loop keeps duration × fps frames")
        }
        assertRefused(clip, "period", "best")
    }

    /// A clip that only pans 2 px per frame: `--drift remove` leaves (nearly) a still picture,
    /// the default swing keeps it moving about as fast as the clip did; every frame of the loop
    /// is a keyframe by default (no keyframe jump at the wrap), and `--keyint` overrides it.
    func testDriftSwingKeepsAPanMovingAndRemoveStillsIt() throws {
        let still = try stillPicture()
        let clip = try TestMedia.makeClip(name: "loop-pan.mp4", args: [
            "-loop", "1", "-framerate", "30", "-i", still, "-t", "1.2",
            "-vf", "crop=w=192:h=160:x='8+2*n':y=40", "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"])
        var meanStep: [String: Double] = [:]
        for drift in ["swing", "remove"] {
            let out = TestMedia.path("loop-pan-\(drift)-\(UUID().uuidString.prefix(6)).mp4")
            let r = loopCLI(["loop", clip, "-o", out, "--mode", "spectral", "--window", "1", "--k", "8", "--working-side", "96", "--drift", drift, "--crf", "4", "-q"]
                             + (drift == "remove" ? ["--keyint", "250"] : []))
            XCTAssertEqual(r.status, 0, r.stderr)
            let frames = try lumaFrames(out)
            XCTAssertEqual(frames.count, 30)
            meanStep[drift] = zip(frames, frames.dropFirst()).map { Self.meanAbsDifference($0, $1) }.reduce(0, +) / 29
            let keyframes = TestMedia.run("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v", "-show_entries", "frame=key_frame",
                                                                   "-of", "csv=p=0", out]).stdout.split(separator: "\n").filter { $0.hasPrefix("1") }.count
            XCTAssertEqual(keyframes, drift == "swing" ? 30 : 1, "\(drift): keyframes")
        }
        let source = try lumaFrames(clip).prefix(31)
        let sourceStep = zip(source, source.dropFirst()).map { Self.meanAbsDifference($0, $1) }.reduce(0, +) / 30
        let swing = try XCTUnwrap(meanStep["swing"]), removed = try XCTUnwrap(meanStep["remove"])
        XCTAssertGreaterThan(swing, 0.4 * sourceStep, "swing keeps the pan's motion (\(swing) vs the clip's \(sourceStep))")
        XCTAssertLessThan(removed, 0.25 * swing, "remove leaves a nearly still loop (\(removed) vs \(swing))")
    }

    /// A zoom into a texture of 2 × 2-pixel cells, which aliases differently in every frame at
    /// the working size, so no track follows it: by default most of the picture moves with
    /// the camera (an affine fit of the flow; `camera_fraction` in --json) and the loop's mean
    /// motion drops well below that of the wandering tracks; `--no-camera` reports −1.
    func testUnfollowableZoomMovesWithTheCamera() throws {
        let clip = try TestMedia.makeClip(name: "loop-zoom.mp4", args: [
            "-f", "lavfi", "-i",
            "cellauto=rule=110:size=160x90:rate=30:random_seed=7:scroll=0:start_full=1,trim=end_frame=1,loop=loop=39:size=1,setpts=N/30/TB,scale=320:180:flags=neighbor,format=yuv420p",
            "-vf", "scale=w='trunc(iw*(1+t*0.15)/2)*2':h='trunc(ih*(1+t*0.15)/2)*2':eval=frame,crop=320:180",
            "-frames:v", "36", "-c:v", "libx264", "-crf", "30", "-pix_fmt", "yuv420p"])
        var fractions: [Double?] = [], motions: [Double] = []
        for flag in ["--camera", "--no-camera"] {
            let out = TestMedia.path("loop-zoom-\(UUID().uuidString.prefix(6)).mp4")
            // A cellular texture zooming in nearest-neighbour steps scores as a cut now and then.
            let r = loopCLI(["loop", clip, "-o", out, "--mode", "spectral", "--window", "1.2", "--working-side", "160", "--scene-threshold", "0",
                              flag, "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            fractions.append(json["camera_fraction"] as? Double)
            motions.append(try XCTUnwrap(json["mean_motion"] as? Double))
        }
        XCTAssertGreaterThan(try XCTUnwrap(fractions[0]), 0.4, "most of the zoom follows the camera")
        XCTAssertNil(fractions[1], "--no-camera computes nothing")
        XCTAssertLessThan(motions[0], 0.8 * motions[1], "mean motion with the camera \(motions[0]), with wandering tracks \(motions[1])")
    }


    /// A window that starts on a black frame gets a warning (in --json and on stderr); a
    /// textured one none.
    func testFlatReferenceFrameIsWarnedAbout() throws {
        let clip = try TestMedia.makeClip(name: "loop-black-start.mp4", args: [
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30", "-t", "0.5", "-vf", "fade=t=in:s=0:n=2",
            "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"])
        for (start, warned) in [("0", true), ("0.1", false)] {
            let out = TestMedia.path("loop-flat-\(UUID().uuidString.prefix(6)).mp4")
            // The fade from black scores as a cut: the scene guard is off to reach the warning.
            let r = loopCLI(["loop", clip, "-o", out, "--mode", "spectral", "--scene-threshold", "0", "--start", start, "--window", "0.2",
                              "--k", "3", "--working-side", "64", "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let warnings = try XCTUnwrap(json["warnings"] as? [String])
            XCTAssertEqual(warnings.isEmpty, !warned, "start \(start): \(warnings)")
            if warned { XCTAssertTrue(warnings[0].contains("flat"), warnings[0]) }
            let plain = loopCLI(["loop", clip, "-o", TestMedia.path("loop-flat-\(UUID().uuidString.prefix(6)).mp4"), "--mode", "spectral",
                                  "--scene-threshold", "0", "--start", start, "--window", "0.2", "--k", "3", "--working-side", "64", "-q"])
            XCTAssertEqual(plain.status, 0, plain.stderr)
            XCTAssertEqual(plain.stderr.contains("warning: the window's first frame is nearly flat"), warned, plain.stderr)
        }
    }

    func testBaselineModesAndRepeatGiveExactFrameCounts() throws {
        let clip = try oscillatingClip()
        for (mode, extra) in [("pingpong", [String]()), ("crossfade", ["--crossfade", "0.3"])] {
            let out = TestMedia.path("loop-\(mode)-\(UUID().uuidString.prefix(6)).mp4")
            let r = loopCLI(["loop", clip, "-o", out, "--mode", mode, "--duration", "1.5", "--repeat", "2", "-q"] + extra)
            XCTAssertEqual(r.status, 0, "\(mode): \(r.stderr)")
            XCTAssertEqual(try lumaFrames(out).count, 90, mode)
        }
    }

    func testSpectrumRoundTrip() throws {
        let clip = try oscillatingClip()
        let spectrum = TestMedia.path("loop-\(UUID().uuidString.prefix(6)).safetensors")
        let a = loopCLI(["loop", clip, "-o", spectrum, "--spectrum-only", "--window", "1", "--k", "6", "--working-side", "128", "-q"])
        XCTAssertEqual(a.status, 0, a.stderr)
        let out1 = TestMedia.path("loop-from-\(UUID().uuidString.prefix(6)).mp4")
        let b = loopCLI(["loop", clip, "-o", out1, "--from-spectrum", spectrum, "--duration", "1", "--crf", "0", "-q"])
        XCTAssertEqual(b.status, 0, b.stderr)
        let out2 = TestMedia.path("loop-direct-\(UUID().uuidString.prefix(6)).mp4")
        // A spectrum carries no frames of the window: its holes are filled smoothly, as here.
        let c = loopCLI(["loop", clip, "-o", out2, "--mode", "spectral", "--window", "1", "--k", "6", "--working-side", "128", "--duration", "1", "--crf", "0",
                          "--fill", "smooth", "-q"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let f1 = try lumaFrames(out1), f2 = try lumaFrames(out2)
        XCTAssertEqual(f1.count, f2.count)
        XCTAssertEqual(f1.map(\.data), f2.map(\.data), "a loop rendered from its saved spectrum equals the direct one")
    }

    func testBadLoopRequestsGiveClearErrors() throws {
        let clip = try oscillatingClip()
        let out = TestMedia.path("loop-bad-\(UUID().uuidString.prefix(6)).mp4")
        let cases: [([String], String)] = [
            (["--duration", "0"], "--duration"), (["--duration", "nan"], "--duration"), (["--k", "40", "--window", "1"], "k"),
            (["--mode", "spectral", "--start", "1.9", "--window", "1", "--k", "8"], "needs 30"), (["--mode", "zigzag"], "--mode"), (["--from-spectrum", "/nonexistent.safetensors"], "/nonexistent.safetensors"),
            (["--drift", "sideways"], "--drift"), (["--tracking", "psychic"], "--tracking"), (["--keyint", "0"], "--keyint"),
        ]
        for (extra, expected) in cases {
            let r = loopCLI(["loop", clip, "-o", out, "--working-side", "64"] + extra)
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertTrue(r.stderr.contains(expected), "\(extra): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output for \(extra)")
        }
    }
}
