import Flow
import Foundation
import Raster

/// The motion spectrum of one window (Generative Image Dynamics): for every pixel p of the
/// window's first frame, S_k(p) = Σ_{t=0}^{T−1} F_t(p)·e^{−2πi·k·t/T} for k = 0 … K−1, where
/// F_t is the displacement (pixels) of p at frame t and F_0 = 0; unnormalised, in pixels.
/// Stored as 4K planes of `width × height` (working-resolution pixels).
public struct MotionSpectrum: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// K: the number of frequencies kept (k = 0 … K−1, in cycles per window).
    public let frequencies: Int
    /// T: the window length in frames.
    public let windowLength: Int
    /// 4K × width × height samples (pixels), channel-major: channel c = 4k + j (j: 0 Re x,
    /// 1 Im x, 2 Re y, 3 Im y), row-major inside a channel.
    public private(set) var values: [Float]

    /// A spectrum from its samples; throws `MotionError.invalidParameter` unless sizes are
    /// positive, 1 ≤ K ≤ T, 2 ≤ T ≤ 2^24 and `values.count` = 4K·width·height.
    public init(width: Int, height: Int, frequencies: Int, windowLength: Int, values: [Float]) throws {
        let count = try Self.validatedCount(width: width, height: height, frequencies: frequencies, windowLength: windowLength)
        guard values.count == count else {
            throw MotionError.invalidParameter(name: "spectrum values", value: "\(values.count) samples",
                                               expected: "4K·width·height = \(count)")
        }
        self.init(valid: width, height, frequencies, windowLength, values)
    }

    /// A spectrum from parameters already validated.
    init(valid width: Int, _ height: Int, _ frequencies: Int, _ windowLength: Int, _ values: [Float]) {
        self.width = width
        self.height = height
        self.frequencies = frequencies
        self.windowLength = windowLength
        self.values = values
    }

    /// The samples, writable in place; their count cannot change, so the sizes stay valid.
    package mutating func withMutableValues<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeMutableBufferPointer { try body(&$0) }
    }

    /// Samples per channel plane (`width × height`).
    public var planeSize: Int { width * height }

    /// Channel `c` (0 ≤ c < 4K; 4k + 0 Re x, 1 Im x, 2 Re y, 3 Im y) as a plane (pixels).
    public func channel(_ c: Int) -> Plane {
        precondition(c >= 0 && c < 4 * frequencies, "channel \(c) outside 0..<\(4 * frequencies)")
        let n = planeSize
        return Plane(width: width, height: height, data: Array(values[(c * n)..<((c + 1) * n)]))
    }

    /// Checks the parameters of a spectrum and returns 4K·width·height.
    static func validatedCount(width: Int, height: Int, frequencies: Int, windowLength: Int) throws -> Int {
        guard width > 0 else { throw MotionError.invalidParameter(name: "width", value: "\(width)", expected: "> 0 pixels") }
        guard height > 0 else { throw MotionError.invalidParameter(name: "height", value: "\(height)", expected: "> 0 pixels") }
        guard windowLength >= 2, windowLength <= SpectrumLimits.maximumWindow else {
            throw MotionError.invalidParameter(name: "window length T", value: "\(windowLength)",
                                               expected: "2 … \(SpectrumLimits.maximumWindow) frames")
        }
        guard frequencies >= 1, frequencies <= windowLength else {
            throw MotionError.invalidParameter(name: "frequencies K", value: "\(frequencies)",
                                               expected: "1 … T = \(windowLength)")
        }
        let (a, o1) = width.multipliedReportingOverflow(by: height)
        let (b, o2) = a.multipliedReportingOverflow(by: 4 * frequencies)
        guard !o1, !o2, b <= 1 << 36 else {
            throw MotionError.invalidParameter(name: "spectrum size", value: "\(width)×\(height)×\(4 * frequencies)",
                                               expected: "at most 2^36 samples")
        }
        return b
    }
}

/// Streaming truncated DFT of one window: add F_t for t = 1 … T−1 in any order (F_0 = 0
/// contributes nothing), then read `spectrum()`. Each add costs K complex multiply-adds per
/// pixel and component, SIMD over pixels, rows split over `threads`. Fields are held (by
/// reference, no copy) until `batchSize` (16) have arrived and then folded into the sums
/// together, so the 4K sum planes are read and written once per batch rather than once per
/// frame; memory: the 4K sum planes plus at most 16 held fields.
public struct SpectrumAccumulator: Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// K: frequencies kept.
    public let frequencies: Int
    /// T: window length in frames.
    public let windowLength: Int
    /// Worker threads for the sums.
    public let threads: Int
    /// Fields held before they are folded into the sums.
    static let batchSize = 16

    private var sums: [Float]
    private var added: [Bool]
    private var pending: [(field: FlowField, t: Int)] = []
    /// How many fields have been added.
    public private(set) var addedCount = 0

    /// An empty accumulator; throws `MotionError.invalidParameter` unless sizes are positive,
    /// 1 ≤ K ≤ T and T ≥ 2.
    public init(width: Int, height: Int, frequencies: Int, windowLength: Int, threads: Int = 1) throws {
        let count = try MotionSpectrum.validatedCount(width: width, height: height, frequencies: frequencies,
                                                      windowLength: windowLength)
        self.width = width
        self.height = height
        self.frequencies = frequencies
        self.windowLength = windowLength
        self.threads = max(1, threads)
        sums = [Float](repeating: 0, count: count)
        added = [Bool](repeating: false, count: windowLength)
    }

    /// Adds F_t, the displacement (pixels) of every first-frame pixel at frame t. Throws
    /// `MotionError.invalidParameter` if t is outside 1 ..< T or was added before, and
    /// `MotionError.sizeMismatch` if the field's size differs. Non-finite displacements are
    /// not checked; they make the affected pixels' sums NaN.
    public mutating func add(_ displacement: FlowField, at t: Int) throws {
        guard t >= 1, t < windowLength else {
            throw MotionError.invalidParameter(name: "trajectory time t", value: "\(t)", expected: "1 … \(windowLength - 1) (T = \(windowLength))")
        }
        guard !added[t] else {
            throw MotionError.invalidParameter(name: "trajectory time t", value: "\(t)", expected: "a time not added before")
        }
        guard displacement.width == width, displacement.height == height else {
            throw MotionError.sizeMismatch(what: "spectrum accumulator and displacement field", firstWidth: width,
                                           firstHeight: height, secondWidth: displacement.width, secondHeight: displacement.height)
        }
        added[t] = true
        addedCount += 1
        pending.append((displacement, t))
        if pending.count >= Self.batchSize {
            Self.fold(pending, into: &sums, width: width, height: height, frequencies: frequencies,
                      windowLength: windowLength, threads: threads)
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// The spectrum of the fields added so far (missing times count as F_t = 0).
    public func spectrum() -> MotionSpectrum {
        var values = sums
        Self.fold(pending, into: &values, width: width, height: height, frequencies: frequencies,
                  windowLength: windowLength, threads: threads)
        return MotionSpectrum(valid: width, height, frequencies, windowLength, values)
    }

    /// Adds the fields' terms to `sums` (4K planes), rows split over `threads`.
    static func fold(_ fields: [(field: FlowField, t: Int)], into sums: inout [Float], width: Int, height: Int,
                     frequencies: Int, windowLength: Int, threads: Int, scalar: Bool = false) {
        guard !fields.isEmpty else { return }
        let twiddles = DFTTwiddles(times: fields.map(\.t), frequencies: frequencies, windowLength: windowLength)
        let planeSize = width * height
        withPlanePointers(fields.map(\.field)) { us, vs in
            sums.withUnsafeMutableBufferPointer { buffer in
                guard let state = buffer.baseAddress else { return }
                let work = planeSize * frequencies * fields.count
                Parallel.forChunks(height, threads: Parallel.workers(for: work, threads: threads, grain: 1 << 16)) { rows in
                    let range = (rows.lowerBound * width)..<(rows.upperBound * width)
                    if scalar {
                        DFTKernels.accumulateScalar(state: state, planeSize: planeSize, us: us, vs: vs, twiddles: twiddles, range: range)
                    } else {
                        DFTKernels.accumulate(state: state, planeSize: planeSize, us: us, vs: vs, twiddles: twiddles, range: range)
                    }
                }
            }
        }
    }

    /// Calls `body` with pointers to every field's u and v samples, valid during the call
    /// (one nested buffer access per field, so no pointer outlives its access).
    static func withPlanePointers(_ fields: [FlowField], _ body: (UnsafeBufferPointer<UnsafePointer<Float>>,
                                                                  UnsafeBufferPointer<UnsafePointer<Float>>) -> Void) {
        var us: [UnsafePointer<Float>] = []
        var vs: [UnsafePointer<Float>] = []
        us.reserveCapacity(fields.count)
        vs.reserveCapacity(fields.count)
        func nest(_ i: Int) {
            if i == fields.count {
                us.withUnsafeBufferPointer { ub in vs.withUnsafeBufferPointer { vb in body(ub, vb) } }
                return
            }
            fields[i].u.data.withUnsafeBufferPointer { u in
                fields[i].v.data.withUnsafeBufferPointer { v in
                    guard let up = u.baseAddress, let vp = v.baseAddress else { return }
                    us.append(up)
                    vs.append(vp)
                    nest(i + 1)
                }
            }
        }
        nest(0)
    }
}

extension MotionSpectrum {
    /// Batched truncated DFT: the T×K basis applied to trajectories F_1 … F_{T−1} (pixels;
    /// F_0 = 0 implied, so T = trajectories.count + 1), each pixel group's sums kept in
    /// registers over all frames, t and T−t taken together (their basis entries differ only in
    /// the sign of the sine, which halves the multiply-adds); rows split over `threads`. Same
    /// result as the accumulator up to Float rounding.
    /// Throws `MotionError` for no trajectories, fields of different or empty sizes, or K
    /// outside 1 … T.
    public static func truncatedDFT(trajectories: [FlowField], frequencies: Int, threads: Int = 1) throws -> MotionSpectrum {
        let (width, height, count) = try validate(trajectories, frequencies: frequencies)
        var values = [Float](repeating: 0, count: count)
        foldWindow(trajectories, into: &values, width: width, height: height, frequencies: frequencies, threads: threads)
        return MotionSpectrum(valid: width, height, frequencies, trajectories.count + 1, values)
    }

    /// Adds the whole window's terms to `sums` with the symmetric kernel, rows split over
    /// `threads`.
    static func foldWindow(_ trajectories: [FlowField], into sums: inout [Float], width: Int, height: Int, frequencies: Int,
                           threads: Int, scalar: Bool = false) {
        let T = trajectories.count + 1, planeSize = width * height
        let twiddles = DFTTwiddles(times: Array(1...(T / 2)), frequencies: frequencies, windowLength: T)
        SpectrumAccumulator.withPlanePointers(trajectories) { us, vs in
            sums.withUnsafeMutableBufferPointer { buffer in
                guard let state = buffer.baseAddress else { return }
                let work = planeSize * frequencies * T
                Parallel.forChunks(height, threads: Parallel.workers(for: work, threads: max(1, threads), grain: 1 << 16)) { rows in
                    let range = (rows.lowerBound * width)..<(rows.upperBound * width)
                    if scalar {
                        DFTKernels.accumulateWindowScalar(state: state, planeSize: planeSize, us: us, vs: vs, twiddles: twiddles, range: range)
                    } else {
                        DFTKernels.accumulateWindow(state: state, planeSize: planeSize, us: us, vs: vs, twiddles: twiddles, range: range)
                    }
                }
            }
        }
    }

    /// Scalar reference of the truncated DFT for tests: every sum accumulated in Double with
    /// Double twiddles, then rounded once to Float. Same validation as `truncatedDFT`.
    public static func referenceDFT(trajectories: [FlowField], frequencies: Int) throws -> MotionSpectrum {
        let (width, height, count) = try validate(trajectories, frequencies: frequencies)
        let T = trajectories.count + 1, n = width * height
        var values = [Float](repeating: 0, count: count)
        for k in 0..<frequencies {
            let twiddles = (1..<T).map { t -> (Double, Double) in
                let phase = 2 * Double.pi * Double((k * t) % T) / Double(T)
                return (cos(phase), sin(phase))
            }
            for p in 0..<n {
                var rx = 0.0, ix = 0.0, ry = 0.0, iy = 0.0
                for (f, field) in trajectories.enumerated() {
                    let (c, s) = twiddles[f]
                    let u = Double(field.u.data[p]), v = Double(field.v.data[p])
                    rx += c * u
                    ix -= s * u
                    ry += c * v
                    iy -= s * v
                }
                values[(4 * k) * n + p] = Float(rx)
                values[(4 * k + 1) * n + p] = Float(ix)
                values[(4 * k + 2) * n + p] = Float(ry)
                values[(4 * k + 3) * n + p] = Float(iy)
            }
        }
        return MotionSpectrum(valid: width, height, frequencies, T, values)
    }

    /// Checks a trajectory list and K; returns the size and the sample count 4K·W·H.
    static func validate(_ trajectories: [FlowField], frequencies: Int) throws -> (Int, Int, Int) {
        guard let first = trajectories.first else {
            throw MotionError.invalidParameter(name: "trajectories", value: "none", expected: "F_1 … F_{T−1}, at least one field")
        }
        for field in trajectories where field.width != first.width || field.height != first.height {
            throw MotionError.sizeMismatch(what: "trajectory fields", firstWidth: first.width, firstHeight: first.height,
                                           secondWidth: field.width, secondHeight: field.height)
        }
        let count = try validatedCount(width: first.width, height: first.height, frequencies: frequencies,
                                       windowLength: trajectories.count + 1)
        return (first.width, first.height, count)
    }
}
