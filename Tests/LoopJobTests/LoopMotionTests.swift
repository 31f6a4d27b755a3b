import Foundation
import Flow
import Spectral
import Raster
import LoopJob
import XCTest

/// `LoopMotion` on trajectories whose loop is known in closed form.
final class LoopMotionTests: XCTestCase {
    /// Trajectories F_1 … F_{count} of a 6×4 field, every pixel displaced by `f(t)` (pixels).
    static func trajectories(count: Int, _ f: (Int) -> (Float, Float)) throws -> [FlowField] {
        try (1...count).map { t in
            let (u, v) = f(t)
            return try FlowField(u: Plane(width: 6, height: 4, data: [Float](repeating: u, count: 24)),
                                 v: Plane(width: 6, height: 4, data: [Float](repeating: v, count: 24)))
        }
    }

    static func at(_ motion: LoopMotion, _ phase: Double) -> (u: Float, v: Float) {
        let f = motion.displacement(phase: phase)
        return (f.u.data[7], f.v.data[7])
    }

    /// A window of P + 1 frames holding one period of a sinusoid: frame P closes the period, so
    /// the loop replays the window's samples (one harmonic: exact up to Float rounding) and
    /// phase 1 is phase 0.
    func testOnePeriodOfAnOscillationIsReplayedExactly() throws {
        let period = 24
        let amplitude: Float = 3
        let f: (Int) -> (Float, Float) = { t in
            let a = 2 * Float.pi * Float(t) / Float(period)
            return (amplitude * sin(a), 0.5 * amplitude * (cos(a) - 1))
        }
        let motion = try LoopMotion(trajectories: Self.trajectories(count: period, f), frequencies: 4, drift: .swing)
        XCTAssertEqual(motion.spectrum.windowLength, period, "the window's frames after the reference make one period")
        for t in 0..<period {
            let got = Self.at(motion, Double(t) / Double(period)), want = f(t)
            XCTAssertEqual(got.u, want.0, accuracy: 1e-4, "u at t = \(t)")
            XCTAssertEqual(got.v, want.1, accuracy: 1e-4, "v at t = \(t)")
        }
        XCTAssertEqual(Self.at(motion, 1).u, 0, accuracy: 1e-5)
        XCTAssertEqual(Self.at(motion, 0).u, 0)
    }

    /// A steady drift F_t = t·(0.5, −0.25) px per frame over 32 steps (d = (16, −8)).
    func testDriftIsSwungOutAndBackOrRemoved() throws {
        let steps = 32
        let fields = try Self.trajectories(count: steps) { t in (0.5 * Float(t), -0.25 * Float(t)) }
        let removed = try LoopMotion(trajectories: fields, frequencies: 16, drift: .remove)
        for s in 0..<16 {
            let d = Self.at(removed, Double(s) / 16)
            XCTAssertLessThan(abs(d.u) + abs(d.v), 1e-3, "remove: a pure drift leaves no motion (phase \(s)/16)")
        }
        let swing = try LoopMotion(trajectories: fields, frequencies: 16, drift: .swing)
        // A triangle wave through the reference pose: d/4 ahead at 1/4, back at 1/2, d/4 behind
        // at 3/4 (8 odd harmonics: the corners are rounded by under 3 %).
        let quarter = Self.at(swing, 0.25), half = Self.at(swing, 0.5), threeQuarters = Self.at(swing, 0.75)
        XCTAssertEqual(quarter.u, 4, accuracy: 0.12)
        XCTAssertEqual(quarter.v, -2, accuracy: 0.06)
        XCTAssertEqual(half.u, 0, accuracy: 1e-3)
        XCTAssertEqual(threeQuarters.u, -4, accuracy: 0.12)
        XCTAssertEqual(threeQuarters.v, 2, accuracy: 0.06)
        // It moves at the window's speed: the path over one period is |d|, and it passes the
        // reference pose mid-stroke (no pause at the seam).
        let samples = 256
        var path: Float = 0
        var previous = Self.at(swing, 0)
        for s in 1...samples {
            let p = Self.at(swing, Double(s) / Double(samples))
            path += ((p.u - previous.u) * (p.u - previous.u) + (p.v - previous.v) * (p.v - previous.v)).squareRoot()
            previous = p
        }
        XCTAssertEqual(path, (16 * 16 + 8 * 8 as Float).squareRoot(), accuracy: 0.05 * 17.9)
        let step = Self.at(swing, 1 / Double(steps)).u
        XCTAssertGreaterThan(step, 0.5 * 0.9, "the first step of the loop is a full step along the drift")
        XCTAssertEqual(Self.at(swing, Double(steps - 1) / Double(steps)).u, -step, accuracy: 1e-3)
    }

    func testTooManyHarmonicsOrTooFewTrajectoriesThrow() throws {
        let fields = try Self.trajectories(count: 9) { t in (Float(t), 0) }
        // A period of 9 steps holds harmonics below 4.5: K ≤ 5.
        XCTAssertEqual(LoopMotion.maximumFrequencies(windowLength: 9), 5)
        XCTAssertNoThrow(try LoopMotion(trajectories: fields, frequencies: 5))
        XCTAssertThrowsError(try LoopMotion(trajectories: fields, frequencies: 6)) { error in
            XCTAssertTrue("\(error)".contains("k"), "\(error)")
        }
        XCTAssertThrowsError(try LoopMotion(trajectories: Array(fields.prefix(1)), frequencies: 2))
        XCTAssertThrowsError(try LoopMotion(trajectories: fields, frequencies: 4, amplitude: .nan))
    }

    /// A sinusoid of period 20 tracked over 24 steps: frame 20 is frame 0 again, so the step
    /// out of it equals the first and the period chosen is 20, not the window's 24.
    func testClosingPeriodEndsWhereTheMotionOutMatchesTheFirstStep() throws {
        // Phase 0.7: the step into frame 0 differs from the step out of it (with phase 0 they
        // are equal by symmetry, and frame 19 would tie).
        let f: (Int) -> (Float, Float) = { t in (4 * sin(2 * Float.pi * Float(t) / 20 + 0.7) - 4 * sin(0.7), 0) }
        let fields = try Self.trajectories(count: 24, f)
        XCTAssertEqual(LoopMotion.closingPeriod(trajectories: fields, range: 18...24), 20)
        // A range without it gets the closest step inside the range (upper bound: count − 1).
        let cost: (Int) -> Float = { n in let d = f(n + 1).0 - f(n).0 - f(1).0; return d * d }
        let want = cost(23) <= cost(22) ? 23 : 22
        XCTAssertEqual(LoopMotion.closingPeriod(trajectories: fields, range: 22...30), want)
        // A steady velocity matches everywhere: the longest period wins.
        let line = try Self.trajectories(count: 10) { t in (Float(t), 0) }
        XCTAssertEqual(LoopMotion.closingPeriod(trajectories: line, range: 5...10), 9)
        XCTAssertEqual(LoopMotion.closingPeriod(trajectories: line, range: 0...1), 10, "no choice: everything kept")
    }

    /// A swing whose speed runs from 0 at the reference pose to its peak mid-stroke
    /// (x = 3(1 − cos 2πt/P)): the wrap at phase 0 would be a pause. The chosen phase is a
    /// half-frame one and its step in is within 25% of the median step.
    func testOrdinaryWrapPhaseAvoidsThePauseAtTheReferencePose() throws {
        let period = 40, frames = 40
        let fields = try Self.trajectories(count: period) { t in (3 * (1 - Float(cos(2 * Double.pi * Double(t) / Double(period)))), 0) }
        let motion = try LoopMotion(trajectories: fields, frequencies: 6, drift: .remove)
        let texture = Plane(width: 6, height: 4, data: (0..<24).map { Float($0 % 6) * 0.1 + Float($0 / 6) * 0.05 })
        func step(into phase: Double) -> Float {
            abs(Self.at(motion, phase).u - Self.at(motion, phase - 1 / Double(frames)).u)
        }
        let steps = (0..<frames).map { step(into: (Double($0) + 0.5) / Double(frames)) }.sorted()
        let median = steps[frames / 2]
        XCTAssertLessThan(step(into: 0), 0.3 * median, "the reference pose is the slow turn")
        for reference in [nil, texture] {
            let phase = motion.ordinaryWrapPhase(frames: frames, reference: reference)
            XCTAssertTrue((0..<1).contains(phase))
            let slot = phase * Double(frames) - 0.5
            XCTAssertEqual(slot, slot.rounded(), accuracy: 1e-9, "a half-frame phase")
            let ratio = step(into: phase) / median
            XCTAssertTrue((0.75...1.25).contains(ratio), "step into the first frame / median = \(ratio)")
        }
    }
}

/// The stored samples of a spectrum and a loop cannot be replaced from outside the module, so
/// `LoopMotion.displacement`'s unchecked reads always stay inside the buffer its sizes describe.
final class MotionInvariantTests: XCTestCase {
    func testSpectrumsAreOnlyMadeByTheValidatingInitialiser() throws {
        // `spectrum.values = []`, `loop.amplitude = .nan` and `field.u = Plane(...)` no longer
        // compile outside their module (setters private or internal).
        // The only way in is the validating initialiser.
        XCTAssertThrowsError(try MotionSpectrum(width: 4, height: 3, frequencies: 2, windowLength: 8, values: []))
        let spectrum = try MotionSpectrum(width: 4, height: 3, frequencies: 2, windowLength: 8,
                                          values: [Float](repeating: 0.5, count: 4 * 2 * 12))
        let loop = try LoopMotion(spectrum: spectrum)
        let field = loop.displacement(phase: 0.25)
        XCTAssertEqual(field.u.count, 12)
    }
}
