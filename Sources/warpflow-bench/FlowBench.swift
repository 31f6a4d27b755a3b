import Foundation
import MediaIO
import Flow
import Raster

/// `warpflow-bench flow SETDIR [--json OUT] [--presets a,b] [--threads N] [--repeat N] [--save-flow DIR]`:
/// the warpflow side of the optical-flow benchmark, on the set made by
/// Tests/Benchmarks/flow/make_flow_eval.py, with the protocol of opencv_flow_bench.py:
/// the pair's 8-bit gray frames (NAME_{0,1}_gray.png, read with `VideoReader` and
/// `FrameConverter.luma`, values in [0, 1]); one warm-up call, then the median of `repeat`
/// timed calls of `FlowEstimator.flow(from:to:)` alone (milliseconds, monotonic clock);
/// end-point error (pixels) averaged over the valid pixels of a pair, then over the pairs of
/// a size and over all pairs ("all"). JSON: `{"warpflow-PRESET": {"WxH" | "all": {"epe",
/// "ms", "pairs"}}, "_pairs": {METHOD: {NAME: {"size", "epe", "ms"}}}, "_meta": {…}}`, the
/// schema of the OpenCV side. `--save-flow DIR` also writes each estimate as
/// DIR/NAME.warpflow-PRESET.flo (after timing), so that score_flow.py can re-score it.
enum FlowBench {
    static let usage = "flow SETDIR [--json OUT] [--presets ultrafast,fast,medium,high] [--threads 2] [--repeat 3] [--save-flow DIR]"

    /// A problem with the evaluation set itself (missing or malformed manifest): exit status 1.
    struct SetError: Error, CustomStringConvertible {
        let description: String
        init(_ message: String) { description = message }
    }

    /// One pair of the set's manifest.json; `gray0`/`gray1` are absent in version-1 sets.
    struct Pair: Decodable {
        let name, size, frame0, frame1, flow, valid: String
        let gray0, gray1: String?
    }
    struct Manifest: Decodable {
        let pairs: [Pair]
        let version: Int?
    }

    /// A pair loaded into memory before anything is timed.
    struct LoadedPair {
        let pair: Pair
        let first, second: Plane
        let truth: FlowField
        let valid: Plane
    }

    static func run(_ arguments: [String]) throws -> Int32 {
        let args = try BenchArguments(arguments, options: ["json", "presets", "threads", "repeat", "save-flow"])
        guard args.positional.count == 1, let setDir = args.positional.first else {
            throw BenchUsageError("expected one SETDIR, got \(args.positional.count) positional arguments")
        }
        let threads = try args.int("threads", default: 2, in: 1...256)
        let repeats = try args.int("repeat", default: 3, in: 1...1000)
        var presets = FlowEstimator.Preset.allCases
        if let list = args.string("presets") {
            presets = try list.split(separator: ",").map {
                guard let preset = FlowEstimator.Preset(rawValue: String($0)) else {
                    throw BenchUsageError("--presets: unknown preset \"\($0)\" (valid: \(FlowEstimator.Preset.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return preset
            }
        }

        let (manifest, pairs) = try load(setDir: setDir)
        let saveDir = args.string("save-flow")
        if let saveDir {
            try FileManager.default.createDirectory(atPath: saveDir, withIntermediateDirectories: true)
        }
        var results: [String: Any] = [:]
        var detail: [String: Any] = [:]
        for preset in presets {
            let estimator = FlowEstimator(preset: preset, threads: threads)
            var rows: [(size: String, epe: Double, ms: Double)] = []
            var perPair: [String: Any] = [:]
            for loaded in pairs {
                _ = try estimator.flow(from: loaded.first, to: loaded.second)
                var times: [Double] = []
                var estimate: FlowField?
                for _ in 0..<repeats {
                    let start = DispatchTime.now().uptimeNanoseconds
                    estimate = try estimator.flow(from: loaded.first, to: loaded.second)
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                guard let estimate else { continue }
                if let saveDir {
                    try estimate.write(floPath: (saveDir as NSString).appendingPathComponent("\(loaded.pair.name).warpflow-\(preset.rawValue).flo"))
                }
                let epe = try estimate.endPointError(to: loaded.truth, mask: loaded.valid)
                let median = times.sorted()[times.count / 2]
                rows.append((loaded.pair.size, epe, median))
                perPair[loaded.pair.name] = ["size": loaded.pair.size, "epe": epe, "ms": median] as [String: Any]
            }
            let name = "warpflow-\(preset.rawValue)"
            var table: [String: Any] = [:]
            let sizes = Set(rows.map(\.size)).sorted { (Int($0.prefix { $0 != "x" }) ?? 0) < (Int($1.prefix { $0 != "x" }) ?? 0) }
            for size in sizes + ["all"] {
                let selected = size == "all" ? rows : rows.filter { $0.size == size }
                let epe = selected.map(\.epe).reduce(0, +) / Double(selected.count)
                let ms = selected.map(\.ms).reduce(0, +) / Double(selected.count)
                table[size] = ["epe": epe, "ms": ms, "pairs": selected.count]
                let line = name.padding(toLength: 24, withPad: " ", startingAt: 0) + " "
                    + size.padding(toLength: 9, withPad: " ", startingAt: 0) + " "
                    + String(format: "EPE %6.3f px  %8.1f ms/pair\n", epe, ms)
                FileHandle.standardError.write(Data(line.utf8))
            }
            results[name] = table
            detail[name] = perPair
        }
        results["_pairs"] = detail
        results["_meta"] = [
            "side": "warpflow", "threads": threads, "repeat": repeats,
            "set_version": manifest.version ?? 1, "loadavg": loadAverage(),
        ] as [String: Any]
        let json = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
        if let path = args.string("json") {
            try json.write(to: URL(fileURLWithPath: path))
        } else {
            print(String(decoding: json, as: UTF8.self))
        }
        return 0
    }

    /// Reads the manifest and every pair's frames, exact flow and valid mask.
    static func load(setDir: String) throws -> (Manifest, [LoadedPair]) {
        let manifestPath = (setDir as NSString).appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw SetError("\(manifestPath) not found (make the set with Tests/Benchmarks/flow/make_flow_eval.py)")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
        } catch {
            throw SetError("\(manifestPath): not a flow-set manifest (\(error))")
        }
        guard !manifest.pairs.isEmpty else { throw SetError("\(manifestPath): no pairs") }
        let converter = FrameConverter()
        func luma(_ file: String) throws -> Plane {
            let path = (setDir as NSString).appendingPathComponent(file)
            guard let frame = try VideoReader(path: path).nextFrame() else {
                throw MediaError(.decodeFailed, path: path, "no picture")
            }
            return try converter.luma(frame)
        }
        let pairs = try manifest.pairs.map { pair in
            let loaded = LoadedPair(pair: pair,
                                    first: try luma(pair.gray0 ?? pair.frame0),
                                    second: try luma(pair.gray1 ?? pair.frame1),
                                    truth: try FlowField.read(floPath: (setDir as NSString).appendingPathComponent(pair.flow)),
                                    valid: try luma(pair.valid))
            // Every file of a pair must have frame 0's size, so no mismatch surfaces later
            // as an error that names no file.
            let (w, h) = (loaded.first.width, loaded.first.height)
            let sizes = [(pair.gray1 ?? pair.frame1, loaded.second.width, loaded.second.height),
                         (pair.flow, loaded.truth.width, loaded.truth.height),
                         (pair.valid, loaded.valid.width, loaded.valid.height)]
            for (file, fw, fh) in sizes where fw != w || fh != h {
                throw SetError("\((setDir as NSString).appendingPathComponent(file)): \(fw)×\(fh), but frame 0 of pair \(pair.name) is \(w)×\(h)")
            }
            return loaded
        }
        return (manifest, pairs)
    }

    /// The 1-minute load average (other work on the machine while timing), or -1 if unknown.
    static func loadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
              let first = text.split(separator: " ").first, let value = Double(first) else { return -1 }
        return value
    }
}
