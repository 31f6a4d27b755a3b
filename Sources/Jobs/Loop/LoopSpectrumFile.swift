import Tensors
import Foundation
import Flow
import Spectral
import Pipeline
import Raster

/// A loop's spectrum on disk, in the dataset's shard format (Samples/python/FORMAT.md) with one
/// sample: `frames` U8 [1, H, W, 3] (the reference frame at the working size, gray replicated
/// when only luma is known), `spectra` F32 [1, 4K, H, W] — the spectrum the loop plays:
/// detrended, the drift's swing included when `drift=swing`, `window` = its period in steps —
/// and metadata (`window`, `k`, `width`, `height`, `fps`, `loop` = "1"). `warpflow loop
/// --spectrum-only` writes one; `--from-spectrum` renders from one, so a loop can be regenerated
/// or its spectrum edited (e.g. in NumPy) and rendered again.
public enum LoopSpectrumFile {
    /// Writes `spectrum` (a loop filter's `spectrum`, after `finish`) to `path`.
    public static func write(_ spectrum: LoopSpectrum, to path: String) throws {
        try write(spectrum.motion, reference: spectrum.reference, workingLuma: spectrum.workingLuma, fps: spectrum.rate,
                  guardLimit: spectrum.guardLimit, to: path)
    }

    /// `guardLimit`: the tear guard the spectrum already passed (metadata `tear_guard`), if any.
    static func write(_ motion: LoopMotion, reference: Frame, workingLuma: Plane, fps: Rational, guardLimit: Float?,
                      to path: String) throws {
        let s = motion.spectrum
        var metadata = [
            "format": "warpflow-dataset", "version": "1", "window": "\(s.windowLength)", "k": "\(s.frequencies)",
            "width": "\(s.width)", "height": "\(s.height)", "samples": "1", "fps": fps.description, "loop": "1",
        ]
        if let guardLimit { metadata["tear_guard"] = "\(guardLimit)" }
        var writer = SafetensorsWriter(metadata: metadata)
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

    /// Reads a spectrum file (the first sample when it holds several, e.g. a dataset shard), and
    /// the tear guard it already passed (metadata `tear_guard`), if any.
    static func read(path: String, amplitude: Float) throws -> (motion: LoopMotion, guardLimit: Float?, fps: Rational?) {
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
        guard window >= 2, window <= 1_000_000 else {
            throw DatasetError(path, "metadata \"window\" is \(window); expected a loop period of 2…1000000 steps")
        }
        let values = Array(all[0..<per])
        let reach = largestDisplacement(values, frequencies: k, planeSize: w * h, window: window) * Double(amplitude)
        guard reach <= 2 * Double(max(w, h)) else {
            throw DatasetError(path, "spectra would move pixels by up to \(String(format: "%.3g", reach)) px, more than twice the "
                               + "\(w)×\(h) frame: this is not a loop's spectrum, or its values are damaged")
        }
        do {
            let spectrum = try MotionSpectrum(width: w, height: h, frequencies: k, windowLength: window, values: values)
            let guardLimit = file.metadata["tear_guard"].flatMap { Float($0) }.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
            let fps = file.metadata["fps"].flatMap { Rational(parsing: $0) }.flatMap { $0.isPositive && $0.doubleValue <= 1000 ? $0 : nil }
            return (try LoopMotion(spectrum: spectrum, amplitude: amplitude), guardLimit, fps)
        } catch let error as MotionError {
            throw DatasetError(path, "\(error)")
        }
    }

    /// The spectrum of a spectrum file (`loop --spectrum-only`, or a dataset shard's first
    /// sample) as a modal basis reads it, with the clip's frame rate (metadata `fps`; nil when
    /// the file has none), checked as `--from-spectrum` checks it. Throws `DatasetError` naming
    /// the file.
    public static func modes(path: String) throws -> (spectrum: MotionSpectrum, fps: Rational?) {
        let read = try read(path: path, amplitude: 1)
        return (read.motion.spectrum, read.fps)
    }

    /// An upper bound (pixels) of the loop displacement `values` can make: per pixel and axis,
    /// (4/T)·Σ_{k≥1} (|Re| + |Im|), the largest over the picture (`LoopMotion.displacement`'s
    /// coefficients are at most 2/T times 2 in size). In Double, so huge values cannot overflow.
    static func largestDisplacement(_ values: [Float], frequencies k: Int, planeSize n: Int, window: Int) -> Double {
        guard k > 1, n > 0 else { return 0 }
        var largest = 0.0
        var x = [Double](repeating: 0, count: n), y = x
        for f in 1..<k {
            let base = 4 * f * n
            for i in 0..<n {
                x[i] += Double(abs(values[base + i])) + Double(abs(values[base + n + i]))
                y[i] += Double(abs(values[base + 2 * n + i])) + Double(abs(values[base + 3 * n + i]))
            }
        }
        for i in 0..<n { largest = max(largest, x[i], y[i]) }
        return 4 / Double(window) * largest
    }
}

/// The motion a loop plays, as a value (the `loop` filter's `spectrum` after `finish`): its
/// spectrum, the reference frame it moves, that frame's luma at the working size, the clip's
/// frame rate and the tear guard the motion already passed (nil when none). Writing it is the
/// caller's (`LoopSpectrumFile.write`).
public struct LoopSpectrum {
    public let motion: LoopMotion
    public let reference: Frame
    public let workingLuma: Plane
    public let rate: Rational
    public let guardLimit: Float?
}
