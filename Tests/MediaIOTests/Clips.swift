import Foundation
import MediaIO
import WarpFlowTestSupport
import XCTest

/// Clips the MediaIO tests share, made by the ffmpeg CLI once per test process.
enum Clips {
    /// 2 s of 160×120 H.264 yuv420p at 25 fps with AAC audio, MP4 with faststart.
    static func h264WithAudio() throws -> String {
        try TestMedia.makeClip(name: "h264_audio.mp4", args: TestMedia.testSource(width: 160, height: 120, rate: "25", seconds: 2)
            + TestMedia.sineSource(seconds: 2)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "10", "-c:a", "aac", "-b:a", "64k",
               "-movflags", "+faststart", "-shortest"])
    }

    /// 1 s of 160×120 H.264 at 25 fps, no audio.
    static func h264() throws -> String {
        try TestMedia.makeClip(name: "h264.mp4", args: TestMedia.testSource(width: 160, height: 120, rate: "25", seconds: 1)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
    }

    /// Number of video frames ffprobe counts by decoding.
    static func ffprobeFrameCount(_ path: String) throws -> Int {
        let r = TestMedia.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-count_frames",
                                          "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path])
        guard r.status == 0, let n = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestMedia.ToolError(command: "ffprobe -count_frames", status: r.status, stderr: r.stderr)
        }
        return n
    }

    /// Every frame of `path` decoded by VideoReader.
    static func decodeAll(_ path: String, options: ReaderOptions = ReaderOptions()) throws -> (VideoReader, [Frame]) {
        let reader = try VideoReader(path: path, options: options)
        var frames: [Frame] = []
        while let f = try reader.nextFrame() { frames.append(f) }
        return (reader, frames)
    }
}

/// Asserts that `body` throws a MediaError of `kind` whose text names `path`.
func assertMediaError(_ kind: MediaError.Kind, path: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected MediaError.\(kind) for \(path)", file: file, line: line)
    } catch let error as MediaError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        XCTAssertTrue(error.description.contains(path), "error does not name the file: \(error)", file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
