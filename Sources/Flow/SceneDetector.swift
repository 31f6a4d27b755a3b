import Raster

/// Scene-cut detection on a stream of luma planes, with the score of FFmpeg's `scdet` and
/// `framerate` filters (FFmpeg-free; planes in [0, 1]).
///
/// For each frame after the first:
///
/// ```
///   mafd  = 100 · mean |Y_k − Y_{k−1}|        (mean absolute frame difference, % of full scale)
///   diff  = |mafd_k − mafd_{k−1}|             (how suddenly the difference changed)
///   score = clamp(min(mafd, diff), 0, 100)    (a cut: score ≥ threshold)
/// ```
///
/// Steady motion keeps `mafd` high but `diff` low; a flash or a fade step raises `diff` for one
/// frame; only a frame that differs a lot from its predecessor *and* much more than its
/// predecessor differed from the one before scores high. The first frame (after `init` or
/// `reset`) scores 0 and its `mafd` counts as 0, as in `scdet`. A frame of a different size
/// than the previous one is a cut with score 100, and the one after it starts afresh (its
/// `mafd` is compared with 0), since nothing can be compared across the size change.
///
/// Differences with `scdet`: only luma is compared (scdet sums every plane of the frame), and
/// luma is whatever the caller's conversion gives; `FrameConverter.luma` stretches limited-range
/// video (16…235) to [0, 1], so on such video scores are about 255/219 ≈ 1.16× scdet's. On
/// full-range gray input the score is scdet's × 256/255 (scdet divides by 2⁸, not 255).
///
/// Cost: the sum of absolute differences runs on SIMD over contiguous rows (scalar reference
/// beside it). Measured in release builds on this project's 2-core test machine: 0.7 ms per
/// 1920×1080 frame pair (the scalar loop: 3.3 ms), 4.7 ms at 3840×2160. The pass is memory
/// bound, so sampling every second row (all columns, loads stay contiguous) saves only about a
/// quarter of the time at 4K (3.5 ms) and half at 1080p (0.35 ms), and moves scores by up to
/// 0.03 (4K) and 0.3 (1080p, a fine cellular texture; ≤ 0.003 on smooth pans) percentage
/// points. So rows are sampled automatically only above 1920×1080 (`subsampleAbove`); pass
/// `rowStep: 1` to always read every row.
///
/// ```swift
/// var detector = try SceneDetector(threshold: 10)
/// for luma in lumaPlanes {
///     if let m = detector.push(luma), m.isCut { print("cut, score \(m.score)") }
/// }
/// ```
public struct SceneDetector: Sendable {
    /// What `push` measured for one frame against the previous one.
    public struct Measurement: Sendable, Equatable {
        /// The scene-change score, 0…100 (see the type's description).
        public var score: Double
        /// Mean absolute luma difference to the previous frame, in percent of full scale
        /// (100 when the size changed).
        public var mafd: Double
        /// True when `score ≥ threshold`, or when the frame size changed.
        public var isCut: Bool
        /// True when this frame's size differs from the previous frame's.
        public var sizeChanged: Bool
    }

    /// Frames with more samples than this (1920×1080) are sampled on every second row when
    /// `rowStep` is automatic.
    public static let subsampleAbove = 1920 * 1080

    /// Score at or above which a frame is a cut, 0…100 (default 10, as `scdet`).
    public let threshold: Double
    /// Scores are computed on every `rowStep`-th row: 0 = automatic (2 above `subsampleAbove`
    /// samples, else 1); 1 = every row.
    public let rowStep: Int

    private var previous: Plane?
    private var previousMAFD = 0.0

    /// A detector with `threshold` in 0…100 (percent of full-scale luma, as `scdet`) and
    /// `rowStep` (0 = automatic, or 1…16). Throws `MotionError.invalidParameter` otherwise.
    public init(threshold: Double = 10, rowStep: Int = 0) throws {
        guard threshold.isFinite, (0...100).contains(threshold) else {
            throw MotionError.invalidParameter(name: "threshold", value: "\(threshold)", expected: "a score within 0…100")
        }
        guard (0...16).contains(rowStep) else {
            throw MotionError.invalidParameter(name: "rowStep", value: "\(rowStep)", expected: "0 (automatic) or 1…16")
        }
        self.threshold = threshold
        self.rowStep = rowStep
    }

    /// Forgets the previous frame: the next `push` is a first frame again.
    public mutating func reset() {
        previous = nil
        previousMAFD = 0
    }

    /// Compares `luma` (values in [0, 1]) with the previous frame and keeps it for the next
    /// call. Returns nil for the first frame (after `init` or `reset`), which has nothing to
    /// compare with and is never a cut.
    public mutating func push(_ luma: Plane) -> Measurement? {
        defer { previous = luma }
        guard let previous else {
            previousMAFD = 0
            return nil
        }
        guard previous.width == luma.width, previous.height == luma.height else {
            previousMAFD = 0
            return Measurement(score: 100, mafd: 100, isCut: true, sizeChanged: true)
        }
        let mafd = SceneDetector.meanAbsoluteDifference(previous, luma, rowStep: effectiveRowStep(for: luma)) * 100
        let diff = abs(mafd - previousMAFD)
        previousMAFD = mafd
        var score = min(mafd, diff)
        score = score.isFinite ? min(max(score, 0), 100) : 100
        return Measurement(score: score, mafd: mafd, isCut: score >= threshold, sizeChanged: false)
    }

    /// The row step used for a plane of this size.
    func effectiveRowStep(for plane: Plane) -> Int {
        if rowStep > 0 { return rowStep }
        return plane.count > SceneDetector.subsampleAbove ? 2 : 1
    }

    // MARK: kernels

    /// Mean of |a − b| over rows 0, `rowStep`, 2·`rowStep`, … (all columns); 0 for empty
    /// planes. `a` and `b` must have the same size. SIMD over each contiguous row: four SIMD8
    /// accumulators, |d| as `replacing(with:where:)` (`pointwiseMax(d, −d)` is about 3× slower
    /// on Linux), Float sums per row and Double across rows.
    static func meanAbsoluteDifference(_ a: Plane, _ b: Plane, rowStep: Int) -> Double {
        let w = a.width, h = a.height, step = max(1, rowStep)
        guard w > 0, h > 0, b.width == w, b.height == h else { return 0 }
        var total = 0.0
        var rows = 0
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                for y in Swift.stride(from: 0, to: h, by: step) {
                    total += Double(rowSAD(pa.baseAddress! + y * w, pb.baseAddress! + y * w, count: w))
                    rows += 1
                }
            }
        }
        return total / Double(rows * w)
    }

    /// Σ |a[i] − b[i]| over `count` contiguous samples.
    @inline(__always)
    static func rowSAD(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        }
        @inline(__always) func magnitude(_ d: SIMD8<Float>) -> SIMD8<Float> { d.replacing(with: -d, where: d .< 0) }
        var acc0 = SIMD8<Float>(repeating: 0), acc1 = acc0, acc2 = acc0, acc3 = acc0
        var x = 0
        while x + 32 <= count {
            acc0 += magnitude(load(a + x) - load(b + x))
            acc1 += magnitude(load(a + x + 8) - load(b + x + 8))
            acc2 += magnitude(load(a + x + 16) - load(b + x + 16))
            acc3 += magnitude(load(a + x + 24) - load(b + x + 24))
            x += 32
        }
        while x + 8 <= count {
            acc0 += magnitude(load(a + x) - load(b + x))
            x += 8
        }
        var sum = ((acc0 + acc1) + (acc2 + acc3)).sum()
        while x < count {
            sum += abs(a[x] - b[x])
            x += 1
        }
        return sum
    }

    /// Scalar reference of `meanAbsoluteDifference` (Double accumulation), for tests.
    static func meanAbsoluteDifferenceScalar(_ a: Plane, _ b: Plane, rowStep: Int) -> Double {
        let w = a.width, h = a.height, step = max(1, rowStep)
        guard w > 0, h > 0, b.width == w, b.height == h else { return 0 }
        var total = 0.0
        var count = 0
        for y in stride(from: 0, to: h, by: step) {
            for x in 0..<w {
                total += Double(abs(a[x, y] - b[x, y]))
                count += 1
            }
        }
        return total / Double(count)
    }
}
