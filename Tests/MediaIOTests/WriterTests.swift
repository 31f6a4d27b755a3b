import Foundation
import MediaIO
import WarpFlowTestSupport
import XCTest

final class WriterTests: XCTestCase {
    /// Decodes `path`, writes every frame with `settings`, returns the output path and the frames.
    private func reencode(_ path: String, into dir: String, settings: EncoderSettings, format: ((StreamFormat) -> StreamFormat)? = nil) throws -> (String, VideoWriter, [Frame]) {
        let (reader, frames) = try Clips.decodeAll(path)
        let out = (dir as NSString).appendingPathComponent("out.mp4")
        let fmt = format?(reader.info.format) ?? reader.info.format
        let writer = try VideoWriter(path: out, format: fmt, settings: settings)
        for f in frames { try writer.write(f) }
        try writer.finish()
        return (out, writer, frames)
    }

    func testLosslessRoundTripIsBitIdentical() throws {
        let dir = try TestMedia.makeScratchDirectory("lossless")
        let (out, writer, frames) = try reencode(try Clips.h264(), into: dir, settings: EncoderSettings(crf: 0, preset: "ultrafast"))
        XCTAssertEqual(writer.framesWritten, frames.count)
        XCTAssertEqual(writer.encoderFormat.pixelFormat, .yuv420p)
        XCTAssertTrue(writer.warnings.isEmpty, "\(writer.warnings)")
        XCTAssertEqual(TestMedia.listDirectory(dir), ["out.mp4"], "temp files left behind")
        let (reader, back) = try Clips.decodeAll(out)
        XCTAssertEqual(reader.info.codec, "h264")
        XCTAssertEqual(reader.info.pixelFormat, .yuv420p)
        XCTAssertEqual(back.count, frames.count)
        for (a, b) in zip(frames, back) {
            XCTAssertTrue(a.samplesEqual(b), "frame \(a.index) differs after a lossless round trip")
            XCTAssertEqual(Rational.rescale(a.pts - frames[0].pts, from: a.timeBase, to: b.timeBase), b.pts - back[0].pts)
        }
        // faststart: the index ('moov') comes before the media data ('mdat').
        let head = try Data(contentsOf: URL(fileURLWithPath: out)).prefix(4096)
        let moov = head.range(of: Data("moov".utf8)), mdat = head.range(of: Data("mdat".utf8))
        XCTAssertNotNil(moov)
        if let m = moov, let d = mdat { XCTAssertLessThan(m.lowerBound, d.lowerBound) }
    }

    func testAudioIsCopiedInSync() throws {
        let clip = try Clips.h264WithAudio()
        let dir = try TestMedia.makeScratchDirectory("audio")
        let out = (dir as NSString).appendingPathComponent("with_audio.mp4")
        let reader = try VideoReader(path: clip, options: ReaderOptions(keepAudio: true))
        let writer = try VideoWriter(path: out, format: reader.info.format, settings: EncoderSettings(crf: 23, preset: "ultrafast"), audioFrom: reader)
        while let f = try reader.nextFrame() {
            try writer.write(f)
            try writer.writeAudio(from: reader)
        }
        try writer.writeAudio(from: reader)
        try writer.finish()
        XCTAssertTrue(writer.warnings.isEmpty, "\(writer.warnings)")
        let inVideo = try XCTUnwrap(TestMedia.ffprobeStreams(clip, type: "video").first)
        let inAudio = try XCTUnwrap(TestMedia.ffprobeStreams(clip, type: "audio").first)
        let outVideo = try XCTUnwrap(TestMedia.ffprobeStreams(out, type: "video").first)
        let outAudio = try XCTUnwrap(TestMedia.ffprobeStreams(out, type: "audio").first)
        func seconds(_ s: [String: Any], _ key: String) -> Double { Double(s[key] as? String ?? "") ?? -1 }
        XCTAssertEqual(outAudio["codec_name"] as? String, "aac")
        XCTAssertEqual(seconds(outVideo, "duration"), seconds(inVideo, "duration"), accuracy: 0.04)
        XCTAssertEqual(seconds(outAudio, "duration"), seconds(inAudio, "duration"), accuracy: 0.04)
        XCTAssertEqual(seconds(outAudio, "start_time"), seconds(inAudio, "start_time"), accuracy: 0.04)
        XCTAssertEqual(seconds(outVideo, "start_time"), seconds(inVideo, "start_time"), accuracy: 0.04)
        XCTAssertEqual(outAudio["nb_frames"] as? String, inAudio["nb_frames"] as? String)
    }

    /// PCM audio cannot go into MP4: the stream is skipped with a warning, the video is written.
    func testAudioTheContainerCannotHoldIsSkippedWithWarning() throws {
        let clip = try TestMedia.makeClip(name: "pcm.mkv", args: TestMedia.testSource(width: 96, height: 64, rate: "25", seconds: 0.4)
            + TestMedia.sineSource(seconds: 0.4) + ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "pcm_s16le"])
        let dir = try TestMedia.makeScratchDirectory("pcm")
        let out = (dir as NSString).appendingPathComponent("video_only.mp4")
        let reader = try VideoReader(path: clip, options: ReaderOptions(keepAudio: true))
        XCTAssertEqual(reader.info.audioStreams.first?.codec, "pcm_s16le")
        let writer = try VideoWriter(path: out, format: reader.info.format, settings: EncoderSettings(preset: "ultrafast"), audioFrom: reader)
        XCTAssertEqual(writer.warnings.count, 1)
        XCTAssertTrue(writer.warnings.first?.contains("pcm_s16le") ?? false, "\(writer.warnings)")
        while let f = try reader.nextFrame() {
            try writer.write(f)
            try writer.writeAudio(from: reader)
        }
        try writer.finish()
        XCTAssertEqual(try TestMedia.ffprobeStreams(out, type: "audio").count, 0)
        XCTAssertEqual(try Clips.ffprobeFrameCount(out), 10)
    }

    func testRationalRatesAreExact() throws {
        let clip = try TestMedia.makeClip(name: "ntsc.mp4", args: TestMedia.testSource(width: 96, height: 64, rate: "30000/1001", seconds: 1)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let (reader, frames) = try Clips.decodeAll(clip)
        XCTAssertEqual(reader.info.frameRate, Rational(30000, 1001))
        XCTAssertEqual(frames.count, 30)
        let dir = try TestMedia.makeScratchDirectory("rates")
        let out = (dir as NSString).appendingPathComponent("double.mp4")
        let tb = Rational(1001, 60000)
        var format = reader.info.format
        format.frameRate = Rational(60000, 1001)
        format.timeBase = tb
        let writer = try VideoWriter(path: out, format: format, settings: EncoderSettings(crf: 30, preset: "ultrafast"))
        // Each source frame twice: ticks 2i and 2i+1 of 1001/60000 s.
        for (i, f) in frames.enumerated() {
            for k in 0..<2 {
                let c = f.clone()
                c.pts = Int64(2 * i + k)
                c.timeBase = tb
                try writer.write(c)
            }
        }
        try writer.finish()
        let video = try XCTUnwrap(TestMedia.ffprobeStreams(out, type: "video").first)
        XCTAssertEqual(video["r_frame_rate"] as? String, "60000/1001")
        XCTAssertEqual(video["avg_frame_rate"] as? String, "60000/1001")
        let (pts, tbText) = try TestMedia.ffprobeVideoPTS(out)
        XCTAssertEqual(pts.count, 60)
        let streamTB = try XCTUnwrap(TestMedia.parseRatio(tbText))
        // One tick of 1001/60000 s in the stream's time base, exactly.
        let step = Rational.rescale(1, from: tb, to: Rational(streamTB.num, streamTB.den))
        XCTAssertEqual(Rational(step * streamTB.num, streamTB.den), tb, "stream time base \(tbText) cannot hold 1001/60000 exactly")
        for i in 1..<pts.count { XCTAssertEqual(pts[i] - pts[i - 1], step, "pts gap at \(i)") }
        let (_, back) = try Clips.decodeAll(out)
        XCTAssertEqual(back.count, 60)
    }

    func testOddSizeRecoversWithYUV444AndWarns() throws {
        let clip = try TestMedia.makeClip(name: "odd444.mkv", args: TestMedia.testSource(width: 175, height: 143, rate: "25", seconds: 0.4)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p"])
        let dir = try TestMedia.makeScratchDirectory("odd")
        let (out, writer, frames) = try reencode(clip, into: dir, settings: EncoderSettings(crf: 0, preset: "ultrafast")) {
            var f = $0; f.pixelFormat = .yuv420p; return f
        }
        XCTAssertEqual(writer.encoderFormat.pixelFormat, .yuv444p)
        XCTAssertEqual(writer.warnings.count, 1)
        XCTAssertTrue(writer.warnings.first?.contains("yuv444p") ?? false)
        let (reader, back) = try Clips.decodeAll(out)
        XCTAssertEqual(reader.info.width, 175)
        XCTAssertEqual(reader.info.height, 143)
        XCTAssertEqual(back.count, frames.count)
        // The source frames were yuv444p already, so lossless means identical samples.
        for (a, b) in zip(frames, back) { XCTAssertTrue(a.samplesEqual(b)) }
    }

    func testTinyVideoWrites() throws {
        let clip = try TestMedia.makeClip(name: "tiny.mp4", args: TestMedia.testSource(width: 16, height: 16, rate: "25", seconds: 0.4)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let dir = try TestMedia.makeScratchDirectory("tiny")
        let (out, _, frames) = try reencode(clip, into: dir, settings: EncoderSettings(crf: 0, preset: "ultrafast"))
        let (_, back) = try Clips.decodeAll(out)
        XCTAssertEqual(back.count, frames.count)
        XCTAssertTrue(zip(frames, back).allSatisfy { $0.samplesEqual($1) })
    }

    func testHEVCAndSilentEncoders() throws {
        let (_, frames) = try Clips.decodeAll(try Clips.h264())
        let dir = try TestMedia.makeScratchDirectory("hevc")
        let out = (dir as NSString).appendingPathComponent("x265.mp4")
        let stderrText = try captureStandardError {
            let writer = try VideoWriter(path: out, format: frames[0].streamFormat(rate: Rational(25, 1)),
                                         settings: EncoderSettings(codec: .hevc, crf: 28, preset: "ultrafast", threads: 1))
            for f in frames { try writer.write(f) }
            try writer.finish()
            let x264 = try VideoWriter(path: (dir as NSString).appendingPathComponent("x264.mp4"),
                                       format: frames[0].streamFormat(rate: Rational(25, 1)), settings: EncoderSettings(crf: 0))
            for f in frames { try x264.write(f) }
            try x264.finish()
        }
        XCTAssertEqual(stderrText, "", "the encoders printed to stderr")
        let video = try XCTUnwrap(TestMedia.ffprobeStreams(out, type: "video").first)
        XCTAssertEqual(video["codec_name"] as? String, "hevc")
        XCTAssertEqual(try Clips.ffprobeFrameCount(out), frames.count)
    }

    func testUnwritableFolder() throws {
        let (_, frames) = try Clips.decodeAll(try Clips.h264())
        let missing = TestMedia.path("no-such-folder/out.mp4")
        assertMediaError(.cannotWrite, path: missing) {
            _ = try VideoWriter(path: missing, format: frames[0].streamFormat(rate: Rational(25, 1)))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
        if getuid() != 0 {  // root can write anywhere
            let dir = try TestMedia.makeScratchDirectory("readonly")
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: dir)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir) }
            let out = (dir as NSString).appendingPathComponent("out.mp4")
            assertMediaError(.cannotWrite, path: out) {
                _ = try VideoWriter(path: out, format: frames[0].streamFormat(rate: Rational(25, 1)))
            }
            XCTAssertEqual(TestMedia.listDirectory(dir), [])
        }
    }

    func testAbortAndDropLeaveNothing() throws {
        let (_, frames) = try Clips.decodeAll(try Clips.h264())
        let dir = try TestMedia.makeScratchDirectory("abort")
        let out = (dir as NSString).appendingPathComponent("out.mp4")
        let format = frames[0].streamFormat(rate: Rational(25, 1))
        let writer = try VideoWriter(path: out, format: format, settings: EncoderSettings(preset: "ultrafast"))
        for f in frames.prefix(5) { try writer.write(f) }
        XCTAssertEqual(TestMedia.listDirectory(dir).count, 1, "the temp file exists while writing")
        writer.abort()
        XCTAssertEqual(TestMedia.listDirectory(dir), [])
        XCTAssertThrowsError(try writer.write(frames[5]))
        do {
            let dropped = try VideoWriter(path: out, format: format, settings: EncoderSettings(preset: "ultrafast"))
            for f in frames.prefix(5) { try dropped.write(f) }
        }
        XCTAssertEqual(TestMedia.listDirectory(dir), [])
        // Non-increasing pts is an error that names the file; nothing is left.
        let w = try VideoWriter(path: out, format: format, settings: EncoderSettings(preset: "ultrafast"))
        try w.write(frames[1])
        assertMediaError(.invalidArgument, path: out) { try w.write(frames[0]) }
        w.abort()
        XCTAssertEqual(TestMedia.listDirectory(dir), [])
    }
}

extension Frame {
    /// This frame's geometry with a given rate and this frame's time base.
    func streamFormat(rate: Rational) -> StreamFormat {
        StreamFormat(width: width, height: height, pixelFormat: pixelFormat, timeBase: timeBase, frameRate: rate)
    }
}

/// Runs `body` with file descriptor 2 redirected to a file; returns what was written to it.
func captureStandardError(_ body: () throws -> Void) throws -> String {
    let path = TestMedia.path("stderr-\(UUID().uuidString).txt")
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let fd = open(path, O_WRONLY)
    let saved = dup(2)
    fflush(nil)  // all C streams; avoids the global `stderr` var
    dup2(fd, 2)
    defer {
        fflush(nil)  // all C streams; avoids the global `stderr` var
        dup2(saved, 2)
        close(saved)
        close(fd)
    }
    try body()
    fflush(nil)  // all C streams; avoids the global `stderr` var
    guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
    defer { try? handle.close() }
    return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
}
