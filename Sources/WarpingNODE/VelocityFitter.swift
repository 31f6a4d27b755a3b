import Foundation
import Raster

/// Settings of the per-pair fit of a velocity field (see `FitObjective` for the objective).
/// Lengths are in pixels of the grid the field lives on; image intensities in [0, 1].
public struct FitParameters: Sendable, Equatable {
    /// Adam steps per pyramid level (0 = keep the initial field). The default is 0 because
    /// the drop-frame benchmark measured no gain from fitting on top of the symmetric midpoint
    /// initialisation (see BENCHMARKS.md); `FrameInterpolator` and the `fps` filter expose it.
    public var iterations: Int = 0
    /// Pyramid levels, coarse to fine (1 = the field's own grid only).
    public var levels: Int = 2
    /// Squarings of the scaling-and-squaring integrator used in the objective.
    public var squarings: Int = 5
    /// Adam step size, grid pixels per unit time.
    public var learningRate: Float = 0.05
    /// Weight of mean |∇v|².
    public var smoothnessWeight: Float = 0.002
    /// Weight of the folding penalty max(0, margin − det).
    public var jacobianWeight: Float = 0.05
    /// Determinant below which the folding penalty starts.
    public var jacobianMargin: Float = 0.1
    /// Weight of the squared distance by which φ_{±½}(x) leaves the grid.
    public var outOfGridWeight: Float = 0.0005
    /// ε of the Charbonnier data term ρ(r) = √(r² + ε²), intensity units.
    public var charbonnierEpsilon: Float = 0.01

    public init() {}

    /// Throws `WarpError.invalidParameter` for the first value out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws {
            if !ok { throw WarpError.invalidParameter(name: name, value: "\(value)", expected: expected) }
        }
        try check((0...1000).contains(iterations), "iterations", iterations, "0…1000")
        try check((1...6).contains(levels), "levels", levels, "1…6")
        try check((0...12).contains(squarings), "squarings", squarings, "0…12")
        for (name, x) in [("learningRate", learningRate), ("smoothnessWeight", smoothnessWeight), ("jacobianWeight", jacobianWeight),
                          ("outOfGridWeight", outOfGridWeight), ("charbonnierEpsilon", charbonnierEpsilon), ("jacobianMargin", jacobianMargin)] {
            try check(x.isFinite && x >= 0, name, x, "a finite value ≥ 0")
        }
        try check(charbonnierEpsilon > 0, "charbonnierEpsilon", charbonnierEpsilon, "> 0")
    }
}

/// What a fit did: the objective before and after, and the steps taken.
public struct FitReport: Sendable, Equatable {
    /// Objective of the initial field on the finest level.
    public var initialLoss: Double
    /// Objective of the returned field on the finest level.
    public var finalLoss: Double
    /// Adam steps taken over all levels.
    public var steps: Int
}

/// Fits a stationary velocity field to a frame pair: starting from an initial field (the
/// symmetric flow initialisation), minimises the symmetric midpoint objective of
/// `FitObjective` by Adam, coarse to fine, with gradients through the integrator. The field
/// with the lowest objective seen on the finest level is returned, so a fit never makes the
/// objective worse than its start.
public struct VelocityFitter: Sendable {
    /// The settings used.
    public var parameters: FitParameters

    public init(parameters: FitParameters = FitParameters()) {
        self.parameters = parameters
    }

    /// The fitted field on `initial`'s grid. `first` and `second` are luma planes in [0, 1] of
    /// that grid's size. Throws `WarpError` for mismatched sizes, non-finite input or bad settings.
    public func fit(_ initial: VelocityField, first: Plane, second: Plane) throws -> (field: VelocityField, report: FitReport) {
        let p = parameters
        try p.validate()
        guard first.width == second.width, first.height == second.height else {
            throw WarpError.sizeMismatch(what: "the two images", first.width, first.height, second.width, second.height)
        }
        guard first.width == initial.width, first.height == initial.height else {
            throw WarpError.sizeMismatch(what: "the images and the velocity field", first.width, first.height, initial.width, initial.height)
        }
        guard first.allFinite, second.allFinite else { throw WarpError.nonFinite(what: "an image to fit") }
        guard initial.u.allFinite, initial.v.allFinite else { throw WarpError.nonFinite(what: "the initial velocity field") }
        // Image pyramids, finest first; levels stop while the grid is still at least 8×8.
        var pyramid0 = [first], pyramid1 = [second]
        while pyramid0.count < p.levels, pyramid0[pyramid0.count - 1].width >= 16, pyramid0[pyramid0.count - 1].height >= 16 {
            pyramid0.append(pyramid0[pyramid0.count - 1].downsampled2x(threads: 1))
            pyramid1.append(pyramid1[pyramid1.count - 1].downsampled2x(threads: 1))
        }
        let finest = FitObjective(first: first, second: second, parameters: p)
        let initialLoss = finest.evaluate(initial).value
        guard p.iterations > 0 else { return (initial, FitReport(initialLoss: initialLoss, finalLoss: initialLoss, steps: 0)) }
        var field = initial.resized(width: pyramid0[pyramid0.count - 1].width, height: pyramid0[pyramid0.count - 1].height, threads: 1)
        var best = (field: initial, loss: initialLoss)
        var steps = 0
        for level in stride(from: pyramid0.count - 1, through: 0, by: -1) {
            let objective = level == 0 ? finest : FitObjective(first: pyramid0[level], second: pyramid1[level], parameters: p)
            field = field.resized(width: pyramid0[level].width, height: pyramid0[level].height, threads: 1)
            // Step size in this level's pixels.
            let rate = p.learningRate / Float(1 << level)
            var adam = AdamState(count: field.width * field.height)
            var u = field.u, v = field.v
            for _ in 0..<p.iterations {
                let (loss, gu, gv) = objective.evaluate(field)
                if level == 0, loss < best.loss { best = (field, loss) }
                adam.step(&u.data, &v.data, gu: gu, gv: gv, rate: rate)
                field = VelocityField(components: Deformation(validU: u, v: v))
                steps += 1
            }
        }
        let last = finest.evaluate(field).value
        if last < best.loss { best = (field, last) }
        return (best.field, FitReport(initialLoss: initialLoss, finalLoss: best.loss, steps: steps))
    }
}

/// Adam's moment estimates for a two-component field (β₁ 0.9, β₂ 0.999).
struct AdamState {
    private var mu: [Float], mv: [Float], su: [Float], sv: [Float]
    private var t: Float = 0

    init(count: Int) {
        mu = [Float](repeating: 0, count: count)
        mv = mu; su = mu; sv = mu
    }

    /// One step. The denominator's ε is a tenth of the gradient's RMS, so pixels whose gradient
    /// is only noise (flat image areas) do not take full-size steps.
    mutating func step(_ u: inout [Float], _ v: inout [Float], gu: [Float], gv: [Float], rate: Float) {
        t += 1
        var sumSquares: Float = 0
        for i in gu.indices { sumSquares += gu[i] * gu[i] + gv[i] * gv[i] }
        let eps = max(0.1 * (sumSquares / Float(max(1, 2 * gu.count))).squareRoot(), 1e-20)
        let b1: Float = 0.9, b2: Float = 0.999
        let c1 = 1 - Float(pow(Double(b1), Double(t))), c2 = 1 - Float(pow(Double(b2), Double(t)))
        for i in u.indices {
            mu[i] = b1 * mu[i] + (1 - b1) * gu[i]
            mv[i] = b1 * mv[i] + (1 - b1) * gv[i]
            su[i] = b2 * su[i] + (1 - b2) * gu[i] * gu[i]
            sv[i] = b2 * sv[i] + (1 - b2) * gv[i] * gv[i]
            u[i] -= rate * (mu[i] / c1) / ((su[i] / c2).squareRoot() + eps)
            v[i] -= rate * (mv[i] / c1) / ((sv[i] / c2).squareRoot() + eps)
        }
    }
}
