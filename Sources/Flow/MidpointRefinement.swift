import Raster

extension FlowEstimator {
    /// Refines a field that lives at the midpoint between two frames, the way this estimator
    /// refines its own flows: `iterations` fixed-point iterations of variational refinement per
    /// level (intensity and gradient constancy, Charbonnier, smoothness `smoothnessWeight`,
    /// red-black SOR), coarse to fine over `levels` pyramid levels, with a symmetric data term:
    /// frame 0 read at x − ½f(x) against frame 1 read at x + ½f(x).
    ///
    /// `field` is in pixels of the frames' grid (`first`, `second`: luma in [0, 1], one size);
    /// `confidence` (same size, 0…1, optional) weights the data terms, e.g. 0 where the content
    /// is hidden in one of the frames, so occlusions are filled by smoothness. Only the
    /// refinement's correction travels between levels, so detail of `field` finer than the
    /// coarse levels is kept. Throws `MotionError` for mismatched sizes or bad parameters.
    public func refinedMidpointField(_ field: FlowField, first: Plane, second: Plane, confidence: Plane? = nil,
                                     iterations: Int, levels: Int = 2) throws -> FlowField {
        try parameters.validate()
        guard first.width == second.width, first.height == second.height,
              field.width == first.width, field.height == first.height else {
            throw MotionError.sizeMismatch(what: "midpoint field and frames", firstWidth: field.width, firstHeight: field.height,
                                           secondWidth: first.width, secondHeight: first.height)
        }
        if let confidence, confidence.width != first.width || confidence.height != first.height {
            throw MotionError.sizeMismatch(what: "confidence and frames", firstWidth: confidence.width, firstHeight: confidence.height,
                                           secondWidth: first.width, secondHeight: first.height)
        }
        guard (0...100).contains(iterations), (1...6).contains(levels) else {
            throw MotionError.invalidParameter(name: "iterations/levels", value: "\(iterations)/\(levels)", expected: "0…100 / 1…6")
        }
        guard iterations > 0, field.width >= 8, field.height >= 8 else { return field }
        let threads = parameters.threads
        // Intensities in 0…255, the scale the refinement's weights are set for.
        var pyramid0 = [first.scaled(by: 255)], pyramid1 = [second.scaled(by: 255)], masks = [confidence]
        while pyramid0.count < levels, pyramid0[pyramid0.count - 1].width >= 32, pyramid0[pyramid0.count - 1].height >= 32 {
            pyramid0.append(pyramid0[pyramid0.count - 1].downsampled2x(threads: threads))
            pyramid1.append(pyramid1[pyramid1.count - 1].downsampled2x(threads: threads))
            masks.append(masks[masks.count - 1].map { $0.downsampled2x(threads: threads) })
        }
        var p = parameters
        p.refinementIterations = iterations
        var correction: FlowField?
        for level in stride(from: pyramid0.count - 1, through: 0, by: -1) {
            let i0 = pyramid0[level], i1 = pyramid1[level]
            let base = field.resized(width: i0.width, height: i0.height, threads: threads)
            var current = base
            if let c = correction?.resized(width: i0.width, height: i0.height, threads: threads) {
                for k in 0..<current.u.count {
                    current.u.data[k] += c.u.data[k]
                    current.v.data[k] += c.v.data[k]
                }
            }
            let refined = VariationalRefinement(i0: i0, i1: i1, parameters: p, symmetric: true, confidence: masks[level]).refine(current)
            var delta = refined
            for k in 0..<delta.u.count {
                delta.u.data[k] -= base.u.data[k]
                delta.v.data[k] -= base.v.data[k]
            }
            correction = delta
        }
        guard let correction else { return field }
        var out = field
        for k in 0..<out.u.count {
            out.u.data[k] += correction.u.data[k]
            out.v.data[k] += correction.v.data[k]
        }
        return out
    }
}
