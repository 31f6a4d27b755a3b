import Flow
import Foundation
import LoopJob
import MediaIO
import PokeJob
import Raster
import Spectral
import XCTest

/// The modal basis and the poke's response: frequency, damping, locality, linearity, shapes.
final class ModalBasisTests: XCTestCase {
    /// A 40×24 spectrum of a 30-frame window where the left half oscillates horizontally at
    /// frequency index 3 (3 cycles per window) and the right half stands still.
    static func spectrum() throws -> MotionSpectrum {
        let w = 40, h = 24, k = 6, n = w * h
        var values = [Float](repeating: 0, count: 4 * k * n)
        for y in 0..<h { for x in 0..<(w / 2) { values[(4 * 3) * n + y * w + x] = 30 } }   // Re x of mode 3
        return try MotionSpectrum(width: w, height: h, frequencies: k, windowLength: 30, values: values)
    }

    /// The horizontal response at (x, y) over `seconds`, sampled at `rate`.
    static func series(_ basis: ModalBasis, _ pokes: [Poke], damping: Double, x: Int, y: Int, seconds: Double, rate: Double) -> [Float] {
        let a = basis.excitations(pokes)
        return (0..<Int(seconds * rate)).map { i in basis.displacement(at: Double(i) / rate, excitations: a, damping: damping, threads: 1)[x, y].u }
    }

    func testAPokeInsideRingsAtTheModesFrequencyAndDecaysAtTheDamping() throws {
        // 30 frames at 30 fps: mode 3 is 3 Hz.
        let basis = try ModalBasis(spectrum: Self.spectrum(), fps: 30)
        XCTAssertEqual(basis.frequencies[2], 3, accuracy: 1e-12)
        let zeta = 0.05
        let s = Self.series(basis, [Poke(x: 10, y: 12, dx: 4, dy: 0)], damping: zeta, x: 10, y: 12, seconds: 2, rate: 600)
        XCTAssertEqual(s[0], 4, accuracy: 1e-4, "released from the pulled position: the poked pixel starts at the force")
        // Frequency: sign changes over 2 s of a 3 Hz oscillation: 12.
        let crossings = zip(s, s.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
        XCTAssertEqual(crossings, 12)
        // Damping: the peaks one period (200 samples) apart shrink by e^(−2πζ).
        XCTAssertEqual(Double(s[200] / s[0]), exp(-2 * .pi * zeta), accuracy: 1e-3)
        XCTAssertEqual(Double(s[400] / s[200]), exp(-2 * .pi * zeta), accuracy: 1e-3)
    }

    func testAPokeFarAwayMovesNothingAndForcesAddLinearly() throws {
        let basis = try ModalBasis(spectrum: Self.spectrum(), fps: 30)
        let far = basis.excitations([Poke(x: 34, y: 12, dx: 8, dy: 3)])
        for t in [0.0, 0.1, 0.37] {
            XCTAssertLessThan(basis.displacement(at: t, excitations: far, damping: 0.05, threads: 1).maximumDisplacement, 1e-4,
                              "the right half never moved: a poke there moves nothing")
        }
        let once = Self.series(basis, [Poke(x: 10, y: 12, dx: 3, dy: 0)], damping: 0.1, x: 5, y: 5, seconds: 0.5, rate: 60)
        let twice = Self.series(basis, [Poke(x: 10, y: 12, dx: 6, dy: 0)], damping: 0.1, x: 5, y: 5, seconds: 0.5, rate: 60)
        for (a, b) in zip(once, twice) { XCTAssertEqual(b, 2 * a, accuracy: 1e-4) }
        let both = Self.series(basis, [Poke(x: 10, y: 12, dx: 3, dy: 0), Poke(x: 10, y: 12, dx: 3, dy: 0)], damping: 0.1, x: 5, y: 5,
                               seconds: 0.5, rate: 60)
        for (a, b) in zip(twice, both) { XCTAssertEqual(a, b, accuracy: 1e-4, "two pokes add") }
        // A spectrum with no motion, or no mode, is no basis.
        XCTAssertThrowsError(try ModalBasis(spectrum: MotionSpectrum(width: 4, height: 4, frequencies: 4, windowLength: 8,
                                                                     values: [Float](repeating: 0, count: 64)), fps: 30))
        XCTAssertThrowsError(try ModalBasis(spectrum: Self.spectrum(), fps: .nan))
    }

    func testStillOfAnotherShapeIsRefusedAndPokesOutsideToo() throws {
        let spectrum = try Self.spectrum()
        let still = try Frame(width: 64, height: 64, pixelFormat: .yuv420p, timeBase: Rational(1, 30))
        XCTAssertThrowsError(try Poker(settings: PokeSettings(), spectrum: spectrum, spectrumFPS: Rational(30, 1), still: still,
                                       names: ("still.png", "s.safetensors"))) { error in
            XCTAssertTrue("\(error)".contains("still.png is 64×64 but the spectrum s.safetensors is 40×24"), "\(error)")
        }
        let wide = try Frame(width: 80, height: 48, pixelFormat: .yuv420p, timeBase: Rational(1, 30))
        XCTAssertThrowsError(try Poker(settings: PokeSettings(), spectrum: spectrum, spectrumFPS: nil, still: wide)) { error in
            XCTAssertTrue("\(error)".contains("--spectrum-fps"), "\(error)")
        }
        var settings = PokeSettings()
        settings.duration = 0.2
        let poker = try Poker(settings: settings, spectrum: spectrum, spectrumFPS: Rational(30, 1), still: wide)
        XCTAssertThrowsError(try poker.prepare([Poke(x: 90, y: 10, dx: 1, dy: 0)]))
        var response = try poker.prepare([Poke(x: 20, y: 24, dx: 6, dy: 0)])
        XCTAssertEqual(response.count, 6)
        let frame = try response.frame(0)
        XCTAssertEqual([frame.width, frame.height], [80, 48])
        XCTAssertGreaterThan(response.largestDisplacement, 2, "the left half moves, in still pixels")
    }
}
