import Foundation
import Flow
import Raster
import XCTest
@testable import WarpingNODE

/// Integrators, inverses, composition and fold measurement on fields with known answers.
final class IntegratorTests: XCTestCase {
    /// A rigid rotation generator about the grid centre: v(x) = ω·J(x − c), J = 90° rotation.
    static func rotationField(width: Int, height: Int, omega: Float) -> VelocityField {
        var u = Plane(width: width, height: height), v = Plane(width: width, height: height)
        let cx = Float(width - 1) / 2, cy = Float(height - 1) / 2
        for y in 0..<height {
            for x in 0..<width {
                u[x, y] = -omega * (Float(y) - cy)
                v[x, y] = omega * (Float(x) - cx)
            }
        }
        return try! VelocityField(u: u, v: v)
    }

    /// Mean distance from the exact rotation by `angle` over pixels within `radius` of the centre.
    static func rotationError(_ d: Deformation, angle: Float, radius: Float) -> Float {
        let cx = Float(d.width - 1) / 2, cy = Float(d.height - 1) / 2
        var total: Float = 0, n: Float = 0
        for y in 0..<d.height {
            for x in 0..<d.width {
                let rx = Float(x) - cx, ry = Float(y) - cy
                guard rx * rx + ry * ry <= radius * radius else { continue }
                let ex = cos(angle) * rx - sin(angle) * ry + cx, ey = sin(angle) * rx + cos(angle) * ry + cy
                let i = y * d.width + x
                let px = Float(x) + d.u.data[i], py = Float(y) + d.v.data[i]
                total += ((px - ex) * (px - ex) + (py - ey) * (py - ey)).squareRoot()
                n += 1
            }
        }
        return total / max(n, 1)
    }

    func testEveryIntegratorFollowsTheRotationArc() throws {
        let field = Self.rotationField(width: 96, height: 96, omega: 0.4)
        // Flowing for t = 1 rotates by 0.4 rad: a straight step would miss by r·(1 − cos) ≈ 3 px at r = 40.
        let straight = try field.deformation(time: 1, integrator: .euler(steps: 1))
        XCTAssertGreaterThan(Self.rotationError(straight, angle: 0.4, radius: 40), 1.5)
        for integrator in [Integrator.scalingAndSquaring(squarings: 6), .rk4(steps: 4), .euler(steps: 64)] {
            let d = try field.deformation(time: 1, integrator: integrator)
            XCTAssertLessThan(Self.rotationError(d, angle: 0.4, radius: 40), 0.35, "\(integrator)")
        }
    }

    func testBackwardTimeIsTheInverse() throws {
        // A smooth swirl plus translation, large enough that the inverse is not just a sign flip.
        var u = Plane(width: 64, height: 48), v = Plane(width: 64, height: 48)
        for y in 0..<48 {
            for x in 0..<64 {
                u[x, y] = 3 * sin(Float(y) / 9) + 1.5
                v[x, y] = 2 * cos(Float(x) / 11)
            }
        }
        let field = try VelocityField(u: u, v: v)
        for integrator in [Integrator.standard, .rk4(steps: 8)] {
            let forward = try field.deformation(time: 0.7, integrator: integrator)
            let backward = try field.deformation(time: -0.7, integrator: integrator)
            let roundTrip = try forward.composed(after: backward)
            // Away from the border (where clamping breaks invertibility), φ_t∘φ_{−t} ≈ identity.
            var worst: Float = 0
            for y in 8..<40 {
                for x in 8..<56 {
                    let i = y * 64 + x
                    worst = max(worst, (roundTrip.u.data[i] * roundTrip.u.data[i] + roundTrip.v.data[i] * roundTrip.v.data[i]).squareRoot())
                }
            }
            XCTAssertLessThan(worst, 0.08, "\(integrator)")
            XCTAssertGreaterThan(forward.maximumDisplacement, 2, "the test needs real motion")
        }
    }

    func testCheckerboardFoldIsCaughtWhereCentralDifferencesMissIt() throws {
        // Every other column swaps with its neighbour: x ↦ x + 1 for even x, x − 1 for odd x.
        let w = 16, h = 8
        var u = Plane(width: w, height: h)
        for y in 0..<h { for x in 0..<w { u[x, y] = x % 2 == 0 ? 1 : -1 } }
        let d = try Deformation(u: u, v: Plane(width: w, height: h))
        // Central difference in x: (u(x+1) − u(x−1))/2 = 0, so det = 1 everywhere: it sees nothing.
        var centralFolds = 0
        for y in 0..<h { for x in 1..<(w - 1) where 1 + (u[x + 1, y] - u[x - 1, y]) / 2 <= 0 { centralFolds += 1 } }
        XCTAssertEqual(centralFolds, 0)
        XCTAssertEqual(d.foldedFraction, 1, "every pixel sits on a fold in one of the one-sided schemes")
        XCTAssertEqual(Deformation(identityWidth: w, height: h).foldedFraction, 0)
    }

    func testSmoothFieldFlowIsFoldFreeAndOutOfGridIsMeasured() throws {
        let field = Self.rotationField(width: 64, height: 64, omega: 0.5)
        let d = try field.deformation(time: 1)
        XCTAssertEqual(d.foldedFraction, 0)
        // A rotation by 0.5 rad of a square sends its corners outside.
        XCTAssertGreaterThan(d.outOfGridFraction(), 0.05)
        XCTAssertEqual(Deformation(identityWidth: 8, height: 8).outOfGridFraction(), 0)
    }

    func testSymmetricInitialisationOfATranslationIsTheTranslation() throws {
        var forward = FlowField(width: 20, height: 10), backward = forward
        forward = try FlowField(u: Plane(width: 20, height: 10, value: 3), v: Plane(width: 20, height: 10, value: -1))
        backward = try FlowField(u: Plane(width: 20, height: 10, value: -3), v: Plane(width: 20, height: 10, value: 1))
        let v = try VelocityField(symmetricFrom: forward, backward: backward)
        XCTAssertEqual(v.u.data.max(), 3); XCTAssertEqual(v.u.data.min(), 3)
        XCTAssertEqual(v.v.data.max(), -1); XCTAssertEqual(v.v.data.min(), -1)
    }

    func testBadArgumentsThrow() throws {
        let field = VelocityField(zeroWidth: 8, height: 8)
        XCTAssertThrowsError(try field.deformation(time: .nan))
        XCTAssertThrowsError(try field.deformation(time: .infinity))
        XCTAssertThrowsError(try field.deformation(time: 1, integrator: .euler(steps: 0)))
        XCTAssertThrowsError(try field.deformation(time: 1, integrator: .scalingAndSquaring(squarings: 40)))
        XCTAssertThrowsError(try VelocityField(u: Plane(width: 2, height: 2, value: .nan), v: Plane(width: 2, height: 2)))
        XCTAssertThrowsError(try VelocityField(u: Plane(width: 2, height: 2), v: Plane(width: 3, height: 2)))
        XCTAssertThrowsError(try Deformation(identityWidth: 4, height: 4).composed(after: Deformation(identityWidth: 5, height: 4)))
    }
}
