import XCTest
import Raster
@testable import Motion

/// SIMD kernels against their scalar references, on sizes that exercise the vector body and tails.
final class KernelTests: XCTestCase {
    func randomPlane(_ w: Int, _ h: Int) -> Plane {
        var rng = SystemRandomNumberGenerator()
        return Plane(width: w, height: h, data: (0..<(w * h)).map { _ in Float.random(in: 0...1, using: &rng) })
    }

    func assertClose(_ a: Plane, _ b: Plane, _ tolerance: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.width, b.width, file: file, line: line)
        XCTAssertEqual(a.height, b.height, file: file, line: line)
        let worst = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, tolerance, file: file, line: line)
    }

    func testBlurDownsampleGradientsMatchScalar() {
        for (w, h) in [(37, 21), (64, 9), (5, 5), (17, 2), (1, 1)] {
            let p = randomPlane(w, h)
            assertClose(p.blurred(sigma: 1.2, threads: 2), p.blurredScalar(sigma: 1.2))
            assertClose(p.downsampled2x(threads: 2), p.downsampled2xScalar())
            let (gx, gy) = p.gradients(threads: 2), (sx, sy) = p.gradientsScalar()
            assertClose(gx, sx)
            assertClose(gy, sy)
        }
    }

    func testKernelsOnKnownInputs() {
        // A ramp 0.01·x + 0.02·y has gradient (0.01, 0.02) inside and a blur keeps it inside.
        var ramp = Plane(width: 40, height: 30)
        for y in 0..<30 { for x in 0..<40 { ramp[x, y] = 0.01 * Float(x) + 0.02 * Float(y) } }
        let (gx, gy) = ramp.gradients()
        XCTAssertEqual(gx[20, 15], 0.01, accuracy: 1e-6)
        XCTAssertEqual(gy[20, 15], 0.02, accuracy: 1e-6)
        XCTAssertEqual(ramp.blurred(sigma: 1)[20, 15], ramp[20, 15], accuracy: 1e-5)
        let half = ramp.downsampled2x()
        XCTAssertEqual(half.width, 20)
        XCTAssertEqual(half[3, 4], 0.25 * (ramp[6, 8] + ramp[7, 8] + ramp[6, 9] + ramp[7, 9]), accuracy: 1e-6)
        XCTAssertEqual(ramp.bilinear(x: 3.25, y: 2.5), 0.01 * 3.25 + 0.02 * 2.5, accuracy: 1e-6)
    }

    func testPatchKernelMatchesScalarReference() {
        let w = 48, h = 40
        let i0 = randomPlane(w, h).scaled(by: 255), i1 = randomPlane(w, h).scaled(by: 255)
        let (gx, gy) = i0.gradients()
        for size in [8, 12, 5] {
            for mean in [true, false] {
                var p = FlowEstimator.Parameters(preset: .fast)
                p.patchSize = size
                p.meanNormalization = mean
                let search = PatchSearch(i0: i0, i1: i1, gx: gx, gy: gy, parameters: p)
                let padded = search.paddedSecond()
                padded.withSamples { i1p in i0.withSamples { t0 in gx.withSamples { gxp in gy.withSamples { gyp in
                    let ctx = PatchKernel.Context(i1p: i1p, paddedWidth: padded.width, paddedHeight: padded.height, border: search.border,
                                                  i0: t0, gx: gxp, gy: gyp, width: w, size: size, meanNormalization: mean)
                    var kernel = PatchKernel(ctx)
                    defer { kernel.release() }
                    for (x, y, u, v) in [(3, 4, Float(1.3), Float(-2.7)), (0, 0, -30, -30), (w - size, h - size, 40, 9.5)] {
                        kernel.prepare(x: x, y: y)
                        let simd = kernel.evaluate(u: u, v: v), scalar = kernel.evaluateScalar(u: u, v: v)
                        XCTAssertEqual(simd.ssd, scalar.ssd, accuracy: 1e-3 * max(1, abs(scalar.ssd)))
                        XCTAssertEqual(simd.bx, scalar.bx, accuracy: 1e-3 * max(1, abs(scalar.bx)))
                        XCTAssertEqual(simd.by, scalar.by, accuracy: 1e-3 * max(1, abs(scalar.by)))
                    }
                } } } }
            }
        }
    }
}
