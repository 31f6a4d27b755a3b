// libFuzzer target `reader`: the input bytes as a media file opened with `VideoReader` (every
// container and codec FFmpeg's libraries were built with), decoded frame by frame and
// converted to luma, and the first frame to RGB, as `warpflow flow`/`fps` do. Failures must be
// thrown `MediaError`s; a trap, an ASan report, a hang, or a frame breaking the reader's
// contract (pts strictly increasing, every frame in the stream's size and format) is a finding.
// Bounded so executions stay fast: at most `maxFrames` frames and `maxPixels` decoded pixels,
// and only frames up to `maxConvertedPixels` are converted (the Swift pixel kernels run
// unoptimised and instrumented here: a few-hundred-byte MPEG-4 header can declare 2064×1556,
// which took 10–20 s per input to convert; the kernels do not depend on the size beyond
// row/column edge cases, which small sizes cover).
// FFmpeg's own C code is not instrumented (system libraries): coverage is of warpflow's Swift
// code, crashes anywhere are caught. Build and run: see Tests/Fuzz/README.md.
import Foundation
import MediaIO
import Raster

private let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("warpflow-fuzz-reader-\(getpid()).bin").path
private let maxFrames = 50
private let maxConvertedPixels = 1 << 18
// libFuzzer calls the entry point from one thread only: one converter, reused (as the CLI does).
nonisolated(unsafe) private let converter = FrameConverter()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReader(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = count > 0 && start != nil ? Data(bytes: start!, count: count) : Data()
    guard FileManager.default.createFile(atPath: path, contents: data) else {
        fatalError("fuzz-reader: cannot write the scratch file \(path)")
    }
    // Decoded pixels allowed: generous for real clips, but a few bytes that claim a huge
    // picture size stop after a frame or two.
    let maxPixels = max(4_000_000, 2_000 * count)
    do {
        let reader = try VideoReader(path: path, options: ReaderOptions(threads: 1, keepAudio: true))
        let info = reader.info
        _ = info.format.description
        var frames = 0, pixels = 0
        var lastPTS: Int64?
        while frames < maxFrames, pixels < maxPixels, let frame = try reader.nextFrame() {
            // The reader's documented contract with its default options (timestamp repair and
            // scaling to the stream's format on): strictly increasing pts, one size and format.
            if let last = lastPTS, frame.pts <= last {
                fatalError("fuzz-reader: frame \(frames) has pts \(frame.pts) after \(last)")
            }
            lastPTS = frame.pts
            guard frame.width == info.width, frame.height == info.height, frame.pixelFormat == info.pixelFormat else {
                fatalError("fuzz-reader: frame \(frames) is \(frame.width)×\(frame.height) \(frame.pixelFormat) in a \(info.width)×\(info.height) \(info.pixelFormat) stream")
            }
            if frame.width * frame.height <= maxConvertedPixels {
                let luma = try converter.luma(frame)
                guard luma.width == frame.width, luma.height == frame.height else {
                    fatalError("fuzz-reader: luma is \(luma.width)×\(luma.height) for a \(frame.width)×\(frame.height) frame")
                }
                if frames == 0 { _ = try converter.rgb(frame) }
            }
            _ = reader.takeAudioPackets()
            frames += 1
            pixels += frame.width * frame.height
        }
        _ = reader.stats
    } catch {
        guard error is MediaError else { fatalError("fuzz-reader: unexpected error type \(type(of: error)): \(error)") }
    }
    return 0
}
