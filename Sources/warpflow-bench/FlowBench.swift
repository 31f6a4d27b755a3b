import Foundation
import MediaIO
import Motion
import Raster

/// `warpflow-bench flow SETDIR --json OUT [--presets a,b] [--threads N] [--repeat N]`:
/// the warpflow side of the optical-flow benchmark, on the set made by
/// Tests/Benchmarks/flow/make_flow_eval.py, with the same protocol as opencv_flow_bench.py:
/// one warm-up call, then the median of `repeat` timed calls of the flow computation alone;
/// EPE averaged over valid pixels, then over the pairs of a size.
enum FlowBench {
    struct Pair: Decodable {
        let name, size, frame0, frame1, flow, valid: String
    }
    struct Manifest: Decodable { let pairs: [Pair] }

    static func run(_ arguments: [String]) throws -> Int32 {
        guard let setDir = arguments.first, !setDir.hasPrefix("-") else {
            FileHandle.standardError.write(Data("usage: warpflow-bench flow SETDIR [--json OUT] [--presets ultrafast,fast,medium,high] [--threads N] [--repeat N]\n".utf8))
            return 2
        }
        var presets = FlowEstimator.Preset.allCases
        var threads: Int?
        var repeats = 3
        var jsonPath: String?
        var i = 1
        while i < arguments.count {
            let value = i + 1 < arguments.count ? arguments[i + 1] : ""
            switch arguments[i] {
            case "--json": jsonPath = value
            case "--threads": threads = Int(value)
            case "--repeat": repeats = max(1, Int(value) ?? 3)
            case "--presets":
                presets = try value.split(separator: ",").map {
                    guard let p = FlowEstimator.Preset(rawValue: String($0)) else {
                        throw MotionError.invalidParameter(name: "presets", value: String($0), expected: FlowEstimator.Preset.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    return p
                }
            default:
                FileHandle.standardError.write(Data("flow: unknown argument \(arguments[i])\n".utf8))
                return 2
            }
            i += 2
        }
        let manifestURL = URL(fileURLWithPath: setDir).appendingPathComponent("manifest.json")
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: manifestURL))
        let converter = FrameConverter()
        func luma(_ file: String) throws -> Plane {
            let path = (setDir as NSString).appendingPathComponent(file)
            guard let frame = try VideoReader(path: path).nextFrame() else { throw MediaError(.decodeFailed, path: path, "no picture") }
            return try converter.luma(frame)
        }
        // Load everything once, outside the timed region.
        let pairs = try manifest.pairs.map { p in
            (p, try luma(p.frame0), try luma(p.frame1),
             try FlowField.read(floPath: (setDir as NSString).appendingPathComponent(p.flow)),
             try luma(p.valid))
        }
        var results: [String: [String: [String: Any]]] = [:]
        for preset in presets {
            let estimator = FlowEstimator(preset: preset, threads: threads)
            var perSize: [String: [(epe: Double, ms: Double)]] = [:]
            for (pair, a, b, truth, valid) in pairs {
                _ = try estimator.flow(from: a, to: b)
                var times: [Double] = []
                var estimate = FlowField(width: 1, height: 1)
                for _ in 0..<repeats {
                    let start = DispatchTime.now().uptimeNanoseconds
                    estimate = try estimator.flow(from: a, to: b)
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                let epe = try estimate.endPointError(to: truth, mask: valid)
                perSize[pair.size, default: []].append((epe, times.sorted()[times.count / 2]))
            }
            let name = "warpflow-\(preset.rawValue)"
            var table: [String: [String: Any]] = [:]
            for (size, rows) in perSize.sorted(by: { $0.key < $1.key }) {
                let epe = rows.map(\.epe).reduce(0, +) / Double(rows.count)
                let ms = rows.map(\.ms).reduce(0, +) / Double(rows.count)
                table[size] = ["epe": epe, "ms": ms, "pairs": rows.count]
                let line = "\(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(size.padding(toLength: 9, withPad: " ", startingAt: 0)) "
                    + String(format: "EPE %6.3f px  %8.1f ms/pair\n", epe, ms)
                FileHandle.standardError.write(Data(line.utf8))
            }
            results[name] = table
        }
        let json = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
        if let jsonPath { try json.write(to: URL(fileURLWithPath: jsonPath)) } else { print(String(decoding: json, as: UTF8.self)) }
        return 0
    }
}
