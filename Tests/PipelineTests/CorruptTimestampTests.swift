import MediaIO
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob
import XCTest

/// Frames whose pts cannot be placed exactly make `blend` and `trim` throw a `FilterError` that
/// says so, instead of trapping on overflow or emitting frames at wrong times.
final class CorruptTimestampTests: XCTestCase {
    let registry = FilterRegistry.standard

    func frame(pts: Int64, timeBase: Rational) throws -> Frame {
        try Frame(width: 16, height: 16, pixelFormat: .yuv420p, pts: pts, timeBase: timeBase)
    }

    func configured(_ chain: String, timeBase: Rational, rate: Rational = Rational(25, 1)) throws -> any VideoFilter {
        let filter = try registry.makeChain(chain)[0]
        _ = try filter.configure(input: StreamFormat(width: 16, height: 16, pixelFormat: .yuv420p, timeBase: timeBase, frameRate: rate))
        return filter
    }

    func assertCorrupt(_ body: @autoclosure () throws -> Void, filter: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard case .processing(let name, let reason)? = error as? FilterError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(name, filter, file: file, line: line)
            XCTAssertTrue(reason.contains("corrupt"), reason, file: file, line: line)
        }
    }

    func testBlendRejectsAPTSWhoseTimeDoesNotFit() throws {
        // (2⁶³ − 6) · 1001/30000 s has no 64-bit numerator: formerly clamped, then blended at a wrong time.
        let tb = Rational(1001, 30000)
        let blend = try configured("blend=fps=60", timeBase: tb)
        assertCorrupt(try blend.process(try self.frame(pts: .max - 5, timeBase: tb)) { _ in }, filter: "blend")
    }

    func testBlendRejectsAPTSBeyondItsOutputClock() throws {
        // 2⁶² s fits, but 2⁶² · 60 ticks of 1/60 does not.
        let tb = Rational(1, 1)
        let blend = try configured("blend=fps=60", timeBase: tb)
        var emitted = 0
        try blend.process(try frame(pts: 0, timeBase: tb)) { _ in emitted += 1 }
        assertCorrupt(try blend.process(try self.frame(pts: 1 << 62, timeBase: tb)) { _ in emitted += 1 }, filter: "blend")
        XCTAssertEqual(emitted, 0)
    }

    func testTrimRejectsAPTSJumpBeyond64Bits() throws {
        let tb = Rational(1, 90000)
        for chain in ["trim=start=0.1", "trim=end_frame=5"] {
            let trim = try configured(chain, timeBase: tb)
            try trim.process(try frame(pts: -Int64.max, timeBase: tb)) { _ in }
            // pts − first pts overflows Int64: formerly a trap.
            assertCorrupt(try trim.process(try self.frame(pts: .max, timeBase: tb)) { _ in }, filter: "trim")
        }
    }

    func testTrimFrameBoundsAtAnAbsurdRateThrowInsteadOfClamping() throws {
        // 2³¹ − 1 frames of 1/rate = Int64.max/3 s each is far beyond 64 bits: formerly clamped.
        let filter = try registry.makeChain("trim=start_frame=2147483647")[0]
        let rate = Rational(3, Int64.max)
        XCTAssertThrowsError(try filter.configure(input: StreamFormat(width: 16, height: 16, pixelFormat: .yuv420p,
                                                                      timeBase: rate.inverted, frameRate: rate))) { error in
            guard case .unsupportedInput(let name, _)? = error as? FilterError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "trim")
        }
    }

    func testRationalOptionsSayWhyTheyAreRejected() throws {
        for (value, expected) in [("10000000000.000000001", "does not fit an exact 64-bit fraction"),
                                  ("-9223372036854775808/-1", "does not fit an exact 64-bit fraction"),
                                  ("1/0", "zero denominator"), ("sixty", "not a rational number")] {
            XCTAssertThrowsError(try registry.makeChain("blend=fps=\(value)")) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(value): \(error)")
            }
        }
    }
}
