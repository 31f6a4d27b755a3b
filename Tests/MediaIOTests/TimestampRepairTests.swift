import Foundation
import MediaIO
import WarpFlowTestSupport
import XCTest

/// The reader repairs damaged timestamps as FFmpeg's CLI does (missing pts filled, repeated or
/// backward pts dropped, discontinuities re-timed) and scales frames of a mid-stream size
/// change to the stream's size; the writer refuses to write packets a muxer would silently
/// break. The damaged clips are made deterministically from clean ones (`DamagedMedia`).
final class TimestampRepairTests: XCTestCase {
    /// 40 ms in 90 kHz ticks: one frame period of the 25 fps transport streams.
    let period: Int64 = 3600

    func assertEvenlySpaced(_ frames: [Frame], step: Int64, file: StaticString = #filePath, line: UInt = #line) {
        let steps = Set(zip(frames, frames.dropFirst()).map { $1.pts - $0.pts })
        XCTAssertEqual(steps, [step], "pts steps", file: file, line: line)
        XCTAssertEqual(frames.map(\.index), Array(0..<frames.count), file: file, line: line)
    }

    /// The damage of the issue: one frame's PTS and DTS 2²⁸ ticks back (a corrupt 32-bit
    /// DTS). The TS demuxer's 33-bit wrap correction reads it as a jump 2³³ − 2²⁸ ticks (25 h)
    /// forward, and the next frame jumps back as far: two discontinuities, each re-timed, so
    /// every frame is kept, one period apart.
    func testDamagedDTSJumpIsRetimed() throws {
        let path = try DamagedMedia.transportStream(name: "dts-jump.ts") { index, _ in index == 10 ? .shift(-(1 << 28)) : .keep }
        let (reader, frames) = try Clips.decodeAll(path)
        XCTAssertEqual(frames.count, 100)
        assertEvenlySpaced(frames, step: period)
        XCTAssertEqual(reader.stats.timestampDiscontinuities, 2, "\(reader.stats)")
        XCTAssertEqual(reader.stats.framesRetimed, 1, "\(reader.stats)")
        XCTAssertEqual(reader.stats.framesDropped, 0)
        XCTAssertEqual(reader.stats.framesLost, 0)
        XCTAssertEqual(reader.stats.framesDecoded, 100)
        XCTAssertEqual(reader.stats.timestampRepairSummary, "timestamps repaired: 2 discontinuities re-timed (1 frame shifted)")

        // Without repair the jump reaches the caller.
        let (_, raw) = try Clips.decodeAll(path, options: ReaderOptions(repairTimestamps: false))
        XCTAssertEqual(raw.count, 100)
        XCTAssertGreaterThan(raw.map(\.pts).max() ?? 0, Int64(1) << 32)
    }

    /// A frame whose PTS and DTS repeat the previous packet's: dropped (a 40 ms step back is
    /// below the 0.1 s that makes a discontinuity in MPEG-TS), and counted.
    func testRepeatedPTSIsDropped() throws {
        var previous: DamagedMedia.Timestamps?
        let path = try DamagedMedia.transportStream(name: "repeat.ts") { index, ts in
            defer { previous = ts }
            guard index == 10, let p = previous else { return .keep }
            return .set(pts: p.pts, dts: p.dts)
        }
        let (reader, frames) = try Clips.decodeAll(path)
        XCTAssertEqual(frames.count, 99)
        XCTAssertTrue(zip(frames, frames.dropFirst()).allSatisfy { $0.pts < $1.pts })
        XCTAssertEqual(reader.stats.framesDropped, 1, "\(reader.stats)")
        XCTAssertEqual(reader.stats.timestampDiscontinuities, 0)
        XCTAssertEqual(reader.stats.framesLost, 1, "the dropped frame leaves a gap")
        XCTAssertEqual(reader.stats.framesDecoded, 99)
        XCTAssertEqual(reader.stats.timestampRepairSummary, "timestamps repaired: 1 frame with a repeated or backward pts dropped")
    }

    /// Frames without timestamps (no B-frames, so the demuxer cannot guess them): extrapolated
    /// one period after the previous frame.
    func testMissingPTSIsFilled() throws {
        let path = try DamagedMedia.transportStream(name: "missing.ts", bFrames: 0) { index, _ in (10...11).contains(index) ? .remove : .keep }
        let (reader, frames) = try Clips.decodeAll(path)
        XCTAssertEqual(frames.count, 100)
        assertEvenlySpaced(frames, step: period)
        XCTAssertEqual(reader.stats.framesPtsFilled, 2, "\(reader.stats)")
        XCTAssertFalse(reader.stats.sawDamage, "\(reader.stats)")
    }

    /// Matroska written with negative timestamps (`-avoid_negative_ts disabled`): the demuxer
    /// gives the frames before 0 no pts, so they are extrapolated from the start; when the stream's
    /// own pts then step back, the extrapolation was wrong, and the frames are re-timed to
    /// continue instead of being dropped.
    func testStepBackAfterExtrapolatedPTSIsRetimedNotDropped() throws {
        let path = try TestMedia.makeClip(name: "negative-start.mkv", args: TestMedia.testSource(width: 160, height: 120, rate: "25", seconds: 2)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-output_ts_offset", "-1", "-avoid_negative_ts", "disabled"])
        let (reader, frames) = try Clips.decodeAll(path)
        XCTAssertEqual(frames.count, 50)
        assertEvenlySpaced(frames, step: 40)   // Matroska's 1/1000 time base
        XCTAssertEqual(reader.stats.framesPtsFilled, 25, "\(reader.stats)")
        XCTAssertEqual(reader.stats.timestampDiscontinuities, 1)
        XCTAssertEqual(reader.stats.framesDropped, 0)
    }

    /// A huge but representable gap (frames from the 11th on 1000 s later, in MP4): re-timed, so
    /// the timeline stays continuous; the nominal rate is still 25 fps although the stream's
    /// average rate (from its first and last timestamps) says 25/251.
    func testFarForwardJumpIsRetimedAndTheRateStaysNominal() throws {
        let path = try DamagedMedia.forwardJumpMP4(name: "forward-jump.mp4")
        let stream = try XCTUnwrap(TestMedia.ffprobeStreams(path, type: "video").first)
        XCTAssertEqual(stream["avg_frame_rate"] as? String, "25/251", "the damage this test needs")
        let (reader, frames) = try Clips.decodeAll(path)
        XCTAssertEqual(reader.info.frameRate, Rational(25, 1))
        XCTAssertEqual(frames.count, 100)
        assertEvenlySpaced(frames, step: 512)   // 1/25 s in the MP4's 1/12800 time base
        XCTAssertEqual(reader.stats.timestampDiscontinuities, 1, "\(reader.stats)")
        XCTAssertEqual(reader.stats.framesRetimed, 90)
        XCTAssertEqual(reader.stats.framesLost, 0)

        // A threshold above the jump leaves it (and counts the gap as lost frames).
        let (patient, kept) = try Clips.decodeAll(path, options: ReaderOptions(discontinuityThreshold: 2000))
        XCTAssertEqual(kept.count, 100)
        XCTAssertEqual(patient.stats.timestampDiscontinuities, 0)
        XCTAssertEqual(kept[10].pts - kept[9].pts, 1000 * 12800 + 512)
        XCTAssertEqual(patient.stats.framesLost, 25_000)
    }

    /// Two transport streams of different sizes joined byte for byte: the timestamps restart
    /// (a jump back of about 1 s, a discontinuity in MPEG-TS) and the second half is 128×96.
    /// Every frame comes out at the stream's 160×120, one period after the one before.
    func testConcatenatedTransportStreamsAreJoinedAndScaled() throws {
        let path = try DamagedMedia.concatenatedSizes(name: "joined.ts")
        let (reader, frames) = try Clips.decodeAll(path)
        XCTAssertEqual(reader.info.width, 160)
        XCTAssertEqual(frames.count, 50)
        XCTAssertTrue(frames.allSatisfy { $0.width == 160 && $0.height == 120 && $0.pixelFormat == .yuv420p })
        assertEvenlySpaced(frames, step: period)
        XCTAssertEqual(reader.stats.framesRescaled, 25, "\(reader.stats)")
        XCTAssertEqual(reader.stats.timestampDiscontinuities, 1)
        XCTAssertEqual(reader.repairWarnings.last,
                       "input size or pixel format changed mid-stream: 25 frames scaled (bicubic) to the stream's 160×120 yuv420p")
        // The scaled frames are pictures, not blanks: the bicubic reduction of ffmpeg's own 128×96 → 160×120.
        let luma = try FrameConverter().luma(frames[40])
        XCTAssertGreaterThan(luma.data.max() ?? 0, 0.5)
        XCTAssertLessThan(luma.data.min() ?? 1, 0.5)

        // Off, the frames keep their decoded size.
        let (plain, unscaled) = try Clips.decodeAll(path, options: ReaderOptions(scaleToStreamFormat: false))
        XCTAssertEqual(unscaled.filter { $0.width == 128 && $0.height == 96 }.count, 25)
        XCTAssertEqual(plain.stats.framesRescaled, 0)
    }

    /// With audio, the audio clock restarts at the join as well: its packets are shifted to
    /// continue, so a writer can copy them (a muxer refuses a dts that goes back).
    func testConcatenatedAudioIsJoinedToo() throws {
        let path = try DamagedMedia.concatenatedSizes(name: "joined-audio.ts", audio: true)
        let (reader, frames) = try Clips.decodeAll(path, options: ReaderOptions(keepAudio: true))
        XCTAssertEqual(frames.count, 50)
        let audio = reader.takeAudioPackets()
        XCTAssertGreaterThan(audio.count, 80)
        let pts = audio.compactMap(\.pts)
        XCTAssertEqual(pts.count, audio.count)
        XCTAssertTrue(zip(pts, pts.dropFirst()).allSatisfy { $0 < $1 }, "audio pts do not increase")
        XCTAssertEqual(reader.stats.audioDiscontinuities, 1, "\(reader.stats)")
        // The audio ends within a frame or two of the video (about 2 s after the start).
        let tb = audio[0].timeBase.doubleValue
        XCTAssertEqual(Double(pts.last! - pts.first!) * tb, 2, accuracy: 0.1)
    }
}

/// The writer refuses packets that a muxer would silently "fix" into a file that does not
/// decode, and a finished file holds one packet per frame written.
final class WriterVerificationTests: XCTestCase {
    /// A writer into a new scratch folder, and that folder.
    func makeWriter(_ name: String, timeBase: Rational, rate: Rational = Rational(25, 1)) throws -> (VideoWriter, String) {
        let dir = try TestMedia.makeScratchDirectory("writer-verify")
        let format = StreamFormat(width: 32, height: 32, pixelFormat: .yuv420p, timeBase: timeBase, frameRate: rate)
        let writer = try VideoWriter(path: (dir as NSString).appendingPathComponent(name), format: format,
                                     settings: EncoderSettings(preset: "ultrafast"))
        return (writer, dir)
    }

    /// Writes frames at `ptsList` and finishes.
    func writeAll(_ writer: VideoWriter, _ ptsList: [Int64], timeBase: Rational) throws {
        for pts in ptsList { try writer.write(try Frame(width: 32, height: 32, pixelFormat: .yuv420p, pts: pts, timeBase: timeBase)) }
        try writer.finish()
    }

    func assertRefused(_ body: () throws -> Void, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let e = error as? MediaError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertTrue(e.message.contains(text), e.message, file: file, line: line)
            XCTAssertTrue(e.message.contains("would not decode") || e.message.contains("too low"), e.message, file: file, line: line)
        }
    }

    func testFinishedFileHoldsOnePacketPerFrame() throws {
        let (writer, dir) = try makeWriter("ok.mp4", timeBase: Rational(1, 25))
        try writeAll(writer, (0..<12).map { Int64($0) }, timeBase: Rational(1, 25))
        XCTAssertEqual(writer.packetsWritten, 12)
        let probe = try DamagedMedia.ffprobeVideo((dir as NSString).appendingPathComponent("ok.mp4"))
        XCTAssertEqual(probe.decodedFrames, 12)
        XCTAssertTrue(DamagedMedia.strictlyIncreasing(probe.packets.map(\.dts)))
    }

    /// A step of 2⁴⁰ ticks between two frames fits Int64 but not MP4's 32-bit sample durations;
    /// the MP4 muxer would rewrite the dts and drop the pts, leaving a broken file.
    func testDTSStepMP4CannotHoldIsRefused() throws {
        let tb = Rational(1, 90000)
        let (writer, dir) = try makeWriter("gap.mp4", timeBase: tb)
        assertRefused({ try self.writeAll(writer, [0, 1, 1 << 40, (1 << 40) + 1], timeBase: tb) }, containing: "beyond the 2147483647 ticks")
        writer.abort()
        XCTAssertEqual(TestMedia.listDirectory(dir), [], "a file was left")
    }

    /// Increasing pts in 1/90000 s that collide in Matroska's 1/1000 s time base.
    func testDTSThatDoesNotIncreaseInTheContainerIsRefused() throws {
        let tb = Rational(1, 90000)
        let (writer, dir) = try makeWriter("collide.mkv", timeBase: tb)
        assertRefused({ try self.writeAll(writer, [0, 1, 2, 3], timeBase: tb) }, containing: "does not increase")
        writer.abort()
        XCTAssertEqual(TestMedia.listDirectory(dir), [], "a file was left")
    }

    /// A frame rate from corrupt timestamps (one frame per 2.6 days) cannot be held by MP4.
    func testFrameRateTooLowForMP4IsRefused() throws {
        assertRefused({ _ = try self.makeWriter("slow.mp4", timeBase: Rational(1, 15360), rate: Rational(30, 6_881_281)) },
                      containing: "frame rate 30/6881281 fps is too low for mp4")
    }

    /// MP4 hides frames before time 0 behind its edit list (far before 0 its muxer writes every
    /// timestamp as 0): such a frame is refused rather than silently lost.
    func testNegativePTSInMP4IsRefused() throws {
        let tb = Rational(1, 25)
        let (writer, dir) = try makeWriter("negative.mp4", timeBase: tb)
        assertRefused({ try self.writeAll(writer, [-25, -24, 0, 1], timeBase: tb) }, containing: "is before 0")
        writer.abort()
        XCTAssertEqual(TestMedia.listDirectory(dir), [], "a file was left")
        // Matroska keeps them.
        let (mkv, _) = try makeWriter("negative.mkv", timeBase: tb)
        try writeAll(mkv, [-25, -24, 0, 1], timeBase: tb)
        XCTAssertEqual(mkv.packetsWritten, 4)
    }
}
