import Flow
import Raster
import XCTest

/// `DisplacementField`, the one displacement type: validated in `init`, and the flow, the warp
/// and the splatting field are all this value.
final class DisplacementFieldTests: XCTestCase {
    func testInitRefusesMismatchedOrNonFiniteComponents() {
        XCTAssertThrowsError(try DisplacementField(u: Plane(width: 4, height: 3), v: Plane(width: 3, height: 3))) { error in
            XCTAssertEqual(error as? RasterError, .sizeMismatch(what: "the displacement's v", expectedWidth: 4, expectedHeight: 3, width: 3, height: 3))
        }
        var bad = Plane(width: 4, height: 3)
        bad[2, 1] = .nan
        XCTAssertThrowsError(try DisplacementField(u: bad, v: Plane(width: 4, height: 3))) { error in
            XCTAssertEqual(error as? RasterError, .nonFinite(what: "the displacement"))
        }
        bad[2, 1] = .infinity
        XCTAssertThrowsError(try DisplacementField(u: Plane(width: 4, height: 3), v: bad))
        XCTAssertThrowsError(try SplatField(u: Plane(width: 4, height: 3), v: Plane(width: 4, height: 3), importance: Plane(width: 2, height: 3)))
        XCTAssertThrowsError(try FlowField(width: 4, height: 3).adding(FlowField(width: 4, height: 2)))
        XCTAssertThrowsError(try FlowField(width: 4, height: 3).adding(FlowField(width: 4, height: 3), times: .nan))
    }

    /// `next.composed(after: f)` is the flow f then next: c(p) = f(p) + next(p + f(p)).
    func testCompositionFollowsTheInnerMapFirst() throws {
        var fu = Plane(width: 8, height: 6), nu = Plane(width: 8, height: 6)
        for y in 0..<6 { for x in 0..<8 { fu[x, y] = 1; nu[x, y] = Float(x) * 0.5 } }
        let f = try FlowField(u: fu, v: Plane(width: 8, height: 6))
        let next = try FlowField(u: nu, v: Plane(width: 8, height: 6))
        let c = try next.composed(after: f, threads: 1)
        XCTAssertEqual(c[2, 3].u, 1 + 1.5, accuracy: 1e-6)   // f moves x=2 to 3, where next is 1.5
        XCTAssertEqual(c[2, 3].v, 0)
        XCTAssertEqual(try FlowField(width: 8, height: 6).composed(after: f), f, "zero after f is f")
        XCTAssertThrowsError(try next.composed(after: FlowField(width: 4, height: 6)))
    }

    /// One type for flows and splats: a flow resized for a chroma plane is the splat field's
    /// displacement resized the same way.
    func testResizingScalesEachComponentByItsRatio() throws {
        let f = try FlowField(u: Plane(width: 8, height: 6, value: 2), v: Plane(width: 8, height: 6, value: -3))
        let half = f.resized(width: 4, height: 2)
        XCTAssertEqual(half[1, 1].u, 1, accuracy: 1e-6)
        XCTAssertEqual(half[1, 1].v, -1, accuracy: 1e-6)
        let splat = try SplatField(displacement: f).resized(width: 4, height: 2)
        XCTAssertEqual(splat.displacement, half)
        XCTAssertEqual(FlowField(width: 0, height: 0).resized(width: 3, height: 2), FlowField(width: 3, height: 2))
    }
}

extension FlowField {
    /// A field holding `u` and `v` as they are, non-finite values included (what a `.flo`
    /// file's damaged vectors or a kernel's lost tracks give), for tests of the kernels that must
    /// cope with them; `init(u:v:)` refuses such values.
    static func holding(u: Plane, v: Plane) -> FlowField {
        var field = FlowField(width: u.width, height: u.height)
        field.u = u
        field.v = v
        return field
    }
}
