import Foundation
import MediaIO
import Raster
import WarpFlowTestSupport
import XCTest

/// The CLI and the synthetic clips the `loop` tests share.
extension XCTestCase {
    func loopCLI(_ args: [String]) -> (status: Int32, stdout: String, stderr: String) {
        TestMedia.run(CLITests.binary, args)
    }

    /// A still picture translated by (12·sin(2πt), 0) px: one period per second, 30 fps, 2 s.
    func oscillatingClip() throws -> String {
        let still = try stillPicture()
        return try TestMedia.makeClip(name: "loop-oscillating.mp4", args: [
            "-loop", "1", "-framerate", "30", "-i", still, "-t", "2",
            "-vf", "crop=w=256:h=192:x='32+12*sin(2*PI*n/30)':y=24", "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"])
    }

    /// One 320×240 frame of mandelbrot (PNG): a picture textured everywhere, so that every
    /// pixel's motion can be followed.
    func texturedPicture() throws -> String {
        try TestMedia.makeClip(name: "loop-textured.png", args: ["-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=30", "-frames:v", "1"])
    }

    /// One 320×240 frame of testsrc2 (PNG): the picture the synthetic clips move.
    func stillPicture() throws -> String {
        try TestMedia.makeClip(name: "loop-still.png", args: ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-frames:v", "1"])
    }

    func lumaFrames(_ path: String) throws -> [Plane] {
        let reader = try VideoReader(path: path)
        let converter = FrameConverter()
        var out: [Plane] = []
        while let f = try reader.nextFrame() { out.append(try converter.luma(f)) }
        return out
    }
}
