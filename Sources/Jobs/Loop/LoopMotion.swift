import Spectral
import Flow
import Foundation
import Raster

/// A periodic motion field made from a window's trajectories (Generative Image Dynamics'
/// looping): the drift that keeps the motion from returning to its start is taken out (and
/// optionally played back as a swing, `LoopDrift`), the K lowest harmonics of the window are
/// kept, and harmonic k is replayed k times per loop, so the displacement at loop phase 1
/// equals the one at phase 0 exactly and the loop has no seam.
/// Displacements are in pixels of the spectrum's working resolution; phase 0 is the reference
/// frame itself (zero displacement).
public struct LoopMotion: Sendable, Equatable {
    /// The spectrum the loop plays: S_k of the detrended trajectories over one period
    /// (`windowLength` = the window's T − 1 steps), the drift's swing included when chosen.
    public let spectrum: MotionSpectrum
    /// Factor applied to every displacement (1 = the clip's own amplitude).
    public let amplitude: Float

    /// The largest K a period of `t` samples allows (a window of T frames has a period of
    /// T − 1): every kept harmonic k ≥ 1 must lie below the Nyquist frequency t/2, so
    /// 2(K − 1) < t.
    public static func maximumFrequencies(windowLength t: Int) -> Int { max(1, (t - 1) / 2 + 1) }

    /// A loop playing `spectrum` (for instance one read back from a file). Throws when K is
    /// beyond `maximumFrequencies` or the amplitude is not finite.
    public init(spectrum: MotionSpectrum, amplitude: Float = 1) throws {
        let limit = Self.maximumFrequencies(windowLength: spectrum.windowLength)
        guard spectrum.frequencies <= limit else {
            throw MotionError.invalidParameter(name: "k", value: "\(spectrum.frequencies)",
                                               expected: "at most \(limit) for a window of \(spectrum.windowLength) frames (harmonics below T/2)")
        }
        guard spectrum.frequencies >= 2 else {
            throw MotionError.invalidParameter(name: "k", value: "\(spectrum.frequencies)", expected: "≥ 2 (k = 0 carries no motion)")
        }
        guard amplitude.isFinite else { throw MotionError.invalidParameter(name: "amplitude", value: "\(amplitude)", expected: "a finite number") }
        self.spectrum = spectrum
        self.amplitude = amplitude
    }

    /// The loop of trajectories F_1 … F_{T−1} of a window of T frames (F_0 = 0).
    ///
    /// The drift d = F_{T−1} is taken out, G_t = F_t − t·d/(T−1), so G_{T−1} = G_0 = 0 and the
    /// window is one period of T−1 steps (G_0 … G_{T−2}; counting G_{T−1} too would show the
    /// start pose twice at the seam, a pause). Its K lowest harmonics are kept. With
    /// `drift: .swing` the drift is then put back as a periodic swing along d: a triangle wave
    /// through the reference pose, d/4 ahead at phase 1/4 and d/4 behind at 3/4, so the loop
    /// travels as far as the window did (|d|) at the window's mean speed, and passes the seam
    /// mid-stroke. The triangle's odd harmonics below K are added to S_k:
    /// ΔIm S_k = −(T−1)·d·s_k/(π²k²), s_k = ±1 alternating (k = 1, 5, 9 … positive).
    public init(trajectories: [FlowField], frequencies: Int, amplitude: Float = 1, drift: LoopDrift = .swing,
                threads: Int = 1) throws {
        guard let last = trajectories.last, trajectories.count >= 2 else {
            throw MotionError.invalidParameter(name: "trajectories", value: "\(trajectories.count) fields",
                                               expected: "at least two displacement fields (a window of 3 frames)")
        }
        let limit = Self.maximumFrequencies(windowLength: trajectories.count)
        guard frequencies <= limit else {
            throw MotionError.invalidParameter(name: "k", value: "\(frequencies)",
                                               expected: "at most \(limit) for a window of \(trajectories.count + 1) frames (harmonics below (T−1)/2)")
        }
        let steps = Float(trajectories.count)
        // G_1 … G_{T−2}; G_{T−1} = G_0 = 0 closes the period.
        let detrended = try trajectories.dropLast().enumerated().map { index, field -> FlowField in
            let s = Float(index + 1) / steps
            var u = field.u, v = field.v
            for i in 0..<u.count {
                u.data[i] -= s * last.u.data[i]
                v.data[i] -= s * last.v.data[i]
            }
            return try FlowField(u: u, v: v)
        }
        var spectrum = try MotionSpectrum.truncatedDFT(trajectories: detrended, frequencies: frequencies, threads: threads)
        if drift == .swing {
            let n = spectrum.planeSize, period = Float(spectrum.windowLength)
            for k in stride(from: 1, to: frequencies, by: 2) {
                let c = period / (Float.pi * Float.pi * Float(k * k)) * (k % 4 == 1 ? 1 : -1)
                spectrum.withMutableValues { values in
                    for i in 0..<n {
                        values[(4 * k + 1) * n + i] -= c * last.u.data[i]
                        values[(4 * k + 3) * n + i] -= c * last.v.data[i]
                    }
                }
            }
        }
        try self.init(spectrum: spectrum, amplitude: amplitude)
    }

    /// The period (in steps: how many of the trajectories F_1 … F_count to keep) that best
    /// closes a loop, chosen among `range` (clamped to 2 … count − 1): the n whose next step
    /// F_{n+1} − F_n is closest to the first step F_1 (mean squared difference over the
    /// pixels, working pixels²). The loop plays frame 0 after frame n − 1 in frame n's place,
    /// so when the motion out of frame n matches the motion out of frame 0 the seam keeps the
    /// clip's speed and direction; a mismatch is a jerk or a pause at every wrap however many
    /// harmonics are kept. Position needs no match: what does not come back is drift, removed
    /// or swung. Ties (a steady pan) go to the longer period.
    public static func closingPeriod(trajectories: [FlowField], range: ClosedRange<Int>) -> Int {
        let upper = min(range.upperBound, trajectories.count - 1), lower = max(2, min(range.lowerBound, upper))
        guard upper >= 2, let first = trajectories.first else { return max(0, trajectories.count) }
        var best = upper, bestCost = Float.infinity
        for n in stride(from: upper, through: lower, by: -1) {
            let next = trajectories[n], here = trajectories[n - 1]
            var cost: Float = 0
            for i in 0..<first.u.count {
                let du = next.u.data[i] - here.u.data[i] - first.u.data[i]
                let dv = next.v.data[i] - here.v.data[i] - first.v.data[i]
                cost += du * du + dv * dv
            }
            if cost < bestCost { bestCost = cost; best = n }
        }
        return best
    }

    public var width: Int { spectrum.width }
    public var height: Int { spectrum.height }

    /// The displacement at loop phase `phase` (0 … 1, one period; any real value wraps):
    /// amplitude · (F̃(phase) − F̃(0)) with F̃(φ) = (2/T)·Σ_{k=1}^{K−1} Re(S_k·e^{2πikφ}).
    public func displacement(phase: Double) -> FlowField {
        let n = spectrum.planeSize, K = spectrum.frequencies
        let scale = 2 / Double(spectrum.windowLength) * Double(amplitude)
        // Coefficients of Re S and Im S for x and y: cos(2πkφ) − 1 and −sin(2πkφ).
        var a = [Float](repeating: 0, count: K), b = [Float](repeating: 0, count: K)
        for k in 1..<K {
            let angle = 2 * Double.pi * Double(k) * phase
            a[k] = Float(scale * (cos(angle) - 1))
            b[k] = Float(-scale * sin(angle))
        }
        var u = [Float](repeating: 0, count: n), v = [Float](repeating: 0, count: n)
        spectrum.values.withUnsafeBufferPointer { s in
            for k in 1..<K {
                let base = 4 * k * n, ak = a[k], bk = b[k]
                for i in 0..<n {
                    u[i] += ak * s[base + i] + bk * s[base + n + i]
                    v[i] += ak * s[base + 2 * n + i] + bk * s[base + 3 * n + i]
                }
            }
        }
        return FlowField(validU: Plane(width: width, height: height, data: u), v: Plane(width: width, height: height, data: v))
    }

    /// The phase at which a loop of `frames` frames best begins (frame i shows phase
    /// φ + i/frames). The motion is periodic, so any phase continues it; this one puts the
    /// file's wrap, where players restart, on an ordinary step rather than on the clip's
    /// fastest or slowest moment. Candidates are the half-frame phases (j + ½)/frames, so no
    /// frame is the untouched reference (sharper than any resampled frame: a flicker once per
    /// loop). A step is measured two ways, each divided by its median over the loop: its mean
    /// displacement change (working pixels) and, given the `reference` luma (the motion's
    /// size), the picture change it causes, |∇I_0 · ΔF| linearised (moving flat areas change
    /// nothing). The wrap goes where both are closest to 1, over the step and its neighbours
    /// (weights ½, 1, ½). At most `candidates` phases are tried, evenly spread.
    public func ordinaryWrapPhase(frames: Int, reference: Plane? = nil, candidates: Int = 600) -> Double {
        let count = max(1, frames), tried = min(count, max(1, candidates))
        let gradient = reference.flatMap { $0.width == width && $0.height == height ? $0.gradients() : nil }
        var lengths: [Float] = [], changes: [Float] = []
        // The field at (j − ½)/count; when candidates are consecutive frames, the previous
        // candidate's field at (j + ½)/count is reused.
        var previous: (slot: Int, field: FlowField)?
        for c in 0..<tried {
            let j = c * count / tried
            let a = previous?.slot == j ? previous!.field : displacement(phase: (Double(j) - 0.5) / Double(count))
            let b = displacement(phase: (Double(j) + 0.5) / Double(count))
            previous = (j + 1, b)
            var length: Float = 0, change: Float = 0
            for i in 0..<a.u.count {
                let du = b.u.data[i] - a.u.data[i], dv = b.v.data[i] - a.v.data[i]
                length += (du * du + dv * dv).squareRoot()
                if let g = gradient { change += abs(g.gx.data[i] * du + g.gy.data[i] * dv) }
            }
            lengths.append(length)
            changes.append(change)
        }
        func normalised(_ values: [Float]) -> [Float] {
            let median = values.sorted()[values.count / 2]
            return values.map { median > 0 ? abs($0 / median - 1) : 0 }
        }
        let a = normalised(lengths), b = normalised(changes)
        let n = a.count
        var best = 0, bestCost = Float.infinity
        for c in 0..<n {
            let before = (c + n - 1) % n, after = (c + 1) % n
            let cost = a[c] + b[c] + 0.5 * (a[before] + b[before] + a[after] + b[after])
            if cost < bestCost { bestCost = cost; best = c }
        }
        return (Double(best * count / tried) + 0.5) / Double(count)
    }

    /// The mean displacement length of each pixel over one period (pixels), sampled at
    /// `samples` phases: softmax splatting's importance (moving pixels win over still ones).
    public func meanMagnitude(samples: Int = 32) -> Plane {
        let count = max(1, samples)
        var sum = Plane(width: width, height: height)
        for s in 0..<count {
            let f = displacement(phase: Double(s) / Double(count))
            for i in 0..<sum.count { sum.data[i] += (f.u.data[i] * f.u.data[i] + f.v.data[i] * f.v.data[i]).squareRoot() }
        }
        return sum.scaled(by: 1 / Float(count))
    }
}

/// What a loop does with the drift of a window: the part of each pixel's motion that does not
/// come back to where it started (a pan, a walk, an object crossing the frame).
public enum LoopDrift: String, Sendable, CaseIterable {
    /// Played as a swing along the drift (out half-way and back through the reference pose, as
    /// far as the window travelled, at its mean speed): a clip that only drifts still moves.
    case swing
    /// Removed (Generative Image Dynamics): only the periodic part of the motion plays, so a
    /// clip that only drifts comes out nearly still.
    case remove
}
