import Tensors
import Foundation
import Flow
import WarpFlowTestSupport
import XCTest
@testable import WarpFlowFilters
@testable import FrameRateJob
@testable import LoopJob

/// Spectrum files that `warpflow loop --from-spectrum` must refuse rather than render.
final class SpectrumFileTests: XCTestCase {
    /// A one-sample spectrum file of a `w × h` picture, K = 4, window 30, every value `value`.
    func spectrumFile(_ value: Float, width w: Int = 32, height h: Int = 24, window: String = "30") throws -> String {
        var writer = SafetensorsWriter(metadata: ["format": "warpflow-dataset", "version": "1", "window": window, "k": "4",
                                                  "width": "\(w)", "height": "\(h)", "samples": "1", "loop": "1"])
        try writer.add("frames", shape: [1, h, w, 3], uint8: [UInt8](repeating: 128, count: w * h * 3))
        try writer.add("spectra", shape: [1, 16, h, w], floats: [Float](repeating: value, count: 16 * w * h), as: .f32)
        let path = TestMedia.path("spectrum-\(UUID().uuidString.prefix(8)).safetensors")
        try writer.write(to: path)
        return path
    }

    func testOrdinaryValuesLoad() throws {
        // Σ over k = 1…3 of (|Re| + |Im|) = 6·0.5 = 3; times 4/30: a reach of 0.4 px.
        let motion = try LoopSpectrumFile.read(path: try spectrumFile(0.5), amplitude: 1).motion
        XCTAssertEqual(motion.spectrum.frequencies, 4)
        XCTAssertEqual(LoopSpectrumFile.largestDisplacement(motion.spectrum.values, frequencies: 4, planeSize: 32 * 24, window: 30),
                       0.4, accuracy: 1e-6)
    }

    func testHugeValuesAndBadWindowsAreRefusedWithTheFile() throws {
        for value: Float in [1e3, 1e20, 3.4e38, -1e30] {
            let path = try spectrumFile(value)
            XCTAssertThrowsError(try LoopSpectrumFile.read(path: path, amplitude: 1)) { error in
                XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("more than twice the 32×24 frame"), "\(value): \(error)")
            }
        }
        // Ordinary values with a large amplitude reach too far as well.
        XCTAssertThrowsError(try LoopSpectrumFile.read(path: try spectrumFile(0.5), amplitude: 1000))
        for window in ["1", "0", "-5", "99999999999"] {
            XCTAssertThrowsError(try LoopSpectrumFile.read(path: try spectrumFile(0.5, window: window), amplitude: 1), window)
        }
    }
}
