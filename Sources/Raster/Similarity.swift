/// Structural similarity (SSIM, Wang et al. 2004) between planes, and *realism*: how close each
/// frame of a sequence comes to some frame of a reference set. Windows are Gaussian
/// (σ = 1.5 px), constants C1 = (0.01·L)², C2 = (0.03·L)² for samples of full scale L.
///
/// ```swift
/// let source = try SimilarityReference(frames: windowLuma, fullScale: 1)
/// let best = source.bestSSIM(loopFrame)          // 0 … 1, 1 = identical to a source frame
/// ```
public struct SimilarityReference: Sendable {
    /// The reference frames' local means and variances (Gaussian windows), and the frames.
    private let frames: [Plane], means: [Plane], variances: [Plane]
    private let c1: Float, c2: Float
    private static let sigma: Float = 1.5
    /// Width and height of every frame, pixels.
    public let width: Int, height: Int

    /// `frames` all of one size (throws `RasterError.invalidParameter` otherwise, or for none);
    /// `fullScale` is the samples' range (1 for Float luma, 255 for 8-bit codes).
    public init(frames: [Plane], fullScale: Float = 1) throws {
        guard let first = frames.first, frames.allSatisfy({ $0.width == first.width && $0.height == first.height }),
              first.count > 0 else {
            throw RasterError.invalidParameter(name: "similarity reference frames", value: "\(frames.count) frames",
                                               expected: "at least one, all of one non-empty size")
        }
        width = first.width
        height = first.height
        self.frames = frames
        c1 = (0.01 * fullScale) * (0.01 * fullScale)
        c2 = (0.03 * fullScale) * (0.03 * fullScale)
        let stats = frames.map { Self.statistics($0, sigma: Self.sigma) }
        means = stats.map(\.mean)
        variances = stats.map(\.variance)
    }

    /// Mean SSIM of `frame` against reference frame `index`.
    public func ssim(_ frame: Plane, against index: Int) -> Double {
        let stats = Self.statistics(frame, sigma: Self.sigma)
        return ssim(frame, stats, index)
    }

    /// The best mean SSIM of `frame` against any reference frame (0 … 1), and that frame's index.
    public func bestSSIM(_ frame: Plane) -> (ssim: Double, index: Int) {
        precondition(frame.width == width && frame.height == height, "frame size differs from the reference's")
        let stats = Self.statistics(frame, sigma: Self.sigma)
        var best = -Double.infinity, at = 0
        for i in frames.indices {
            let s = ssim(frame, stats, i)
            if s > best { best = s; at = i }
        }
        return (best, at)
    }

    private static func statistics(_ frame: Plane, sigma: Float) -> (mean: Plane, variance: Plane) {
        let mean = frame.blurred(sigma: sigma, threads: 1)
        var square = frame
        for i in 0..<square.count { square.data[i] *= square.data[i] }
        var v = square.blurred(sigma: sigma, threads: 1)
        for i in 0..<v.count { v.data[i] = max(0, v.data[i] - mean.data[i] * mean.data[i]) }
        return (mean, v)
    }

    private func ssim(_ frame: Plane, _ stats: (mean: Plane, variance: Plane), _ index: Int) -> Double {
        let other = frames[index]
        var product = frame
        for i in 0..<product.count { product.data[i] *= other.data[i] }
        let cross = product.blurred(sigma: Self.sigma, threads: 1)
        let ma = stats.mean.data, va = stats.variance.data, mb = means[index].data, vb = variances[index].data
        var total = 0.0
        for i in 0..<cross.count {
            let covariance = cross.data[i] - ma[i] * mb[i]
            let numerator = (2 * ma[i] * mb[i] + c1) * (2 * covariance + c2)
            let denominator = (ma[i] * ma[i] + mb[i] * mb[i] + c1) * (va[i] + vb[i] + c2)
            total += Double(numerator / denominator)
        }
        return total / Double(cross.count)
    }
}
