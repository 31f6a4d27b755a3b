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
    public var description: String { "cancelled; no output written" }
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
    /// Non-fatal notes (e.g. pixel format changed for the encoder, audio not copyable).
    public var warnings: [String]
}

/// Streams a file through a chain of filters into an encoder:
/// `VideoReader → filter → … → filter → VideoWriter`, one frame at a time, so memory stays
/// bounded by the filters' windows, not the clip's length. Audio packets are copied.
public struct PipelineRunner {
    public var inputPath: String
    public var outputPath: String
    public var filters: [any VideoFilter]
    public var settings: EncoderSettings
    /// Copy the input's audio streams into the output.
    public var copyAudio: Bool

    public init(input: String, output: String, filters: [any VideoFilter], settings: EncoderSettings = EncoderSettings(), copyAudio: Bool = true) {
        self.inputPath = input
        self.outputPath = output
        self.filters = filters
        self.settings = settings
        self.copyAudio = copyAudio
    }

    /// Runs to the end. `progress` is called from the running thread about every frame.
    public func run(progress: ((PipelineProgress) -> Void)? = nil, cancellation: CancellationToken? = nil) throws -> PipelineResult {
        throw MediaError(.invalidArgument, path: inputPath, "PipelineRunner is not implemented yet")
    }
}
