import Raster
import Tensors
import Flow
import Spectral

/// Everything that decides what a dataset build computes. Two builds with equal
/// configurations over the same clips write identical shards, manifests and statistics,
/// whatever their sharding and thread counts.
public struct DatasetConfiguration: Sendable, Equatable {
    /// How a frame of another aspect ratio is brought to the working size.
    public enum Fit: String, Sendable, CaseIterable {
        /// Scale to cover the working size, cut the overflow equally on both sides.
        case crop
        /// Scale to fit inside the working size, black bars on both sides.
        case pad
    }

    /// Sample storage type of the float tensors (spectra, trajectories).
    public enum Precision: String, Sendable, CaseIterable {
        case float16, float32
    }

    /// Frames per window, T (≥ 2).
    public var window = 150
    /// Frames between the starts of consecutive windows (≥ 1; `window` = no overlap).
    public var stride = 150
    /// Working width in pixels (trajectories and spectra are in these pixels).
    public var width = 256
    /// Working height in pixels.
    public var height = 160
    /// Aspect handling.
    public var fit = Fit.crop
    /// Frequencies kept, K (1 … window).
    public var frequencies = 16
    /// Percentile of |S_k| used as the normalisation scale of frequency k, in (0, 100].
    public var percentile = 97.0
    /// Direct (frame 0 → t) or chained flow.
    public var trajectoryMode = TrajectoryMode.direct
    /// Flow estimator preset.
    public var flowPreset = FlowEstimator.Preset.medium
    /// Float tensor storage type.
    public var precision = Precision.float16
    /// Also store the trajectories F_1 … F_{T−1} of each sample.
    public var storeTrajectories = false
    /// Scene-cut score (FFmpeg scdet's scale, 0–100) above which a window is dropped.
    public var sceneThreshold = 10.0
    /// Windows whose mean displacement |F_t| (pixels, averaged over pixels and t) is below this
    /// are dropped as too still.
    public var minimumMotion = 0.25
    /// Windows whose camera motion (the length of the median displacement, averaged over t,
    /// pixels) is above this are dropped as dominated by camera motion.
    public var maximumCameraMotion = 2.0
    /// Largest number of samples in one shard file (a clip with more windows gets several parts).
    public var samplesPerShard = 16

    public init() {}

    /// Version of the shards, reports and statistics this build writes (Samples/python/FORMAT.md).
    public static let formatVersion = 2

    /// This configuration with K lowered to half the window when it asks for more (a real
    /// signal's frequencies above half the window mirror the ones below), and the note that
    /// says so (nil when nothing changed).
    public func fittingFrequencies() -> (DatasetConfiguration, note: String?) {
        let limit = max(1, window / 2)
        guard frequencies > limit, window >= 2 else { return (self, nil) }
        var c = self
        c.frequencies = limit
        return (c, "k lowered from \(frequencies) to \(limit): a window of \(window) frames holds \(limit) distinct frequencies")
    }

    /// Throws `DatasetError` naming the first invalid option.
    public func validate() throws {
        func check(_ ok: Bool, _ option: String, _ value: Any, _ expected: String) throws {
            if !ok { throw DatasetError("--\(option)", "\(value) is invalid; expected \(expected)") }
        }
        try check((2...100_000).contains(window), "window", window, "2…100000 frames")
        try check((1...100_000).contains(stride), "stride", stride, "1…100000 frames")
        try check((16...8192).contains(width) && (16...8192).contains(height), "size", "\(width)x\(height)",
                  "a size from 16x16 to 8192x8192")
        // A real signal's frequencies above half the window repeat the ones below it.
        try check((1...max(1, window / 2)).contains(frequencies), "k", frequencies,
                  "1…\(max(1, window / 2)) (half the window of \(window) frames; higher frequencies mirror lower ones)")
        try check(percentile.isFinite && percentile > 0 && percentile <= 100, "percentile", percentile, "a value in (0, 100]")
        try check(sceneThreshold.isFinite && sceneThreshold >= 0, "scene-threshold", sceneThreshold, "a finite value ≥ 0")
        try check(minimumMotion.isFinite && minimumMotion >= 0, "min-motion", minimumMotion, "a finite value ≥ 0 (pixels)")
        try check(maximumCameraMotion.isFinite && maximumCameraMotion >= 0, "max-camera-motion", maximumCameraMotion,
                  "a finite value ≥ 0 (pixels)")
        try check((1...4096).contains(samplesPerShard), "samples-per-shard", samplesPerShard, "1…4096")
    }

    /// The values that must match between shards of one data set (stored in every clip report
    /// and checked by merge).
    public var fingerprint: [String: String] {
        ["format_version": "\(Self.formatVersion)", "window": "\(window)", "stride": "\(stride)", "size": "\(width)x\(height)", "fit": fit.rawValue,
         "k": "\(frequencies)", "percentile": "\(percentile)", "trajectory": trajectoryMode.rawValue,
         "preset": flowPreset.rawValue, "dtype": precision.rawValue, "trajectories": storeTrajectories ? "1" : "0",
         "scene_threshold": "\(sceneThreshold)", "min_motion": "\(minimumMotion)",
         "max_camera_motion": "\(maximumCameraMotion)", "samples_per_shard": "\(samplesPerShard)"]
    }
}
