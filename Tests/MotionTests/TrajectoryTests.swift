import Foundation
import Flow
import Spectral
import Raster
import XCTest

/// Trajectories of a synthetic oscillation whose motion is known exactly.
final class TrajectoryTests: XCTestCase {
    /// A smooth texture evaluated analytically at (x − dx, y − dy): the picture moved by (dx, dy).
    static func texture(width: Int, height: Int, dx: Double, dy: Double) -> Plane {
        var p = Plane(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let u = Double(x) - dx, v = Double(y) - dy
                let value = 0.5 + 0.18 * sin(u * 0.41 + 0.3 * v) + 0.14 * cos(v * 0.37 - 0.2 * u) + 0.1 * sin(0.23 * u + 0.29 * v + 1)
                p[x, y] = Float(value)
            }
        }
        return p
    }

    func check(mode: TrajectoryMode) throws {
        let w = 96, h = 64, T = 24, f = 2
        let ax = 2.5, ay = 1.5
        func shift(_ t: Int) -> (Double, Double) {
            (ax * sin(2 * .pi * Double(f * t) / Double(T)), ay * cos(2 * .pi * Double(f * t) / Double(T)) - ay)
        }
        var tracker = try TrajectoryTracker(reference: Self.texture(width: w, height: h, dx: 0, dy: 0), mode: mode,
                                            estimator: FlowEstimator(preset: .medium, threads: 1))
        var accumulator = try SpectrumAccumulator(width: w, height: h, frequencies: 4, windowLength: T)
        var worst = 0.0
        for t in 1..<T {
            let (dx, dy) = shift(t)
            let field = try tracker.push(Self.texture(width: w, height: h, dx: dx, dy: dy))
            XCTAssertEqual(tracker.step, t)
            // Interior pixels (the borders see texture entering the frame).
            for y in 12..<(h - 12) {
                for x in 12..<(w - 12) {
                    let e = hypot(Double(field[x, y].u) - dx, Double(field[x, y].v) - dy)
                    worst = max(worst, e)
                }
            }
            try accumulator.add(field, at: t)
        }
        // Chained flows add up their errors along the path; direct ones do not.
        XCTAssertLessThan(worst, mode == .direct ? 0.35 : 0.6, "\(mode): trajectory error \(worst) px")
        let spectrum = accumulator.spectrum()
        // x: Σ_t A sin(2πft/T) e^{−2πikt/T} = −i·A·T/2 at k = f. y: A(cos − 1) gives +A·T/2 at
        // k = f and −A·T at k = 0.
        func mean(_ channel: Int) -> Double {
            let plane = spectrum.channel(channel)
            var s = 0.0, n = 0.0
            for y in 12..<(h - 12) { for x in 12..<(w - 12) { s += Double(plane[x, y]); n += 1 } }
            return s / n
        }
        let half = Double(T) / 2
        XCTAssertEqual(mean(4 * f + 1), -ax * half, accuracy: 0.08 * ax * half, "Im S_f.x")
        XCTAssertEqual(mean(4 * f + 0), 0, accuracy: 0.08 * ax * half, "Re S_f.x")
        XCTAssertEqual(mean(4 * f + 2), ay * half, accuracy: 0.08 * ay * half, "Re S_f.y")
        XCTAssertEqual(mean(2), -ay * Double(T), accuracy: 0.08 * ay * Double(T), "Re S_0.y")
        for k in [1, 3] {
            for j in 0..<4 { XCTAssertEqual(mean(4 * k + j), 0, accuracy: 0.08 * ax * half, "k \(k) channel \(j)") }
        }
    }

    func testDirectTrajectoriesFollowAnOscillation() throws { try check(mode: .direct) }
    func testChainedTrajectoriesFollowAnOscillation() throws { try check(mode: .chained) }

    func testTrackerRejectsBadFrames() throws {
        var tracker = try TrajectoryTracker(reference: Plane(width: 32, height: 32, value: 0.5))
        XCTAssertThrowsError(try tracker.push(Plane(width: 31, height: 32))) { XCTAssertTrue("\($0)".contains("frame 1")) }
        var bad = Plane(width: 32, height: 32)
        bad[3, 3] = .nan
        XCTAssertThrowsError(try tracker.push(bad))
        XCTAssertThrowsError(try TrajectoryTracker(reference: Plane(width: 4, height: 4)))
    }

    func testMotionStatistics() throws {
        var u = Plane(width: 10, height: 10, value: 1), v = Plane(width: 10, height: 10, value: 0)
        u[0, 0] = 30
        v[1, 1] = .nan
        let stats = MotionStatistics(FlowField.holding(u: u, v: v))  // non-finite on purpose
        XCTAssertEqual(stats.globalMagnitude, 1, accuracy: 1e-6, "the median ignores the outlier")
        XCTAssertEqual(stats.maxMagnitude, 30, accuracy: 1e-6)
        XCTAssertEqual(stats.meanMagnitude, (98 + 30) / 99, accuracy: 1e-6, "non-finite pixels are ignored")
    }
}
