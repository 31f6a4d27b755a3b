import ArgumentParser
import DatasetJob
import Tensors
import Foundation
import Flow
import Spectral
import Raster

/// `warpflow dataset`: training sets of motion spectra from clips (build, merge).
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Training sets from clips: per-pixel flow trajectories and their FFT motion spectra, as safetensors shards.",
        discussion: """
        warpflow dataset build CLIPS... -o DIR [--window 150] [--stride 150] [--size 256x160] [--k 16] [--shard I/N]
        warpflow dataset merge DIR

        Each window of T frames gives one sample: its first frame (uint8 RGB) and the spectrum S_k = DFT over t of the displacement F_t of every pixel, k < K (4K channels), at the working size. Windows with a scene cut, too little motion or too much camera motion are dropped and counted. Shards, manifest.jsonl and stats.json (normalisation scales) follow Samples/python/FORMAT.md; Samples/python/load_dataset.py loads them in PyTorch.

        Clusters: --shard I/N builds clip i iff i mod N = I; without it the shard comes from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (Slurm job arrays) or JOB_COMPLETION_INDEX with --shard-count (Kubernetes indexed jobs). Then run `warpflow dataset merge DIR` once. An unsharded build merges by itself. A rerun skips finished clips.
        """,
        subcommands: [DatasetBuildCommand.self, DatasetMergeCommand.self]
    )
}

struct DatasetBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Build (a shard of) a training set from clips.")

    @Argument(help: "Video files, or directories searched recursively for video files.")
    var inputs: [String]
    @Option(name: .shortAndLong, help: "Output directory.")
    var output: String
    @Option(help: "Frames per window (T).")
    var window = 150
    @Option(help: "Frames between window starts (default: the window, no overlap).")
    var stride: Int?
    @Option(help: "Working size WIDTHxHEIGHT, pixels.")
    var size = "256x160"
    @Option(help: "Aspect handling: crop (centre) or pad.")
    var fit = "crop"
    @Option(name: .customLong("k"), help: "Frequencies kept (K); the spectrum has 4K channels (default 16; lowered to half the window when more, with a note in the clip reports).")
    var frequencies: Int?
    @Option(help: "Percentile of |S_k| used as frequency k's normalisation scale.")
    var percentile = 97.0
    @Option(help: "Tracking: direct (flow frame 0 → t, seeded with F_{t−1}) or chained (composed consecutive flows).")
    var tracking: TrajectoryMode = .direct
    @Option(name: .customLong("flow-preset"), help: "Optical flow preset.")
    var flowPreset: FlowEstimator.Preset = .medium
    @Option(help: "Float tensors: float16 or float32.")
    var dtype = "float16"
    @Flag(help: "Also store each sample's trajectories F_1 … F_{T-1}.")
    var trajectories = false
    @Option(help: "Scene-cut score (0–100, as FFmpeg's scdet) above which a window is dropped.")
    var sceneThreshold = 10.0
    @Option(help: "Drop windows whose mean displacement is below this many pixels.")
    var minMotion = 0.25
    @Option(help: "Drop windows whose camera motion (mean displacement of a robust affine fit to the confident pixels) is above this many pixels.")
    var maxCameraMotion = 2.0
    @Option(help: "Samples per shard file.")
    var samplesPerShard = 16
    @Option(help: "This worker's shard I/N (clip i is built iff i mod N = I).")
    var shard: String?
    @Option(help: "Number of shards when the index comes from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID.")
    var shardCount: Int?
    /// The thread budget, shared by the clips processed in parallel.
    @OptionGroup var threadOption: ThreadOption
    @Option(help: "Clips processed at once (default: as many as the thread budget allows).")
    var jobs: Int?
    @OptionGroup var out: OutputOptions

    func configuration() throws -> DatasetConfiguration {
        var c = DatasetConfiguration()
        c.window = window
        c.stride = stride ?? window
        let parts = size.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else {
            throw ValidationError("--size \(size) is not WIDTHxHEIGHT (such as 256x160)")
        }
        c.width = w
        c.height = h
        guard let f = DatasetConfiguration.Fit(rawValue: fit) else { throw ValidationError("--fit must be crop or pad") }
        c.fit = f
        c.frequencies = frequencies ?? 16
        c.percentile = percentile
        c.trajectoryMode = tracking
        c.flowPreset = flowPreset
        guard let d = DatasetConfiguration.Precision(rawValue: dtype) else { throw ValidationError("--dtype must be float16 or float32") }
        c.precision = d
        c.storeTrajectories = trajectories
        c.sceneThreshold = sceneThreshold
        c.minimumMotion = minMotion
        c.maximumCameraMotion = maxCameraMotion
        c.samplesPerShard = samplesPerShard
        c = c.fittingFrequencies().0
        do { try c.validate() } catch let e as DatasetError { throw ValidationError(e.description) }
        return c
    }

    func validate() throws {
        _ = try configuration()
        if let jobs, !(1...4096).contains(jobs) { throw ValidationError("--jobs must be within 1…4096") }
        if let shardCount, !(1...1_000_000).contains(shardCount) { throw ValidationError("--shard-count must be within 1…1000000") }
        if let shard { do { _ = try ShardSpec.parse(shard) } catch { throw ValidationError("\(error)") } }
    }

    func run() throws {
        try runReportingErrors {
            let c = try configuration()
            // The note says what fittingFrequencies() changed (configuration() applied it).
            var asked = c
            asked.frequencies = frequencies ?? 16
            let kNote = asked.fittingFrequencies().note
            var spec = ShardSpec.whole
            if let shard {
                spec = try ShardSpec.parse(shard)
            } else if let env = try ShardSpec.fromEnvironment(ProcessInfo.processInfo.environment, shardCount: shardCount) {
                spec = env
            } else if let n = shardCount, n != 1 {
                throw ValidationError("--shard-count \(n) needs a shard index: --shard I/\(n), SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
            }
            let clips = try ClipInputs.expand(inputs)
            let token = Interrupts.token
            let bar = ProgressBar(label: "dataset [\(spec)] clips", quiet: out.quiet || out.json)
            var builder = DatasetBuilder(configuration: c, directory: output, threads: threadOption.count ?? Parallel.defaultThreads, jobs: jobs)
            builder.notes = kNote.map { [$0] } ?? []
            let result: DatasetBuildResult
            do {
                result = try builder.build(clips: clips, shard: spec, progress: { p in
                    if p.report.status == .skipped, !p.resumed {
                        printError("warpflow: skipped \(p.report.source): \(p.report.reason ?? "unknown reason")")
                    }
                    bar.update(done: p.clipsDone, total: p.clipsTotal, elapsed: p.elapsedSeconds)
                }, isCancelled: { token.isCancelled })
            } catch where token.isCancelled {
                printError("\nwarpflow: cancelled; finished clips are kept and a rerun resumes")
                throw ExitCode(Interrupts.exitCode)
            }
            bar.finish()
            try report(result, spec: spec, clipCount: clips.count, configuration: c)
        }
    }

    private func report(_ r: DatasetBuildResult, spec: ShardSpec, clipCount: Int, configuration c: DatasetConfiguration) throws {
        // Warnings: notes of the clips built (each once), then the advice when few windows were kept.
        var warnings: [String] = []
        for note in r.reports.flatMap(\.notes) where !warnings.contains(note) { warnings.append(note) }
        if let hint = DatasetAdvice.hint(decisions: r.reports.flatMap(\.decisions), configuration: c) { warnings.append(hint) }
        var windows: [String: Int] = [:]
        var seconds = StageSeconds()
        var samples = 0, skipped = 0
        for c in r.reports {
            for (v, n) in c.windows { windows[v.rawValue, default: 0] += n }
            seconds = seconds + c.seconds
            samples += c.samples.count
            if c.status == .skipped { skipped += 1 }
        }
        let minutes = r.elapsedSeconds / 60
        let processed = r.reports.count - r.resumedClips
        if out.json {
            let framesIn = r.reports.reduce(0) { $0 + $1.frames }
            let skippedClips: [[String: String]] = r.reports.filter { $0.status == .skipped }.map { ["source": $0.source, "reason": $0.reason ?? ""] }
            let rebuilt = r.rebuiltClips.map { RebuiltClip(clip: $0.clip, reason: $0.reason) }
            let stages: [String: Double] = ["decode": seconds.decode, "flow": seconds.flow, "dft": seconds.dft, "write": seconds.write]
            let perMinute: Double? = minutes > 0 ? Double(processed) / minutes : nil
            let scales: [Double]? = r.merged.map { $0.scales.map { Double($0) } }
            try printReport(BasicReport(summary: ReportSummary(input: .files(inputs), output: output, seconds: r.elapsedSeconds,
                                                               framesIn: framesIn, warnings: warnings)) { c in
                try c.value(spec.description, "shard")
                try c.value(r.reports.count, "clips")
                try c.value(clipCount, "clips_total")
                try c.value(r.resumedClips, "clips_resumed")
                try c.value(skipped, "clips_skipped")
                try c.value(samples, "samples")
                try c.value(windows, "windows")
                try c.number(perMinute, "clips_per_minute")
                try c.value(stages, "stage_seconds")
                try c.value(r.jobs, "jobs")
                try c.value(r.threadsPerJob, "threads_per_job")
                try c.value(skippedClips, "skipped")
                try c.value(rebuilt, "clips_rebuilt")
                try c.value(scales, "scales")
                try c.value(r.merged != nil, "merged")
            })
            for w in warnings { printError("warpflow: warning: \(w)") }
        } else {
            for (clip, reason) in r.rebuiltClips { printError("warpflow: warning: clip \(clip) was built again: \(reason)") }
            for w in warnings { printError("warpflow: warning: \(w)") }
            print("\(output): shard \(spec), \(r.reports.count) clips (\(r.resumedClips) already done, \(skipped) skipped), "
                  + "\(samples) samples, windows: " + WindowVerdict.allCases.map { "\(windows[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
                  + String(format: "; %.1f s (%.1f clips/min)", r.elapsedSeconds, minutes > 0 ? Double(processed) / minutes : 0))
            if r.merged != nil {
                print("\(output)/manifest.jsonl and \(output)/stats.json written")
            } else {
                print("run `warpflow dataset merge \(output)` once every shard has finished")
            }
        }
    }
}

struct DatasetMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Merge the shards' statistics into manifest.jsonl and stats.json.")

    @Argument(help: "The dataset directory the shards were built into.")
    var directory: String
    @Option(help: "Percentile for the scales (default: the build's).")
    var percentile: Double?
    @Flag(help: "Merge even when some clips have not been built yet.")
    var allowPartial = false
    @OptionGroup var out: OutputOptions

    func validate() throws {
        if let percentile, !(percentile.isFinite && percentile > 0 && percentile <= 100) {
            throw ValidationError("--percentile must be in (0, 100]")
        }
    }

    func run() throws {
        try runReportingErrors {
            let stats = try DatasetMerger(directory: directory).merge(percentile: percentile, allowPartial: allowPartial)
            if out.json {
                try printReport(BasicReport(summary: ReportSummary(input: .file(directory), output: directory)) { c in
                    try c.value(directory, "directory")
                    try c.value(stats.samples, "samples")
                    try c.value(stats.clipsTotal, "clips")
                    try c.value(stats.clipsSkipped, "clips_skipped")
                    try c.value(stats.scales.map { Double($0) }, "scales")
                    try c.number(stats.percentile, "percentile")
                })
            } else {
                print("\(directory): \(stats.samples) samples from \(stats.clipsOK) clips (\(stats.clipsSkipped) skipped); "
                      + "scales " + stats.scales.map { String(format: "%.3g", $0) }.joined(separator: " "))
            }
        }
    }
}

/// A clip a resumed build made again, and why (in `dataset build --json`).
struct RebuiltClip: Encodable {
    let clip: Int
    let reason: String
}
