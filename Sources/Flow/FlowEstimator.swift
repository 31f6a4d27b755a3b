import Foundation
import Raster

/// Dense optical flow of the DIS family (Kroeger et al. 2016, "Fast Optical Flow using Dense
/// Inverse Search"): coarse-to-fine over an image pyramid; at each level a grid of overlapping
/// patches is aligned by inverse-compositional Gauss-Newton (mean-normalised, so robust to
/// brightness offsets) with spatial propagation, the patch displacements are densified by
/// residual-weighted averaging, and a few fixed-point iterations of variational refinement
/// (intensity + gradient constancy + smoothness, red-black SOR) polish the dense field.
///
/// ```swift
/// let flow = try FlowEstimator(preset: .medium).flow(from: luma0, to: luma1)
/// ```
public struct FlowEstimator: Sendable {
    /// Speed/accuracy trade-offs, from fastest to most accurate (finest level computed, patch
    /// stride, Gauss-Newton iterations, refinement iterations):
    /// `ultrafast` ¼ resolution, stride 4, 16, none; `fast` ¼, 4, 16, 5; `medium` ½, 3, 25, 5;
    /// `high` full resolution, 3, 25, 5. All use 8×8 mean-normalised patches, spatial
    /// propagation and an exhaustive ±2 px search at the coarsest level.
    public enum Preset: String, CaseIterable, Sendable {
        case ultrafast, fast, medium, high
    }

    /// Every tunable of the estimator. Start from a preset and change what you need.
    public struct Parameters: Sendable, Equatable {
        /// Finest pyramid level that is computed (0 = full resolution, 1 = half, …); the flow
        /// is upsampled bilinearly from there to full size.
        public var finestLevel: Int
        /// Coarsest pyramid level; nil picks it from the image size (patches of about a quarter
        /// of the coarsest image's larger side), which handles motion up to ~1/8 of the image.
        public var coarsestLevel: Int?
        /// Side of the square patches, pixels (at the level's scale).
        public var patchSize: Int
        /// Distance between neighbouring patches, pixels; smaller = denser, slower, more accurate.
        public var patchStride: Int
        /// Gauss-Newton iterations per patch and level.
        public var gradientDescentIterations: Int
        /// Try the neighbouring patches' displacements as starting points (two sweeps).
        public var spatialPropagation: Bool
        /// Subtract the patch mean before matching (robust to brightness offsets).
        public var meanNormalization: Bool
        /// Fixed-point iterations of variational refinement per level (0 disables it).
        public var refinementIterations: Int
        /// Red-black SOR sweeps per fixed-point iteration.
        public var sorIterations: Int
        /// SOR over-relaxation factor, in (0, 2).
        public var sorOmega: Float
        /// Weight of the flow smoothness term (OpenCV's alpha).
        public var smoothnessWeight: Float
        /// Weight of the gradient constancy term (gamma), for robustness to brightness change.
        public var gradientWeight: Float
        /// Weight of the intensity constancy term (delta).
        public var intensityWeight: Float
        /// Radius (pixels at the coarsest level) of an exhaustive integer search that seeds every
        /// patch there; it extends the largest motion found to about (radius + 2)·2^coarsest pixels.
        public var coarseSearchRadius: Int
        /// Worker threads (≥ 1); default: the number of active processors.
        public var threads: Int

        /// The parameters of `preset`.
        public init(preset: Preset = .medium) {
            patchSize = 8
            coarsestLevel = nil
            meanNormalization = true
            sorIterations = 5
            sorOmega = 1.6
            smoothnessWeight = 20
            gradientWeight = 10
            intensityWeight = 5
            threads = Parallel.defaultThreads
            coarseSearchRadius = 2
            switch preset {
            case .ultrafast:
                finestLevel = 2; patchStride = 4; gradientDescentIterations = 16
                spatialPropagation = true; refinementIterations = 0
            case .fast:
                finestLevel = 2; patchStride = 4; gradientDescentIterations = 16
                spatialPropagation = true; refinementIterations = 5
            case .medium:
                finestLevel = 1; patchStride = 3; gradientDescentIterations = 25
                spatialPropagation = true; refinementIterations = 5
            case .high:
                finestLevel = 0; patchStride = 3; gradientDescentIterations = 25
                spatialPropagation = true; refinementIterations = 5
            }
        }

        /// Throws `MotionError.invalidParameter` for the first out-of-range value.
        public func validate() throws {
            func check(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws {
                if !ok { throw MotionError.invalidParameter(name: name, value: "\(value)", expected: expected) }
            }
            try check((0...12).contains(finestLevel), "finestLevel", finestLevel, "0…12")
            if let c = coarsestLevel { try check((0...16).contains(c), "coarsestLevel", c, "0…16 or automatic") }
            try check((4...32).contains(patchSize), "patchSize", patchSize, "4…32")
            try check((1...patchSize).contains(patchStride), "patchStride", patchStride, "1…patchSize")
            try check((0...200).contains(gradientDescentIterations), "gradientDescentIterations", gradientDescentIterations, "0…200")
            try check((0...100).contains(refinementIterations), "refinementIterations", refinementIterations, "0…100")
            try check((1...100).contains(sorIterations), "sorIterations", sorIterations, "1…100")
            try check(sorOmega > 0 && sorOmega < 2, "sorOmega", sorOmega, "a value in (0, 2)")
            for (name, w) in [("smoothnessWeight", smoothnessWeight), ("gradientWeight", gradientWeight), ("intensityWeight", intensityWeight)] {
                try check(w.isFinite && w >= 0, name, w, "a finite value ≥ 0")
            }
            try check((0...32).contains(coarseSearchRadius), "coarseSearchRadius", coarseSearchRadius, "0…32")
            try check(threads >= 1, "threads", threads, "≥ 1")
        }
    }

    /// The parameters this estimator runs with.
    public var parameters: Parameters

    /// An estimator with a preset's parameters; `threads` overrides the worker count.
    public init(preset: Preset = .medium, threads: Int? = nil) {
        parameters = Parameters(preset: preset)
        if let threads { parameters.threads = threads }
    }

    /// An estimator with explicit parameters (validated when `flow` runs).
    public init(parameters: Parameters) {
        self.parameters = parameters
    }

    /// The smallest side accepted for input images, pixels.
    public var minimumSide: Int { max(8, parameters.patchSize) }

    /// The flow (pixels) from `first` to `second`: pixel p of `first` is at p + flow(p) in
    /// `second`. Both are luma planes of the same size with values in [0, 1].
    /// Throws `MotionError` for mismatched sizes, images smaller than `minimumSide`, non-finite
    /// samples or invalid parameters. `initial`, if given, seeds the coarsest level.
    public func flow(from first: Plane, to second: Plane, initial: FlowField? = nil) throws -> FlowField {
        let p = parameters
        try p.validate()
        guard first.width == second.width, first.height == second.height else {
            throw MotionError.sizeMismatch(what: "the two images", firstWidth: first.width, firstHeight: first.height,
                                           secondWidth: second.width, secondHeight: second.height)
        }
        let w = first.width, h = first.height
        guard w >= minimumSide, h >= minimumSide else {
            throw MotionError.imageTooSmall(width: w, height: h, minimumSide: minimumSide)
        }
        if let initial, initial.width != w || initial.height != h {
            throw MotionError.sizeMismatch(what: "the images and the initial flow", firstWidth: w, firstHeight: h,
                                           secondWidth: initial.width, secondHeight: initial.height)
        }
        guard first.allFinite else { throw MotionError.nonFiniteInput(what: "the first image") }
        guard second.allFinite else { throw MotionError.nonFiniteInput(what: "the second image") }
        // An initial flow may come from a .flo file: NaN there would reach Int(_:) in the search.
        if let initial, !initial.u.allFinite || !initial.v.allFinite {
            throw MotionError.nonFiniteInput(what: "the initial flow")
        }

        let (finest, coarsest) = levelRange(width: w, height: h)
        let threads = p.threads
        // Intensities 0…255 (the scale the robust-weight constants are tuned for), applied only
        // to the levels that are used.
        let pyramid0 = ImagePyramid(first, levelCount: coarsest + 1, threads: threads).levels.enumerated().map {
            $0.offset >= finest ? $0.element.scaled(by: 255) : $0.element
        }
        let pyramid1 = ImagePyramid(second, levelCount: coarsest + 1, threads: threads).levels.enumerated().map {
            $0.offset >= finest ? $0.element.scaled(by: 255) : $0.element
        }

        var flow: FlowField
        let top = pyramid0[coarsest]
        if let initial {
            flow = initial.resized(width: top.width, height: top.height, threads: threads)
        } else {
            flow = FlowField(width: top.width, height: top.height)
        }
        for level in stride(from: coarsest, through: finest, by: -1) {
            let i0 = pyramid0[level], i1 = pyramid1[level]
            flow = flow.resized(width: i0.width, height: i0.height, threads: threads)
            let (gx, gy) = i0.gradients(threads: threads)
            var search = PatchSearch(i0: i0, i1: i1, gx: gx, gy: gy, parameters: p)
            if level == coarsest && initial == nil { search.exhaustiveRadius = p.coarseSearchRadius }
            flow = search.run(initial: flow)
            if p.refinementIterations > 0 {
                let refiner = VariationalRefinement(i0: i0, i1: i1, parameters: p)
                flow = refiner.refine(flow)
            }
        }
        return flow.resized(width: w, height: h, threads: threads)
    }

    /// The finest and coarsest pyramid levels used for a `width × height` image: the coarsest
    /// keeps both sides ≥ 2 patches (automatic: larger side ≈ 4 patches, as OpenCV's DIS does),
    /// the finest is clamped so it never exceeds the coarsest.
    public func levelRange(width: Int, height: Int) -> (finest: Int, coarsest: Int) {
        let p = parameters
        var maxLevel = 0
        while (width >> (maxLevel + 1)) >= 2 * p.patchSize && (height >> (maxLevel + 1)) >= 2 * p.patchSize { maxLevel += 1 }
        var coarsest: Int
        if let c = p.coarsestLevel {
            coarsest = c
        } else {
            let auto = log2(Double(max(width, height)) / (4.0 * Double(p.patchSize)))
            // Not finite for an empty image or a zero patch size: level 0 (Int(_:) would trap).
            coarsest = auto.isFinite ? Int(min(max(auto.rounded(), 0), 64)) : 0
        }
        coarsest = min(max(coarsest, 0), maxLevel)
        let finest = min(p.finestLevel, coarsest)
        return (finest, coarsest)
    }
}
