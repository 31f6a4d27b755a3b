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
    /// (`AffineMotion.fitted(to:)`). A step whose flow admits no fit counts as no motion.
    public private(set) var camera = AffineMotion.identity
    /// The previous frame (chained mode only).
    private var previous: Plane
    /// Estimator used after the first step of direct mode: it starts from F_{t−1} one level
    /// below the coarsest, so only the change since the last frame is searched for.
    private let warmEstimator: FlowEstimator

    /// A tracker for the pixels of `reference`. Throws `MotionError` when the reference is
    /// smaller than the estimator accepts or holds non-finite samples. With `estimatesCamera`
    /// the camera's motion is fitted too (`camera`).
    public init(reference: Plane, mode: TrajectoryMode = .direct, estimator: FlowEstimator = FlowEstimator(preset: .medium),
                estimatesCamera: Bool = false) throws {
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
        var warm = estimator
        let levels = estimator.levelRange(width: reference.width, height: reference.height)
        warm.parameters.coarsestLevel = max(levels.finest, levels.coarsest - 1)
        self.warmEstimator = warm
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
            displacement = step == 0
                ? try estimator.flow(from: reference, to: frame)
                : try warmEstimator.flow(from: reference, to: frame, initial: displacement)
            if estimatesCamera, let fit = AffineMotion.fitted(to: displacement) { camera = fit }
        case .chained:
            let next = try estimator.flow(from: previous, to: frame)
            displacement = step == 0 ? next : try displacement.composed(with: next, threads: threads)
            previous = frame
            if estimatesCamera, let fit = AffineMotion.fitted(to: next) { camera = camera.followed(by: fit) }
        }
        step += 1
        return displacement
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
        guard !values.isEmpty else { return 0 }
        let mid = values.count / 2
        values.withUnsafeMutableBufferPointer { buffer in
            var lo = 0, hi = buffer.count - 1
            while lo < hi {
                let pivot = buffer[(lo + hi) / 2]
                var i = lo, j = hi
                while i <= j {
                    while buffer[i] < pivot { i += 1 }
                    while buffer[j] > pivot { j -= 1 }
                    if i <= j { buffer.swapAt(i, j); i += 1; j -= 1 }
                }
                if mid <= j { hi = j } else if mid >= i { lo = i } else { break }
            }
        }
        return values[mid]
    }
}
