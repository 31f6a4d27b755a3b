import Flow
import Foundation
import Raster

/// How a trajectory F_t (the displacement of a pixel of frame 0 at frame t) is computed.
public enum TrajectoryMode: String, Sendable, CaseIterable {
    /// Flow from frame 0 straight to frame t, seeded with F_{t−1}: no drift, the default.
    case direct
    /// Consecutive flows t−1 → t composed along the path: F_t(p) = F_{t−1}(p) + f_t(p + F_{t−1}(p)).
    /// Follows fast motion more easily but accumulates error over long windows.
    case chained
}

/// Follows every pixel of a reference frame through the frames that come after it, one frame
/// at a time, so a window of T frames never has to be held in memory: push frame t, get F_t
/// (pixels at the frames' resolution, x right, y down; F_0 = 0 is the reference itself).
public struct TrajectoryTracker: Sendable {
    /// The trajectory mode.
    public let mode: TrajectoryMode
    /// The estimator used for every flow.
    public let estimator: FlowEstimator
    /// Frame 0, luma in [0, 1].
    public let reference: Plane
    /// Index t of the last frame pushed (0 before the first push).
    public private(set) var step = 0
    /// F_t of the last frame pushed (zero before the first push).
    public private(set) var displacement: FlowField
    /// Whether `camera` is estimated.
    public let estimatesCamera: Bool
    /// The camera's motion from frame 0 to the last frame pushed (identity before the first
    /// push, and always when `estimatesCamera` is off): in chained mode the composition of
    /// the affine maps fitted to each consecutive flow, in direct mode the map fitted to F_t
    /// (`AffineMotion.fitted(to:weights:)`, weighted by 0.25 + 0.75 × `confidence` when
    /// `regularizes` is on). A step whose flow admits no fit counts as no motion.
    public private(set) var camera = AffineMotion.identity
    /// Whether each F_t is checked and regularised: off, F_t is the flow as measured. On, each
    /// F_t gets a `confidence`, and the measurements that neither the data nor the backward
    /// flow support are replaced by what their surroundings imply (`FlatRegionFill`): the
    /// motion of confidently moving neighbours of the same colour, or none far from any.
    public let regularizes: Bool
    /// Confidence of each pixel of the reference in the last F_t returned, in [0, 1]
    /// (`TrajectoryConfidence`). All 1 when `regularizes` is off or before the first push.
    public private(set) var confidence: Plane
    /// Share of each pixel's measurement kept in the last F_t (the rest is the fill), in [0, 1].
    public private(set) var keptShare: Plane
    /// The confidence rules.
    public let rules: TrajectoryConfidence
    private let fill: FlatRegionFill?
    private let evidence: MotionEvidence?
    /// Own-side texture of the reference (computed at the first push, from its noise level).
    private var texture: Plane?
    /// Estimator of the backward flow t → 0 (direct mode, `regularizes` on): warm-started from
    /// −F_t, one pyramid level coarser than the forward flow and with fewer iterations, since it
    /// only has to confirm the forward flow.
    private let backwardEstimator: FlowEstimator
    /// The previous frame (chained mode only).
    private var previous: Plane
    /// The last measured F_t, before any fill (the next direct flow's starting point).
    private var measuredLast: FlowField
    /// Estimator used after the first step of direct mode: it starts from F_{t−1} one level
    /// below the coarsest, so only the change since the last frame is searched for.
    private let warmEstimator: FlowEstimator

    /// A tracker for the pixels of `reference`. Throws `MotionError` when the reference is
    /// smaller than the estimator accepts or holds non-finite samples. With `estimatesCamera`
    /// the camera's motion is fitted too (`camera`). With `regularizes`, every F_t gets a
    /// `confidence`, and its low-confidence pixels (flat areas, occlusions, wrong matches) take
    /// the motion of their confident surroundings of the same colour, or none far from any
    /// (`FlatRegionFill`); direct mode then also computes the backward flow t → 0.
    public init(reference: Plane, mode: TrajectoryMode = .direct, estimator: FlowEstimator = FlowEstimator(preset: .medium),
                estimatesCamera: Bool = false, regularizes: Bool = false, guide: [Plane]? = nil,
                rules: TrajectoryConfidence = TrajectoryConfidence()) throws {
        try estimator.parameters.validate()
        guard reference.width >= estimator.minimumSide, reference.height >= estimator.minimumSide else {
            throw MotionError.imageTooSmall(width: reference.width, height: reference.height, minimumSide: estimator.minimumSide)
        }
        guard reference.allFinite else { throw MotionError.nonFiniteInput(what: "the reference frame") }
        self.mode = mode
        self.estimatesCamera = estimatesCamera
        self.estimator = estimator
        self.reference = reference
        self.previous = reference
        self.displacement = FlowField(width: reference.width, height: reference.height)
        self.measuredLast = displacement
        var warm = estimator
        let levels = estimator.levelRange(width: reference.width, height: reference.height)
        warm.parameters.coarsestLevel = max(levels.finest, levels.coarsest - 1)
        self.warmEstimator = warm
        var back = warm
        back.parameters.finestLevel = min(levels.finest + 1, warm.parameters.coarsestLevel ?? levels.finest)
        back.parameters.gradientDescentIterations = min(back.parameters.gradientDescentIterations, 12)
        back.parameters.threads = 1
        self.backwardEstimator = back
        self.regularizes = regularizes
        self.rules = rules
        let ones = Plane(width: reference.width, height: reference.height, value: 1)
        self.confidence = ones
        self.keptShare = ones
        if regularizes {
            fill = FlatRegionFill(reference: reference, guide: guide)
            evidence = MotionEvidence(reference: reference, guide: guide)
        } else {
            fill = nil
            evidence = nil
        }
    }

    /// Takes frame t = `step` + 1 (same size as the reference) and returns F_t.
    @discardableResult
    public mutating func push(_ frame: Plane) throws -> FlowField {
        guard frame.width == reference.width, frame.height == reference.height else {
            throw MotionError.sizeMismatch(what: "the reference frame and frame \(step + 1)", firstWidth: reference.width,
                                           firstHeight: reference.height, secondWidth: frame.width, secondHeight: frame.height)
        }
        let threads = estimator.parameters.threads
        switch mode {
        case .direct:
            let measured = step == 0
                ? try estimator.flow(from: reference, to: frame)
                : try warmEstimator.flow(from: reference, to: frame, initial: measuredLast)
            displacement = measured
            measuredLast = measured
            if regularizes {
                // −F_t sampled on frame t's grid seeds the backward flow (exact for smooth motion).
                let seed = try FlowField(u: measured.u.scaled(by: -1), v: measured.v.scaled(by: -1))
                // The backward flow (one worker) and the photometric comparisons do not depend on
                // each other: with two workers they run side by side.
                var backward: Result<FlowField, Error>?
                var comparison: Comparison?
                let pair = threads >= 2, reference = reference, back = backwardEstimator
                Parallel.forEach(pair ? 2 : 1) { c in
                    if c == 0 { backward = Result { try back.flow(from: frame, to: reference, initial: seed) } }
                    if c == 1 || !pair { comparison = compare(measured, frame: frame, threads: pair ? 1 : threads) }
                }
                if let comparison { regularize(measured, comparison: comparison, backward: try backward?.get()) }
            }
            // Every pixel votes, a confident one four times as much as one whose motion was filled
            // (a flat wall votes for its filled, still motion, not for its noise).
            // Every 4th pixel of every 4th row is plenty for six parameters.
            if estimatesCamera, let fit = AffineMotion.fitted(to: displacement, weights: regularizes ? Plane(
                width: confidence.width, height: confidence.height, data: confidence.data.map { 0.25 + 0.75 * $0 }) : nil,
                                                              step: 4) {
                camera = fit
            }
        case .chained:
            let next = try estimator.flow(from: previous, to: frame)
            let composed = step == 0 ? next : try next.composed(after: displacement, threads: threads)
            displacement = composed
            if regularizes, let comparison = compare(composed, frame: frame, threads: threads) {
                regularize(composed, comparison: comparison, backward: nil)
            }
            previous = frame
            if estimatesCamera, let fit = AffineMotion.fitted(to: next) { camera = camera.followed(by: fit) }
        }
        step += 1
        return displacement
    }

    /// Frame t and the measured F_t compared with the reference (`MotionEvidence`).
    struct Comparison {
        /// Frame t, smoothed.
        var frame: Plane
        /// Mismatch under the measured F_t and under no motion.
        var measured: [Float], still: [Float]
    }

    /// The comparisons that need no backward flow (nil when not regularising).
    private func compare(_ measured: FlowField, frame rawFrame: Plane, threads: Int) -> Comparison? {
        guard let evidence else { return nil }
        let frame = evidence.smoothed(rawFrame, threads: threads)
        let (moved, still) = evidence.mismatches(evidence.residual(of: frame, under: measured, threads: threads),
                                                 evidence.residual(of: frame, under: nil), threads: threads)
        return Comparison(frame: frame, measured: moved, still: still)
    }

    /// Sets `displacement`, `keptShare` and `confidence` from the measured F_t.
    private mutating func regularize(_ measured: FlowField, comparison: Comparison, backward: FlowField?) {
        guard let fill, let evidence else { return }
        let threads = estimator.parameters.threads, w = measured.width, n = measured.u.count
        let frame = comparison.frame, residual = comparison.measured, still = comparison.still
        let (strict, loose) = rules.consistencies(forward: measured, backward: backward, looseness: rules.keptTolerance,
                                                  threads: threads)
        let typical = MotionEvidence.typical(residual, step: 16)
        if self.texture == nil { self.texture = rules.texture(evidence, typical: typical) }
        let texture = self.texture ?? Plane(width: w, height: measured.height)
        // Where textured, consistently moving pixels land at t: a flat pixel whose position is
        // covered there may be hidden, so its residual is no evidence for or against a motion.
        let covered = Landing(of: measured, selected: zip(texture.data, loose.data).map { $0 >= 0.5 && $1 >= 0.5 })
        // Sources of the fill: consistent measurements the data prefer to no motion.
        let stillEvidence = rules.evidence(measured: residual, alternative: still, typical: typical)
        var sources = Plane(width: w, height: measured.height)
        sources.data.withUnsafeMutableBufferPointer { out in
            for i in 0..<n where stillEvidence[i] > 0 && !covered.hides(i, flat: texture.data[i] < 0.5, u: 0, v: 0) {
                out[i] = loose.data[i] * stillEvidence[i] * texture.data[i]
            }
        }
        let filled = fill.apply(measured, weight: sources, threads: threads)
        // Keep a measurement where the data prefer it to the fill, or where it is the fill's own.
        let implied = evidence.mismatch(evidence.residual(of: frame, under: filled, threads: threads), threads: threads)
        let fillEvidence = rules.evidence(measured: residual, alternative: implied, typical: typical, texture: texture)
        var kept = Plane(width: w, height: measured.height)
        var c = strict
        kept.data.withUnsafeMutableBufferPointer { keep in
            c.data.withUnsafeMutableBufferPointer { trust in
                for i in 0..<n {
                    var e = fillEvidence[i]
                    if e > 0, covered.hides(i, flat: texture.data[i] < 0.5, u: filled.u.data[i], v: filled.v.data[i]) { e = 0 }
                    let k = loose.data[i] * max(e, sources.data[i])
                    keep[i] = k
                    trust[i] *= max(k, texture.data[i])
                }
            }
        }
        displacement = fill.blend(measured, filled, weight: kept)
        keptShare = kept
        confidence = c
    }
}

/// Where the selected pixels of a field land: for each pixel of frame t, the displacement of a
/// selected pixel of the reference that the field moves onto it or onto one of its four
/// neighbours (the last one in raster order wins).
struct Landing {
    let width: Int, height: Int
    private(set) var u: [Float], v: [Float]
    private(set) var hit: [Bool]

    init(of field: FlowField, selected: [Bool]) {
        let w = field.width, h = field.height, n = w * h
        width = w
        height = h
        var lu = [Float](repeating: 0, count: n), lv = lu
        var landed = [Bool](repeating: false, count: n)
        lu.withUnsafeMutableBufferPointer { ou in
            lv.withUnsafeMutableBufferPointer { ov in
                landed.withUnsafeMutableBufferPointer { oh in
                    for y in 0..<h {
                        for x in 0..<w {
                            let i = y * w + x
                            guard i < selected.count, selected[i] else { continue }
                            let fu = field.u.data[i], fv = field.v.data[i]
                            let tx = Float(x) + fu, ty = Float(y) + fv
                            guard tx.isFinite, ty.isFinite, tx > -2, ty > -2, tx < Float(w + 1), ty < Float(h + 1) else { continue }
                            // Nearest pixel: tx, ty > −2, so truncating tx + 2.5 rounds (halves up).
                let cx = Int(tx + 2.5) - 2, cy = Int(ty + 2.5) - 2
                            // The nearest pixel and its four neighbours.
                            for k in 0..<5 {
                                let px = cx + (k == 1 ? 1 : k == 2 ? -1 : 0), py = cy + (k == 3 ? 1 : k == 4 ? -1 : 0)
                                guard px >= 0, py >= 0, px < w, py < h else { continue }
                                ou[py * w + px] = fu
                                ov[py * w + px] = fv
                                oh[py * w + px] = true
                            }
                        }
                    }
                }
            }
        }
        u = lu
        v = lv
        hit = landed
    }

    /// Whether flat pixel i, moved by (u, v), lands where another surface (one that moves by
    /// more than 2 px otherwise) covers it, so it may be hidden there. Textured pixels never are.
    func hides(_ i: Int, flat: Bool, u pu: Float, v pv: Float) -> Bool {
        guard flat else { return false }
        let x = i % width, y = i / width
        let fx = Float(x) + pu, fy = Float(y) + pv
        guard fx.isFinite, fy.isFinite, fx >= -0.5, fy >= -0.5, fx < Float(width) - 0.5, fy < Float(height) - 0.5 else { return false }
        // The nearest pixel (halves up; both coordinates are above −½ here).
        let t = (Int(fy + 1.5) - 1) * width + Int(fx + 1.5) - 1
        guard hit[t] else { return false }
        let du = u[t] - pu, dv = v[t] - pv
        return du * du + dv * dv > 4
    }
}

/// Summary motion statistics of one displacement field, used to filter windows (pixels).
public struct MotionStatistics: Sendable, Equatable {
    /// Mean displacement length over all pixels.
    public var meanMagnitude: Double
    /// Largest displacement length.
    public var maxMagnitude: Double
    /// Length of the per-component median displacement: the motion shared by most of the
    /// picture, i.e. the camera's.
    public var globalMagnitude: Double

    /// The statistics of `field`. Non-finite displacements are ignored. The median is taken
    /// over every `medianStep`-th pixel (a camera-motion estimate needs no more).
    public init(_ field: FlowField, medianStep: Int = 4) {
        var sum = 0.0, maxM: Float = 0, n = 0
        let step = max(1, medianStep)
        var us: [Float] = [], vs: [Float] = []
        us.reserveCapacity(field.u.count / step + 1)
        vs.reserveCapacity(field.v.count / step + 1)
        field.u.data.withUnsafeBufferPointer { up in
            field.v.data.withUnsafeBufferPointer { vp in
                var rowSum: Float = 0
                for i in 0..<up.count {
                    let u = up[i], v = vp[i]
                    guard u.isFinite, v.isFinite else { continue }
                    let m = (u * u + v * v).squareRoot()
                    rowSum += m
                    maxM = max(maxM, m)
                    n += 1
                    // Float partial sums, flushed to Double every 1024 pixels.
                    if n & 1023 == 0 { sum += Double(rowSum); rowSum = 0 }
                    if i % step == 0 {
                        us.append(u)
                        vs.append(v)
                    }
                }
                sum += Double(rowSum)
            }
        }
        meanMagnitude = n == 0 ? 0 : sum / Double(n)
        maxMagnitude = Double(maxM)
        let mu = Self.median(&us), mv = Self.median(&vs)
        globalMagnitude = Double((mu * mu + mv * mv).squareRoot())
    }

    /// Median by selection (the array is reordered); 0 for an empty array.
    static func median(_ values: inout [Float]) -> Float {
        values.isEmpty ? 0 : TrajectoryConfidence.select(&values, rank: values.count / 2)
    }
}
