import Raster

extension InterpolatedPair {
    /// The folded and out-of-grid fractions (0 … 1, field pixels) of the two warps that render
    /// time `t`: A pulled back by φ_{−t}, B by φ_{1−t}. Folds count for the node method only
    /// (linear flow warping is not meant to be invertible).
    public func warpMeasures(at t: Double) throws -> (folded: Double, outOfGrid: Double) {
        let (toFirst, toSecond) = try deformations(at: t)
        let folded = field == nil ? 0 : max(toFirst.foldedFraction, toSecond.foldedFraction)
        return (folded, max(toFirst.outOfGridFraction(), toSecond.outOfGridFraction()))
    }

    /// This pair with its field smoothed (a Gaussian of σ = 1 field pixel per round, at most
    /// `maximumRounds`) until the warps of every time in `times` are fold-free; returns the
    /// rounds spent, the largest folded fraction left (0 unless the rounds ran out) and the
    /// largest out-of-grid fraction of those warps. The midpoint check `prepare` makes covers
    /// t = ½ only; an animation renders many t.
    public func unfolded(at times: [Double], maximumRounds: Int = 8) throws
        -> (pair: InterpolatedPair, rounds: Int, folded: Double, outOfGrid: Double) {
        var copy = self
        func worst(_ pair: InterpolatedPair) throws -> (folded: Double, outOfGrid: Double) {
            var folded = 0.0, outside = 0.0
            for t in times {
                let m = try pair.warpMeasures(at: t)
                folded = max(folded, m.folded)
                outside = max(outside, m.outOfGrid)
            }
            return (folded, outside)
        }
        var measures = try worst(copy)
        var rounds = 0
        while measures.folded > 0, rounds < maximumRounds, let rough = copy.field {
            copy.field = rough.smoothed(sigma: 1, threads: settings.threads)
            measures = try worst(copy)
            rounds += 1
        }
        if rounds > 0 { copy.midpoint = try copy.plan(at: 0.5) }
        copy.statistics.smoothingRounds += rounds
        copy.statistics.foldedFraction = measures.folded
        return (copy, rounds, measures.folded, measures.outOfGrid)
    }
}
