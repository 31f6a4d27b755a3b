import Foundation
import MediaIO
import WarpFlowTestSupport
import XCTest

/// Timestamps and seek targets at the 64-bit edges give `MediaError`, never a trap or a
/// silently wrong value.
final class CorruptTimestampTests: XCTestCase {
    func testWriterRejectsAPTSThatDoesNotFitItsTimeBase() throws {
        let dir = try TestMedia.makeScratchDirectory("corrupt-pts")
        let out = (dir as NSString).appendingPathComponent("out.mp4")
        let format = StreamFormat(width: 32, height: 32, pixelFormat: .yuv420p, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let writer = try VideoWriter(path: out, format: format, settings: EncoderSettings(preset: "ultrafast"))
        // Int64.max seconds is 25·Int64.max ticks of 1/25: formerly clamped to Int64.max.
        let frame = try Frame(width: 32, height: 32, pixelFormat: .yuv420p, pts: .max, timeBase: Rational(1, 1))
        XCTAssertThrowsError(try writer.write(frame)) { error in
            guard let e = error as? MediaError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .invalidArgument)
            XCTAssertTrue(e.message.contains("pts 9223372036854775807"), e.message)
        }
        writer.abort()
        XCTAssertEqual(TestMedia.listDirectory(dir), [], "temp files left behind")
    }

    func testSeekBeyondTheTimestampRangeThrows() throws {
        let reader = try VideoReader(path: try Clips.h264())
        for seconds in [1e300, Double.greatestFiniteMagnitude, 1e18] {
            XCTAssertThrowsError(try reader.seek(toSeconds: seconds), "\(seconds)") { error in
                XCTAssertEqual((error as? MediaError)?.kind, .invalidArgument)
            }
        }
        XCTAssertThrowsError(try reader.seek(toSeconds: .nan))
        XCTAssertThrowsError(try reader.seek(toSeconds: .infinity))
        try reader.seek(toSeconds: 0.5)
        XCTAssertNotNil(try reader.nextFrame())
    }
}
