import Flow
import Raster
@testable import WarpingNODE
import XCTest

/// `VelocityField.logarithmCorrected`: the symmetric start of a rotation turns by sin θ; the
/// corrected field's flow for time 1 is the rotation itself.
final class FieldLogarithmTests: XCTestCase {
    /// The displacement of a rotation by `degrees` about the grid's centre.
    static func rotation(_ degrees: Double, size: Int) -> FlowField {
        var f = FlowField(width: size, height: size)
        let c = Double(size - 1) / 2, a = degrees * .pi / 180
        for y in 0..<size {
            for x in 0..<size {
                let dx = Double(x) - c, dy = Double(y) - c
                f.u.data[y * size + x] = Float(c + cos(a) * dx - sin(a) * dy - Double(x))
                f.v.data[y * size + x] = Float(c + sin(a) * dx + cos(a) * dy - Double(y))
            }
        }
        return f
    }

    /// Mean end-point error of the field's time-1 flow against `truth`, inside the central disc.
    static func miss(_ field: VelocityField, _ truth: FlowField) throws -> Double {
        let n = truth.width
        var mask = Plane(width: n, height: n)
        let c = Float(n - 1) / 2
        for y in 0..<n { for x in 0..<n where (Float(x) - c) * (Float(x) - c) + (Float(y) - c) * (Float(y) - c) < 0.16 * Float(n * n) {
            mask[x, y] = 1
        } }
        return try field.deformation(time: 1, threads: 1).endPointError(to: truth, mask: mask)
    }

    func testARotationIsFollowedAlongItsArc() throws {
        let size = 64
        let forward = Self.rotation(40, size: size), backward = Self.rotation(-40, size: size)
        let start = try VelocityField(symmetricFrom: forward, backward: backward)
        let corrected = try start.logarithmCorrected(forward: forward, backward: backward, hidden: nil, iterations: 6, threads: 1)
        let before = try Self.miss(start, forward), after = try Self.miss(corrected, forward)
        XCTAssertGreaterThan(before, 0.5, "the chord's field turns by sin θ, short of θ")
        XCTAssertLessThan(after, 0.25 * before, "corrected: \(after) px vs \(before) px")
        XCTAssertEqual(try start.logarithmCorrected(forward: forward, backward: backward, hidden: nil, iterations: 0), start)
        XCTAssertThrowsError(try start.logarithmCorrected(forward: FlowField(width: 8, height: 8), backward: backward, hidden: nil, iterations: 1))
    }
}
