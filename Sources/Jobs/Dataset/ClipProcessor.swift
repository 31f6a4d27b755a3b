import Tensors
import Foundation
import MediaIO
import Flow
import Spectral
import Raster

/// Turns one clip into samples: decodes it once, follows every window through its frames
/// (several at a time when windows overlap), drops windows with a scene cut, too little motion
/// or too much camera motion, and writes the kept samples as shards. A clip that cannot be
/// decoded, has no video or is too short gives a `skipped` report, never an error: only
/// problems with the output directory (and cancellation) throw.
final class ClipProcessor {
    let configuration: DatasetConfiguration
    let directory: String
    let threads: Int
    /// Notes copied into every clip report (e.g. how the build adjusted an option).
    let notes: [String]
    private let estimator: FlowEstimator
    private let clock = ContinuousClock()

    init(configuration: DatasetConfiguration, directory: String, threads: Int, notes: [String] = []) {
        self.configuration = configuration
        self.notes = notes
        self.directory = directory
        self.threads = max(1, threads)
        estimator = FlowEstimator(preset: configuration.flowPreset, threads: self.threads)
    }

    /// Processes clip `clip` of `total` at `path`.
    func process(clip: Int, total: Int, path: String, isCancelled: () -> Bool) throws -> ClipReport {
        let c = configuration
        let emptyHistogram = try MagnitudeHistogram(frequencies: c.frequencies)
        var report = ClipReport(clip: clip, clipsTotal: total, source: path, histogram: emptyHistogram, configuration: c.fingerprint)
        var written: [String] = []
        report.notes = notes
        do {
            try run(path: path, report: &report, written: &written, isCancelled: isCancelled)
        } catch let error as ClipSkip {
            for shard in written { try? FileManager.default.removeItem(atPath: directory + "/" + shard) }
            report.status = .skipped
            report.reason = error.reason
            report.windows = [:]
            report.decisions = []
            report.samples = []
            report.shards = []
            report.histogram = emptyHistogram
        }
        return report
    }

    private func run(path: String, report: inout ClipReport, written: inout [String], isCancelled: () -> Bool) throws {
        let c = configuration
        var seconds = StageSeconds()
        defer { report.seconds = seconds }
        let reader: VideoReader
        do {
            reader = try VideoReader(path: path, options: ReaderOptions(threads: threads))
        } catch {
            throw ClipSkip(reason: "\(error)")
        }
        let fps = reader.info.frameRate
        let sampler = try WorkingFrameSampler(width: c.width, height: c.height, fit: c.fit)
        var scenes = try SceneDetector(threshold: c.sceneThreshold)
        var active: [WindowState] = []
        var pending: [DatasetSample] = []
        var cutWindows: [(end: Int, decision: WindowDecision)] = []
        var frameIndex = 0
        while true {
            if isCancelled() { throw DatasetError("build", "cancelled") }
            var working: WorkingFrame?
            var time = Rational.invalid
            do {
                var decoded: Frame?
                seconds.decode += try clock.seconds {
                    decoded = try reader.nextFrame()
                    if let frame = decoded {
                        working = try sampler.sample(frame)
                        time = (try? Rational.seconds(checked: frame.pts, timeBase: frame.timeBase))
                            ?? (fps.isPositive ? Rational(Int64(frameIndex), 1) / fps : .invalid)
                    }
                }
            } catch let error as DatasetError {
                throw ClipSkip(reason: error.description)
            } catch {
                throw ClipSkip(reason: "decoding failed at frame \(frameIndex): \(error)")
            }
            guard let frame = working else { break }
            if let m = scenes.push(frame.luma) {
                for i in active.indices {
                    active[i].cutScore = max(active[i].cutScore, m.sizeChanged ? 100 : m.score)
                    if m.isCut || m.sizeChanged { active[i].cut = true }
                }
            }
            // Windows cut by a scene change stop working at once; they are counted when they
            // would have completed, so a window the clip ends inside is never counted.
            cutWindows += active.filter(\.cut).map { ($0.startFrame + c.window - 1, $0.finish(configuration: c, nominal: fps).0) }
            active.removeAll { $0.cut }
            for (_, decision) in cutWindows where decision.startFrame + c.window - 1 <= frameIndex {
                report.windows[.sceneCut, default: 0] += 1
                report.decisions.append(decision)
            }
            cutWindows.removeAll { $0.end <= frameIndex }
            for i in active.indices {
                do {
                    try active[i].push(frame, time: time, seconds: &seconds, clock: clock)
                } catch let error as MotionError {
                    throw ClipSkip(reason: "optical flow failed at frame \(frameIndex): \(error)")
                }
            }
            if frameIndex % c.stride == 0 {
                do {
                    active.append(try WindowState(startFrame: frameIndex, startTime: time, first: frame, configuration: c,
                                                  estimator: estimator, threads: threads))
                } catch let error as MotionError {
                    throw ClipSkip(reason: "the working frame cannot be tracked: \(error)")
                }
            }
            for w in active where w.isComplete {
                let (decision, sample) = w.finish(configuration: c, nominal: fps)
                report.windows[decision.verdict, default: 0] += 1
                report.decisions.append(decision)
                if let sample {
                    seconds.dft += try clock.seconds { try report.histogram.add(sample.spectrum) }
                    pending.append(sample)
                }
            }
            active.removeAll { $0.isComplete }
            if pending.count >= c.samplesPerShard {
                try flush(&pending, report: &report, written: &written, fps: fps, seconds: &seconds)
            }
            frameIndex += 1
        }
        report.frames = frameIndex
        if frameIndex < c.window {
            throw ClipSkip(reason: frameIndex == 0
                ? "no picture could be decoded"
                : "too short: \(frameIndex) frames, a window needs \(c.window)")
        }
        if !pending.isEmpty { try flush(&pending, report: &report, written: &written, fps: fps, seconds: &seconds) }
        report.decisions.sort { $0.startFrame < $1.startFrame }
        if let rate = report.samples.first(where: { $0.fps != fps })?.fps {
            report.notes.append("timestamps: frames are \(jsonRounded(1 / rate.doubleValue)) s apart, not the "
                                + "\(fps.isPositive ? "\(jsonRounded(1 / fps.doubleValue)) s" : "unknown period") the stream's rate "
                                + "\(fps) gives; samples carry the rate the timestamps show (\(rate))")
        }
        if let irregular = report.decisions.first(where: { $0.verdict == .irregularTime }) {
            report.notes.append("timestamps: \(report.windows[.irregularTime] ?? 0) window(s) dropped because their frames are not "
                                + "evenly spaced (e.g. from frame \(irregular.startFrame): intervals from "
                                + "\(irregular.shortestInterval) s to \(irregular.longestInterval) s); re-time the clip first, "
                                + "e.g. ffmpeg -i IN -vf fps=RATE OUT")
        }
    }

    /// Writes `pending` as the clip's next shard part and records its samples.
    private func flush(_ pending: inout [DatasetSample], report: inout ClipReport, written: inout [String], fps: Rational,
                       seconds: inout StageSeconds) throws {
        let c = configuration
        let name = "clips/clip-" + zeroPadded(report.clip, 6) + "-" + zeroPadded(report.shards.count, 3) + ".safetensors"
        let samples = pending
        var checksum = ""
        seconds.write += try clock.seconds {
            checksum = try ShardWriter(configuration: c).write(samples, clip: report.clip, source: report.source,
                                                               to: directory + "/" + name)
        }
        written.append(name)
        report.checksums[name] = checksum
        report.shards.append(name)
        for (i, s) in samples.enumerated() {
            report.samples.append(SampleRecord(shard: name, index: i, clip: report.clip, source: report.source, start: s.startTime,
                                               startFrame: s.startFrame, frames: c.window, fps: s.fps, width: c.width,
                                               height: c.height, meanMotion: jsonRounded(s.meanMotion),
                                               maxMotion: jsonRounded(s.maxMotion), globalMotion: jsonRounded(s.globalMotion)))
        }
        pending.removeAll()
    }
}

/// Internal signal: the clip cannot be used, for `reason`.
struct ClipSkip: Error {
    var reason: String
}
