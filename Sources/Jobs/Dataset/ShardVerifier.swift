import Raster
import Tensors
import Flow
import Foundation
import MediaIO

/// Checks that a clip report is consistent in itself and with its build's options, and that
/// every shard it names holds what it says: the expected file name inside `clips/`, a valid
/// safetensors layout, the tensors, dtypes and shapes of the format, metadata that matches the
/// report, finite spectra and trajectories, and (for reports that carry one) the checksum the
/// build recorded. Merge lists nothing it has not checked this way; a resumed build rebuilds a
/// clip whose report fails it.
struct ShardVerifier {
    /// The dataset directory (shard names in reports are relative to it).
    let directory: String

    /// The build options a report's `configuration` fingerprint fixes, parsed and bounded.
    struct Options {
        var window: Int, frequencies: Int, width: Int, height: Int, trajectories: Bool
        /// Shard format version: 2 (with `confidence`), or 1 for builds whose fingerprint has no
        /// `format_version`.
        var version: Int

        init(_ fingerprint: [String: String], file: String) throws {
            func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int {
                guard let text = fingerprint[key], let v = Int(text), range.contains(v) else {
                    throw DatasetError(file, "configuration \"\(key)\" is \(fingerprint[key].map { "\"\($0)\"" } ?? "missing"); "
                                       + "expected an integer in \(range.lowerBound)…\(range.upperBound)")
                }
                return v
            }
            window = try int("window", 2...100_000)
            frequencies = try int("k", 1...window)
            let size = (fingerprint["size"] ?? "").split(separator: "x").compactMap { Int($0) }
            guard size.count == 2, (16...8192).contains(size[0]), (16...8192).contains(size[1]) else {
                throw DatasetError(file, "configuration \"size\" is \(fingerprint["size"].map { "\"\($0)\"" } ?? "missing"); expected WxH from 16x16 to 8192x8192")
            }
            width = size[0]
            height = size[1]
            trajectories = fingerprint["trajectories"] == "1"
            version = fingerprint["format_version"] == nil ? 1 : try int("format_version", 1...2)
        }
    }

    /// The shard name the build gives part `part` of clip `clip`.
    static func shardName(clip: Int, part: Int) -> String {
        "clips/clip-" + zeroPadded(clip, 6) + "-" + zeroPadded(part, 3) + ".safetensors"
    }

    /// FNV-1a, 64 bits, of `bytes`, as 16 hex digits: the shard checksum reports record.
    static func checksum<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Checks `report` (read from `reportPath`) and every shard it names; throws a
    /// `DatasetError` naming the report or the shard, the key or tensor, and what is wrong.
    func verify(_ report: ClipReport, reportPath: String) throws {
        let options = try Options(report.configuration, file: reportPath)
        let counts = try checkConsistency(report, options: options, file: reportPath)
        for (part, name) in report.shards.enumerated() {
            try checkShard(directory + "/" + name, part: part, samples: counts[name, default: 0], report: report, options: options)
        }
    }

    /// The report's fields against their ranges, each other and the build's options; returns
    /// the number of samples the report puts in each shard.
    @discardableResult
    func checkConsistency(_ report: ClipReport, options o: Options, file: String) throws -> [String: Int] {
        func fail(_ key: String, _ problem: String) -> DatasetError { DatasetError(file, "\"\(key)\" \(problem)") }
        if report.status == .skipped {
            guard report.samples.isEmpty, report.shards.isEmpty else {
                throw fail("status", "is \"skipped\" but the report lists \(report.samples.count) samples in \(report.shards.count) shards")
            }
        }
        for (part, name) in report.shards.enumerated() where name != Self.shardName(clip: report.clip, part: part) {
            throw fail("shards", "entry \(part) is \(SafetensorsHeader.quoted(name)); clip \(report.clip)'s part \(part) is "
                       + "\(Self.shardName(clip: report.clip, part: part))")
        }
        let kept = report.windows[.kept] ?? 0
        guard kept == report.samples.count else {
            throw fail("windows", "counts \(kept) kept windows but the report lists \(report.samples.count) samples")
        }
        // A window starts at a distinct decoded frame, so there are never more windows than frames.
        guard report.frames >= 0, report.windowsTotal <= max(report.frames, 0) else {
            throw fail("windows", "counts \(report.windowsTotal) windows in a clip of \(report.frames) decoded frames")
        }
        var nextIndex: [String: Int] = [:]
        for (i, s) in report.samples.enumerated() {
            let key = "samples[\(i)]"
            guard report.shards.contains(s.shard) else { throw fail(key, "names shard \(SafetensorsHeader.quoted(s.shard)), which is not in \"shards\"") }
            let expected = nextIndex[s.shard, default: 0]
            guard s.index == expected else { throw fail(key, "has index \(s.index); the shard's samples are numbered 0, 1, … in order, so \(expected) was expected") }
            nextIndex[s.shard] = expected + 1
            guard s.clip == report.clip, s.source == report.source else {
                throw fail(key, "is from clip \(s.clip) (\(s.source)), not this report's clip \(report.clip) (\(report.source))")
            }
            guard s.frames == o.window else { throw fail(key, "has \(s.frames) frames; the build's windows have \(o.window)") }
            guard s.width == o.width, s.height == o.height else {
                throw fail(key, "is \(s.width)x\(s.height); the build's size is \(o.width)x\(o.height)")
            }
            guard s.fps.isPositive, s.fps.doubleValue <= 10_000 else { throw fail(key, "has frame rate \(s.fps); expected a positive rate") }
            guard s.startFrame >= 0, s.startFrame <= report.frames - s.frames, !(s.start < Rational(0, 1)) else {
                throw fail(key, "starts at frame \(s.startFrame) (\(s.start) s), outside the clip's \(report.frames) frames")
            }
        }
        for (part, name) in report.shards.enumerated() where nextIndex[name, default: 0] == 0 {
            throw fail("shards", "entry \(part) (\(name)) holds none of the report's samples")
        }
        // Every kept sample adds 4·H·W values per frequency (Re and Im of x and y) to the histogram.
        let perFrequency = UInt64(report.samples.count) * 4 * UInt64(o.width) * UInt64(o.height)
        guard report.histogram.frequencies == o.frequencies else {
            throw fail("histogram", "has \(report.histogram.frequencies) frequencies; the build keeps k = \(o.frequencies)")
        }
        for k in 0..<report.histogram.frequencies where report.histogram.totalCount(frequency: k) != perFrequency {
            throw fail("histogram", "counts \(report.histogram.totalCount(frequency: k)) magnitudes at frequency \(k); "
                       + "\(report.samples.count) samples of \(o.width)x\(o.height) give \(perFrequency)")
        }
        return nextIndex
    }

    /// One shard file against the report.
    func checkShard(_ path: String, part: Int, samples n: Int, report: ClipReport, options o: Options) throws {
        let bytes = try DataFileIO.readFile(path)
        if let recorded = report.checksums[Self.shardName(clip: report.clip, part: part)], recorded != Self.checksum(bytes) {
            throw DatasetError(path, "does not match the checksum its clip report recorded (the file was changed after the build); "
                               + "delete \(ClipReport.fileName(clip: report.clip)) to rebuild the clip")
        }
        let file = try SafetensorsFile(bytes: bytes, name: path)
        func expect(_ name: String, _ dtypes: [TensorDType], _ shape: [Int]) throws {
            guard let t = file.tensor(name) else { throw DatasetError(path, "has no \(SafetensorsHeader.quoted(name)) tensor") }
            guard dtypes.contains(t.dtype) else {
                throw DatasetError(path, "tensor \(SafetensorsHeader.quoted(name)) is \(t.dtype.rawValue); expected \(dtypes.map(\.rawValue).joined(separator: " or "))")
            }
            guard t.shape == shape else {
                throw DatasetError(path, "tensor \(SafetensorsHeader.quoted(name)) has shape \(t.shape); the report's \(n) samples need \(shape)")
            }
        }
        try expect("frames", [.u8], [n, o.height, o.width, 3])
        try expect("spectra", [.f16, .f32], [n, 4 * o.frequencies, o.height, o.width])
        var floatTensors = ["spectra"]
        if o.trajectories {
            try expect("trajectories", [.f16, .f32], [n, o.window - 1, 2, o.height, o.width])
            floatTensors.append("trajectories")
        }
        if o.version >= 2 { try expect("confidence", [.u8], [n, o.window - 1, o.height, o.width]) }
        let m = file.metadata
        let expected = ["format": "warpflow-dataset", "version": "\(o.version)", "clip": "\(report.clip)", "source": report.source, "samples": "\(n)",
                        "window": "\(o.window)", "k": "\(o.frequencies)", "width": "\(o.width)", "height": "\(o.height)"]
        for key in expected.keys.sorted() where m[key] != expected[key] {
            throw DatasetError(path, "metadata \"\(key)\" is \(m[key].map { SafetensorsHeader.quoted($0) } ?? "missing"); "
                               + "its clip report says \(SafetensorsHeader.quoted(expected[key] ?? ""))")
        }
        for name in floatTensors {
            let values = try file.floats(name)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw DatasetError(path, "tensor \(SafetensorsHeader.quoted(name)) holds \(values[bad]) at element \(bad); "
                                   + "delete \(ClipReport.fileName(clip: report.clip)) to rebuild the clip")
            }
        }
    }
}
