import Foundation
import Flow
import Raster
import Spectral

/// Generative Image Dynamics' image-space modal basis: each frequency k ≥ 1 of a motion
/// spectrum (a window of T frames at `fps`) is a mode of the scene that vibrates at
/// f_k = k·fps/T Hz, and its complex S_k(p) (x and y) is the mode's shape. Shapes are scaled by
/// one constant so that Σ_k |φ_k|² = 1 at the 99th percentile of the pixels (the 1 % that move
/// most, not one hot spot): a poke there with a force d moves it by d; a poke where nothing
/// moved moves nothing.
///
/// A poke with force d at p₀ excites mode k by a_k = φ_k(p₀)* · d (the force projected on the
/// mode's shape there); each mode then rings as a damped oscillator, and the displacement is the
/// sum over modes, D(p, t) = Σ_k e^(−ζ·ω_k·t) · Re(φ_k(p) · a_k · e^(i·ω_k·t)), ω_k = 2π f_k. It
/// is linear in the force: twice the force, twice the motion.
public struct ModalBasis: Sendable {
    /// The spectrum the modes come from (working size).
    public let spectrum: MotionSpectrum
    /// Each mode's frequency, Hz (index k − 1 for k = 1 … K − 1).
    public let frequencies: [Double]
    /// The constant that scales S_k into φ_k.
    let scale: Float
    /// Σ_k |S_k(p)|² per pixel (k ≥ 1), unscaled.
    let energy: [Float]

    /// Throws `PokeError.badSpectrum` for a spectrum without modes (K < 2) or without motion,
    /// or a frame rate that is not positive and finite.
    public init(spectrum: MotionSpectrum, fps: Double) throws {
        guard spectrum.frequencies >= 2 else { throw PokeError.badSpectrum("has no mode: K = \(spectrum.frequencies)") }
        guard fps.isFinite, fps > 0 else { throw PokeError.badSpectrum("needs a positive frame rate, not \(fps)") }
        self.spectrum = spectrum
        frequencies = (1..<spectrum.frequencies).map { Double($0) * fps / Double(spectrum.windowLength) }
        let n = spectrum.planeSize
        var energy = [Float](repeating: 0, count: n)
        spectrum.values.withUnsafeBufferPointer { s in
            for k in 1..<spectrum.frequencies {
                for c in 0..<4 {
                    let base = (4 * k + c) * n
                    for i in 0..<n { energy[i] += s[base + i] * s[base + i] }
                }
            }
        }
        let sorted = energy.sorted()
        let peak = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        guard peak.isFinite, peak > 0, sorted.last?.isFinite == true else { throw PokeError.badSpectrum("holds no motion") }
        scale = 1 / peak.squareRoot()
        self.energy = energy
    }

    /// Width and height of the basis (the spectrum's working size).
    public var width: Int { spectrum.width }
    public var height: Int { spectrum.height }

    /// φ_k at a real position (working pixels), bilinear: (Re x, Im x, Re y, Im y).
    func shape(_ k: Int, x: Float, y: Float) -> (Float, Float, Float, Float) {
        let n = spectrum.planeSize, w = width, h = height
        return spectrum.values.withUnsafeBufferPointer { s in
            func at(_ c: Int) -> Float {
                let base = s.baseAddress! + (4 * k + c) * n
                return scale * Plane.bilinear(UnsafePointer(base), width: w, height: h, x: x, y: y)
            }
            return (at(0), at(1), at(2), at(3))
        }
    }

    /// The complex excitation a_k of every mode (index k − 1) by `pokes`, given in working
    /// pixels (position and force); contributions add.
    public func excitations(_ pokes: [Poke]) -> [(re: Float, im: Float)] {
        (1..<spectrum.frequencies).map { k in
            var re: Float = 0, im: Float = 0
            for p in pokes {
                let (xr, xi, yr, yi) = shape(k, x: Float(p.x), y: Float(p.y))
                let dx = Float(p.dx), dy = Float(p.dy)
                // conj(φ) · d
                re += xr * dx + yr * dy
                im -= xi * dx + yi * dy
            }
            return (re, im)
        }
    }

    /// The displacement field (working size, pixels) at `t` seconds after the pokes are released.
    public func displacement(at t: Double, excitations a: [(re: Float, im: Float)], damping: Double,
                             threads: Int = Parallel.defaultThreads) -> FlowField {
        let n = spectrum.planeSize, w = width, h = height
        // Each mode's complex factor a_k·e^(−ζωt)·e^(iωt), applied to its shape below.
        let factors: [(Float, Float)] = a.indices.map { i in
            let omega = 2 * Double.pi * frequencies[i]
            let envelope = exp(-damping * omega * t)
            let c = Float(envelope * cos(omega * t)), s = Float(envelope * sin(omega * t))
            return (a[i].re * c - a[i].im * s, a[i].re * s + a[i].im * c)
        }
        var field = FlowField(width: w, height: h)
        let sc = scale
        spectrum.values.withUnsafeBufferPointer { s in
            field.u.withMutableSamples { u in
                field.v.withMutableSamples { v in
                    let out = UncheckedSendable((u, v))
                    Parallel.forChunks(h, threads: Parallel.workers(for: n, threads: threads)) { rows in
                        let (u, v) = out.value
                        for k in 1..<spectrum.frequencies {
                            let (fr, fi) = factors[k - 1]
                            let xr = s.baseAddress! + (4 * k) * n, xi = xr + n, yr = xi + n, yi = yr + n
                            for y in rows {
                                for x in 0..<w {
                                    let i = y * w + x
                                    // Re(φ · f) = φr·fr − φi·fi
                                    u[i] += sc * (xr[i] * fr - xi[i] * fi)
                                    v[i] += sc * (yr[i] * fr - yi[i] * fi)
                                }
                            }
                        }
                    }
                }
            }
        }
        return field
    }

    /// Each pixel's modal amplitude, sqrt(Σ_k |φ_k(p)|²) (0 … 1): splatting's importance, so
    /// what can move wins over what cannot.
    public func amplitude() -> Plane {
        Plane(width: width, height: height, data: energy.map { scale * $0.squareRoot() })
    }
}

/// Errors of the poke job; `description` is one line naming the file or option.
public enum PokeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The spectrum cannot serve as a modal basis.
    case badSpectrum(String)
    /// The still and the spectrum do not have one shape.
    case sizeMismatch(still: String, stillSize: String, spectrum: String, spectrumSize: String)
    /// A poke outside the still.
    case pokeOutside(Int, Double, Double, Int, Int)

    public var description: String {
        switch self {
        case .badSpectrum(let problem): return "the spectrum \(problem)"
        case .sizeMismatch(let still, let a, let spectrum, let b):
            return "\(still) is \(a) but the spectrum \(spectrum) is \(b), of another shape: give a frame of the clip the spectrum came from"
        case .pokeOutside(let i, let x, let y, let w, let h):
            return "--at \(i + 1): (\(x), \(y)) is outside the \(w)×\(h) still"
        }
    }
}
