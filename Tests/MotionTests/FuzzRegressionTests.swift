import Foundation
import Flow
import Raster
import XCTest

/// Inputs the `flo` fuzz target (Tests/Fuzz) once crashed on, fed through the same path:
/// `FlowField.read(floPath:)`, then warping, composing and the occlusion check.
final class FlowFuzzRegressionTests: XCTestCase {
    /// Tests/Fuzz/regressions/flo
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/regressions/flo")

    /// Finding flo-1: a NaN vector in a .flo file reached `Int(NaN)` in the bilinear sampler
    /// and trapped in `warp`, `composed` and `occlusionMask`. A NaN position now samples the
    /// first column/row, so warping a finite image stays finite.
    func testNonFiniteFlowVectorsDoNotTrap() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".flo") }.sorted()
        XCTAssertFalse(files.isEmpty, "no regression inputs in \(Self.folder.path)")
        for file in files {
            let flow = try FlowField.read(floPath: Self.folder.appendingPathComponent(file).path)
            XCTAssertTrue(flow.u.data.contains { $0.isNaN } || flow.v.data.contains { $0.isNaN }, file)
            var image = Plane(width: flow.width, height: flow.height)
            for i in 0..<image.count { image.data[i] = Float(i + 1) / Float(image.count) }
            let warped = flow.warp(image, threads: 1)
            XCTAssertTrue(warped.data.allSatisfy(\.isFinite), "\(file): \(warped.data)")
            let composed = try flow.composed(after: flow, threads: 1)
            XCTAssertEqual(composed.width, flow.width, file)
            let mask = try flow.occlusionMask(backward: flow, threads: 1)
            XCTAssertTrue(mask.data.allSatisfy { $0 == 0 || $0 == 1 }, file)
        }
    }

    /// The sampler itself: NaN coordinates read the first column/row, ±inf clamp to the edges.
    func testBilinearSamplerClampsNonFiniteCoordinates() {
        let plane = Plane(width: 3, height: 2, data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(plane.bilinear(x: .nan, y: .nan), 1)
        XCTAssertEqual(plane.bilinear(x: .nan, y: 1), 4)
        XCTAssertEqual(plane.bilinear(x: .infinity, y: .nan), 3)
        XCTAssertEqual(plane.bilinear(x: -.infinity, y: .infinity), 4)
        XCTAssertEqual(plane.bilinear(x: 1.5, y: 0.5), 4)
    }
}
