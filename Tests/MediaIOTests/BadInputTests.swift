import Foundation
import MediaIO
import WarpFlowTestSupport
import XCTest

final class BadInputTests: XCTestCase {
    func testMissingFile() {
        let path = TestMedia.path("does-not-exist.mp4")
        assertMediaError(.fileNotFound, path: path) { _ = try VideoReader(path: path) }
    }

    func testZeroByteFile() throws {
        let path = TestMedia.path("empty.mp4")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        assertMediaError(.emptyFile, path: path) { _ = try VideoReader(path: path) }
    }

    func testTextFileNamedMP4() throws {
        let path = TestMedia.path("notes.mp4")
        try Data("this is not a video, just some text\n".utf8).write(to: URL(fileURLWithPath: path))
        assertMediaError(.notMedia, path: path) { _ = try VideoReader(path: path) }
    }

    func testAudioOnlyFile() throws {
        let clip = try TestMedia.makeClip(name: "tone.m4a", args: TestMedia.sineSource(seconds: 1) + ["-c:a", "aac"])
        assertMediaError(.noVideoStream, path: clip) { _ = try VideoReader(path: clip) }
    }

    func testFolderIsNotMedia() throws {
        let dir = try TestMedia.makeScratchDirectory("folder.mp4")
        assertMediaError(.notMedia, path: dir) { _ = try VideoReader(path: dir) }
    }

    /// The first half of a faststart MP4 (index at the front): decoding returns the frames
    /// whose data is present and then ends, and the stats say the file was cut off.
    func testTruncatedFaststartMP4DecodesWhatItCan() throws {
        let clip = try Clips.h264WithAudio()
        let data = try Data(contentsOf: URL(fileURLWithPath: clip))
        let path = TestMedia.path("truncated_faststart.mp4")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let (reader, frames) = try Clips.decodeAll(path)
        XCTAssertGreaterThan(frames.count, 5)
        XCTAssertLessThan(frames.count, 50)
        XCTAssertTrue(reader.stats.truncated, "\(reader.stats)")
        XCTAssertEqual(reader.stats.framesDecoded, frames.count)
        XCTAssertGreaterThan(reader.stats.framesMissingAtEnd + reader.stats.readErrors, 0)
    }

    /// The first half of an MP4 whose index is at the end: nothing can be decoded, and the
    /// error says the file is not readable media.
    func testTruncatedMP4WithoutIndexIsAClearError() throws {
        let clip = try Clips.h264()
        let data = try Data(contentsOf: URL(fileURLWithPath: clip))
        let path = TestMedia.path("truncated_noindex.mp4")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        assertMediaError(.notMedia, path: path) { _ = try VideoReader(path: path) }
    }

    /// Garbage over the middle of the media data: decoding goes on to the end and reports damage.
    func testCorruptedMiddleKeepsDecoding() throws {
        let clip = try TestMedia.makeClip(name: "h264_corrupt_src.mp4", args: TestMedia.testSource(width: 160, height: 120, rate: "25", seconds: 2)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
        var data = try Data(contentsOf: URL(fileURLWithPath: clip))
        let start = data.count * 2 / 5, length = data.count / 5
        // Deterministic garbage (a fixed xorshift sequence), so the test is repeatable.
        var state: UInt32 = 0x9E37_79B9
        for i in start..<(start + length) {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            data[i] = UInt8(truncatingIfNeeded: state)
        }
        let path = TestMedia.path("corrupt_middle.mp4")
        try data.write(to: URL(fileURLWithPath: path))
        var decoded: (VideoReader, [Frame])?
        let printed = try captureStandardError { decoded = try Clips.decodeAll(path) }
        XCTAssertEqual(printed, "", "the library printed while decoding damaged data")
        let (reader, frames) = try XCTUnwrap(decoded)
        XCTAssertGreaterThan(frames.count, 10)
        XCTAssertTrue(reader.stats.sawDamage, "\(reader.stats)")
        XCTAssertGreaterThan(reader.stats.packetsRejected + reader.stats.framesCorrupt + reader.stats.framesLost, 0, "\(reader.stats)")
        // Frames after the damage are still delivered.
        let lastSeconds = Double(frames.last!.pts) * frames.last!.timeBase.doubleValue
        XCTAssertGreaterThan(lastSeconds, 1.5)
    }

    func testOddSizedVideoReads() throws {
        let clip = try TestMedia.makeClip(name: "odd.mkv", args: TestMedia.testSource(width: 175, height: 143, rate: "25", seconds: 0.4)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p"])
        let (reader, frames) = try Clips.decodeAll(clip)
        XCTAssertEqual(reader.info.width, 175)
        XCTAssertEqual(reader.info.height, 143)
        XCTAssertEqual(frames.count, 10)
        let rgb = try FrameConverter().rgb(frames[0])
        XCTAssertEqual(rgb.width, 175)
        XCTAssertEqual(rgb.height, 143)
    }

    func testTinyVideo() throws {
        let clip = try TestMedia.makeClip(name: "tiny.mp4", args: TestMedia.testSource(width: 16, height: 16, rate: "25", seconds: 0.4)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let (reader, frames) = try Clips.decodeAll(clip)
        XCTAssertEqual(reader.info.width, 16)
        XCTAssertEqual(frames.count, 10)
        let luma = try FrameConverter().luma(frames[0])
        XCTAssertEqual(luma.count, 256)
        XCTAssertTrue(luma.data.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}
