import Raster
import LoopJob
import XCTest

/// `StaticBackground`: the median of a window's samples and where it is steady.
final class StaticBackgroundTests: XCTestCase {
    /// A still picture that a bright square covers in 7 of 20 samples (columns 0 ..< 8), and
    /// columns 24 ..< 32 that never settle: the median behind the square is the picture and
    /// steady; the restless columns are not steady.
    func testMedianIsTheSceneBehindWhatCrossesItAndRestlessPixelsAreNotSteady() throws {
        let w = 32, h = 8
        func scene(_ x: Int, _ y: Int) -> Float { 0.3 + 0.02 * Float((x * 7 + y * 3) % 11) }
        var samples: [Plane] = []
        for k in 0..<20 {
            samples.append(Plane(width: w, height: h) { out in
                for y in 0..<h {
                    for x in 0..<w {
                        var value = scene(x, y) + (k % 2 == 0 ? 0.004 : -0.004)
                        if x < 8 && k % 3 == 0 { value = 0.95 }
                        if x >= 24 { value = Float((k * 37 + x * 11 + y * 5) % 20) / 20 }
                        out[y * w + x] = value
                    }
                }
            })
        }
        let background = try StaticBackground(samples: samples, tolerance: 0.02, agreement: 0.6, threads: 2)
        for y in 0..<h {
            for x in 0..<24 {
                XCTAssertEqual(background.median[x, y], scene(x, y), accuracy: 0.0041, "(\(x), \(y))")
                XCTAssertEqual(background.steady[x, y], 1, "(\(x), \(y)) is seen in 13 of 20 samples")
            }
            for x in 24..<w { XCTAssertEqual(background.steady[x, y], 0, "(\(x), \(y)) never settles") }
        }
        // Asking for more agreement than the covered pixels have (13 of 20 < 0.7) leaves them unsteady.
        let strict = try StaticBackground(samples: samples, tolerance: 0.02, agreement: 0.7, threads: 1)
        XCTAssertEqual(strict.steady[0, 0], 0)
        XCTAssertEqual(strict.steady[12, 0], 1)
    }

    /// The median of an odd and an even count, NaN counted as +∞ (never the median of mostly
    /// finite samples), and the same result on one thread and several.
    func testMedianOfOddAndEvenCountsAndNaN() throws {
        func samples(_ values: [Float]) -> [Plane] { values.map { Plane(width: 1, height: 1, value: $0) } }
        XCTAssertEqual(try StaticBackground(samples: samples([5, 1, 3]), tolerance: 0, agreement: 0).median.data, [3])
        XCTAssertEqual(try StaticBackground(samples: samples([4, 1, 3, 2]), tolerance: 0, agreement: 0).median.data, [2])
        let withNaN = try StaticBackground(samples: samples([.nan, 2, 7, 2, 2]), tolerance: 0.5, agreement: 0.4)
        XCTAssertEqual(withNaN.median.data, [2])
        XCTAssertEqual(withNaN.steady.data, [1])
        var big: [Plane] = []
        for k in 0..<9 { big.append(Plane(width: 40, height: 30) { for i in 0..<1200 { $0[i] = Float((i * 31 + k * 17) % 23) } }) }
        XCTAssertEqual(try StaticBackground(samples: big, tolerance: 2, agreement: 0.5, threads: 1),
                       try StaticBackground(samples: big, tolerance: 2, agreement: 0.5, threads: 4))
    }

    func testBadSamplesOrParametersThrow() {
        let a = Plane(width: 4, height: 4), b = Plane(width: 4, height: 3)
        XCTAssertThrowsError(try StaticBackground(samples: [], tolerance: 1, agreement: 0.5))
        XCTAssertThrowsError(try StaticBackground(samples: [a, b], tolerance: 1, agreement: 0.5)) { error in
            XCTAssertTrue("\(error)".contains("background sample 1"), "\(error)")
        }
        XCTAssertThrowsError(try StaticBackground(samples: [a], tolerance: -1, agreement: 0.5))
        XCTAssertThrowsError(try StaticBackground(samples: [a], tolerance: .nan, agreement: 0.5))
        XCTAssertThrowsError(try StaticBackground(samples: [a], tolerance: 1, agreement: 1.5))
        XCTAssertThrowsError(try StaticBackground(samples: [a], tolerance: 1, agreement: .nan))
    }
}
