import Tensors
import Dispatch
import Foundation
import Flow
import Raster

/// Progress of a build, reported after each clip.
public struct DatasetProgress: Sendable {
    /// Clips of this shard finished (processed, skipped or found done by an earlier run).
    public var clipsDone: Int
    /// Clips of this shard.
    public var clipsTotal: Int
    /// The report of the clip just finished.
    public var report: ClipReport
    /// True when the clip was found done by an earlier run and not processed again.
    public var resumed: Bool
    /// Seconds since the build started.
    public var elapsedSeconds: Double
}

/// The outcome of `DatasetBuilder.build`.
public struct DatasetBuildResult: Sendable {
    /// Reports of this shard's clips, in clip order.
    public var reports: [ClipReport]
    /// Clips found done by an earlier run.
    public var resumedClips: Int
    /// Clips an earlier run had reported whose report or shards were damaged, so they were
    /// built again: the clip number and what was wrong, in clip order.
    public var rebuiltClips: [(clip: Int, reason: String)]
    /// The merged statistics when the build covered every clip (unsharded), else nil.
    public var merged: DatasetStatistics?
    /// Wall-clock seconds.
    public var elapsedSeconds: Double
    /// Clips processed in parallel, and flow threads per clip.
    public var jobs: Int, threadsPerJob: Int
}

/// Builds a training set from clips (see Samples/python/FORMAT.md): every clip of this shard
/// becomes shards and a report under `directory/clips`; clips already reported by an earlier
/// run with the same configuration are skipped, so a killed build resumes where it stopped.
/// Clips run in parallel under one thread budget: `jobs` clips at a time, each with
/// `threads / jobs` threads for its flow, so the cores are never oversubscribed.
public struct DatasetBuilder: Sendable {
    public var configuration: DatasetConfiguration
    /// Output directory.
    public var directory: String
    /// Total thread budget (≥ 1).
    public var threads: Int
    /// Clips in flight at once (nil: as many as the thread budget and the clips allow).
    public var jobs: Int?

    /// Notes written into every clip report (`ClipReport.notes`), such as how the caller
    /// adjusted an option (`DatasetConfiguration.fittingFrequencies()`).
    public var notes: [String] = []

    public init(configuration: DatasetConfiguration, directory: String, threads: Int = Parallel.defaultThreads, jobs: Int? = nil) {
        self.configuration = configuration
        self.directory = directory
        self.threads = max(1, threads)
        self.jobs = jobs
    }

    /// Processes the clips of `shard` among `clips` (the expanded, numbered input list).
    /// Throws `DatasetError` for invalid options, an unusable output directory, an earlier
    /// build with other options in the same directory, or cancellation; never for a bad clip.
    public func build(clips: [String], shard: ShardSpec = .whole, progress: (@Sendable (DatasetProgress) -> Void)? = nil,
                      isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> DatasetBuildResult {
        try configuration.validate()
        guard !clips.isEmpty else { throw DatasetError("inputs", "no video files found") }
        let clipsDirectory = directory + "/clips"
        do {
            try FileManager.default.createDirectory(atPath: clipsDirectory, withIntermediateDirectories: true)
        } catch {
            throw DatasetError(directory, "cannot create the output directory: \(error.localizedDescription)")
        }
        Self.removeStaleTemporaries(in: clipsDirectory)
        let mine = clips.indices.filter { shard.contains(clip: $0) }
        let start = ContinuousClock.now
        let state = BuildState(count: mine.count)
        let jobCount = max(1, min(jobs ?? threads, threads, max(1, mine.count)))
        let perJob = max(1, threads / jobCount)
        let configuration = self.configuration, directory = self.directory, notes = self.notes
        // Workers take the next clip from a shared counter; each has its own processor (one
        // FrameConverter and swscale context per thread).
        DispatchQueue.concurrentPerform(iterations: jobCount) { _ in
            let processor = ClipProcessor(configuration: configuration, directory: directory, threads: perJob, notes: notes)
            while let slot = state.next() {
                if state.failed || isCancelled() { return }
                let clip = mine[slot]
                do {
                    let reportPath = clipsDirectory + "/" + ClipReport.fileName(clip: clip)
                    var resumed = false
                    var earlier: ClipReport?
                    if FileManager.default.fileExists(atPath: reportPath) || Self.isLink(reportPath) {
                        // A report that cannot be read, or whose shards are damaged, is a clip to
                        // build again; one written with other inputs or options is an error.
                        if let found = try? ClipReport(path: reportPath) {
                            try Self.checkCompatible(found, clip: clip, total: clips.count, source: clips[clip],
                                                     configuration: configuration, path: reportPath)
                            do {
                                try ShardVerifier(directory: directory).verify(found, reportPath: reportPath)
                                earlier = found
                            } catch {
                                state.rebuilt(clip: clip, because: "\(error)")
                            }
                        } else {
                            state.rebuilt(clip: clip, because: "\(reportPath): cannot be read")
                        }
                        if earlier == nil { try? FileManager.default.removeItem(atPath: reportPath) }
                    }
                    let report: ClipReport
                    if let earlier {
                        report = earlier
                        resumed = true
                    } else {
                        report = try processor.process(clip: clip, total: clips.count, path: clips[clip],
                                                       isCancelled: { state.failed || isCancelled() })
                        try report.write(to: reportPath)
                    }
                    let done = state.finish(slot: slot, report: report, resumed: resumed)
                    progress?(DatasetProgress(clipsDone: done, clipsTotal: mine.count, report: report, resumed: resumed,
                                              elapsedSeconds: start.duration(to: .now).seconds))
                } catch {
                    state.fail(error)
                    return
                }
            }
        }
        if let error = state.error { throw error }
        if isCancelled() { throw DatasetError("build", "cancelled") }
        let reports = state.reports.compactMap { $0 }
        var merged: DatasetStatistics?
        if shard.count == 1 {
            // From the report files, as `warpflow dataset merge` does, so both give the same bytes
            // (a Double need not survive a JSON round trip to the last bit).
            merged = try DatasetMerger(directory: directory).merge(percentile: configuration.percentile)
        }
        return DatasetBuildResult(reports: reports, resumedClips: state.resumed, rebuiltClips: state.rebuiltClips, merged: merged,
                                  elapsedSeconds: start.duration(to: .now).seconds, jobs: jobCount, threadsPerJob: perJob)
    }

    /// A report left by an earlier run must describe the same clip with the same options.
    static func checkCompatible(_ report: ClipReport, clip: Int, total: Int, source: String,
                                configuration: DatasetConfiguration, path: String) throws {
        guard report.clip == clip, report.clipsTotal == total, report.source == source else {
            throw DatasetError(path, "was written for clip \(report.clip) of \(report.clipsTotal) (\(report.source)), "
                               + "not clip \(clip) of \(total) (\(source)): the inputs differ from the earlier build in this directory")
        }
        let ours = configuration.fingerprint
        if report.configuration != ours {
            let differing = ours.keys.sorted().filter { report.configuration[$0] != ours[$0] }
                .map { "\($0) \(report.configuration[$0] ?? "unset") vs \(ours[$0] ?? "")" }
            throw DatasetError(path, "was built with other options (\(differing.joined(separator: ", "))); use another output directory")
        }
    }

    /// True when `path` is a symbolic link (even a dangling one, which `fileExists` hides).
    static func isLink(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
    }

    /// Removes temporary files a killed run left behind.
    static func removeStaleTemporaries(in directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(".") && name.contains(".tmp") {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }
}

/// Shared state of the build's workers, behind one lock.
private final class BuildState: @unchecked Sendable {
    private let lock = NSLock()
    private var nextSlot = 0
    private let count: Int
    private(set) var reports: [ClipReport?]
    private(set) var resumed = 0
    private var done = 0
    private(set) var error: Error?
    private var rebuilt: [(clip: Int, reason: String)] = []

    init(count: Int) {
        self.count = count
        reports = Array(repeating: nil, count: count)
    }

    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard nextSlot < count, error == nil else { return nil }
        nextSlot += 1
        return nextSlot - 1
    }

    func finish(slot: Int, report: ClipReport, resumed wasResumed: Bool) -> Int {
        lock.lock(); defer { lock.unlock() }
        reports[slot] = report
        if wasResumed { resumed += 1 }
        done += 1
        return done
    }

    var failed: Bool { lock.lock(); defer { lock.unlock() }; return error != nil }

    func rebuilt(clip: Int, because reason: String) {
        lock.lock(); defer { lock.unlock() }
        rebuilt.append((clip, reason))
    }

    var rebuiltClips: [(clip: Int, reason: String)] {
        lock.lock(); defer { lock.unlock() }
        return rebuilt.sorted { $0.clip < $1.clip }
    }

    func fail(_ e: Error) {
        lock.lock(); defer { lock.unlock() }
        if error == nil { error = e }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
