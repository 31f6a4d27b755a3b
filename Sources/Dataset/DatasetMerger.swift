import Foundation
import Motion

/// The merged statistics of a data set (`stats.json`).
public struct DatasetStatistics: Sendable, Equatable {
    /// The percentile the scales are taken at.
    public var percentile: Double
    /// Per-frequency normalisation scales s_k (pixels).
    public var scales: [Float]
    /// The merged |S_k| histogram the scales come from.
    public var histogram: MagnitudeHistogram
    /// Samples in the data set.
    public var samples: Int
    /// Clips: all, usable, skipped.
    public var clipsTotal: Int, clipsOK: Int, clipsSkipped: Int
    /// Completed windows per verdict.
    public var windows: [WindowVerdict: Int]
    /// Skipped clips with their reasons.
    public var skippedClips: [(clip: Int, source: String, reason: String)]
    /// Seconds per stage, summed over clips (thread time, not wall-clock).
    public var seconds: StageSeconds

    public static func == (a: DatasetStatistics, b: DatasetStatistics) -> Bool {
        a.percentile == b.percentile && a.scales == b.scales && a.histogram == b.histogram && a.samples == b.samples
            && a.clipsTotal == b.clipsTotal && a.clipsOK == b.clipsOK && a.clipsSkipped == b.clipsSkipped && a.windows == b.windows
            && a.skippedClips.map { "\($0.clip)\u{0}\($0.source)\u{0}\($0.reason)" }
            == b.skippedClips.map { "\($0.clip)\u{0}\($0.source)\u{0}\($0.reason)" }
    }

    /// The normalisation these statistics define.
    public var normalization: SpectrumNormalization {
        get throws { try SpectrumNormalization(scales: scales) }
    }

    func jsonObject() -> [String: Any] {
        var w: [String: Any] = ["total": windows.values.reduce(0, +)]
        for v in WindowVerdict.allCases { w[v.rawValue] = windows[v] ?? 0 }
        return [
            "format": "warpflow-dataset-stats", "version": 1, "percentile": percentile, "k": histogram.frequencies,
            "scales": scales.map { Double($0) },
            "histogram": ["min_exponent": histogram.minExponent, "max_exponent": histogram.maxExponent,
                          "bins_per_octave": histogram.binsPerOctave,
                          "counts": (0..<histogram.frequencies).map { k in
                              histogram.sparseCounts(frequency: k).map { [$0.bin, Int($0.count)] } }],
            "samples": samples, "clips": ["total": clipsTotal, "ok": clipsOK, "skipped": clipsSkipped], "windows": w,
            "skipped_clips": skippedClips.map { ["clip": $0.clip, "source": $0.source, "reason": $0.reason] },
        ]
    }
}

/// Merges the clip reports of a (possibly sharded) build into `manifest.jsonl` and
/// `stats.json`. Histograms hold integer counts, so the merged statistics of shards built
/// on many machines equal those of one unsharded build exactly.
public struct DatasetMerger: Sendable {
    public var directory: String

    public init(directory: String) { self.directory = directory }

    /// Reads every `clips/clip-*.json`, checks they belong to one build and that none is
    /// missing (unless `allowPartial`), and writes the merged files.
    public func merge(percentile: Double? = nil, allowPartial: Bool = false) throws -> DatasetStatistics {
        let clipsDirectory = directory + "/clips"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: clipsDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError(directory, "is not a warpflow dataset directory (no clips/ inside)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: clipsDirectory)
            .filter { $0.hasPrefix("clip-") && $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { throw DatasetError(clipsDirectory, "holds no clip reports; run `warpflow dataset build` first") }
        let reports = try names.map { try ClipReport(path: clipsDirectory + "/" + $0) }.sorted { $0.clip < $1.clip }
        let first = reports[0]
        for r in reports {
            guard r.clipsTotal == first.clipsTotal, r.configuration == first.configuration else {
                throw DatasetError(clipsDirectory + "/" + ClipReport.fileName(clip: r.clip),
                                   "belongs to another build (other inputs or options) than \(ClipReport.fileName(clip: first.clip))")
            }
        }
        let p = percentile ?? first.configuration["percentile"].flatMap(Double.init) ?? 97
        return try merge(reports: reports, clipsTotal: first.clipsTotal, percentile: p, allowPartial: allowPartial)
    }

    /// Merges `reports` (one build's) and writes the merged files.
    func merge(reports: [ClipReport], clipsTotal: Int, percentile: Double, allowPartial: Bool = false) throws -> DatasetStatistics {
        guard percentile.isFinite, percentile > 0, percentile <= 100 else {
            throw DatasetError("--percentile", "\(percentile) must be in (0, 100]")
        }
        let sorted = reports.sorted { $0.clip < $1.clip }
        let present = Set(sorted.map(\.clip))
        let missing = (0..<clipsTotal).filter { !present.contains($0) }
        if !missing.isEmpty && !allowPartial {
            let list = missing.prefix(10).map(String.init).joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
            throw DatasetError(directory, "\(missing.count) of \(clipsTotal) clips are not built yet (clips \(list)); "
                               + "wait for every shard to finish, or merge with --allow-partial")
        }
        guard let k = sorted.first?.histogram.frequencies else { throw DatasetError(directory, "holds no clip reports") }
        var histogram = try MagnitudeHistogram(frequencies: k)
        var lines = Data()
        var stats = DatasetStatistics(percentile: percentile, scales: [], histogram: histogram, samples: 0, clipsTotal: clipsTotal,
                                      clipsOK: 0, clipsSkipped: 0, windows: [:], skippedClips: [], seconds: StageSeconds())
        for r in sorted {
            do {
                try histogram.merge(r.histogram)
            } catch {
                throw DatasetError(directory + "/clips/" + ClipReport.fileName(clip: r.clip), "histogram cannot be merged: \(error)")
            }
            for (verdict, n) in r.windows { stats.windows[verdict, default: 0] += n }
            stats.seconds = stats.seconds + r.seconds
            if r.status == .ok { stats.clipsOK += 1 } else {
                stats.clipsSkipped += 1
                stats.skippedClips.append((r.clip, r.source, r.reason ?? "unknown"))
            }
            for s in r.samples {
                lines += try JSONSerialization.data(withJSONObject: s.json, options: [.sortedKeys, .withoutEscapingSlashes])
                lines += Data("\n".utf8)
                stats.samples += 1
            }
        }
        stats.histogram = histogram
        stats.scales = histogram.scales(percentile: percentile)
        try DatasetFileIO.writeAtomically(directory + "/manifest.jsonl", chunks: [[UInt8](lines)])
        let json = try JSONSerialization.data(withJSONObject: stats.jsonObject(), options: [.sortedKeys, .withoutEscapingSlashes])
        try DatasetFileIO.writeAtomically(directory + "/stats.json", chunks: [[UInt8](json)])
        return stats
    }
}
