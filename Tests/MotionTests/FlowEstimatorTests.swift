import XCTest
import Raster
@testable import Flow

/// Synthetic global motions with exact flow; EPE measured at least `margin` pixels from borders.
final class FlowEstimatorTests: XCTestCase {
    let width = 160, height = 120, margin = 12

    func check(_ name: String, preset: FlowEstimator.Preset = .medium, limit: Double = 0.1,
               forward: @escaping (Float, Float) -> (Float, Float), backward: @escaping (Float, Float) -> (Float, Float)) throws {
        let (i0, i1, truth) = makePair(width: width, height: height, forward: forward, backward: backward)
        let flow = try FlowEstimator(preset: preset).flow(from: i0, to: i1)
        XCTAssertEqual(flow.width, width)
        XCTAssertEqual(flow.height, height)
        let epe = try flow.endPointError(to: truth, mask: interiorMask(width: width, height: height, margin: margin))
        XCTAssertLessThan(epe, limit, "\(name) (\(preset)) mean EPE \(epe) px")
    }

    func testTranslation() throws {
        try check("translation", forward: { ($0 + 3.5, $1 - 1.25) }, backward: { ($0 - 3.5, $1 + 1.25) })
    }

    func testRotation() throws {
        let a: Float = 2 * .pi / 180, cx = Float(width) / 2, cy = Float(height) / 2
        let c = cos(a), s = sin(a)
        try check("rotation 2°", forward: { x, y in (cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy)) },
                  backward: { x, y in (cx + c * (x - cx) + s * (y - cy), cy - s * (x - cx) + c * (y - cy)) })
    }

    func testZoom() throws {
        let z: Float = 1.03, cx = Float(width) / 2, cy = Float(height) / 2
        try check("zoom 1.03", forward: { x, y in (cx + z * (x - cx), cy + z * (y - cy)) },
                  backward: { x, y in (cx + (x - cx) / z, cy + (y - cy) / z) })
    }

    func testLargeTranslationAllPresets() throws {
        // 30 px at 320×240 is about 10% of the width, like 120 px at 1280×720.
        let (i0, i1, truth) = makePair(width: 320, height: 240, forward: { ($0 + 30, $1 - 12.5) }, backward: { ($0 - 30, $1 + 12.5) })
        let mask = interiorMask(width: 320, height: 240, margin: 40)
        for preset in FlowEstimator.Preset.allCases {
            let epe = try FlowEstimator(preset: preset).flow(from: i0, to: i1).endPointError(to: truth, mask: mask)
            XCTAssertLessThan(epe, preset == .ultrafast ? 0.5 : 0.2, "translation (30, −12.5) px, \(preset): EPE \(epe)")
        }
    }

    func testBrightnessChangeTranslation() throws {
        let (i0, i1, truth) = makePair(width: width, height: height, forward: { ($0 + 2.25, $1 + 1.5) }, backward: { ($0 - 2.25, $1 - 1.5) })
        let brighter = Plane(width: width, height: height, data: i1.data.map { min(1, $0 * 0.9 + 0.08) })
        let flow = try FlowEstimator(preset: .medium).flow(from: i0, to: brighter)
        let epe = try flow.endPointError(to: truth, mask: interiorMask(width: width, height: height, margin: margin))
        XCTAssertLessThan(epe, 0.25, "brightness change: EPE \(epe)")
    }

    func testThreadCountDoesNotChangeResult() throws {
        // Large enough that the finest level (full resolution for `high`) is really split
        // between two workers: at 96×64 every loop ran on one thread whatever was asked.
        let w = 384, h = 224
        XCTAssertEqual(Parallel.workers(for: w * h, threads: 2), 2, "the test size must split the work")
        let (i0, i1, truth) = makePair(width: w, height: h, forward: { ($0 + 1.5, $1 - 0.75) }, backward: { ($0 - 1.5, $1 + 0.75) })
        let one = try FlowEstimator(preset: .high, threads: 1).flow(from: i0, to: i1)
        let two = try FlowEstimator(preset: .high, threads: 2).flow(from: i0, to: i1)
        // Patch rows are split into bands per worker, so propagation differs slightly at band edges.
        XCTAssertLessThan(try one.endPointError(to: two), 0.05)
        let mask = interiorMask(width: w, height: h, margin: margin)
        XCTAssertLessThan(try two.endPointError(to: truth, mask: mask), 0.15, "two threads must still find the motion")
    }
}
