// libFuzzer target `merge`: `warpflow dataset merge` (`DatasetMerger.merge`) on a one-clip
// dataset made from the input bytes. The input is split at every "\n#shard\n": the first part
// is written as `clips/clip-000000.json` (the clip report), the parts after it as the shards a
// build names for clip 0, `clips/clip-000000-000.safetensors`, `-001`, … (at most 8; further
// parts are dropped). Each input gets a fresh directory (under NSTemporaryDirectory, one per
// process, emptied every run) and is merged twice: without, then with `allowPartial`.
// Allowed: success, or a `DatasetError` whose subject is the directory or a file inside it.
// Never allowed: a trap or ASan report; another error type; a success whose manifest names a
// shard that is not a regular file in the directory, or whose manifest and stats.json
// disagree with the returned statistics; a failure that leaves manifest.jsonl or stats.json
// behind; a temporary (`.*.tmp`, DataFileIO.writeAtomically) left in the directory either
// way; `allowPartial` failing where the strict merge succeeds or succeeding with other output;
// the two disagreeing (one succeeds, or they refuse different files) unless the strict merge
// refused missing clips.
// Build and run: see Tests/Fuzz/README.md.
import DatasetJob
import Tensors
import Foundation

/// The dataset directory of this process (removed on first use, made afresh for every input).
private let directory: String = {
    var base = NSTemporaryDirectory()
    while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
    let path = base + "/warpflow-fuzz-merge-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    return path
}()

private let separator = Data("\n#shard\n".utf8)
private let maximumShards = 8

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMerge(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = count > 0 && start != nil ? Data(bytes: start!, count: count) : Data()
    let fm = FileManager.default
    try? fm.removeItem(atPath: directory)
    do {
        try fm.createDirectory(atPath: directory + "/clips", withIntermediateDirectories: true)
        let parts = split(data)
        try parts[0].write(to: URL(fileURLWithPath: directory + "/clips/clip-000000.json"))
        for (part, bytes) in parts.dropFirst().prefix(maximumShards).enumerated() {
            let name = "clips/clip-000000-00\(part).safetensors"  // part < maximumShards ≤ 10
            try bytes.write(to: URL(fileURLWithPath: directory + "/" + name))
        }
    } catch {
        fatalError("fuzz-merge: cannot set up \(directory): \(error)")
    }
    let strict = run(allowPartial: false)
    try? fm.removeItem(atPath: directory + "/manifest.jsonl")
    try? fm.removeItem(atPath: directory + "/stats.json")
    let partial = run(allowPartial: true)
    switch (strict, partial) {
    case (.success(let a), .success(let b)):
        guard a.stats == b.stats, a.manifest == b.manifest, a.statsJSON == b.statsJSON else {
            fatalError("fuzz-merge: allowPartial changed the merged output of a complete dataset")
        }
    case (.success, .failure(let e)):
        fatalError("fuzz-merge: the strict merge succeeded but allowPartial failed: \(e)")
    case (.failure(let e), .success):
        guard isMissingClips(e) else { fatalError("fuzz-merge: allowPartial accepted what the strict merge refused: \(e)") }
    case (.failure(let a), .failure(let b)) where a.subject != b.subject:
        // Only the missing-clips check is relaxed: any other refusal must name the same file.
        // (Not the same text: a file that breaks several rules may be refused for either; see
        // Tests/Fuzz/README.md, finding merge-1.)
        guard isMissingClips(a) else {
            fatalError("fuzz-merge: allowPartial failed on another file: strict \(a), partial \(b)")
        }
    default:
        break
    }
    return 0
}

/// What a successful merge returned and wrote.
private struct Merged {
    var stats: DatasetStatistics
    var manifest: Data
    var statsJSON: Data
}

/// Merges the directory and checks the outcome's invariants; returns it.
private func run(allowPartial: Bool) -> Result<Merged, DatasetError> {
    let what = allowPartial ? "merge(allowPartial: true)" : "merge()"
    let stats: DatasetStatistics
    do {
        stats = try DatasetMerger(directory: directory).merge(allowPartial: allowPartial)
    } catch let error as DatasetError {
        guard error.subject == directory || error.subject.hasPrefix(directory + "/") else {
            fatalError("fuzz-merge: \(what) refused naming \"\(error.subject)\", not the directory or a file in it: \(error)")
        }
        for name in ["manifest.jsonl", "stats.json"] where exists(directory + "/" + name) {
            fatalError("fuzz-merge: \(what) failed but left \(name) behind: \(error)")
        }
        checkNoTemporaries(what)
        return .failure(error)
    } catch {
        fatalError("fuzz-merge: \(what) threw \(type(of: error)), not a DatasetError: \(error)")
    }
    checkNoTemporaries(what)
    guard let manifest = FileManager.default.contents(atPath: directory + "/manifest.jsonl"),
          let statsJSON = FileManager.default.contents(atPath: directory + "/stats.json") else {
        fatalError("fuzz-merge: \(what) succeeded without writing manifest.jsonl and stats.json")
    }
    // Every manifest line is a sample whose shard is a regular file of the dataset.
    var lines = manifest.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    guard lines.last?.isEmpty ?? false else { fatalError("fuzz-merge: manifest.jsonl does not end in a newline") }
    lines.removeLast()
    guard lines.count == stats.samples else {
        fatalError("fuzz-merge: manifest.jsonl has \(lines.count) lines; the statistics count \(stats.samples) samples")
    }
    for line in lines {
        guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let shard = o["shard"] as? String else {
            fatalError("fuzz-merge: a manifest line is not a JSON object with a shard: \(String(decoding: line, as: UTF8.self))")
        }
        var isDirectory: ObjCBool = false
        guard !shard.hasPrefix("/"), !shard.split(separator: "/").contains(".."),
              FileManager.default.fileExists(atPath: directory + "/" + shard, isDirectory: &isDirectory), !isDirectory.boolValue else {
            fatalError("fuzz-merge: \(what) succeeded but the manifest names shard \"\(shard)\", which is not a file of the dataset")
        }
    }
    guard let o = try? JSONSerialization.jsonObject(with: statsJSON) as? [String: Any],
          (o["samples"] as? NSNumber)?.intValue == stats.samples, (o["k"] as? NSNumber)?.intValue == stats.histogram.frequencies else {
        fatalError("fuzz-merge: stats.json does not parse or disagrees with the returned statistics")
    }
    guard stats.scales.count == stats.histogram.frequencies, stats.scales.allSatisfy({ $0.isFinite && $0 >= 0 }),
          stats.clipsOK + stats.clipsSkipped <= stats.clipsTotal, stats.skippedClips.count == stats.clipsSkipped else {
        fatalError("fuzz-merge: inconsistent statistics: scales \(stats.scales), clips \(stats.clipsOK)+\(stats.clipsSkipped) of \(stats.clipsTotal)")
    }
    return .success(Merged(stats: stats, manifest: manifest, statsJSON: statsJSON))
}

/// The strict merge's refusal of a dataset with clips not built yet (the one `allowPartial` lifts).
private func isMissingClips(_ e: DatasetError) -> Bool {
    e.subject == directory && e.problem.contains("clips are not built yet")
}

/// The input split at every separator (the first part may be empty).
private func split(_ data: Data) -> [Data] {
    var parts: [Data] = []
    var rest = data[...]
    while let r = rest.range(of: separator) {
        parts.append(Data(rest[rest.startIndex..<r.lowerBound]))
        rest = rest[r.upperBound...]
    }
    parts.append(Data(rest))
    return parts
}

private func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

/// No temporary of an atomic write (`.NAME.PID.RANDOM.tmp`) in the directory or clips/.
private func checkNoTemporaries(_ what: String) {
    for folder in [directory, directory + "/clips"] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        if let temp = names.first(where: { $0.hasSuffix(".tmp") }) {
            fatalError("fuzz-merge: \(what) left the temporary \(folder)/\(temp) behind")
        }
    }
}
