import Foundation
import Flow
import LoopJob
import MediaIO
import Pipeline
import Raster
import Spectral

/// Interactive dynamics on a still (Generative Image Dynamics): pokes excite the modes of a
/// motion spectrum (`ModalBasis`), each rings as a damped oscillator, and every frame is the
/// still forward-warped by the summed response with the loop job's softmax splatting, after
/// the loop's tear guard has scaled the response down where it would tear the picture.
///
/// ```swift
/// let poker = try Poker(settings: PokeSettings(), spectrum: s, spectrumFPS: fps, still: frame)
/// var run = try poker.prepare([Poke(x: 120, y: 80, dx: 6, dy: 0)])
/// for i in 0..<run.count { try writer.write(run.frame(i)) }
/// ```
public struct Poker: Sendable {
    public let settings: PokeSettings
    public let basis: ModalBasis
    /// The still, in a planar format the renderer takes.
    public let still: Frame

    /// Throws `FilterError.invalidOption` for a setting out of range, `PokeError` for a spectrum
    /// without modes or frame rate, or one whose shape differs from the still's (`names`: the
    /// still's and the spectrum's, for the message).
    public init(settings: PokeSettings, spectrum: MotionSpectrum, spectrumFPS: Rational?, still: Frame,
                names: (still: String, spectrum: String) = ("the still", "")) throws {
        self.settings = try settings.validated()
        let fps = settings.spectrumFPS > 0 ? settings.spectrumFPS : spectrumFPS?.doubleValue
        guard let fps else {
            throw PokeError.badSpectrum("\(names.spectrum) has no frame rate (metadata fps); give --spectrum-fps")
        }
        let sw = spectrum.width, sh = spectrum.height
        // One shape: the still's aspect ratio within 2 % of the spectrum's.
        guard abs(Double(still.width * sh - still.height * sw)) <= 0.02 * Double(still.width * sh) else {
            throw PokeError.sizeMismatch(still: names.still, stillSize: "\(still.width)×\(still.height)", spectrum: names.spectrum,
                                         spectrumSize: "\(sw)×\(sh)")
        }
        basis = try ModalBasis(spectrum: spectrum, fps: fps)
        let format = still.pixelFormat
        if BlendKernel.bytesPerSample(for: format) != nil && format.isOneComponentPerPlane {
            self.still = still
        } else {
            guard let planar = FormatConversion.planarFormat(near: format) else {
                throw MediaError(.invalidArgument, path: names.still, "no planar pixel format near \(format)")
            }
            self.still = try FrameConverter().convert(still, width: still.width, height: still.height, pixelFormat: planar)
        }
    }

    private var threads: Int { settings.threads > 0 ? settings.threads : Parallel.defaultThreads }

    /// The frames of the response to `pokes` (positions and forces in the still's pixels).
    /// Throws `PokeError.pokeOutside` for a poke outside the still.
    public func prepare(_ pokes: [Poke]) throws -> PokeResponse {
        let sx = Double(basis.width) / Double(still.width), sy = Double(basis.height) / Double(still.height)
        for (i, p) in pokes.enumerated() where p.x < 0 || p.y < 0 || p.x > Double(still.width - 1) || p.y > Double(still.height - 1) {
            throw PokeError.pokeOutside(i, p.x, p.y, still.width, still.height)
        }
        let working = pokes.map { Poke(x: $0.x * sx, y: $0.y * sy, dx: $0.dx * sx, dy: $0.dy * sy) }
        let excitations = basis.excitations(working)
        let count = max(1, Int((settings.duration * settings.fps).rounded()))
        let times = (0..<count).map { Double($0) / settings.fps }
        // The tear guard, over up to 32 frames spread over the response.
        var factors: Plane?
        if settings.tearGuard > 0 {
            let sample = stride(from: 0, to: count, by: max(1, count / 32)).map {
                basis.displacement(at: times[$0], excitations: excitations, damping: settings.damping, threads: threads)
            }
            let f = TearGuard.factors(sample, width: basis.width, height: basis.height, limit: Float(settings.tearGuard))
            if f.data.contains(where: { $0 < 1 }) { factors = f }
        }
        let renderer = try LoopRenderer(motion: nil, importance: basis.amplitude(), reference: still, alpha: Float(settings.alpha),
                                        threads: threads)
        return PokeResponse(basis: basis, excitations: excitations, damping: settings.damping, times: times, factors: factors,
                            renderer: renderer, stillScale: 1 / sx, threads: threads)
    }
}

/// The frames of a poke's response: frame i shows the still moved by the response at i / fps s.
public struct PokeResponse: Sendable {
    let basis: ModalBasis
    let excitations: [(re: Float, im: Float)]
    let damping: Double
    /// Each frame's time, seconds after the release.
    public let times: [Double]
    /// The tear guard's factors (working size), nil when it changes nothing.
    let factors: Plane?
    var renderer: LoopRenderer
    let stillScale: Double
    let threads: Int
    /// Largest displacement rendered so far, still pixels.
    public private(set) var largestDisplacement = 0.0

    public var count: Int { times.count }

    /// Fraction (0 … 1) of the pixels whose response the tear guard scaled down.
    public var guardedFraction: Double {
        guard let factors else { return 0 }
        return Double(factors.data.filter { $0 < 0.999 }.count) / Double(max(1, factors.count))
    }

    /// The response's displacement (working size, pixels) at frame `index`, guarded.
    public func displacement(_ index: Int) -> FlowField {
        var field = basis.displacement(at: times[max(0, min(count - 1, index))], excitations: excitations, damping: damping, threads: threads)
        if let factors {
            for i in 0..<field.u.count {
                field.u.data[i] *= factors.data[i]
                field.v.data[i] *= factors.data[i]
            }
        }
        return field
    }

    /// Frame `index` (pts = index; the caller sets the time base).
    public mutating func frame(_ index: Int) throws -> Frame {
        let field = displacement(index)
        largestDisplacement = max(largestDisplacement, Double(field.maximumDisplacement) * stillScale)
        let out = try renderer.render(displacement: field, at: String(format: "%.3f s", times[max(0, min(count - 1, index))]))
        out.pts = Int64(index)
        return out
    }
}
