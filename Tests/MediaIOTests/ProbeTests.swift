import Foundation
import MediaIO
import WarpFlowTestSupport
import XCTest

final class ProbeTests: XCTestCase {
    func testMP4H264ProbeAndDecode() throws {
        let clip = try Clips.h264WithAudio()
        let (reader, frames) = try Clips.decodeAll(clip)
        let info = reader.info
        XCTAssertTrue(info.container.contains("mp4"), info.container)
        XCTAssertEqual(info.codec, "h264")
        XCTAssertEqual(info.width, 160)
        XCTAssertEqual(info.height, 120)
        XCTAssertEqual(info.pixelFormat, .yuv420p)
        XCTAssertEqual(info.frameRate, Rational(25, 1))
        XCTAssertEqual(info.frameCount, 50)
        XCTAssertEqual(info.audioStreams.count, 1)
        XCTAssertEqual(info.audioStreams.first?.codec, "aac")
        XCTAssertEqual(info.audioStreams.first?.sampleRate, 48000)
        XCTAssertEqual(info.durationSeconds ?? 0, 2, accuracy: 0.05)
        XCTAssertEqual(frames.count, try Clips.ffprobeFrameCount(clip))
        XCTAssertEqual(frames.map(\.index), Array(0..<frames.count))
        // pts are exact multiples of one frame period, strictly increasing, in the stream time base.
        let step = Rational.rescale(1, from: Rational(1, 25), to: info.timeBase)
        for (i, f) in frames.enumerated() {
            XCTAssertEqual(f.timeBase, info.timeBase)
            XCTAssertEqual(f.pts - frames[0].pts, Int64(i) * step)
            XCTAssertEqual(f.pixelFormat, .yuv420p)
        }
        XCTAssertEqual(reader.stats.framesDecoded, frames.count)
        XCTAssertFalse(reader.stats.sawDamage, "\(reader.stats)")
    }

    func testMKVVP9() throws {
        let clip = try TestMedia.makeClip(name: "vp9.mkv", args: TestMedia.testSource(width: 128, height: 96, rate: "24", seconds: 1)
            + ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"])
        let (reader, frames) = try Clips.decodeAll(clip)
        XCTAssertTrue(reader.info.container.contains("matroska"), reader.info.container)
        XCTAssertEqual(reader.info.codec, "vp9")
        XCTAssertEqual(reader.info.frameRate, Rational(24, 1))
        XCTAssertEqual(reader.info.timeBase, Rational(1, 1000))
        XCTAssertEqual(frames.count, 24)
        XCTAssertEqual(frames.last.map { $0.pts - frames[0].pts }, 23 * 1000 / 24)
    }

    func testMOVWithRotation() throws {
        let plain = try TestMedia.makeClip(name: "mpeg4.mov", args: TestMedia.testSource(width: 160, height: 120, rate: "30", seconds: 1)
            + ["-c:v", "mpeg4", "-q:v", "5"])
        // The mov muxer turns the legacy "rotate" tag into a display matrix on stream copy.
        let clip = try TestMedia.makeClip(name: "rotated.mov", args: ["-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90"])
        let (reader, frames) = try Clips.decodeAll(clip)
        XCTAssertTrue(reader.info.container.contains("mov"))
        XCTAssertEqual(reader.info.codec, "mpeg4")
        XCTAssertEqual(abs(reader.info.rotation), 90, accuracy: 0.01, "rotation \(reader.info.rotation)")
        // Same sign convention as ffprobe's display-matrix side data.
        let probed = try TestMedia.ffprobeStreams(clip, type: "video").first?["side_data_list"] as? [[String: Any]]
        let ffRotation = probed?.compactMap { ($0["rotation"] as? NSNumber)?.doubleValue }.first
        XCTAssertEqual(reader.info.rotation, try XCTUnwrap(ffRotation), accuracy: 0.01)
        XCTAssertEqual(try VideoReader.probe(path: plain).rotation, 0)
        XCTAssertEqual(frames.count, 30)
    }

    func testPNGImage() throws {
        let clip = try TestMedia.makeClip(name: "still.png", args: TestMedia.testSource(width: 64, height: 48, rate: "1", seconds: 1)
            + ["-frames:v", "1"])
        let (reader, frames) = try Clips.decodeAll(clip)
        XCTAssertEqual(reader.info.codec, "png")
        XCTAssertEqual(reader.info.width, 64)
        XCTAssertEqual(reader.info.height, 48)
        XCTAssertEqual(frames.count, 1)
        XCTAssertTrue(frames[0].pixelFormat.isRGB, "\(frames[0].pixelFormat)")
    }

    func testImageSequence() throws {
        let dir = try TestMedia.makeScratchDirectory("seq")
        let pattern = (dir as NSString).appendingPathComponent("img%03d.jpg")
        let r = TestMedia.run("ffmpeg", ["-nostdin", "-v", "error"] + TestMedia.testSource(width: 64, height: 48, rate: "10", seconds: 0.5) + [pattern])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (reader, frames) = try Clips.decodeAll(pattern)
        XCTAssertEqual(reader.info.codec, "mjpeg")
        XCTAssertEqual(frames.count, 5)
    }

    func testAVI() throws {
        let clip = try TestMedia.makeClip(name: "mpeg4.avi", args: TestMedia.testSource(width: 160, height: 120, rate: "25", seconds: 1)
            + ["-c:v", "mpeg4", "-q:v", "5"])
        let (reader, frames) = try Clips.decodeAll(clip)
        XCTAssertEqual(reader.info.container, "avi")
        XCTAssertEqual(reader.info.codec, "mpeg4")
        XCTAssertEqual(reader.info.frameCount, 25)
        XCTAssertEqual(frames.count, 25)
    }

    func testKeepAudioQueuesAllPackets() throws {
        let clip = try Clips.h264WithAudio()
        let reader = try VideoReader(path: clip, options: ReaderOptions(threads: 2, keepAudio: true))
        var audio: [MediaPacket] = []
        while try reader.nextFrame() != nil { audio += reader.takeAudioPackets() }
        audio += reader.takeAudioPackets()
        let expected = TestMedia.run("ffprobe", ["-v", "error", "-select_streams", "a:0", "-count_packets",
                                                 "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", clip])
        XCTAssertEqual(audio.count, Int(expected.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertTrue(audio.allSatisfy { $0.sourceStreamIndex == reader.info.audioStreams[0].streamIndex })
    }

    func testSeek() throws {
        let clip = try Clips.h264WithAudio()
        let reader = try VideoReader(path: clip)
        try reader.seek(toSeconds: 1.0)
        let frame = try XCTUnwrap(reader.nextFrame())
        let seconds = Double(frame.pts) * frame.timeBase.doubleValue
        XCTAssertEqual(seconds, 1.0, accuracy: 0.041)
    }
}
