import Foundation
import MediaIO
import XCTest

/// Inputs the `rational` fuzz target (Tests/Fuzz) crashed the earlier `Rational` on, fed
/// through the same path: `Rational.parse` on the text, then rescaling and arithmetic.
final class RationalFuzzRegressionTests: XCTestCase {
    /// Tests/Fuzz/regressions/rational
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/regressions/rational")

    func input(_ name: String) throws -> String {
        try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
    }

    /// Finding rational-1: "88888.888888883" parses to 88888888888883/1000000000; rescaling
    /// Int64.max ticks of it overflowed the 128-bit intermediate product (arithmetic-overflow
    /// trap in `rescale`). The checked rescale is exact, and throws where the answer does not fit.
    func testRescaleOfLargeTermsIsExactOrThrows() throws {
        let r = try Rational.parse(try input("rescale-overflow-decimal"))
        XCTAssertEqual(r, Rational(88_888_888_888_883, 1_000_000_000))
        XCTAssertEqual(try Rational.rescale(checked: Int64.max, from: r, to: r), Int64.max)
        XCTAssertEqual(try Rational.rescale(checked: -Int64.max, from: r, to: r), -Int64.max)
        XCTAssertThrowsError(try Rational.rescale(checked: Int64.max, from: r, to: Rational(1, 1))) { error in
            guard case .overflow? = error as? RationalError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(Rational.rescale(Int64.max, from: r, to: Rational(1, 1)), Int64.min, "convenience form: no timestamp")
    }

    /// Finding rational-2: "-9223372036854775808" parsed to Int64.min/1, and negating it (in
    /// `-`, `inverted`) trapped. It is not representable (terms stay within ±Int64.max): parse
    /// throws an overflow, `init(parsing:)` gives nil.
    func testInt64MinIsAnOverflowNotATrap() throws {
        let text = try input("int64-min")
        XCTAssertThrowsError(try Rational.parse(text)) { error in
            guard case .overflow? = error as? RationalError else { return XCTFail("\(error)") }
        }
        XCTAssertNil(Rational(parsing: text))
        let almost = try Rational.parse("-9223372036854775807")
        XCTAssertEqual(almost - almost, Rational(0, 1))
        XCTAssertEqual(almost.inverted, Rational(-1, Int64.max))
        XCTAssertThrowsError(try almost.subtracting(Rational(1, 1)))
    }
}

/// Inputs the `reader` fuzz target (Tests/Fuzz) failed on, fed through the same path:
/// `VideoReader` with its default options, every frame.
final class ReaderFuzzRegressionTests: XCTestCase {
    /// Tests/Fuzz/regressions/reader
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/regressions/reader")

    /// Finding reader-1: an MJPEG AVI (64×48) whose second frame decodes as 1×12288. Scaling it
    /// to the stream's size fails in swscale, which is a thrown `.decodeFailed`. The failed
    /// threaded `sws_init_context` used to leak its slice contexts (FFmpeg 5.1 frees only those
    /// that initialised); `SwsCache` now checks the geometry single-threaded first, so
    /// `make sanitize` runs this test leak-free.
    func testFrameThatCannotBeScaledToTheStreamSizeIsAThrownError() {
        let path = Self.folder.appendingPathComponent("mjpeg-size-change-1x12288.avi").path
        assertMediaError(.decodeFailed, path: path) {
            let reader = try VideoReader(path: path)
            while try reader.nextFrame() != nil {}
        }
    }
}
