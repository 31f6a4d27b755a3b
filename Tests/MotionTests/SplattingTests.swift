import Foundation
import XCTest
@testable import Raster

/// Forward warping by softmax splatting (`Plane.splat`): known answers for both the optimised
/// kernel and the scalar reference, the two against each other on hostile fields, hole filling,
/// thread independence and input checks.
final class SplattingTests: XCTestCase {
    typealias Splatter = ([Plane], Plane, Plane, Plane?, SplatMode, Bool) throws -> SplatResult

    /// The optimised kernel (2 threads) and the scalar reference, to run known-answer tests on both.
    let splatters: [(String, Splatter)] = [
        ("fast", { try Plane.splat($0, u: $1, v: $2, importance: $3, mode: $4, fillHoles: $5, threads: 2) }),
        ("scalar", { try Plane.splatScalar($0, u: $1, v: $2, importance: $3, mode: $4, fillHoles: $5) }),
    ]

    func randomPlane(_ w: Int, _ h: Int, in range: ClosedRange<Float> = 0...1) -> Plane {
        var rng = SystemRandomNumberGenerator()
        return Plane(width: w, height: h, data: (0..<(w * h)).map { _ in Float.random(in: range, using: &rng) })
    }

    func testIntegerTranslationShiftsAndLeavesTheUncoveredStrip() throws {
        let w = 40, h = 30, dx = 3, dy = -2
        let image = [randomPlane(w, h), randomPlane(w, h), randomPlane(w, h)]
        let u = Plane(width: w, height: h, value: Float(dx)), v = Plane(width: w, height: h, value: Float(dy))
        for (name, splat) in splatters {
            let r = try splat(image, u, v, nil, .average, false)
            var holes = 0
            for y in 0..<h {
                for x in 0..<w {
                    let sx = x - dx, sy = y - dy
                    if sx >= 0, sx < w, sy >= 0, sy < h {
                        XCTAssertEqual(r.weight[x, y], 1, accuracy: 1e-6, name)
                        for k in 0..<3 { XCTAssertEqual(r.planes[k][x, y], image[k][sx, sy], accuracy: 1e-6, name) }
                    } else {
                        holes += 1
                        XCTAssertEqual(r.weight[x, y], 0, name)
                        XCTAssertEqual(r.holeMask[x, y], 1, name)
                        XCTAssertEqual(r.planes[0][x, y], 0, name)
                    }
                }
            }
            // The strip: 3 columns on the left and 2 rows at the bottom.
            XCTAssertEqual(holes, 3 * h + 2 * w - 3 * 2, name)
            XCTAssertEqual(r.holeCount, holes, name)
        }
    }

    func testSubPixelTranslationIsBilinearInterpolationOfTheSource() throws {
        let w = 33, h = 20, dx: Float = 2.25, dy: Float = 0.5
        let image = randomPlane(w, h)
        let u = Plane(width: w, height: h, value: dx), v = Plane(width: w, height: h, value: dy)
        for (name, splat) in splatters {
            let r = try splat([image], u, v, nil, .average, false)
            // Columns 0 and 1 receive nothing; column 2 gets ¾ of source column 0.
            XCTAssertEqual(r.holeCount, 2 * h, name)
            for y in 0..<h { XCTAssertEqual(r.weight[0, y], 0, name); XCTAssertEqual(r.weight[1, y], 0, name) }
            XCTAssertEqual(r.weight[2, 5], 0.75, accuracy: 1e-6, name)
            XCTAssertEqual(r.weight[10, 0], 0.5, accuracy: 1e-6, name)
            // Inside, each target is the source read bilinearly at target − displacement.
            for y in 1..<h {
                for x in 3..<w {
                    XCTAssertEqual(r.weight[x, y], 1, accuracy: 1e-5, name)
                    XCTAssertEqual(r.planes[0][x, y], image.bilinear(x: Float(x) - dx, y: Float(y) - dy), accuracy: 1e-5, name)
                }
            }
        }
    }

    /// A block of value 0.9 and importance 5 moves 4 px right over a still background of 0.2 and
    /// importance 0.
    func layers() -> (image: Plane, u: Plane, v: Plane, z: Plane) {
        let w = 24, h = 16
        var image = Plane(width: w, height: h, value: 0.2), u = Plane(width: w, height: h)
        var z = Plane(width: w, height: h)
        for y in 4..<10 { for x in 6..<12 { image[x, y] = 0.9; u[x, y] = 4; z[x, y] = 5 } }
        return (image, u, Plane(width: w, height: h), z)
    }

    func testSoftmaxLetsTheMoreImportantLayerWin() throws {
        let (image, u, v, z) = layers()
        for (name, splat) in splatters {
            let soft = try splat([image], u, v, z, .softmax(alpha: 10), false)
            let average = try splat([image], u, v, z, .average, false)
            let zeroAlpha = try splat([image], u, v, z, .softmax(alpha: 0), false)
            let inverse = try splat([image], u, v, z, .softmax(alpha: -10), false)
            // Where both layers land (block moved onto background): columns 12…15 of rows 4…9.
            for y in 4..<10 {
                for x in 12..<16 {
                    XCTAssertEqual(soft.planes[0][x, y], 0.9, accuracy: 1e-5, "\(name) \(x),\(y)")
                    XCTAssertEqual(average.planes[0][x, y], 0.55, accuracy: 1e-6, name)
                    XCTAssertEqual(inverse.planes[0][x, y], 0.2, accuracy: 1e-5, name)
                    XCTAssertEqual(soft.weight[x, y], 2, accuracy: 1e-6, name)
                }
                // Columns 10 and 11 get only the block (their own pixels moved on).
                for x in 10..<12 {
                    XCTAssertEqual(inverse.planes[0][x, y], 0.9, accuracy: 1e-5, name)
                    XCTAssertEqual(average.weight[x, y], 1, accuracy: 1e-6, name)
                }
                // Columns 6…9 are uncovered once the block has left.
                for x in 6..<10 { XCTAssertEqual(soft.weight[x, y], 0, name) }
            }
            XCTAssertEqual(soft.holeCount, 6 * 4, name)
            // α = 0 is the average.
            for (a, b) in zip(zeroAlpha.planes[0].data, average.planes[0].data) { XCTAssertEqual(a, b, accuracy: 1e-6, name) }
            XCTAssertEqual(zeroAlpha.weight, average.weight, name)
        }
    }

    func testHoleFillingLeavesNoHoleAndKeepsAConstant() throws {
        let w = 30, h = 22
        let image = Plane(width: w, height: h, value: 0.7)
        var u = Plane(width: w, height: h)
        // A 6×5 block leaves the frame; its place becomes a hole nothing lands in.
        for y in 8..<13 { for x in 10..<16 { u[x, y] = 1000 } }
        for (name, splat) in splatters {
            let open = try splat([image], u, Plane(width: w, height: h), nil, .average, false)
            XCTAssertEqual(open.holeCount, 30, name)
            XCTAssertEqual(open.planes[0][12, 10], 0, name)
            let filled = try splat([image], u, Plane(width: w, height: h), nil, .average, true)
            XCTAssertEqual(filled.holeCount, 30, name)
            XCTAssertEqual(filled.weight, open.weight, name)
            for value in filled.planes[0].data { XCTAssertEqual(value, 0.7, accuracy: 1e-5, name) }
        }
    }

    func testFillingUsesTheNearbyValidValues() throws {
        let w = 32, h = 24
        // Left half 0.1, right half 0.9, with a 4×4 hole in each half away from the boundary.
        var image = Plane(width: w, height: h), weight = Plane(width: w, height: h, value: 1)
        for y in 0..<h { for x in 0..<w { image[x, y] = x < 16 ? 0.1 : 0.9 } }
        for y in 10..<14 { for x in 4..<8 { weight[x, y] = 0; image[x, y] = .nan } }
        for y in 10..<14 { for x in 24..<28 { weight[x, y] = 0; image[x, y] = 123 } }
        let filled = try Plane.fillingHoles([image], weight: weight, threads: 2)[0]
        XCTAssertEqual(try Plane.fillingHoles([image], weight: weight, threads: 1)[0], filled)
        for y in 0..<h {
            for x in 0..<w {
                if weight[x, y] > 0 { XCTAssertEqual(filled[x, y], image[x, y]) }  // valid pixels untouched
                XCTAssertTrue(filled[x, y].isFinite)
                XCTAssertGreaterThanOrEqual(filled[x, y], 0.1 - 1e-6)           // convex combinations
                XCTAssertLessThanOrEqual(filled[x, y], 0.9 + 1e-6)
            }
        }
        for y in 10..<14 {
            for x in 4..<8 { XCTAssertLessThan(filled[x, y], 0.2) }
            for x in 24..<28 { XCTAssertGreaterThan(filled[x, y], 0.8) }
        }
        // Nothing valid at all: zeros, not NaN.
        let none = try Plane.fillingHoles([image], weight: Plane(width: w, height: h))[0]
        XCTAssertEqual(none, Plane(width: w, height: h))
    }

    /// Fields mixing small, large and non-finite displacements and importances.
    func hostileField(_ w: Int, _ h: Int, large: Bool) -> (u: Plane, v: Plane, z: Plane) {
        let spread: Float = large ? 60 : 3
        var u = randomPlane(w, h, in: -spread...spread), v = randomPlane(w, h, in: -spread...spread)
        var z = randomPlane(w, h, in: 0...4)
        let specials: [Float] = [.nan, .infinity, -.infinity, 1e30, -1e30, 1e9]
        for i in 0..<(w * h) where i % 7 == 3 {
            u.data[i] = specials[i % specials.count]
            v.data[(i * 5) % (w * h)] = specials[(i / 7) % specials.count]
            z.data[(i * 3) % (w * h)] = specials[(i / 3) % specials.count]
        }
        return (u, v, z)
    }

    func assertClose(_ a: SplatResult, _ b: SplatResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.holeCount, b.holeCount, what, file: file, line: line)
        XCTAssertEqual(a.planes.count, b.planes.count, what, file: file, line: line)
        let weightError = zip(a.weight.data, b.weight.data).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(weightError, 1e-6, what, file: file, line: line)
        for (p, q) in zip(a.planes, b.planes) {
            XCTAssertTrue(p.allFinite && q.allFinite, what, file: file, line: line)
            let error = zip(p.data, q.data).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(error, 1e-5, what, file: file, line: line)
        }
    }

    func testFastKernelMatchesScalarReferenceOnHostileFields() throws {
        let modes = [SplatMode.average, .softmax(alpha: 1), .softmax(alpha: 40), .softmax(alpha: -3), .softmax(alpha: 0)]
        // Small sizes for every mode; 160×104 is cut into two target bands; 1, 2, 3, 7 and 15
        // channels use each accumulator width (SIMD4, 8, 16 and two groups).
        let cases = [(37, 21, 2), (64, 9, 1), (5, 5, 3), (1, 1, 2), (17, 2, 7), (3, 40, 15), (100, 50, 3)].map { ($0, $1, $2, modes) }
            + [(160, 104, 3, [SplatMode.average, .softmax(alpha: 40)])]
        for (w, h, channels, modes) in cases {
            for large in [false, true] {
                let (u, v, z) = hostileField(w, h, large: large)
                let image = (0..<channels).map { k in randomPlane(w, h, in: k % 2 == 0 ? 0...1 : -5...5) }
                for mode in modes {
                    for fill in [false, true] {
                        let what = "\(w)×\(h)×\(channels) large \(large) \(mode) fill \(fill)"
                        let fast = try Plane.splat(image, u: u, v: v, importance: z, mode: mode, fillHoles: fill, threads: 2)
                        let scalar = try Plane.splatScalar(image, u: u, v: v, importance: z, mode: mode, fillHoles: fill)
                        assertClose(fast, scalar, what)
                    }
                }
            }
        }
    }

    func testResultDoesNotDependOnTheThreadCount() throws {
        for (w, h) in [(240, 160), (64, 9)] {
            let (u, v, z) = hostileField(w, h, large: false)
            let image = [randomPlane(w, h), randomPlane(w, h), randomPlane(w, h)]
            let one = try Plane.splat(image, u: u, v: v, importance: z, mode: .softmax(alpha: 2), threads: 1)
            for threads in [2, 3, 7] {
                XCTAssertEqual(try Plane.splat(image, u: u, v: v, importance: z, mode: .softmax(alpha: 2), threads: threads), one)
            }
        }
    }

    func testNothingLandsGivesAllHolesAndZeros() throws {
        let w = 12, h = 9
        let image = randomPlane(w, h)
        for (u, v) in [(Plane(width: w, height: h, value: .nan), Plane(width: w, height: h)),
                       (Plane(width: w, height: h, value: 1e30), Plane(width: w, height: h, value: -1e30))] {
            for (name, splat) in splatters {
                let r = try splat([image], u, v, nil, .average, true)
                XCTAssertEqual(r.holeCount, w * h, name)
                XCTAssertEqual(r.planes[0], Plane(width: w, height: h), name)
            }
        }
        // u = −1 everywhere: column 0 lands exactly on x = −1 (skipped), the rest shifts left.
        let r = try Plane.splat([image], u: Plane(width: w, height: h, value: -1), v: Plane(width: w, height: h), fillHoles: false)
        XCTAssertEqual(r.holeCount, h)
        XCTAssertEqual(r.planes[0][0, 3], image[1, 3], accuracy: 1e-6)
    }

    func testChromaPlaneWithAResizedLumaField() throws {
        let w = 32, h = 24
        let field = try SplatField(u: Plane(width: w, height: h, value: 4), v: Plane(width: w, height: h, value: 2),
                                   importance: Plane(width: w, height: h, value: 3))
        let chromaField = try field.resized(width: w / 2, height: h / 2)
        XCTAssertEqual(chromaField.u[5, 5], 2, accuracy: 1e-6)
        XCTAssertEqual(chromaField.v[5, 5], 1, accuracy: 1e-6)
        XCTAssertEqual(chromaField.importance?[5, 5] ?? 0, 3, accuracy: 1e-6)
        let chroma = randomPlane(w / 2, h / 2)
        let r = try Plane.splat([chroma], field: chromaField, mode: .softmax(alpha: 1), fillHoles: false)
        XCTAssertEqual(r.holeCount, 2 * (h / 2) + (w / 2) - 2)
        XCTAssertEqual(r.planes[0][7, 6], chroma[5, 5], accuracy: 1e-6)
        // The luma-size field does not fit the chroma plane.
        XCTAssertThrowsError(try Plane.splat([chroma], field: field))
    }

    func testBadInputsThrow() throws {
        let p = Plane(width: 8, height: 6), small = Plane(width: 4, height: 3)
        let cases: [(() throws -> SplatResult, RasterError)] = [
            ({ try Plane.splat([p], u: p, v: small) },
             .sizeMismatch(what: "the splat displacement v", expectedWidth: 8, expectedHeight: 6, width: 4, height: 3)),
            ({ try Plane.splat([p, small], u: p, v: p) },
             .sizeMismatch(what: "splatted plane 1", expectedWidth: 8, expectedHeight: 6, width: 4, height: 3)),
            ({ try Plane.splatScalar([p], u: p, v: p, importance: small, mode: .softmax(alpha: 1)) },
             .sizeMismatch(what: "the splat importance", expectedWidth: 8, expectedHeight: 6, width: 4, height: 3)),
            ({ try Plane.splat([p], u: p, v: p, mode: .softmax(alpha: 1)) },
             .invalidParameter(name: "importance", value: "nil", expected: "an importance plane for softmax splatting")),
            ({ try Plane.splat([p], u: p, v: p, importance: p, mode: .softmax(alpha: .nan)) },
             .invalidParameter(name: "softmax alpha", value: "nan", expected: "a finite number")),
            ({ try Plane.splat([p], u: p, v: p, holeThreshold: 0) },
             .invalidParameter(name: "holeThreshold", value: "0.0", expected: "a finite value ≥ 1e-8")),
        ]
        for (call, expected) in cases {
            XCTAssertThrowsError(try call()) { error in
                XCTAssertEqual(error as? RasterError, expected)
                XCTAssertFalse(String(describing: error).isEmpty)
            }
        }
        XCTAssertThrowsError(try Plane.fillingHoles([p], weight: small))
        XCTAssertThrowsError(try SplatField(u: p, v: small))
        XCTAssertThrowsError(try SplatField(u: p, v: p).resized(width: 0, height: 3))
        // Empty planes and no planes at all are fine.
        let empty = Plane(width: 0, height: 0)
        XCTAssertEqual(try Plane.splat([empty], u: empty, v: empty).planes, [empty])
        XCTAssertEqual(try Plane.splat([], u: p, v: p).weight, Plane(width: 8, height: 6, value: 1))
    }

    func testVectorExponentialMatchesFoundation() {
        var x: Float = SplatKernels.exponentFloor
        while x <= 0 {
            let xs = SIMD8<Float>(repeating: x) + SIMD8(0, -1e-3, -0.1, -0.25, -0.3466, -0.35, -0.5, -0.69)
            let e = SplatKernels.exp8(xs)
            for lane in 0..<8 {
                let clamped = max(xs[lane], SplatKernels.exponentFloor)
                let reference = Float(Foundation.exp(Double(clamped)))
                XCTAssertEqual(e[lane], reference, accuracy: 4e-7 * reference, "x = \(xs[lane])")
            }
            x += 0.0371
        }
        XCTAssertEqual(SplatKernels.exp1(0), 1)
        XCTAssertEqual(SplatKernels.exp1(5), 1)  // clamped to 0
        XCTAssertEqual(SplatKernels.exp1(-.infinity), Float(Foundation.exp(-50.0)), accuracy: 1e-28)
    }
}
