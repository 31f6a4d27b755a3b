import Raster
import Tensors
import Flow
import Foundation

/// The clips of a build: arguments expanded (directories to the video files they hold,
/// sorted by path), numbered in order. Every worker of a sharded build expands the same
/// arguments the same way, so clip numbers agree across machines.
public enum ClipInputs {
    /// File extensions taken from directories (lower case).
    public static let videoExtensions: Set<String> = ["mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "mts",
                                                      "m2ts", "flv", "wmv", "ogv", "3gp", "gif", "y4m", "mxf"]

    /// The expanded list. A file argument is kept whatever its extension (a bad one is skipped
    /// later with its reason); a directory is searched recursively; a path that does not exist
    /// throws, since it is a typo rather than a damaged clip.
    public static func expand(_ arguments: [String]) throws -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                throw DatasetError(argument, "no such file or directory")
            }
            if !isDirectory.boolValue { out.append(argument); continue }
            guard let walker = fm.enumerator(atPath: argument) else { throw DatasetError(argument, "cannot list the directory") }
            var found: [String] = []
            while let relative = walker.nextObject() as? String {
                let ext = (relative as NSString).pathExtension.lowercased()
                guard videoExtensions.contains(ext) else { continue }
                let full = argument.hasSuffix("/") ? argument + relative : argument + "/" + relative
                var dir: ObjCBool = false
                if fm.fileExists(atPath: full, isDirectory: &dir), !dir.boolValue { found.append(full) }
            }
            out += found.sorted()
        }
        return out
    }
}

/// Which part of the clips this worker processes: clip i belongs to shard i mod `count`.
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    /// This worker's shard, 0 ..< count.
    public var index: Int
    /// Number of shards.
    public var count: Int

    /// The whole build in one worker.
    public static let whole = ShardSpec(uncheckedIndex: 0, count: 1)

    init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Throws unless 0 ≤ index < count ≤ 1 000 000.
    public init(index: Int, count: Int, source: String = "--shard") throws {
        guard (1...1_000_000).contains(count) else { throw DatasetError(source, "shard count \(count) must be within 1…1000000") }
        guard (0..<count).contains(index) else { throw DatasetError(source, "shard index \(index) must be within 0…\(count - 1)") }
        self.index = index
        self.count = count
    }

    /// Parses `I/N`.
    public static func parse(_ text: String) throws -> ShardSpec {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw DatasetError("--shard", "\"\(text)\" is not of the form I/N (such as 0/4)")
        }
        return try ShardSpec(index: i, count: n)
    }

    /// The shard a scheduler assigned through the environment: Slurm job arrays
    /// (`SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT`, or `SLURM_ARRAY_TASK_MIN`/`MAX` when
    /// the count is missing) or Kubernetes indexed jobs (`JOB_COMPLETION_INDEX` with
    /// `shardCount`, the job's completions). Nil when neither is set.
    public static func fromEnvironment(_ env: [String: String], shardCount: Int?) throws -> ShardSpec? {
        if let id = env["SLURM_ARRAY_TASK_ID"] {
            guard let i = Int(id) else { throw DatasetError("SLURM_ARRAY_TASK_ID", "\"\(id)\" is not an integer") }
            let min = env["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
            var count: Int
            if let n = shardCount {
                count = n
            } else if let c = env["SLURM_ARRAY_TASK_COUNT"] {
                guard let n = Int(c) else { throw DatasetError("SLURM_ARRAY_TASK_COUNT", "\"\(c)\" is not an integer") }
                count = n
            } else if let maxText = env["SLURM_ARRAY_TASK_MAX"], let max = Int(maxText) {
                count = max - min + 1
            } else {
                throw DatasetError("SLURM_ARRAY_TASK_ID", "is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard-count")
            }
            // Arrays such as --array=1-4 start above 0: index from the array's first task.
            let index = i - min
            return try ShardSpec(index: index, count: count, source: "SLURM_ARRAY_TASK_ID=\(i)")
        }
        if let id = env["JOB_COMPLETION_INDEX"] {
            guard let i = Int(id) else { throw DatasetError("JOB_COMPLETION_INDEX", "\"\(id)\" is not an integer") }
            guard let n = shardCount else {
                throw DatasetError("JOB_COMPLETION_INDEX", "is set; pass --shard-count with the indexed job's completions")
            }
            return try ShardSpec(index: i, count: n, source: "JOB_COMPLETION_INDEX=\(i)")
        }
        return nil
    }

    public var description: String { "\(index)/\(count)" }

    /// True when clip number `clip` belongs to this shard.
    public func contains(clip: Int) -> Bool { clip % count == index }
}
