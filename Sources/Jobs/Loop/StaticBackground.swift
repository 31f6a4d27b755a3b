import Raster
import Flow
/// The static background of a window of frames: per pixel, the median of the window's samples
/// and whether it is steady, i.e. most samples agree with it. Where something crosses a still
/// scene, the median is the scene behind it (seen in most frames), which a renderer that forward
/// warps one frame cannot know: what the moving thing uncovers. Where the camera moves, or the
/// picture never settles, the samples disagree and the pixel is not steady.
public struct StaticBackground: Sendable, Equatable {
    /// Per pixel, the median of the samples (the lower middle one for an even count), in the
    /// samples' own units.
    public internal(set) var median: Plane
    /// 1 where at least `agreement` of the samples lie within `tolerance` of the median, else 0.
    public internal(set) var steady: Plane

    /// The background of `samples` (planes of one size, at least one; any units).
    /// `tolerance`: largest difference from the median of an agreeing sample, in the samples'
    /// units (≥ 0). `agreement`: fraction of agreeing samples a steady pixel needs (0 … 1).
    /// Throws `RasterError` when the sizes differ or a parameter is out of range.
    public init(samples: [Plane], tolerance: Float, agreement: Float, threads: Int = Parallel.defaultThreads) throws {
        guard let first = samples.first else {
            throw RasterError.invalidParameter(name: "samples", value: "0 planes", expected: "at least one plane")
        }
        for (k, plane) in samples.enumerated() {
            try Plane.requireSize(plane, "background sample \(k)", width: first.width, height: first.height)
        }
        guard tolerance >= 0, tolerance.isFinite else {
            throw RasterError.invalidParameter(name: "tolerance", value: "\(tolerance)", expected: "a finite value ≥ 0")
        }
        guard agreement >= 0, agreement <= 1 else {
            throw RasterError.invalidParameter(name: "agreement", value: "\(agreement)", expected: "0 … 1")
        }
        let count = samples.count, n = first.count
        let needed = Int((agreement * Float(count)).rounded(.up))
        var median = Plane(width: first.width, height: first.height), steady = median
        median.data.withUnsafeMutableBufferPointer { m in
            steady.data.withUnsafeMutableBufferPointer { s in
                let out = UncheckedSendable((m.baseAddress!, s.baseAddress!))
                Parallel.forChunks(first.height, threads: Parallel.workers(for: n * count, threads: threads)) { rows in
                    var values = [Float](repeating: 0, count: count)
                    for i in (rows.lowerBound * first.width)..<(rows.upperBound * first.width) {
                        for k in 0..<count { let x = samples[k].data[i]; values[k] = x.isNaN ? .infinity : x }
                        let (value, agreeing) = Self.medianAndAgreement(&values, tolerance: tolerance)
                        out.value.0[i] = value
                        out.value.1[i] = agreeing >= needed ? 1 : 0
                    }
                }
            }
        }
        self.median = median
        self.steady = steady
    }

    /// The median of `values` (sorted in place) and how many lie within `tolerance` of it.
    /// Values must not be NaN (the caller maps NaN to +∞).
    static func medianAndAgreement(_ values: inout [Float], tolerance: Float) -> (Float, Int) {
        // Insertion sort: a window gives a few dozen samples per pixel.
        for i in values.indices.dropFirst() {
            let x = values[i]
            var j = i
            while j > 0, values[j - 1] > x {
                values[j] = values[j - 1]
                j -= 1
            }
            values[j] = x
        }
        let middle = values[(values.count - 1) / 2]
        var agreeing = 0
        for v in values where abs(v - middle) <= tolerance { agreeing += 1 }
        return (middle, agreeing)
    }
}
