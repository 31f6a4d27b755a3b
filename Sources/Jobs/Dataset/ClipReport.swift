import Raster
import Tensors
import Foundation
import MediaIO
import Flow
import Spectral

/// One manifest line: where a sample is stored and where it came from.
public struct SampleRecord: Sendable, Equatable {
    /// Shard path relative to the dataset directory (`clips/clip-000042-000.safetensors`).
    public var shard: String
    /// Index of the sample inside the shard.
    public var index: Int
    /// Clip number (position in the build's input list).
    public var clip: Int
    /// The clip's path as given to the build.
    public var source: String
    /// Start of the window, seconds, exact.
    public var start: Rational
    /// Index of the window's first decoded frame in the clip.
    public var startFrame: Int
    /// Frames in the window (T).
    public var frames: Int
    /// The clip's frame rate, frames per second.
    public var fps: Rational
    /// Working size, pixels.
    public var width: Int, height: Int
    /// Mean |F_t| over pixels and t, largest |F_t|, and mean camera motion (pixels).
    public var meanMotion: Double, maxMotion: Double, globalMotion: Double

    var json: [String: Any] {
        ["shard": shard, "index": index, "clip": clip, "source": source, "start": start.description, "start_frame": startFrame,
         "frames": frames, "fps": fps.description, "width": width, "height": height, "mean_motion": meanMotion,
         "max_motion": maxMotion, "global_motion": globalMotion]
    }

    init(shard: String, index: Int, clip: Int, source: String, start: Rational, startFrame: Int, frames: Int, fps: Rational,
         width: Int, height: Int, meanMotion: Double, maxMotion: Double, globalMotion: Double) {
        self.shard = shard; self.index = index; self.clip = clip; self.source = source; self.start = start
        self.startFrame = startFrame; self.frames = frames; self.fps = fps; self.width = width; self.height = height
        self.meanMotion = meanMotion; self.maxMotion = maxMotion; self.globalMotion = globalMotion
    }

    init(json o: [String: Any], file: String) throws {
        let r = JSONReader(o, file: file)
        shard = try r.string("shard"); index = try r.int("index"); clip = try r.int("clip"); source = try r.string("source")
        start = try r.rational("start"); startFrame = try r.int("start_frame"); frames = try r.int("frames")
        fps = try r.rational("fps"); width = try r.int("width"); height = try r.int("height")
        meanMotion = try r.double("mean_motion"); maxMotion = try r.double("max_motion"); globalMotion = try r.double("global_motion")
    }
}

extension WindowDecision {
    var json: [String: Any] {
        ["start_frame": startFrame, "start": start.description, "verdict": verdict.rawValue, "mean_motion": meanMotion,
         "camera_motion": cameraMotion, "cut_score": cutScore, "trusted_share": trustedShare,
         "shortest_interval": shortestInterval, "longest_interval": longestInterval]
    }

    init(json o: [String: Any], file: String) throws {
        let r = JSONReader(o, file: file)
        guard let v = WindowVerdict(rawValue: try r.string("verdict")) else {
            throw DatasetError(file, "unknown window verdict \(o["verdict"] ?? "")")
        }
        self.init(startFrame: try r.int("start_frame"), start: try r.rational("start"), verdict: v,
                  meanMotion: try r.double("mean_motion"), cameraMotion: try r.double("camera_motion"),
                  cutScore: try r.double("cut_score"), trustedShare: try r.double("trusted_share"),
                  shortestInterval: try r.double("shortest_interval"), longestInterval: try r.double("longest_interval"))
    }
}

/// What happened to one input clip; written last (atomically) as `clips/clip-NNNNNN.json`,
/// so its presence marks the clip as done for a resumed build and for merge.
public struct ClipReport: Sendable, Equatable {
    /// `ok`: windows were processed (possibly none kept); `skipped`: the clip could not be used.
    public enum Status: String, Sendable { case ok, skipped }

    public var clip: Int
    /// Number of clips in the whole build (all shards).
    public var clipsTotal: Int
    public var source: String
    public var status: Status
    /// Why the clip was skipped (nil when `ok`).
    public var reason: String?
    /// Completed windows per verdict.
    public var windows: [WindowVerdict: Int]
    /// Every completed window's verdict with its numbers, in start order (empty in version 1
    /// reports).
    public var decisions: [WindowDecision]
    /// What the build adjusted or noticed for this clip (lowered K, timestamps), one sentence each.
    public var notes: [String]
    /// Format version of the report: 2 for this build's reports, 1 for a report an older build
    /// wrote (which has no `decisions` or `notes`, and is written back as version 1).
    public private(set) var version: Int
    /// Shard files written, relative to the dataset directory.
    public var shards: [String]
    /// Checksum of each shard file as written (`ShardVerifier.checksum`, FNV-1a 64, hex), by
    /// shard name; empty in reports of builds that did not record them.
    public var checksums: [String: String]
    public var samples: [SampleRecord]
    /// |S_k| histogram of the kept samples.
    public var histogram: MagnitudeHistogram
    public var seconds: StageSeconds
    /// Frames decoded.
    public var frames: Int
    /// `DatasetConfiguration.fingerprint` of the build that wrote it.
    public var configuration: [String: String]

    /// Windows completed (kept or not).
    public var windowsTotal: Int { windows.values.reduce(0, +) }

    /// The report's file name for clip `clip`.
    public static func fileName(clip: Int) -> String { "clip-" + zeroPadded(clip, 6) + ".json" }

    func jsonObject() -> [String: Any] {
        var w: [String: Any] = ["total": windowsTotal]
        for v in WindowVerdict.allCases { w[v.rawValue] = windows[v] ?? 0 }
        let hist: [String: Any] = [
            "min_exponent": histogram.minExponent, "max_exponent": histogram.maxExponent,
            "bins_per_octave": histogram.binsPerOctave,
            "counts": (0..<histogram.frequencies).map { k in histogram.sparseCounts(frequency: k).map { [$0.bin, Int($0.count)] } },
        ]
        var o: [String: Any] = [
                "format": "warpflow-dataset-clip", "version": version, "clip": clip, "clips_total": clipsTotal, "source": source,
                "status": status.rawValue, "reason": reason ?? NSNull(), "windows": w, "shards": shards,
                "shard_checksums": checksums,
                "samples": samples.map(\.json), "histogram": hist, "frames": frames, "configuration": configuration,
                "seconds": ["decode": jsonRounded(seconds.decode), "flow": jsonRounded(seconds.flow),
                            "dft": jsonRounded(seconds.dft), "write": jsonRounded(seconds.write)]]
        if version >= 2 {
            o["decisions"] = decisions.map(\.json)
            o["notes"] = notes
        } else {
            w.removeValue(forKey: WindowVerdict.irregularTime.rawValue)
            o["windows"] = w
        }
        return o
    }

    /// Reads and validates a report file.
    public init(path: String) throws {
        let data = Data(try DataFileIO.readFile(path))
        try self.init(data: data, path: path)
    }

    /// Parses and validates a report's bytes; errors name `path`.
    public init(data: Data, path: String) throws {
        let rebuild = "delete it to rebuild that clip"
        guard !data.isEmpty else { throw DatasetError(path, "is empty; \(rebuild)") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw DatasetError(path, "is not valid JSON (\(detail ?? "\(data.count) bytes that do not parse, e.g. truncated or with a number out of range")); \(rebuild)")
        }
        guard let o = object as? [String: Any] else { throw DatasetError(path, "is not a JSON object; \(rebuild)") }
        let r = JSONReader(o, file: path)
        version = try r.int("version")
        guard try r.string("format") == "warpflow-dataset-clip", version == 1 || version == 2 else {
            throw DatasetError(path, "is not a version 1 or 2 warpflow clip report")
        }
        clip = try r.int("clip"); clipsTotal = try r.int("clips_total"); source = try r.string("source")
        guard clipsTotal >= 1, (0..<clipsTotal).contains(clip) else {
            throw DatasetError(path, "clip \(clip) of \(clipsTotal) is out of range")
        }
        guard let s = Status(rawValue: try r.string("status")) else { throw DatasetError(path, "unknown status") }
        status = s
        reason = o["reason"] as? String
        let wr = JSONReader(try r.object("windows"), file: path)
        windows = [:]
        for v in WindowVerdict.allCases {
            if version == 1, v == .irregularTime { continue }
            let n = try wr.int(v.rawValue)
            guard n >= 0 else { throw DatasetError(path, "window count \(v.rawValue) is negative") }
            windows[v] = n
        }
        shards = try r.array("shards").map { guard let s = $0 as? String else { throw DatasetError(path, "shards must be strings") }; return s }
        if let sums = o["shard_checksums"] {
            guard let map = sums as? [String: String], map.values.allSatisfy({ $0.count == 16 && $0.allSatisfy(\.isHexDigit) }) else {
                throw DatasetError(path, "\"shard_checksums\" must map shard names to 16 hex digits")
            }
            checksums = map
        } else {
            checksums = [:]
        }
        decisions = version == 1 ? [] : try r.array("decisions").map {
            guard let o = $0 as? [String: Any] else { throw DatasetError(path, "decisions must be objects") }
            return try WindowDecision(json: o, file: path)
        }
        notes = version == 1 ? [] : try r.array("notes").map {
            guard let s = $0 as? String else { throw DatasetError(path, "notes must be strings") }
            return s
        }
        if version == 2, decisions.count != windows.values.reduce(0, +) {
            throw DatasetError(path, "holds \(decisions.count) window decisions but \"windows\" counts \(windows.values.reduce(0, +)); \(rebuild)")
        }
        samples = try r.array("samples").map {
            guard let o = $0 as? [String: Any] else { throw DatasetError(path, "samples must be objects") }
            return try SampleRecord(json: o, file: path)
        }
        let h = JSONReader(try r.object("histogram"), file: path)
        let counts = try h.array("counts").map { k -> [(bin: Int, count: UInt64)] in
            guard let pairs = k as? [[Any]] else { throw DatasetError(path, "histogram counts must be [[bin, count]] lists") }
            return try pairs.map { pair in
                guard pair.count == 2, let bin = JSONReader.integer(pair[0]), let count = JSONReader.integer(pair[1]), count >= 0 else {
                    throw DatasetError(path, "histogram entry \(pair) is not a [bin, count] pair")
                }
                return (bin, UInt64(count))
            }
        }
        do {
            histogram = try MagnitudeHistogram(frequencies: counts.count, minExponent: try h.int("min_exponent"),
                                               maxExponent: try h.int("max_exponent"), binsPerOctave: try h.int("bins_per_octave"),
                                               sparseCounts: counts)
        } catch let error as DatasetError {
            throw error
        } catch {
            throw DatasetError(path, "invalid histogram: \(error)")
        }
        frames = try r.int("frames")
        guard let conf = o["configuration"] as? [String: String] else { throw DatasetError(path, "configuration must map strings to strings") }
        configuration = conf
        let sr = JSONReader(try r.object("seconds"), file: path)
        seconds = StageSeconds()
        seconds.decode = try sr.double("decode"); seconds.flow = try sr.double("flow")
        seconds.dft = try sr.double("dft"); seconds.write = try sr.double("write")
    }

    init(clip: Int, clipsTotal: Int, source: String, histogram: MagnitudeHistogram, configuration: [String: String]) {
        self.clip = clip; self.clipsTotal = clipsTotal; self.source = source; self.status = .ok; self.reason = nil
        self.windows = [:]; self.decisions = []; self.notes = []; self.version = 2; self.shards = []; self.checksums = [:]; self.samples = []; self.histogram = histogram; self.seconds = StageSeconds()
        self.frames = 0; self.configuration = configuration
    }

    /// The report as JSON bytes (keys sorted, so equal reports give equal bytes).
    public func serialized() throws -> Data {
        try JSONSerialization.data(withJSONObject: jsonObject(), options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// Writes the report atomically.
    func write(to path: String) throws {
        try DataFileIO.writeAtomically(path, chunks: [[UInt8](try serialized())])
    }
}

/// Typed access to a parsed JSON object, with errors naming the file and the key.
struct JSONReader {
    let object: [String: Any]
    let file: String
    init(_ object: [String: Any], file: String) { self.object = object; self.file = file }

    static func integer(_ value: Any?) -> Int? {
        guard let n = value as? NSNumber else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
        return n.intValue
    }
    func int(_ key: String) throws -> Int {
        guard let v = Self.integer(object[key]) else { throw DatasetError(file, "\"\(key)\" must be an integer") }
        return v
    }
    func double(_ key: String) throws -> Double {
        guard let n = object[key] as? NSNumber, n.doubleValue.isFinite else { throw DatasetError(file, "\"\(key)\" must be a finite number") }
        return n.doubleValue
    }
    func string(_ key: String) throws -> String {
        guard let s = object[key] as? String else { throw DatasetError(file, "\"\(key)\" must be a string") }
        return s
    }
    func rational(_ key: String) throws -> Rational {
        guard let r = Rational(parsing: try string(key)), r.isValid else { throw DatasetError(file, "\"\(key)\" must be a rational such as 1001/30000") }
        return r
    }
    func object(_ key: String) throws -> [String: Any] {
        guard let o = object[key] as? [String: Any] else { throw DatasetError(file, "\"\(key)\" must be an object") }
        return o
    }
    func array(_ key: String) throws -> [Any] {
        guard let a = object[key] as? [Any] else { throw DatasetError(file, "\"\(key)\" must be an array") }
        return a
    }
}

/// `x` to 1e-6 (0 when not finite): every Double a report holds (pixels, seconds) is written
/// this way, because short decimals survive Foundation's JSON writer and reader, and any other
/// reader, unchanged, while a full-precision Double need not come back to the last bit. So a
/// report reads back equal, and merge writes a manifest equal to the reports it read. A
/// magnitude of 1e9 or more (only a hand-edited report has one) is kept as it is: scaling it
/// by 1e6 could overflow to infinity, which JSON cannot hold.
func jsonRounded(_ x: Double) -> Double {
    guard x.isFinite else { return 0 }
    return abs(x) < 1e9 ? (x * 1e6).rounded() / 1e6 : x
}

/// Zero-padded decimal (`zeroPadded(42, 6)` = "000042").
func zeroPadded(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
