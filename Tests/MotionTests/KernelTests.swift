import XCTest
import Raster
@testable import Flow

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
            let (dx, dy) = p.derivatives5(threads: 2), (rx, ry) = p.derivatives5Scalar()
            assertClose(dx, rx)
            assertClose(dy, ry)
        }
    }

    func testKernelsOnKnownInputs() {
        // A ramp 0.01·x + 0.02·y has gradient (0.01, 0.02) inside and a blur keeps it inside.
        var ramp = Plane(width: 40, height: 30)
        for y in 0..<30 { for x in 0..<40 { ramp[x, y] = 0.01 * Float(x) + 0.02 * Float(y) } }
        let (gx, gy) = ramp.gradients()
        XCTAssertEqual(gx[20, 15], 0.01, accuracy: 1e-6)
        XCTAssertEqual(gy[20, 15], 0.02, accuracy: 1e-6)
        let (dx, dy) = ramp.derivatives5()
        XCTAssertEqual(dx[20, 15], 0.01, accuracy: 1e-6)
        XCTAssertEqual(dy[20, 15], 0.02, accuracy: 1e-6)
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
                                                  i0: t0, gx: gxp, gy: gyp, width: w, height: h, size: size, meanNormalization: mean)
                    var kernel = PatchKernel(ctx)
                    defer { kernel.release() }
                    for (x, y, u, v) in [(3, 4, Float(1.3), Float(-2.7)), (0, 0, -30, -30), (w - size, h - size, 40, 9.5)] {
                        kernel.prepare(x: x, y: y)
                        let simd = kernel.evaluate(u: u, v: v), scalar = kernel.evaluateScalar(u: u, v: v)
                        XCTAssertEqual(simd.ssd, scalar.ssd, accuracy: 1e-3 * max(1, abs(scalar.ssd)))
                        XCTAssertEqual(simd.bx, scalar.bx, accuracy: 1e-3 * max(1, abs(scalar.bx)))
                        XCTAssertEqual(simd.by, scalar.by, accuracy: 1e-3 * max(1, abs(scalar.by)))
                        // The cost-only loop (its own 8×8 path) agrees with the scalar SSD too.
                        XCTAssertEqual(kernel.cost(u: u, v: v), scalar.ssd, accuracy: 1e-3 * max(1, abs(scalar.ssd)))
                    }
                } } } }
            }
        }
    }
}

final class RefinementKernelTests: XCTestCase {
    func testSIMDRefinementMatchesScalar() throws {
        for (w, h) in [(37, 29), (64, 16), (9, 8)] {
            let (i0, i1, truth) = makePair(width: w, height: h, forward: { ($0 + 1.2, $1 - 0.7) }, backward: { ($0 - 1.2, $1 + 0.7) })
            var start = truth
            for k in 0..<start.u.count { start.u.data[k] += 0.3 * Float(k % 5) - 0.6; start.v.data[k] -= 0.2 * Float(k % 3) }
            let a = i0.scaled(by: 255), b = i1.scaled(by: 255)
            var p = FlowEstimator.Parameters(preset: .medium)
            p.threads = 2
            let r = VariationalRefinement(i0: a, i1: b, parameters: p)
            let fast = r.refine(start), slow = r.refineScalar(start)
            XCTAssertLessThan(try fast.endPointError(to: slow), 1e-3, "\(w)×\(h)")
            // And refinement moves the perturbed flow towards the truth.
            XCTAssertLessThan(try fast.endPointError(to: truth), try start.endPointError(to: truth))
        }
    }
}

final class ResizeTests: XCTestCase {
    /// The resize kernels (blended rows, SIMD 2× path) against a direct per-pixel bilinear.
    func testResizeMatchesDirectBilinear() {
        var rng = SystemRandomNumberGenerator()
        for (w, h, nw, nh) in [(40, 23, 80, 46), (17, 9, 34, 18), (33, 20, 132, 80), (50, 30, 37, 61), (5, 4, 10, 8)] {
            let p = Plane(width: w, height: h, data: (0..<(w * h)).map { _ in Float.random(in: -3...3, using: &rng) })
            let r = p.resizedBilinear(width: nw, height: nh, valueScale: 2.5, threads: 2)
            var worst: Float = 0
            for y in 0..<nh {
                for x in 0..<nw {
                    let sx = (Float(x) + 0.5) * Float(w) / Float(nw) - 0.5, sy = (Float(y) + 0.5) * Float(h) / Float(nh) - 0.5
                    worst = max(worst, abs(r[x, y] - 2.5 * p.bilinear(x: sx, y: sy)))
                }
            }
            XCTAssertLessThan(worst, 1e-4, "\(w)×\(h) → \(nw)×\(nh)")
        }
    }
}

final class BandedRefinementTests: XCTestCase {
    /// Two bands solved independently (with their overlap) agree with one global solve.
    func testBandsAgreeWithSingleSolve() throws {
        let w = 256, h = 160
        let (i0, i1, truth) = makePair(width: w, height: h, forward: { ($0 + 2.2, $1 + 0.6) }, backward: { ($0 - 2.2, $1 - 0.6) })
        var start = truth
        for k in 0..<start.u.count { start.u.data[k] += 0.25 * Float((k / 7) % 5) - 0.5 }
        var p = FlowEstimator.Parameters(preset: .medium)
        p.threads = 1
        let single = VariationalRefinement(i0: i0.scaled(by: 255), i1: i1.scaled(by: 255), parameters: p).refine(start)
        p.threads = 2
        let banded = VariationalRefinement(i0: i0.scaled(by: 255), i1: i1.scaled(by: 255), parameters: p).refine(start)
        XCTAssertEqual(Parallel.workers(for: w * h, threads: 2, grain: 16_384), 2)
        XCTAssertLessThan(try banded.endPointError(to: single), 0.01)
        XCTAssertLessThan(try banded.endPointError(to: truth), try start.endPointError(to: truth))
    }
}
