import Flow
import Foundation

/// A mergeable histogram, per frequency k, of |v| (pixels) over every real value v of the four
/// channels of S_k (FORMAT.md, "Histogram bins"): bin 0 counts |v| < 2^min (0 included); bin
/// 1 + j, j = 0 … (max − min)·b − 1, counts 2^(min + j/b) ≤ |v| < 2^(min + (j+1)/b); the last
/// bin counts |v| ≥ 2^max. Counts are integers, so histograms of shards merge exactly into the
/// histogram of the whole, and so do the percentiles taken from them.
///
/// NaN and ±infinity have no magnitude bin: `add` throws `MotionError.nonFiniteInput` for a
/// spectrum that holds any and leaves the histogram unchanged (the data-set format has no
/// place to count them, and a spectrum of finite trajectories never holds them).
public struct MagnitudeHistogram: Sendable, Equatable {
    /// FORMAT.md's defaults: bins from 2^−20 to 2^20 pixels, 32 per octave.
    public static let defaultMinExponent = -20, defaultMaxExponent = 20, defaultBinsPerOctave = 32

    /// K: frequencies counted.
    public let frequencies: Int
    /// Bin 0 ends at 2^minExponent pixels.
    public let minExponent: Int
    /// The last bin starts at 2^maxExponent pixels.
    public let maxExponent: Int
    /// b: bins per octave (factor 2 of |v|).
    public let binsPerOctave: Int
    let layout: BinLayout
    /// Counts, `[k][bin]`.
    public private(set) var counts: [[UInt64]]

    /// An empty histogram; throws `MotionError.invalidParameter` unless 1 ≤ K ≤ 2^16,
    /// −126 ≤ min < max ≤ 128 (the Float exponent range) and 1 ≤ b ≤ 4096.
    public init(frequencies: Int, minExponent: Int = defaultMinExponent, maxExponent: Int = defaultMaxExponent,
                binsPerOctave: Int = defaultBinsPerOctave) throws {
        guard frequencies >= 1, frequencies <= 1 << 16 else {
            throw MotionError.invalidParameter(name: "histogram frequencies K", value: "\(frequencies)", expected: "1 … 65536")
        }
        guard minExponent >= -126, minExponent < maxExponent, maxExponent <= 128 else {
            throw MotionError.invalidParameter(name: "histogram exponents", value: "\(minExponent) … \(maxExponent)",
                                               expected: "−126 ≤ min_exponent < max_exponent ≤ 128")
        }
        guard binsPerOctave >= 1, binsPerOctave <= 4096 else {
            throw MotionError.invalidParameter(name: "histogram bins_per_octave", value: "\(binsPerOctave)", expected: "1 … 4096")
        }
        self.frequencies = frequencies
        self.minExponent = minExponent
        self.maxExponent = maxExponent
        self.binsPerOctave = binsPerOctave
        layout = BinLayout(minExponent: minExponent, maxExponent: maxExponent, binsPerOctave: binsPerOctave)
        counts = Array(repeating: [UInt64](repeating: 0, count: layout.binCount), count: frequencies)
    }

    /// A histogram from nonzero-bin lists (`sparseCounts`), one per frequency; throws
    /// `MotionError.invalidParameter` for a list count other than K, a bin outside
    /// 0 ..< binCount, a bin listed twice, or a frequency total beyond 2^64 − 1.
    public init(frequencies: Int, minExponent: Int, maxExponent: Int, binsPerOctave: Int,
                sparseCounts: [[(bin: Int, count: UInt64)]]) throws {
        try self.init(frequencies: frequencies, minExponent: minExponent, maxExponent: maxExponent, binsPerOctave: binsPerOctave)
        guard sparseCounts.count == frequencies else {
            throw MotionError.invalidParameter(name: "histogram counts", value: "\(sparseCounts.count) frequency lists",
                                               expected: "K = \(frequencies)")
        }
        for (k, list) in sparseCounts.enumerated() {
            var total: UInt64 = 0
            var seen = [Bool](repeating: false, count: binCount)
            for (bin, count) in list {
                guard bin >= 0, bin < binCount else {
                    throw MotionError.invalidParameter(name: "histogram bin (k = \(k))", value: "\(bin)", expected: "0 … \(binCount - 1)")
                }
                guard !seen[bin] else {
                    throw MotionError.invalidParameter(name: "histogram bin (k = \(k))", value: "\(bin)", expected: "each bin listed once")
                }
                let (sum, overflow) = total.addingReportingOverflow(count)
                guard !overflow else {
                    throw MotionError.invalidParameter(name: "histogram counts (k = \(k))", value: "total beyond 2^64 − 1",
                                                       expected: "a total below 2^64")
                }
                total = sum
                seen[bin] = true
                counts[k][bin] = count
            }
        }
    }

    /// Number of bins per frequency: (max − min)·b + 2.
    public var binCount: Int { layout.binCount }

    /// Values counted for frequency k (4 per pixel per sample added).
    public func totalCount(frequency k: Int) -> UInt64 {
        counts[k].reduce(0, &+)
    }

    /// Adds every |v| of the four channels of each S_k of `spectrum` (SIMD bin computation).
    /// Throws `MotionError.invalidParameter` if its K differs, `MotionError.nonFiniteInput`
    /// if it holds NaN or ±infinity, or if a count would pass 2^64 − 1; then nothing is added.
    public mutating func add(_ spectrum: MotionSpectrum) throws {
        try add(spectrum, scalar: false)
    }

    /// `add` with the SIMD or the scalar reference bin kernel.
    mutating func add(_ spectrum: MotionSpectrum, scalar: Bool) throws {
        guard spectrum.frequencies == frequencies else {
            throw MotionError.invalidParameter(name: "spectrum frequencies K", value: "\(spectrum.frequencies)",
                                               expected: "the histogram's K = \(frequencies)")
        }
        let run = 4 * spectrum.planeSize
        var local = Array(repeating: [UInt64](repeating: 0, count: binCount), count: frequencies)
        var bins = [Int32](repeating: 0, count: run)
        var nonFinite = false
        spectrum.values.withUnsafeBufferPointer { values in
            bins.withUnsafeMutableBufferPointer { binBuffer in
                guard let source = values.baseAddress, let out = binBuffer.baseAddress else { return }
                for k in 0..<frequencies {
                    if scalar {
                        for i in 0..<run { out[i] = layout.binScalar(source[k * run + i]) }
                    } else {
                        layout.bins(source + k * run, count: run, into: out)
                    }
                    local[k].withUnsafeMutableBufferPointer { c in
                        for i in 0..<run {
                            let b = out[i]
                            if b < 0 { nonFinite = true } else { c[Int(b)] &+= 1 }
                        }
                    }
                }
            }
        }
        if nonFinite { throw MotionError.nonFiniteInput(what: "motion spectrum added to the magnitude histogram") }
        try merge(counts: local)
    }

    /// Adds another histogram's counts. Throws `MotionError.invalidParameter` if K, exponents
    /// or bins per octave differ or a count would pass 2^64 − 1; then nothing changes.
    public mutating func merge(_ other: MagnitudeHistogram) throws {
        guard other.frequencies == frequencies, other.minExponent == minExponent, other.maxExponent == maxExponent,
              other.binsPerOctave == binsPerOctave else {
            // Only what differs, so the message never reads as if both sides were the same.
            var theirs: [String] = [], ours: [String] = []
            for (name, a, b) in [("K", other.frequencies, frequencies), ("min_exponent", other.minExponent, minExponent),
                                 ("max_exponent", other.maxExponent, maxExponent), ("bins_per_octave", other.binsPerOctave, binsPerOctave)]
            where a != b {
                theirs.append("\(name) \(a)")
                ours.append("\(name) \(b)")
            }
            throw MotionError.invalidParameter(name: "merged histogram layout", value: theirs.joined(separator: ", "),
                                               expected: ours.joined(separator: ", ") + " (the first histogram's)")
        }
        try merge(counts: other.counts)
    }

    /// Adds `[k][bin]` counts of this layout, overflow-checked before anything changes.
    private mutating func merge(counts other: [[UInt64]]) throws {
        var sum = counts
        for k in 0..<frequencies {
            var total = totalCount(frequency: k)
            for bin in 0..<binCount where other[k][bin] != 0 {
                let (a, o1) = sum[k][bin].addingReportingOverflow(other[k][bin])
                let (t, o2) = total.addingReportingOverflow(other[k][bin])
                guard !o1, !o2 else {
                    throw MotionError.invalidParameter(name: "histogram counts (k = \(k))", value: "total beyond 2^64 − 1",
                                                       expected: "a total below 2^64")
                }
                sum[k][bin] = a
                total = t
            }
        }
        counts = sum
    }

    /// The nonzero bins of frequency k, ascending: the `counts` lists of FORMAT.md.
    public func sparseCounts(frequency k: Int) -> [(bin: Int, count: UInt64)] {
        counts[k].enumerated().compactMap { $0.element == 0 ? nil : (bin: $0.offset, count: $0.element) }
    }

    /// The bin of |magnitude| (pixels), or −1 for NaN and ±infinity, which have none.
    public func bin(of magnitude: Float) -> Int {
        Int(layout.binScalar(magnitude))
    }

    /// Lower edge of `bin` (pixels): 0 for bin 0, 2^(min + (bin − 1)/b) otherwise.
    public func lowerEdge(of bin: Int) -> Double {
        bin <= 0 ? 0 : exp2(Double(minExponent) + Double(bin - 1) / Double(binsPerOctave))
    }

    /// Upper edge of `bin` (pixels, exclusive): 2^(min + bin/b), +infinity for the last bin.
    public func upperEdge(of bin: Int) -> Double {
        bin >= binCount - 1 ? .infinity : exp2(Double(minExponent) + Double(max(0, bin)) / Double(binsPerOctave))
    }

    /// The P-th percentile (pixels, 0 < P ≤ 100) of |v| for frequency k, per FORMAT.md: the
    /// value of rank ⌈P/100·n⌉ (1-based), found in its bin and interpolated geometrically
    /// between the bin's edges by the rank's place among the bin's count (bin 0: linearly from
    /// 0; the last bin, unbounded, gives its lower edge 2^max). Relative error below
    /// 2^(1/b) − 1 for values inside the regular bins. 0 for an empty histogram; P is clamped
    /// into (0, 100] (NaN gives NaN).
    public func percentile(_ p: Double, frequency k: Int) -> Double {
        if p.isNaN { return .nan }
        let n = totalCount(frequency: k)
        guard n > 0 else { return 0 }
        let exact = (min(100, p) * Double(n) / 100).rounded(.up)
        let rank: UInt64 = exact >= Double(n) ? n : max(1, UInt64(max(0, exact)))
        var below: UInt64 = 0
        for (bin, count) in counts[k].enumerated() where count > 0 {
            if below + count >= rank {
                let q = Double(rank - below) / Double(count)
                if bin == 0 { return q * exp2(Double(minExponent)) }
                if bin == binCount - 1 { return lowerEdge(of: bin) }
                return lowerEdge(of: bin) * exp2(q / Double(binsPerOctave))
            }
            below += count
        }
        return lowerEdge(of: binCount - 1)
    }

    /// The normalisation scales s_k (pixels): the P-th percentile of each frequency.
    public func scales(percentile p: Double) -> [Float] {
        (0..<frequencies).map { Float(percentile(p, frequency: $0)) }
    }
}

/// Generative Image Dynamics' frequency-adaptive normalisation: each value v of S_k becomes
/// sign(v)·sqrt(|v|/s_k) (dimensionless), 0 where s_k = 0.
public struct SpectrumNormalization: Sendable, Equatable {
    /// s_k per frequency (pixels), usually `MagnitudeHistogram.scales(percentile:)`.
    public var scales: [Float]

    /// Throws `MotionError.invalidParameter` for no scales or a scale that is not finite and ≥ 0.
    public init(scales: [Float]) throws {
        guard !scales.isEmpty else {
            throw MotionError.invalidParameter(name: "normalisation scales", value: "none", expected: "one per frequency")
        }
        for (k, s) in scales.enumerated() where !(s.isFinite && s >= 0) {
            throw MotionError.invalidParameter(name: "normalisation scale s_\(k)", value: "\(s)", expected: "finite and ≥ 0")
        }
        self.scales = scales
    }

    /// The normalised spectrum: sign(v)·sqrt(|v|/s_k) per value (SIMD). Throws
    /// `MotionError.invalidParameter` if the spectrum's K differs from the number of scales.
    public func normalized(_ spectrum: MotionSpectrum) throws -> MotionSpectrum {
        try map(spectrum, NormalizationKernels.normalize)
    }

    /// The inverse of `normalized`: sign(n)·n²·s_k per value (pixels; 0 where s_k = 0).
    public func denormalized(_ spectrum: MotionSpectrum) throws -> MotionSpectrum {
        try map(spectrum, NormalizationKernels.denormalize)
    }

    /// Applies `kernel` to each frequency's run of 4·width·height values with its scale.
    func map(_ spectrum: MotionSpectrum,
             _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Float) -> Void) throws -> MotionSpectrum {
        guard spectrum.frequencies == scales.count else {
            throw MotionError.invalidParameter(name: "spectrum frequencies K", value: "\(spectrum.frequencies)",
                                               expected: "one per normalisation scale (\(scales.count))")
        }
        var out = spectrum
        let run = 4 * spectrum.planeSize
        spectrum.values.withUnsafeBufferPointer { input in
            out.withMutableValues { output in
                guard let src = input.baseAddress, let dst = output.baseAddress else { return }
                for (k, s) in scales.enumerated() {
                    if s == 0 {
                        (dst + k * run).update(repeating: 0, count: run)
                    } else {
                        kernel(src + k * run, dst + k * run, run, s)
                    }
                }
            }
        }
        return out
    }
}
