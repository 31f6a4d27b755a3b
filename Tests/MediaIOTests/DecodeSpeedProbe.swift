import Foundation
import MediaIO
import XCTest

/// Not a test of speed (no timing assertions): with WARPFLOW_DECODE_SPEED=FILE set, decodes
/// FILE to Float RGB and prints the rate, for quick measurements in release builds
/// (`swift test -c release -Xswiftc -enable-testing --filter DecodeSpeedProbe`).
final class DecodeSpeedProbe: XCTestCase {
    func testDecodeSpeed() throws {
        guard let file = ProcessInfo.processInfo.environment["WARPFLOW_DECODE_SPEED"] else {
            throw XCTSkip("set WARPFLOW_DECODE_SPEED=FILE to measure")
        }
        for target in ["native", "rgb", "luma"] {
            let start = Date()
            let reader = try VideoReader(path: file)
            let converter = FrameConverter()
            var frames = 0
            while let frame = try reader.nextFrame() {
                if target == "rgb" { _ = try converter.rgb(frame) }
                if target == "luma" { _ = try converter.luma(frame) }
                frames += 1
            }
            let seconds = Date().timeIntervalSince(start)
            print("decode-speed \(target): \(frames) frames in \(String(format: "%.3f", seconds)) s")
        }
    }
}
