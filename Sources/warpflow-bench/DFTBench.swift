import Foundation
import MediaIO
import Flow
import Spectral
import Raster

/// `warpflow-bench dft [--width 256] [--height 160] [--window 150] [--k 16] [--repeat 3]
/// [--direct-rows 2] [--json OUT]`: milliseconds per window of the motion-spectrum maths on
/// random trajectories (uniform in ±8 px, fixed seed), 1 and 2 threads: the streaming
/// `SpectrumAccumulator` (T−1 adds and `spectrum()`), the batched `MotionSpectrum.truncatedDFT`,
/// and `FFTSpectrum` through libavutil's av_tx (gathers, transforms and scatters included),
/// by Bluestein at a power-of-two length and by av_tx run directly at length T. The direct
/// run is timed on the first `direct-rows` rows only and scaled to the full frame (FFmpeg 5.1
/// computes lengths such as 150 by an O(T²) path). Each figure is the median of `repeat`
/// timed runs after one warm-up (wall clock, and process CPU time for 1 thread); the table goes
/// to stdout, with the largest difference of each method from the batched DFT relative to max |S|.
enum DFTBench {
    static let usage = "dft [--width 256] [--height 160] [--window 150] [--k 16] [--repeat 3] [--direct-rows 2] [--json OUT]"

    static func run(_ arguments: [String]) throws -> Int32 {
        let args = try BenchArguments(arguments, options: ["width", "height", "window", "k", "repeat", "direct-rows", "json"])
        guard args.positional.isEmpty else { throw BenchUsageError("unexpected argument \(args.positional[0])") }
        let width = try args.int("width", default: 256, in: 1...4096)
        let height = try args.int("height", default: 160, in: 1...4096)
        let window = try args.int("window", default: 150, in: 2...4096)
        let k = try args.int("k", default: 16, in: 1...window)
        let repeats = try args.int("repeat", default: 3, in: 1...100)
        let directRows = try args.int("direct-rows", default: 2, in: 0...height)

        var rng = SplitMix(state: 0x5EED)
        func randomPlane(rows: Int) -> Plane {
            Plane(width: width, height: rows, data: (0..<(width * rows)).map { _ in Float(rng.unit() * 16 - 8) })
        }
        let xs = (1..<window).map { _ in randomPlane(rows: height) }
        let ys = (1..<window).map { _ in randomPlane(rows: height) }
        let fields = try zip(xs, ys).map { try FlowField(u: $0.0, v: $0.1) }

        var rows: [(name: String, ms: [Int: Double], cpu: Double, difference: Double?)] = []
        var reference: [Float] = []
        func measure(_ name: String, scale: Double = 1, compare: Bool = true, _ body: (Int) throws -> [Float]) rethrows {
            var ms: [Int: Double] = [:]
            var cpu = 0.0
            var difference: Double?
            for threads in [1, 2] {
                let first = try body(threads)
                if compare, threads == 1 {
                    if reference.isEmpty { reference = first } else { difference = relativeDifference(first, reference) }
                }
                var times: [Double] = [], cpuTimes: [Double] = []
                for _ in 0..<repeats {
                    let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
                    _ = try body(threads)
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 * scale)
                    cpuTimes.append((processCPUSeconds() - cpuStart) * 1e3 * scale)
                }
                ms[threads] = times.sorted()[times.count / 2]
                if threads == 1 { cpu = cpuTimes.sorted()[cpuTimes.count / 2] }
            }
            rows.append((name, ms, cpu, difference))
        }

        try measure("batched truncated DFT") { threads in
            try MotionSpectrum.truncatedDFT(trajectories: fields, frequencies: k, threads: threads).values
        }
        try measure("streaming accumulator") { threads in
            var accumulator = try SpectrumAccumulator(width: width, height: height, frequencies: k, windowLength: window, threads: threads)
            for (i, field) in fields.enumerated() { try accumulator.add(field, at: i + 1) }
            return accumulator.spectrum().values
        }
        let bluestein = try FourierTransform(length: window, bins: k)
        try measure("av_tx FFT (\(bluestein.method.rawValue), M = \(bluestein.transformLength))") { threads in
            try FFTSpectrum.spectrum(trajectoriesX: xs, trajectoriesY: ys, frequencies: k, threads: threads)
        }
        if directRows > 0 {
            let crop = { (p: Plane) in Plane(width: width, height: directRows, data: Array(p.data[0..<(width * directRows)])) }
            let cx = xs.map(crop), cy = ys.map(crop)
            try measure("av_tx FFT (direct, n = \(window)) *", scale: Double(height) / Double(directRows), compare: false) { threads in
                try FFTSpectrum.spectrum(trajectoriesX: cx, trajectoriesY: cy, frequencies: k, threads: threads, method: .direct)
            }
            let direct = try FFTSpectrum.spectrum(trajectoriesX: cx, trajectoriesY: cy, frequencies: k, threads: 1, method: .direct)
            let planeSize = width * height, cropSize = width * directRows
            let croppedReference = (0..<(4 * k)).flatMap { c in reference[(c * planeSize)..<(c * planeSize + cropSize)] }
            rows[rows.count - 1].difference = relativeDifference(direct, Array(croppedReference))
        }

        // The statistics side: one window's spectrum into the magnitude histogram, and the
        // normalisation of it (single-threaded, SIMD).
        let spectrum = try MotionSpectrum(width: width, height: height, frequencies: k, windowLength: window, values: reference)
        var histogramTimes: [Double] = [], normalizeTimes: [Double] = []
        var histogram = try MagnitudeHistogram(frequencies: k)
        for _ in 0...repeats {
            var start = DispatchTime.now().uptimeNanoseconds
            try histogram.add(spectrum)
            histogramTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            let normalization = try SpectrumNormalization(scales: histogram.scales(percentile: 97))
            start = DispatchTime.now().uptimeNanoseconds
            _ = try normalization.normalized(spectrum)
            normalizeTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let histogramMs = histogramTimes.sorted()[histogramTimes.count / 2], normalizeMs = normalizeTimes.sorted()[normalizeTimes.count / 2]

        var table = "dft: \(width)×\(height), T = \(window), K = \(k), random trajectories; median of \(repeats) (ms per window)\n"
        table += "method".padding(toLength: 36, withPad: " ", startingAt: 0)
            + "  1 thread  2 threads  CPU 1 thread  max|Δ|/max|S| vs batched\n"
        for row in rows {
            table += row.name.padding(toLength: 36, withPad: " ", startingAt: 0)
                + String(format: "  %8.1f  %9.1f  %12.1f  ", row.ms[1] ?? 0, row.ms[2] ?? 0, row.cpu)
                + (row.difference.map { String(format: "%.1e", $0) } ?? "-") + "\n"
        }
        table += "(wall-clock ms; CPU: process CPU time of the 1-thread run, less sensitive to other load; "
            + String(format: "load average %.2f)\n", FlowBench.loadAverage())
        if directRows > 0 {
            table += "* timed on \(directRows) of \(height) rows and scaled to the frame\n"
        }
        table += String(format: "magnitude histogram add %.1f ms, normalisation %.1f ms per window (1 thread, %d values)\n",
                        histogramMs, normalizeMs, reference.count)
        print(table, terminator: "")
        if let path = args.string("json") {
            let json: [String: Any] = [
                "width": width, "height": height, "window": window, "k": k, "repeat": repeats,
                "methods": rows.map { ["name": $0.name, "ms_1_thread": $0.ms[1] ?? 0, "ms_2_threads": $0.ms[2] ?? 0,
                                       "cpu_ms_1_thread": $0.cpu,
                                       "max_relative_difference": $0.difference ?? NSNull()] as [String: Any] },
                "histogram_add_ms": histogramMs, "normalize_ms": normalizeMs,
                "loadavg": FlowBench.loadAverage(),
            ]
            try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
        }
        return 0
    }

    /// CPU time used by the process so far (seconds, all threads).
    static func processCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// max |a − b| / max |b|.
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return .infinity }
        var diff = 0.0, scale = 0.0
        for (x, y) in zip(a, b) {
            diff = max(diff, Double(abs(x - y)))
            scale = max(scale, Double(abs(y)))
        }
        return scale > 0 ? diff / scale : diff
    }

    /// SplitMix64, for reproducible trajectories.
    typealias SplitMix = SplitMix64
}
