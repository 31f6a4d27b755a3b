import Foundation
import Flow
import Raster
import LoopJob
import XCTest

/// `LoopDynamism` (one-off motion held still) and `TearGuard` on fields made in closed form.
final class LoopDynamismTests: XCTestCase {
    /// 24 trajectories of a 40×30 field: `f(x, y, t)` pixels along x.
    static func fields(_ f: (Int, Int, Int) -> Float) throws -> [FlowField] {
        try (1...24).map { t in
            var u = Plane(width: 40, height: 30)
            for y in 0..<30 { for x in 0..<40 { u.data[y * 40 + x] = f(x, y, t) } }
            return try FlowField(u: u, v: Plane(width: 40, height: 30))
        }
    }

    /// Left half sways ±3 px (a sinusoid, back to its start); a block on the right walks away
    /// 1.5 px per frame: only the block is one-off, grown by 2 px.
    func testOneOffMotionIsFoundAndOscillationIsNot() throws {
        let fields = try Self.fields { x, y, t in
            if x < 20 { return 3 * sin(2 * Float.pi * Float(t) / 24) }
            return (26..<34).contains(x) && (10..<20).contains(y) ? 1.5 * Float(t) : 0
        }
        let mask = LoopDynamism.oneOffMask(fields, reach: 8, grow: 2)
        XCTAssertEqual(mask[30, 15], 1, "the walking block is held")
        XCTAssertEqual(mask[24, 15], 1, "grown by 2 px")
        XCTAssertEqual(mask[22, 15], 0)
        XCTAssertEqual(mask[5, 15], 0, "the sway loops")
        // A brief excursion (a thing passing through) is one-off too, however it ends.
        let blip = try Self.fields { _, _, t in (10...12).contains(t) ? 20 : 0 }
        XCTAssertEqual(LoopDynamism.oneOffMask(blip, reach: 8, grow: 0)[3, 3], 1)
        // Held pixels do not move; the feather ramps up to full motion.
        let factors = LoopDynamism.motionFactors(holding: mask, feather: 3)
        let held = LoopDynamism.scaled(fields, by: factors)
        XCTAssertEqual(held[23].u[30, 15], 0)
        XCTAssertEqual(held[5].u[5, 15], fields[5].u[5, 15])
        XCTAssertEqual(factors[22, 15], 0, "held next to the block")
        XCTAssertTrue(factors[19, 15] > 0 && factors[19, 15] < 1, "a ramp at the border: \(factors[19, 15])")
        XCTAssertEqual(factors[15, 15], 1, "full motion beyond the feather")
    }

    /// A spectrum whose displacement folds the picture: neighbouring columns swing in opposite
    /// directions by 3 px (a zigzag, 6 px per pixel apart). The guard finds it and limits it;
    /// a rigid block moving over a still background (a step, not a stretch) is left alone.
    func testTearGuardLimitsAFoldAndLeavesARigidMoveAlone() throws {
        let zigzag = try Self.fields { x, y, t in
            (10..<20).contains(x) && (5..<25).contains(y) ? (x % 2 == 0 ? 3 : -3) * sin(2 * Float.pi * Float(t) / 24) : 0
        }
        let folding = try LoopMotion(trajectories: zigzag, frequencies: 4)
        XCTAssertGreaterThan(Self.largestDeformation(folding), 1, "the zigzag folds (neighbours cross)")
        let factors = TearGuard.factors(folding, limit: 0.7)
        XCTAssertLessThan(factors[15, 15], 0.5)
        XCTAssertEqual(factors[35, 15], 1, accuracy: 1e-6, "still pixels far away are untouched")
        let guarded = try TearGuard.guarded(folding, limit: 0.7)
        XCTAssertGreaterThan(guarded.reducedFraction, 0.05)
        XCTAssertLessThan(Self.largestDeformation(guarded.motion), 1, "no fold after the guard")

        let block = try Self.fields { x, y, t in
            (10..<20).contains(x) && (5..<25).contains(y) ? 6 * sin(2 * Float.pi * Float(t) / 24) : 0
        }
        let rigid = try LoopMotion(trajectories: block, frequencies: 4)
        let kept = TearGuard.factors(rigid, limit: 0.7)
        XCTAssertEqual(kept.data.min() ?? 0, 1, accuracy: 1e-6, "a rigid block's edges are steps, not tears")
    }

    /// The largest |Δu| between horizontal neighbours over 16 phases (pixels per pixel).
    static func largestDeformation(_ motion: LoopMotion) -> Float {
        var largest: Float = 0
        for p in 0..<16 {
            let d = motion.displacement(phase: (Double(p) + 0.5) / 16)
            for y in 0..<d.height {
                for x in 1..<d.width { largest = max(largest, abs(d.u[x, y] - d.u[x - 1, y])) }
            }
        }
        return largest
    }
}
