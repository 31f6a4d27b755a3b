import Raster
import Tensors
import Foundation
import Flow

/// Writes samples as one safetensors shard (layout in Samples/python/FORMAT.md):
/// `frames` U8 [N, H, W, 3], `spectra` [N, 4K, H, W] and, when stored,
/// `trajectories` [N, T−1, 2, H, W], in float16 (float32 for a tensor float16 cannot hold)
/// or float32, and `confidence` U8 [N, T−1, H, W] (round(255·c)).
struct ShardWriter {
    let configuration: DatasetConfiguration

    /// Writes the shard atomically and returns its checksum (`ShardVerifier.checksum`).
    @discardableResult
    func write(_ samples: [DatasetSample], clip: Int, source: String, to path: String) throws -> String {
        let c = configuration
        let n = samples.count, w = c.width, h = c.height, k = c.frequencies
        let dtype: TensorDType = c.precision == .float16 ? .f16 : .f32
        var writer = SafetensorsWriter(metadata: [
            "format": "warpflow-dataset", "version": "\(DatasetConfiguration.formatVersion)", "window": "\(c.window)", "k": "\(k)", "width": "\(w)",
            "height": "\(h)", "clip": "\(clip)", "source": source, "samples": "\(n)",
        ])
        var frames: [UInt8] = []
        frames.reserveCapacity(n * w * h * 3)
        for s in samples { frames += s.rgb }
        try writer.add("frames", shape: [n, h, w, 3], uint8: frames)
        frames = []
        var spectra: [Float] = []
        spectra.reserveCapacity(n * 4 * k * w * h)
        for s in samples { spectra += s.spectrum.values }
        try writer.add("spectra", shape: [n, 4 * k, h, w], floats: spectra, as: dtype, promoteOnOverflow: true)
        spectra = []
        if c.storeTrajectories {
            var values: [Float] = []
            values.reserveCapacity(n * (c.window - 1) * 2 * w * h)
            for s in samples {
                for f in s.trajectories ?? [] {
                    values += f.u.data
                    values += f.v.data
                }
            }
            try writer.add("trajectories", shape: [n, c.window - 1, 2, h, w], floats: values, as: dtype, promoteOnOverflow: true)
        }
        var confidence: [UInt8] = []
        confidence.reserveCapacity(n * (c.window - 1) * w * h)
        for s in samples { confidence += s.confidence }
        try writer.add("confidence", shape: [n, c.window - 1, h, w], uint8: confidence)
        confidence = []
        let bytes = try writer.serialized()
        try DataFileIO.writeAtomically(path, chunks: [bytes])
        return ShardVerifier.checksum(bytes)
    }
}
