import Dataset
import Foundation
import Motion
import Pipeline
import Raster

/// A loop's spectrum on disk, in the dataset's shard format (Samples/python/FORMAT.md) with one
/// sample: `frames` U8 [1, H, W, 3] (the reference frame at the working size, gray replicated
/// when only luma is known), `spectra` F32 [1, 4K, H, W] — the spectrum the loop plays:
/// detrended, the drift's swing included when `drift=swing`, `window` = its period in steps —
/// and metadata (`window`, `k`, `width`, `height`, `fps`, `loop` = "1"). `warpflow loop
/// --spectrum-only` writes one; `--from-spectrum` renders from one, so a loop can be regenerated
/// or its spectrum edited (e.g. in NumPy) and rendered again.
enum LoopSpectrumFile {
    static func write(_ motion: LoopMotion, reference: Frame, workingLuma: Plane, fps: Rational, to path: String) throws {
        let s = motion.spectrum
        var writer = SafetensorsWriter(metadata: [
            "format": "warpflow-dataset", "version": "1", "window": "\(s.windowLength)", "k": "\(s.frequencies)",
            "width": "\(s.width)", "height": "\(s.height)", "samples": "1", "fps": fps.description, "loop": "1",
        ])
        var rgb = [UInt8](repeating: 0, count: s.width * s.height * 3)
        let luma = workingLuma.width == s.width && workingLuma.height == s.height
            ? workingLuma : workingLuma.resizedBilinear(width: s.width, height: s.height)
        for i in 0..<(s.width * s.height) {
            let v = UInt8(max(0, min(255, (luma.data[i] * 255).rounded())))
            rgb[3 * i] = v; rgb[3 * i + 1] = v; rgb[3 * i + 2] = v
        }
        try writer.add("frames", shape: [1, s.height, s.width, 3], uint8: rgb)
        try writer.add("spectra", shape: [1, 4 * s.frequencies, s.height, s.width], floats: s.values, as: .f32)
        try writer.write(to: path)
    }

    /// Reads a spectrum file (the first sample when it holds several, e.g. a dataset shard).
    static func read(path: String, amplitude: Float) throws -> LoopMotion {
        let file = try SafetensorsFile(path: path)
        guard let info = file.tensor("spectra"), info.shape.count == 4, info.shape[0] >= 1, info.shape[1] % 4 == 0 else {
            throw DatasetError(path, "has no spectra tensor of shape [N, 4K, H, W]")
        }
        guard let window = file.metadata["window"].flatMap({ Int($0) }) else {
            throw DatasetError(path, "has no window length (metadata \"window\")")
        }
        let k = info.shape[1] / 4, h = info.shape[2], w = info.shape[3]
        let all = try file.floats("spectra")
        let per = 4 * k * h * w
        guard all.count >= per, all.allSatisfy({ $0.isFinite }) else { throw DatasetError(path, "spectra hold non-finite values") }
        do {
            let spectrum = try MotionSpectrum(width: w, height: h, frequencies: k, windowLength: window, values: Array(all[0..<per]))
            return try LoopMotion(spectrum: spectrum, amplitude: amplitude)
        } catch let error as MotionError {
            throw DatasetError(path, "\(error)")
        }
    }
}
