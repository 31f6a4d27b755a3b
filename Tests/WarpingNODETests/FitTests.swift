import Foundation
import Flow
import Raster
import XCTest
@testable import WarpingNODE

/// The fit's gradient (through the integrator) against finite differences, and the fit itself.
final class FitTests: XCTestCase {
    /// A smooth textured image: sums of sines, values in [0, 1].
    static func texture(width: Int, height: Int, shiftX: Float = 0, shiftY: Float = 0) -> Plane {
        var p = Plane(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let fx = Float(x) - shiftX, fy = Float(y) - shiftY
                p[x, y] = 0.5 + 0.2 * sin(fx / 3.1 + 0.3 * fy / 2.3) + 0.15 * cos(fy / 4.3 - fx / 7.7) + 0.1 * sin((fx + fy) / 2.1)
            }
        }
        return p
    }

    func testGradientMatchesFiniteDifferences() throws {
        let w = 14, h = 12
        var p = FitParameters()
        p.squarings = 3
        p.smoothnessWeight = 0.01
        p.jacobianWeight = 0.5
        p.jacobianMargin = 0.9   // active somewhere, so its gradient is checked too
        p.outOfGridWeight = 0.01
        let i0 = Self.texture(width: w, height: h), i1 = Self.texture(width: w, height: h, shiftX: 1.3, shiftY: -0.6)
        var u = Plane(width: w, height: h), v = Plane(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                u[x, y] = 0.9 + 0.4 * sin(Float(x + 2 * y) / 3)
                v[x, y] = -0.4 + 0.5 * cos(Float(3 * x - y) / 4)
            }
        }
        let field = try VelocityField(u: u, v: v)
        let objective = FitObjective(first: i0, second: i1, parameters: p)
        let (_, gu, gv) = objective.evaluate(field)
        let step: Float = 2e-3
        var checked = 0
        for index in stride(from: 3, to: w * h, by: 7) {
            for component in 0..<2 {
                var up = u, vp = v, um = u, vm = v
                if component == 0 { up.data[index] += step; um.data[index] -= step } else { vp.data[index] += step; vm.data[index] -= step }
                let plus = objective.evaluate(try VelocityField(u: up, v: vp)).value
                let minus = objective.evaluate(try VelocityField(u: um, v: vm)).value
                let numeric = (plus - minus) / Double(2 * step)
                let analytic = Double(component == 0 ? gu[index] : gv[index])
                // Bilinear sampling is piecewise smooth: allow a small absolute slack for kinks.
                XCTAssertEqual(analytic, numeric, accuracy: 0.08 * abs(numeric) + 2e-4, "sample \(index) component \(component)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 40)
    }

    func testFitLowersTheObjectiveFromAWrongStart() throws {
        let w = 48, h = 40
        let i0 = Self.texture(width: w, height: h), i1 = Self.texture(width: w, height: h, shiftX: 2, shiftY: 1)
        // Start from half the true motion: the fit must move towards (2, 1).
        let start = try VelocityField(u: Plane(width: w, height: h, value: 1), v: Plane(width: w, height: h, value: 0.5))
        var p = FitParameters()
        p.iterations = 30
        p.learningRate = 0.1
        let (fitted, report) = try VelocityFitter(parameters: p).fit(start, first: i0, second: i1)
        XCTAssertLessThan(report.finalLoss, report.initialLoss * 0.6)
        let meanU = fitted.u.data.reduce(0, +) / Float(w * h), meanV = fitted.v.data.reduce(0, +) / Float(w * h)
        XCTAssertEqual(meanU, 2, accuracy: 0.4)
        XCTAssertEqual(meanV, 1, accuracy: 0.3)
        XCTAssertEqual(try fitted.deformation(time: 0.5).foldedFraction, 0)
    }

    func testZeroIterationsKeepsTheField() throws {
        let i0 = Self.texture(width: 16, height: 16)
        let start = try VelocityField(u: Plane(width: 16, height: 16, value: 0.3), v: Plane(width: 16, height: 16))
        var p = FitParameters()
        p.iterations = 0
        let (fitted, report) = try VelocityFitter(parameters: p).fit(start, first: i0, second: i0)
        XCTAssertEqual(fitted, start)
        XCTAssertEqual(report.steps, 0)
    }

    func testBadInputsThrow() {
        let a = Plane(width: 16, height: 16), b = Plane(width: 16, height: 12)
        let field = VelocityField(zeroWidth: 16, height: 16)
        XCTAssertThrowsError(try VelocityFitter().fit(field, first: a, second: b))
        XCTAssertThrowsError(try VelocityFitter().fit(field, first: a, second: Plane(width: 16, height: 16, value: .nan)))
        var p = FitParameters()
        p.learningRate = .nan
        XCTAssertThrowsError(try VelocityFitter(parameters: p).fit(field, first: a, second: a))
    }
}
