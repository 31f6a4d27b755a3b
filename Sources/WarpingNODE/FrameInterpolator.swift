import Foundation
import MediaIO
import Flow
import Raster

/// How in-between frames are made from a pair's flows.
public enum InterpolationMethod: String, Sendable, CaseIterable {
    /// Warping neural ODE: a stationary velocity field (symmetric flow initialisation, then
    /// fitted) integrated to any t; frame 0 is pulled back by φ_{−t}, frame 1 by φ_{1−t}.
    case node
    /// Linear flow warping by the same flows (the ablation): frame 0 is read at
    /// x − (1−t)t·F₀₁ + t²·F₁₀, frame 1 at x + (1−t)²·F₀₁ − t(1−t)·F₁₀ (Jiang et al. 2018).
    case flow
}

/// Settings of a `FrameInterpolator`.
public struct InterpolationSettings: Sendable, Equatable {
    /// Node (default) or linear flow warping.
    public var method: InterpolationMethod = .node
    /// Preset of the optical flow that initialises everything; nil (the default) = automatic:
    /// the `medium` preset's parameters with its finest computed level chosen so that grid is at
    /// most `flowFinestWidth` pixels wide (half resolution up to 800 px, a quarter at 720p),
    /// which keeps the cost per pair nearly flat as frames grow.
    public var flowPreset: FlowEstimator.Preset?
    /// Widest grid the automatic flow computes on, pixels.
    public var flowFinestWidth = 400
    /// The fit of the velocity field (`iterations = 0` keeps the symmetric initialisation).
    public var fit = FitParameters()
    /// Integrator of the rendered deformations.
    public var integrator: Integrator = .standard
    /// Weight each frame by its visibility (forward-backward consistency); off = plain (1−t, t).
    public var occlusion = true
    /// The field grid is the luma grid halved until its width is at most this (pixels).
    public var maximumFieldWidth = 400
    /// Fit on the field grid halved this many more times (0 = on the field grid).
    public var fitLevelsBelowField = 1
    /// Gaussian smoothing (field pixels) of the velocity field before integration.
    public var fieldSmoothing: Float = 1
    /// Fixed-point steps that sample the flows along the motion for the initial field
    /// (`VelocityField(midpointFrom:…)`); 0 = plain ½(F₀₁ − F₁₀) at each pixel.
    public var midpointIterations = 2
    /// Read luma with bicubic (Catmull-Rom) instead of bilinear sampling (chroma stays bilinear):
    /// sharper where the motion is a fraction of a pixel, where bilinear reads blur fine texture
    /// (+1.0 dB on opencv-doc's box at 2×, +0.2 mean over the real clips), about 1.2× the time
    /// of a whole 720p run.
    public var bicubic = true
    /// Fixed-point iterations per level of the symmetric variational refinement of the node's
    /// midpoint field (`FlowEstimator.refinedMidpointField`: frame 0 at x − ½v against frame 1
    /// at x + ½v, intensity and gradient constancy, visibility-masked, smoothness as the flow
    /// engine's); 0 (the default) keeps the field from the flows.
    public var refinement = 0
    /// Pyramid levels of that refinement, coarse to fine down to the field grid.
    public var refinementLevels = 2
    /// Iterations that correct the node's field towards the logarithm of the pair's maps
    /// (`VelocityField.logarithmCorrected`), so a large rotation turns by its angle, not by
    /// its sine; 0 (the default, for video neighbours whose motion is small) keeps the field.
    public var logarithmIterations = 0
    /// Model acceleration from four frames when the caller passes the neighbouring pairs' flows
    /// (`PairNeighbours`; node only): the velocity field becomes v(x, τ) = v(x) + (τ − ½)·a(x),
    /// with a(x) from QVI's quadratic trajectories where both sides agree (`AccelerationEstimator`).
    public var acceleration = true
    /// Runge-Kutta steps per unit time when integrating an accelerated field.
    public var accelerationSteps = 4
    /// Gaussian smoothing (field pixels) of the acceleration field.
    public var accelerationSmoothing: Float = 2
    /// Per pixel, keep the motion or fall back to no motion, whichever makes the two frames
    /// agree better around that pixel at time t (a 5×5 mean of |frame 0 − frame 1| at the two
    /// candidates' sample positions, on the field grid; motions under 4 field pixels only): flow
    /// noise on still areas then costs no resampling blur. Off by default: the switch breaks
    /// the warp's smoothness (folds appear where it switches) for a mean gain of about 0.04 dB
    /// on the drop-frame benchmark (+0.2 on vtest, −0.06 on pan).
    public var staticCandidate = false
    /// Worker threads.
    public var threads = Parallel.defaultThreads

    public init() {}

    /// Throws `WarpError.invalidParameter` for the first value out of range.
    public func validate() throws {
        try fit.validate()
        try integrator.validate()
        guard (16...65_536).contains(flowFinestWidth) else {
            throw WarpError.invalidParameter(name: "flowFinestWidth", value: "\(flowFinestWidth)", expected: "16…65536")
        }
        guard (16...65_536).contains(maximumFieldWidth) else {
            throw WarpError.invalidParameter(name: "maximumFieldWidth", value: "\(maximumFieldWidth)", expected: "16…65536")
        }
        guard (0...4).contains(fitLevelsBelowField) else {
            throw WarpError.invalidParameter(name: "fitLevelsBelowField", value: "\(fitLevelsBelowField)", expected: "0…4")
        }
        guard fieldSmoothing.isFinite, (0...16).contains(fieldSmoothing) else {
            throw WarpError.invalidParameter(name: "fieldSmoothing", value: "\(fieldSmoothing)", expected: "0…16")
        }
        guard (0...100).contains(logarithmIterations) else {
            throw WarpError.invalidParameter(name: "logarithmIterations", value: "\(logarithmIterations)", expected: "0…100")
        }
        guard (0...100).contains(refinement), (1...6).contains(refinementLevels) else {
            throw WarpError.invalidParameter(name: "refinement", value: "\(refinement) (\(refinementLevels) levels)", expected: "0…100 iterations, 1…6 levels")
        }
        guard (1...256).contains(accelerationSteps) else {
            throw WarpError.invalidParameter(name: "accelerationSteps", value: "\(accelerationSteps)", expected: "1…256")
        }
        guard accelerationSmoothing.isFinite, (0...16).contains(accelerationSmoothing) else {
            throw WarpError.invalidParameter(name: "accelerationSmoothing", value: "\(accelerationSmoothing)", expected: "0…16")
        }
        guard threads >= 1 else { throw WarpError.invalidParameter(name: "threads", value: "\(threads)", expected: "≥ 1") }
    }
}

/// Measurements of one prepared pair (field grid).
public struct PairStatistics: Sendable, Equatable {
    /// Fraction of field pixels where φ_{−½} or φ_{½} folds (node method; 0 for flow).
    public var foldedFraction: Double
    /// Fraction of field pixels whose φ_{−½} or φ_{½} leaves the frame.
    public var outOfGridFraction: Double
    /// Fraction of field pixels marked occluded in either frame.
    public var occludedFraction: Double
    /// Extra smoothing rounds applied because the integrated field folded (0 normally).
    public var smoothingRounds = 0
    /// Seconds spent estimating flow.
    public var flowSeconds: Double
    /// Seconds spent fitting the velocity field.
    public var fitSeconds: Double
    /// The fit's objective before and after (equal when not fitted).
    public var fit: FitReport?
    /// Mean agreement (0…1) of the two acceleration estimates, nil when the pair had no
    /// acceleration (two-frame trajectories: no neighbours, a cut, or the flow method).
    public var accelerationAgreement: Double? = nil
}

/// Makes the frame at any time t ∈ (0, 1) between two decoded frames. `prepare` estimates the
/// pair's flows and fits the velocity field once; the returned `InterpolatedPair` renders any
/// number of t values. Rendering happens in the frames' own planes (see `PlaneRenderer`), so
/// the output keeps their pixel format (planar, 8-bit or native-endian 16-bit samples) and
/// colour tags.
///
/// ```swift
/// let pair = try FrameInterpolator().prepare(first: f0, second: f1)
/// let middle = try pair.render(at: 0.5)      // f0's pixel format, size and colour tags
/// ```
public struct FrameInterpolator: Sendable {
    /// The settings used.
    public var settings: InterpolationSettings

    public init(settings: InterpolationSettings = InterpolationSettings()) {
        self.settings = settings
    }

    /// The field grid level (how many halvings of the luma grid) for a luma width.
    public func fieldLevel(lumaWidth: Int) -> Int {
        var level = 0
        while (lumaWidth >> level) > settings.maximumFieldWidth && (lumaWidth >> (level + 1)) >= 16 { level += 1 }
        return level
    }

    /// The flow estimator for frames `lumaWidth` pixels wide (the preset, or the automatic choice).
    public func flowEstimator(lumaWidth: Int) -> FlowEstimator {
        if let preset = settings.flowPreset { return FlowEstimator(preset: preset, threads: settings.threads) }
        var estimator = FlowEstimator(preset: .medium, threads: settings.threads)
        var level = estimator.parameters.finestLevel
        while (lumaWidth >> level) > settings.flowFinestWidth && level < 6 { level += 1 }
        estimator.parameters.finestLevel = level
        return estimator
    }

    /// Prepares a pair, computing the frames' luma itself (`FrameConverter.luma`). Use the
    /// variant taking luma planes when you already have them (a stream reuses each frame's).
    public func prepare(first: Frame, second: Frame) throws -> InterpolatedPair {
        let converter = FrameConverter()
        return try prepare(first: first, second: second, firstLuma: try converter.luma(first), secondLuma: try converter.luma(second))
    }

    /// The pair's flows both ways (`firstLuma`, `secondLuma`: luma in [0, 1] at full size),
    /// timed, on the field grid (`fieldLevel`), which is all `prepare` reads of them. A stream
    /// computes them once per pair and passes them to `prepare` for the pair itself and as a
    /// neighbour of the pairs on either side.
    public func flows(firstLuma: Plane, secondLuma: Plane) throws -> PairFlows {
        let clock = ContinuousClock()
        let started = clock.now
        let estimator = flowEstimator(lumaWidth: firstLuma.width)
        let level = fieldLevel(lumaWidth: firstLuma.width)
        let fw = max(1, firstLuma.width >> level), fh = max(1, firstLuma.height >> level)
        let forward = try estimator.flow(from: firstLuma, to: secondLuma).resized(width: fw, height: fh, threads: settings.threads)
        let backward = try estimator.flow(from: secondLuma, to: firstLuma).resized(width: fw, height: fh, threads: settings.threads)
        return try PairFlows(forward: forward, backward: backward, seconds: Self.seconds(clock.now - started))
    }

    /// Prepares a pair: flows both ways, occlusion masks, the velocity field (node) and its fit.
    /// `firstLuma`/`secondLuma` are the frames' luma planes in [0, 1] at full size.
    /// Throws `WarpError` or `MotionError` for mismatched sizes, bad settings or tiny frames.
    public func prepare(first: Frame, second: Frame, firstLuma: Plane, secondLuma: Plane) throws -> InterpolatedPair {
        try prepare(first: first, second: second, firstLuma: firstLuma, secondLuma: secondLuma,
                    flows: try flows(firstLuma: firstLuma, secondLuma: secondLuma), neighbours: .none)
    }

    /// Prepares a pair from its flows (`flows(firstLuma:secondLuma:)`, any grid of the frames'
    /// aspect: they are resampled to the field grid) and, for trajectories with acceleration,
    /// the flows of the pairs before and after it (`neighbours`).
    public func prepare(first: Frame, second: Frame, firstLuma: Plane, secondLuma: Plane,
                        flows: PairFlows, neighbours: PairNeighbours) throws -> InterpolatedPair {
        let s = settings
        try s.validate()
        guard first.width == second.width, first.height == second.height, first.pixelFormat == second.pixelFormat else {
            throw WarpError.sizeMismatch(what: "the frames of a pair", first.width, first.height, second.width, second.height)
        }
        guard firstLuma.width == first.width, firstLuma.height == first.height,
              secondLuma.width == first.width, secondLuma.height == first.height else {
            throw WarpError.sizeMismatch(what: "frames and their luma", first.width, first.height, firstLuma.width, firstLuma.height)
        }
        guard flows.forward.width > 0, flows.forward.height > 0 else {
            throw WarpError.sizeMismatch(what: "frames and their flows", first.width, first.height, flows.forward.width, flows.forward.height)
        }
        let clock = ContinuousClock()
        // Field grid: the luma grid halved `level` times.
        let level = fieldLevel(lumaWidth: first.width)
        let forwardFull = flows.forward, backwardFull = flows.backward
        let flowSeconds = flows.seconds
        let fw = max(1, first.width >> level), fh = max(1, first.height >> level)
        let forward = forwardFull.resized(width: fw, height: fh, threads: s.threads)
        let backward = backwardFull.resized(width: fw, height: fh, threads: s.threads)
        var occludedFirst = Plane(width: fw, height: fh), occludedSecond = occludedFirst
        if s.occlusion {
            occludedFirst = try forward.occlusionMask(backward: backward, threads: s.threads).blurred(sigma: 1, threads: s.threads)
            occludedSecond = try backward.occlusionMask(backward: forward, threads: s.threads).blurred(sigma: 1, threads: s.threads)
        }
        // Luma on the field grid, for the refinement and for choosing between motion and no
        // motion per pixel; nil when neither is on or the halvings do not land on the grid.
        var fieldLuma: (Plane, Plane)?
        if s.staticCandidate || (s.method == .node && s.refinement > 0) {
            var l0 = firstLuma, l1 = secondLuma
            for _ in 0..<level {
                l0 = l0.downsampled2x(threads: s.threads)
                l1 = l1.downsampled2x(threads: s.threads)
            }
            if l0.width == fw && l0.height == fh { fieldLuma = (l0, l1) }
        }
        let started = clock.now
        var field: VelocityField?
        var acceleration: (field: Deformation, agreement: Double)?
        var report: FitReport?
        if s.method == .node {
            var v = try VelocityField(midpointFrom: forward, backward: backward, iterations: s.midpointIterations, threads: s.threads)
            if s.refinement > 0, let (l0, l1) = fieldLuma {
                v = try refined(v, first: l0, second: l1, lumaWidth: firstLuma.width,
                                hidden: s.occlusion ? (occludedFirst, occludedSecond) : nil)
            }
            if s.logarithmIterations > 0 {
                v = try v.logarithmCorrected(forward: forward, backward: backward,
                                             hidden: s.occlusion ? (occludedFirst, occludedSecond) : nil,
                                             iterations: s.logarithmIterations, integrator: s.integrator, threads: s.threads)
            }
            if s.fit.iterations > 0 {
                var l0 = firstLuma, l1 = secondLuma
                for _ in 0..<(level + s.fitLevelsBelowField) where l0.width >= 32 && l0.height >= 32 {
                    l0 = l0.downsampled2x(threads: s.threads)
                    l1 = l1.downsampled2x(threads: s.threads)
                }
                let coarse = v.resized(width: l0.width, height: l0.height, threads: s.threads)
                let (fitted, fitReport) = try VelocityFitter(parameters: s.fit).fit(coarse, first: l0, second: l1)
                report = fitReport
                // Only the fit's correction is brought up to the field grid, so the flow's
                // detail at full resolution is kept.
                let correction = try Deformation(u: Self.difference(fitted.u, coarse.u), v: Self.difference(fitted.v, coarse.v))
                    .resized(width: fw, height: fh, threads: s.threads)
                v = try VelocityField(u: Self.sum(v.u, correction.u), v: Self.sum(v.v, correction.v))
            }
            if s.acceleration, let a = AccelerationEstimator.estimate(velocity: v, forward: forward, backward: backward,
                                                                       neighbours: neighbours, threads: s.threads) {
                acceleration = (Deformation(validU: a.field.u.blurred(sigma: s.accelerationSmoothing, threads: s.threads),
                                            v: a.field.v.blurred(sigma: s.accelerationSmoothing, threads: s.threads)), a.agreement)
            }
            field = v.smoothed(sigma: s.fieldSmoothing, threads: s.threads)
        }
        let fitSeconds = Self.seconds(clock.now - started)
        let pair = InterpolatedPair(first: first, second: second, settings: s, field: field, acceleration: acceleration?.field,
                                    forward: forward, backward: backward,
                                    occludedFirst: occludedFirst, occludedSecond: occludedSecond,
                                    fieldLuma: s.staticCandidate ? fieldLuma : nil,
                                    statistics: PairStatistics(foldedFraction: 0, outOfGridFraction: 0, occludedFraction: 0, smoothingRounds: 0,
                                                               flowSeconds: flowSeconds, fitSeconds: fitSeconds, fit: report,
                                                               accelerationAgreement: acceleration?.agreement))
        return try pair.measured()
    }

    /// The midpoint field refined symmetrically on the field grid (`refinement`) against the
    /// frames' luma on that grid (`first`, `second`; frames `lumaWidth` wide at full size);
    /// `hidden` are the occlusion masks of both frames, read where the content at x sits in each.
    func refined(_ v: VelocityField, first l0: Plane, second l1: Plane, lumaWidth: Int, hidden: (Plane, Plane)?) throws -> VelocityField {
        let s = settings
        var confidence: Plane?
        if let (h0, h1) = hidden {
            var c = Plane(width: v.width, height: v.height)
            for y in 0..<v.height {
                for x in 0..<v.width {
                    let i = y * v.width + x
                    let hu = 0.5 * v.u.data[i], hv = 0.5 * v.v.data[i]
                    c.data[i] = 1 - max(h0.bilinear(x: Float(x) - hu, y: Float(y) - hv), h1.bilinear(x: Float(x) + hu, y: Float(y) + hv))
                }
            }
            confidence = c
        }
        let field = try FlowField(u: v.u, v: v.v)
        let out = try flowEstimator(lumaWidth: lumaWidth).refinedMidpointField(field, first: l0, second: l1, confidence: confidence,
                                                                                      iterations: s.refinement, levels: s.refinementLevels)
        return try VelocityField(u: out.u, v: out.v)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func difference(_ a: Plane, _ b: Plane) -> Plane {
        var out = a
        for i in 0..<out.count { out.data[i] -= b.data[i] }
        return out
    }

    static func sum(_ a: Plane, _ b: Plane) -> Plane {
        var out = a
        for i in 0..<out.count { out.data[i] += b.data[i] }
        return out
    }
}
