import Raster
import Tensors
import Foundation
import Flow
import Spectral

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
            "format": "warpflow-dataset-stats", "version": DatasetConfiguration.formatVersion, "percentile": percentile, "k": histogram.frequencies,
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
        var reports: [ClipReport] = []
        let verifier = ShardVerifier(directory: directory)
        for name in names {
            let path = clipsDirectory + "/" + name
            let digits = name.dropFirst("clip-".count).dropLast(".json".count)
            guard digits.count >= 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
                throw DatasetError(path, "is not a clip report name (clip-NNNNNN.json); move it out of clips/")
            }
            let report = try ClipReport(path: path)
            guard ClipReport.fileName(clip: report.clip) == name else {
                throw DatasetError(path, "holds the report of clip \(report.clip), whose report is \(ClipReport.fileName(clip: report.clip)); "
                                   + "each clip has one report under its own name")
            }
            try verifier.verify(report, reportPath: path)
            reports.append(report)
        }
        reports.sort { $0.clip < $1.clip }
        let first = reports[0]
        for r in reports {
            guard r.clipsTotal == first.clipsTotal, r.configuration == first.configuration else {
                let keys = Set(r.configuration.keys).union(first.configuration.keys).sorted()
                let differing = (r.clipsTotal == first.clipsTotal ? [] : ["clips_total \(r.clipsTotal) vs \(first.clipsTotal)"])
                    + keys.filter { r.configuration[$0] != first.configuration[$0] }
                        .map { "\($0) \(r.configuration[$0] ?? "unset") vs \(first.configuration[$0] ?? "unset")" }
                throw DatasetError(clipsDirectory + "/" + ClipReport.fileName(clip: r.clip),
                                   "belongs to another build than \(ClipReport.fileName(clip: first.clip)): \(differing.joined(separator: ", "))")
            }
        }
        var p = 97.0
        if let percentile {
            p = percentile
        } else if let text = first.configuration["percentile"] {
            guard let value = Double(text), value.isFinite, value > 0, value <= 100 else {
                throw DatasetError(clipsDirectory + "/" + ClipReport.fileName(clip: first.clip),
                                   "configuration \"percentile\" is \"\(text)\"; expected a value in (0, 100] (or pass --percentile)")
            }
            p = value
        }
        return try merge(reports: reports, clipsTotal: first.clipsTotal, percentile: p, allowPartial: allowPartial)
    }

    /// How many of clips 0..<`total` are not in `present` (sorted, distinct, in range), and the
    /// first ten of them; the work depends on the reports, never on `total`, which comes from a file.
    static func missingClips(present: [Int], total: Int) -> (count: Int, first: [Int]) {
        var first: [Int] = []
        var next = 0
        for clip in present + [total] where first.count < 10 {
            while next < clip && first.count < 10 {
                first.append(next)
                next += 1
            }
            next = clip + 1
        }
        return (max(0, total - present.count), first)
    }

    /// Merges `reports` (one build's) and writes the merged files.
    func merge(reports: [ClipReport], clipsTotal: Int, percentile: Double, allowPartial: Bool = false) throws -> DatasetStatistics {
        guard percentile.isFinite, percentile > 0, percentile <= 100 else {
            throw DatasetError("--percentile", "\(percentile) must be in (0, 100]")
        }
        let sorted = reports.sorted { $0.clip < $1.clip }
        let missing = Self.missingClips(present: sorted.map(\.clip), total: clipsTotal)
        if missing.count > 0 && !allowPartial {
            let list = missing.first.map(String.init).joined(separator: ", ") + (missing.count > missing.first.count ? ", …" : "")
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
        let json = try JSONSerialization.data(withJSONObject: stats.jsonObject(), options: [.sortedKeys, .withoutEscapingSlashes])
        // One commit: both files are written, then both renamed; a failure leaves neither changed.
        try DataFileIO.writeAtomically([(directory + "/manifest.jsonl", [[UInt8](lines)]), (directory + "/stats.json", [[UInt8](json)])])
        return stats
    }
}
