import Foundation
import MediaIO

/// Progress of a running pipeline, reported through the runner's callback.
public struct PipelineProgress: Sendable {
    /// Input frames decoded so far.
    public var framesIn: Int
    /// Output frames encoded so far.
    public var framesOut: Int
    /// Expected input frames when known.
    public var totalFrames: Int?
    /// Seconds since the run started.
    public var elapsedSeconds: Double
    /// Input frames per second so far.
    public var framesPerSecond: Double { elapsedSeconds > 0 ? Double(framesIn) / elapsedSeconds : 0 }
    /// Estimated seconds left, when the total is known.
    public var etaSeconds: Double? {
        guard let total = totalFrames, framesIn > 0, total >= framesIn else { return nil }
        return elapsedSeconds / Double(framesIn) * Double(total - framesIn)
    }
    public init(framesIn: Int, framesOut: Int, totalFrames: Int?, elapsedSeconds: Double) {
        self.framesIn = framesIn
        self.framesOut = framesOut
        self.totalFrames = totalFrames
        self.elapsedSeconds = elapsedSeconds
    }
}

/// A flag another thread (e.g. a SIGINT handler) sets to stop a run; the runner checks it
/// between frames, throws `PipelineError.cancelled` and leaves no output file.
public final class CancellationToken: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    public init() {}
    /// Asks the run to stop.
    public func cancel() { lock.lock(); flag = true; lock.unlock() }
    /// True once `cancel()` was called.
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}

/// Errors of a pipeline run (filter and media errors pass through unchanged).
public enum PipelineError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The run was cancelled; no output was left.
    case cancelled
    /// The chain emitted no frame at all (e.g. a `trim` range past the end of the clip);
    /// `framesIn` input frames were read from `input`; no output was left.
    case noOutputFrames(input: String, chain: [String], framesIn: Int)

    public var description: String {
        switch self {
        case .cancelled:
            return "cancelled; no output written"
        case .noOutputFrames(let input, let chain, let framesIn):
            let names = chain.isEmpty ? "(no filters)" : chain.joined(separator: ",")
            return "\(input): the filter chain \(names) produced no frames from \(framesIn) input frames; no output written"
        }
    }
}

/// What a finished run did.
public struct PipelineResult: Sendable {
    public var inputPath: String
    public var outputPath: String
    public var framesIn: Int
    public var framesOut: Int
    public var elapsedSeconds: Double
    /// Format of the encoded stream.
    public var outputFormat: StreamFormat
    /// Decoding counts, including damage recovered from.
    public var decodeStats: DecodeStats
    /// Audio packets copied.
    public var audioPacketsCopied: Int
    /// Non-fatal notes (e.g. timestamps repaired or frames scaled by the reader, pixel format
    /// changed for the encoder, audio not copyable).
    public var warnings: [String]
    /// With `PipelineRunner.stagesOutput`, the finished file under its temporary name, for the
    /// caller to `StagedFile.commit` (with other outputs) or `discard`; nil otherwise.
    public var stagedOutput: StagedFile?
}

/// Streams a file through a chain of filters into an encoder:
/// `VideoReader → filter → … → filter → VideoWriter`, one frame at a time, so memory stays
/// bounded by the filters' windows, not the clip's length. Audio packets are copied.
///
/// Damaged input is read as FFmpeg's CLI reads it: the reader repairs timestamps and scales
/// frames of a mid-stream size change to the stream's size (`ReaderOptions`), and says so in
/// `PipelineResult.warnings`. An input whose first frame is before time 0 is moved (its audio
/// alike) to start at 0, since MP4 hides what is shown before 0. A run that returns has
/// written a file holding one packet per frame it reports, with strictly increasing
/// timestamps (`VideoWriter` checks both).
public struct PipelineRunner {
    public var inputPath: String
    public var outputPath: String
    public var filters: [any VideoFilter]
    public var settings: EncoderSettings
    /// Copy the input's audio streams into the output.
    public var copyAudio: Bool
    /// Leave the finished output under its temporary name (`PipelineResult.stagedOutput`)
    /// instead of renaming it to `outputPath`: for outputs written together with others.
    public var stagesOutput = false
    /// Called with every frame the chain emits, just before the writer encodes it: a second
    /// output fed from the same pictures (a GIF made from the rendered frames, not from the
    /// lossy video). The frame belongs to the writer; an observer that keeps it keeps `clone()`.
    public var observer: FrameSink?

    public init(input: String, output: String, filters: [any VideoFilter], settings: EncoderSettings = EncoderSettings(), copyAudio: Bool = true) {
        self.inputPath = input
        self.outputPath = output
        self.filters = filters
        self.settings = settings
        self.copyAudio = copyAudio
    }

    /// Runs to the end. `progress` is called from the running thread after every input frame.
    /// On any error or cancellation the output is removed and the error rethrown
    /// (`PipelineError.cancelled` for cancellation).
    public func run(progress: ((PipelineProgress) -> Void)? = nil, cancellation: CancellationToken? = nil) throws -> PipelineResult {
        let clock = ContinuousClock()
        let started = clock.now
        func elapsed() -> Double {
            let d = clock.now - started
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let reader = try VideoReader(path: inputPath, options: ReaderOptions(keepAudio: copyAudio))
        // Negotiate formats down the chain; each filter sees its predecessor's output.
        var chain = try FilterChain(filters: filters, input: reader.info.format)
        let cut = chain.keptTimeRange
        let hasAudio = copyAudio && !reader.info.audioStreams.isEmpty
        let writer = try VideoWriter(path: outputPath, format: chain.outputFormat, settings: settings, audioFrom: hasAudio ? reader : nil)
        let observer = self.observer
        let sink: FrameSink = { frame in
            try observer?(frame)
            try writer.write(frame)
        }
        var framesIn = 0
        var audioPackets = 0
        var videoStart: Rational?
        // Added to every frame's pts (and the audio alike) when the input starts before 0, which
        // MP4 cannot show (its edit list hides those frames).
        var timelineShift: Int64 = 0
        var timelineOffset = Rational(0, 1)
        var staged: StagedFile?
        let prefetcher = FramePrefetcher(reader: reader, capacity: 4, keepAudio: hasAudio)
        prefetcher.start()
        do {
            defer { prefetcher.stop() }
            while true {
                let item = try prefetcher.next()
                if cancellation?.isCancelled == true { throw PipelineError.cancelled }
                guard let frame = item.frame else {
                    if hasAudio { audioPackets += try copyAudio(item.audio, to: writer, cut: cut, videoStart: videoStart, offset: timelineOffset) }
                    break
                }
                framesIn += 1
                if videoStart == nil {
                    do {
                        videoStart = try Rational.seconds(checked: frame.pts, timeBase: frame.timeBase)
                        if frame.pts < 0 {
                            timelineShift = -frame.pts
                            timelineOffset = try Rational.seconds(checked: timelineShift, timeBase: frame.timeBase)
                        }
                    } catch {
                        throw MediaError(.decodeFailed, path: inputPath, "the first frame's pts \(frame.pts) is corrupt (\(error))")
                    }
                }
                if timelineShift != 0 {
                    // pts only increase from the first (≥ −shift), so the sum is ≥ 0; it can only overflow past Int64.max.
                    let (shifted, overflow) = frame.pts.addingReportingOverflow(timelineShift)
                    if overflow {
                        throw MediaError(.decodeFailed, path: inputPath, "frame \(frame.index): pts \(frame.pts) cannot be moved \(timelineShift) ticks later to start the video at 0")
                    }
                    frame.pts = shifted
                }
                try chain.push(frame, into: sink)
                if hasAudio { audioPackets += try copyAudio(item.audio, to: writer, cut: cut, videoStart: videoStart, offset: timelineOffset) }
                progress?(PipelineProgress(framesIn: framesIn, framesOut: writer.framesWritten,
                                           totalFrames: reader.info.frameCount, elapsedSeconds: elapsed()))
                if chain.isFinished { break }
            }
            if cancellation?.isCancelled == true { throw PipelineError.cancelled }
            try chain.finish(into: sink)
            if writer.framesWritten == 0 {
                throw PipelineError.noOutputFrames(input: inputPath, chain: chain.names, framesIn: framesIn)
            }
            if stagesOutput {
                staged = try writer.finishStaged()
            } else {
                try writer.finish()
            }
        } catch {
            writer.abort()
            throw error
        }
        return PipelineResult(inputPath: inputPath, outputPath: outputPath, framesIn: framesIn,
                              framesOut: writer.framesWritten, elapsedSeconds: elapsed(), outputFormat: writer.encoderFormat,
                              decodeStats: reader.stats, audioPacketsCopied: audioPackets,
                              warnings: reader.repairWarnings + chain.warnings + writer.warnings,
                              stagedOutput: staged)
    }

    /// Writes audio packets, dropping those outside `cut` and
    /// shifting the rest by its start. `cut` is relative to the first video frame's time
    /// `videoStart` (seconds, as read). Without a cut, packets are moved `offset` seconds later,
    /// as the video was. Returns how many were written. Throws `MediaError` naming the input
    /// when a packet's pts is too corrupt to be placed on the cut's timeline exactly.
    private func copyAudio(_ packets: [MediaPacket], to writer: VideoWriter, cut: KeptTimeRange?, videoStart: Rational?, offset: Rational) throws -> Int {
        let origin = videoStart ?? Rational(0, 1)
        var written = 0
        for packet in packets {
            var shift: Int64 = 0
            if cut == nil && offset != Rational(0, 1) {
                do {
                    shift = try -Rational.rescale(checked: 1, from: offset, to: packet.timeBase)
                } catch {
                    throw MediaError(.decodeFailed, path: inputPath,
                                     "audio stream \(packet.sourceStreamIndex): cannot be moved \(offset) s later with the video (\(error))")
                }
            }
            if let cut {
                guard let pts = packet.pts else { continue }
                do {
                    let time = try Rational.seconds(checked: pts, timeBase: packet.timeBase).subtracting(origin)
                    if time < cut.start { continue }
                    if let end = cut.end, !(time < end) { continue }
                    shift = try Rational.rescale(checked: 1, from: origin.adding(cut.start), to: packet.timeBase)
                } catch let error as RationalError {
                    throw MediaError(.decodeFailed, path: inputPath,
                                     "audio stream \(packet.sourceStreamIndex): packet pts \(pts) cannot be placed on the trimmed timeline (\(error))")
                }
            }
            try writer.writeAudio(packet, shift: shift)
            written += 1
        }
        return written
    }
}
