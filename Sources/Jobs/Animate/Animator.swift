import Foundation
import Flow
import MediaIO
import Pipeline
import Raster
import WarpingNODE

/// An animation between two pictures (Image2Gif's use case: a face before and after a smile, a
/// digit that rotates), made without inventing colours: one velocity field for the pair, fitted
/// to correspondences searched up to `reach` of the picture, integrated to any t; A is pulled
/// back by φ_{−t} and B by φ_{1−t} and the two are blended by t and by visibility. The field is
/// smoothed until the warps of every frame's time are fold-free (a positive Jacobian
/// determinant everywhere). The first and last frames are A and B exactly.
///
/// ```swift
/// let animator = try Animator(settings: AnimateSettings())
/// let animation = try animator.prepare(first: a, second: b)
/// for i in 0..<animation.count { try writer.write(animation.frame(i)) }
/// ```
public struct Animator: Sendable {
    /// The settings, validated.
    public let settings: AnimateSettings

    /// Throws `FilterError.invalidOption` for a setting out of range.
    public init(settings: AnimateSettings) throws {
        self.settings = try settings.validated()
    }

    private var threads: Int { settings.threads > 0 ? settings.threads : Parallel.defaultThreads }

    /// A and B as one size and one planar pixel format: A's format when the renderer takes it
    /// (planar YUV or gray, 8-bit or native 16-bit), else yuv444p (an RGB picture keeps its full
    /// colour resolution); B fitted into A's size as `fit` says. `names` name the pictures in
    /// errors.
    public func conform(first: Frame, second: Frame, names: (String, String)) throws -> (Frame, Frame) {
        let converter = FrameConverter()
        var format = first.pixelFormat
        if BlendKernel.bytesPerSample(for: format) == nil || !format.isOneComponentPerPlane {
            guard let yuv444 = PixelFormat(name: "yuv444p") else { throw MediaError(.invalidArgument, path: names.0, "this FFmpeg has no yuv444p") }
            format = yuv444
        }
        let w = first.width, h = first.height
        let a = first.pixelFormat == format ? first : try converter.convert(first, width: w, height: h, pixelFormat: format)
        if second.width == w && second.height == h {
            let b = second.pixelFormat == format ? second : try converter.convert(second, width: w, height: h, pixelFormat: format)
            return (a, b)
        }
        let sizes = "\(w)×\(h) and \(second.width)×\(second.height)"
        let scaleInside = min(Double(w) / Double(second.width), Double(h) / Double(second.height))
        let scaleCover = max(Double(w) / Double(second.width), Double(h) / Double(second.height))
        switch settings.fit {
        case .refuse:
            throw AnimateError.sizeMismatch(first: names.0, second: names.1, sizes)
        case .pad:
            let sw = max(2, Int((Double(second.width) * scaleInside).rounded())), sh = max(2, Int((Double(second.height) * scaleInside).rounded()))
            let scaled = try converter.convert(second, width: min(sw, w), height: min(sh, h), pixelFormat: format)
            let canvas = try Self.black(like: a)
            try Self.copy(scaled, into: canvas, offsetX: (w - scaled.width) / 2, offsetY: (h - scaled.height) / 2)
            return (a, canvas)
        case .crop:
            let sw = max(w, Int((Double(second.width) * scaleCover).rounded())), sh = max(h, Int((Double(second.height) * scaleCover).rounded()))
            let scaled = try converter.convert(second, width: sw, height: sh, pixelFormat: format)
            let canvas = try a.copy()
            try Self.copy(scaled, into: canvas, offsetX: -(sw - w) / 2, offsetY: -(sh - h) / 2)
            return (a, canvas)
        }
    }

    /// The flow estimator for pictures of `width × height`: the medium preset on a grid at most
    /// 400 px wide, with a pyramid and a coarse exhaustive search that reach `reach` of the
    /// longer side (DIS alone reaches about an eighth).
    public func flowEstimator(width: Int, height: Int) -> FlowEstimator {
        var estimator = FlowEstimator(preset: .medium, threads: threads)
        var finest = estimator.parameters.finestLevel
        while (width >> finest) > 400 && finest < 6 { finest += 1 }
        estimator.parameters.finestLevel = finest
        let side = max(width, height), short = min(width, height)
        var coarsest = finest
        while (side >> (coarsest + 1)) >= 32 && (short >> (coarsest + 1)) >= 16 { coarsest += 1 }
        estimator.parameters.coarsestLevel = coarsest
        let needed = Double(side) * settings.reach / Double(1 << coarsest)
        estimator.parameters.coarseSearchRadius = max(2, min(32, Int(needed.rounded(.up)) - 2))
        return estimator
    }

    /// Prepares the animation of two conformed pictures (`conform`): flows both ways, the
    /// velocity field (node) and its refinement, smoothed until every frame's warps are
    /// fold-free. `blend` estimates no motion.
    public func prepare(first: Frame, second: Frame) throws -> Animation {
        let count = settings.frameCount
        let times = (0..<count).map { settings.ease.time(frame: $0, of: count) }
        let sequence = settings.pingpong ? times + times.dropFirst().dropLast().reversed() : times
        guard settings.method != .blend else {
            guard let bytes = BlendKernel.bytesPerSample(for: first.pixelFormat) else {
                throw MediaError(.invalidArgument, path: "", "cannot blend \(first.pixelFormat) samples")
            }
            return Animation(first: first, second: second, pair: nil, bytesPerSample: bytes, times: sequence, statistics: AnimationStatistics())
        }
        let clock = ContinuousClock(), started = clock.now
        let converter = FrameConverter()
        let l0 = try converter.luma(first), l1 = try converter.luma(second)
        let estimator = flowEstimator(width: first.width, height: first.height)
        var interpolation = InterpolationSettings()
        interpolation.method = settings.method == .flow ? .flow : .node
        interpolation.refinement = settings.method == .node ? settings.refine : 0
        interpolation.logarithmIterations = settings.method == .node ? settings.arc : 0
        interpolation.acceleration = false
        interpolation.threads = threads
        let interpolator = FrameInterpolator(settings: interpolation)
        let level = interpolator.fieldLevel(lumaWidth: first.width)
        let fw = max(1, first.width >> level), fh = max(1, first.height >> level)
        // A global similarity first (rotation, scale, translation), then the flow of what it
        // leaves: patch flow alone loses a rotation beyond ~15°.
        let prior = SimilaritySearch.find(from: l0, to: l1, reach: settings.reach, threads: threads)
        let forward = try Self.flow(from: l0, to: l1, prior: prior, estimator: estimator)
        let backward = try Self.flow(from: l1, to: l0, prior: prior.inverse, estimator: estimator)
        let flows = try PairFlows(forward: forward.resized(width: fw, height: fh, threads: threads),
                                  backward: backward.resized(width: fw, height: fh, threads: threads),
                                  seconds: Self.seconds(clock.now - started))
        let prepared = try interpolator.prepare(first: first, second: second, firstLuma: l0, secondLuma: l1, flows: flows, neighbours: .none)
        let inner = times.filter { $0 > 0 && $0 < 1 }
        let (pair, rounds, folded, outside) = try prepared.unfolded(at: inner)
        let statistics = AnimationStatistics(foldedFraction: folded, outOfGridFraction: outside, smoothingRounds: rounds,
                                             largestMotion: Double(forward.maximumDisplacement), flowSeconds: flows.seconds,
                                             seconds: Self.seconds(clock.now - started), prior: prior)
        return Animation(first: first, second: second, pair: pair, bytesPerSample: 0, times: sequence, statistics: statistics)
    }

    /// The flow from `p` to `q` given a prior map T with p(x) ≈ q(T(x)): p is pulled into q's
    /// frame by T⁻¹, the residual flow is estimated, and the two are composed.
    static func flow(from p: Plane, to q: Plane, prior: Similarity, estimator: FlowEstimator) throws -> FlowField {
        guard prior != .identity else { return try estimator.flow(from: p, to: q) }
        let toPrior = prior.displacement(width: p.width, height: p.height)
        let aligned = prior.inverse.displacement(width: p.width, height: p.height).warp(p)
        let residual = try estimator.flow(from: aligned, to: q)
        return try residual.composed(after: toPrior)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// A frame of `like`'s size and format, black (luma at the bottom of its range, chroma
    /// neutral).
    static func black(like frame: Frame) throws -> Frame {
        let out = try Frame(width: frame.width, height: frame.height, pixelFormat: frame.pixelFormat, timeBase: frame.timeBase)
        out.copyProperties(from: frame)
        let format = frame.pixelFormat
        let bytes = format.bytesPerSample
        let depth = format.bitDepth
        for plane in 0..<frame.planeCount {
            let value = plane == 0 ? (format.name.hasPrefix("gray") || format.name.hasPrefix("yuvj") ? 0 : 16 << (depth - 8))
                : 1 << (depth - 1)
            try out.withMutablePlane(plane) { data, stride, w, h in
                for y in 0..<h {
                    for x in 0..<w {
                        if bytes == 1 {
                            data[y * stride + x] = UInt8(truncatingIfNeeded: value)
                        } else {
                            data[y * stride + 2 * x] = UInt8(truncatingIfNeeded: value)
                            data[y * stride + 2 * x + 1] = UInt8(truncatingIfNeeded: value >> 8)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Copies `source` into `target` (same pixel format) with its top-left corner at
    /// (offsetX, offsetY) luma pixels (negative: `source`'s top-left part is cut), clipped to
    /// both; chroma offsets follow the format's subsampling.
    static func copy(_ source: Frame, into target: Frame, offsetX: Int, offsetY: Int) throws {
        let format = target.pixelFormat
        let bytes = format.bytesPerSample
        for plane in 0..<target.planeCount {
            let sx = plane == 0 || plane == 3 ? 0 : format.chromaShiftX, sy = plane == 0 || plane == 3 ? 0 : format.chromaShiftY
            let ox = offsetX >> sx, oy = offsetY >> sy
            try source.withPlane(plane) { src, srcStride, sw, sh in
                try target.withMutablePlane(plane) { dst, dstStride, tw, th in
                    for y in max(0, oy)..<min(th, sh + oy) {
                        let x0 = max(0, ox), x1 = min(tw, sw + ox)
                        guard x1 > x0 else { continue }
                        for x in x0..<x1 {
                            for b in 0..<bytes { dst[y * dstStride + x * bytes + b] = src[(y - oy) * srcStride + (x - ox) * bytes + b] }
                        }
                    }
                }
            }
        }
    }
}

/// What preparing an animation measured.
public struct AnimationStatistics: Sendable, Equatable {
    /// Largest fraction of field pixels where a frame's warps fold (0 after unfolding, unless
    /// the smoothing rounds ran out).
    public var foldedFraction = 0.0
    /// Largest fraction of field pixels whose warps read from outside a picture.
    public var outOfGridFraction = 0.0
    /// Extra smoothing rounds spent on folds.
    public var smoothingRounds = 0
    /// Largest forward-flow displacement, pixels.
    public var largestMotion = 0.0
    /// Seconds spent on optical flow, and on the whole preparation.
    public var flowSeconds = 0.0, seconds = 0.0
    /// The global similarity found before the flow (identity when none helps).
    public var prior = Similarity.identity
}

/// A prepared animation: `count` frames, A and B exactly at t = 0 and 1.
public struct Animation: Sendable {
    let first: Frame
    let second: Frame
    let pair: InterpolatedPair?
    let bytesPerSample: Int
    /// The time (0 … 1) of each frame.
    public let times: [Double]
    public let statistics: AnimationStatistics

    /// Frames in the animation.
    public var count: Int { times.count }

    /// Frame `index` (pts = index; the caller sets the time base): a copy of A or B at t = 0
    /// and 1, else rendered.
    public func frame(_ index: Int) throws -> Frame {
        let t = times[max(0, min(times.count - 1, index))]
        let out: Frame
        if t <= 0 {
            out = try first.copy()
        } else if t >= 1 {
            out = try second.copy()
        } else if let pair {
            out = try pair.render(at: t)
        } else {
            out = try first.copy()
            try BlendKernel.blend(first, second, into: out, weight: t, bytesPerSample: bytesPerSample)
        }
        out.pts = Int64(index)
        return out
    }
}
