internal import CFFmpeg
import Raster

/// What a reader found in a file: the video stream it decodes and the audio streams beside it.
public struct VideoStreamInfo: Sendable, Equatable {
    /// The file.
    public var path: String
    /// Container format name as FFmpeg reports it (e.g. "mov,mp4,m4a,3gp,3g2,mj2").
    public var container: String
    /// Video codec name (e.g. "h264").
    public var codec: String
    /// Width and height in pixels (coded picture, before rotation).
    public var width: Int
    public var height: Int
    /// Decoded pixel layout.
    public var pixelFormat: PixelFormat
    /// Frames per second (exact; the stream's average rate, else its base rate).
    public var frameRate: Rational
    /// Seconds per pts tick of decoded frames.
    public var timeBase: Rational
    /// Duration in seconds when known.
    public var durationSeconds: Double?
    /// Frame count when the container declares it or it follows from duration × rate.
    public var frameCount: Int?
    /// Display rotation in degrees counter-clockwise (0, 90, 180, 270 usually).
    public var rotation: Double
    /// Index of the video stream in the container.
    public var streamIndex: Int
    /// Audio streams in the container.
    public var audioStreams: [AudioStreamInfo]

    /// The format of the decoded frames.
    public var format: StreamFormat {
        StreamFormat(width: width, height: height, pixelFormat: pixelFormat, timeBase: timeBase, frameRate: frameRate, frameCount: frameCount)
    }
}

/// An audio stream found beside the video (copied, never decoded).
public struct AudioStreamInfo: Sendable, Equatable {
    /// Index of the stream in the container.
    public var streamIndex: Int
    /// Codec name (e.g. "aac").
    public var codec: String
    /// Samples per second.
    public var sampleRate: Int
    /// Number of channels.
    public var channels: Int
    /// Seconds per pts tick.
    public var timeBase: Rational
    /// Duration in seconds when known.
    public var durationSeconds: Double?
}

/// How a reader decodes.
public struct ReaderOptions: Sendable {
    /// Decoder threads; 0 lets FFmpeg pick (one per core).
    public var threads: Int = 0
    /// Queue the audio packets met while demuxing so that a writer can copy them
    /// (`takeAudioPackets()`); off, they are dropped.
    public var keepAudio: Bool = false
    public init(threads: Int = 0, keepAudio: Bool = false) {
        self.threads = threads
        self.keepAudio = keepAudio
    }
}

/// Counts kept while decoding, including damage that decoding recovered from.
public struct DecodeStats: Sendable, Equatable {
    /// Frames returned.
    public var framesDecoded: Int = 0
    /// Packets the decoder rejected (damaged data), skipped so decoding could go on.
    public var packetsRejected: Int = 0
    /// Frames the decoder flagged as concealed/corrupt.
    public var framesCorrupt: Int = 0
    /// Frames missing from the expected sequence (gaps in pts larger than one frame).
    public var framesLost: Int = 0
    /// Errors reading the container (damaged or cut-off data) after which demuxing stopped
    /// or resynchronised.
    public var readErrors: Int = 0
    /// Frames the container declared that were never decoded because the file ended early
    /// (a truncated file), 0 when the count is unknown or complete.
    public var framesMissingAtEnd: Int = 0
    /// True when the data ended before the container said it would (cut-off file) or a read
    /// error stopped demuxing.
    public var truncated: Bool = false
    /// True when any damage was met: rejected packets, corrupt or lost frames, read errors
    /// or truncation.
    public var sawDamage: Bool {
        packetsRejected > 0 || framesCorrupt > 0 || framesLost > 0 || readErrors > 0 || truncated
    }
    public init() {}
}

/// One compressed packet of a stream, owned by Swift (frees its `AVPacket`). Used to copy audio.
public final class MediaPacket: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVPacket>
    /// Stream index in the source container.
    public let sourceStreamIndex: Int
    /// Seconds per tick of `pts`/`dts`/`duration`.
    public let timeBase: Rational

    init(taking packet: UnsafeMutablePointer<AVPacket>, sourceStreamIndex: Int, timeBase: Rational) {
        self.pointer = packet
        self.sourceStreamIndex = sourceStreamIndex
        self.timeBase = timeBase
    }
    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&p)
    }
    /// Presentation timestamp in ticks of `timeBase` (nil when unknown).
    public var pts: Int64? { pointer.pointee.pts == wf_nopts_value() ? nil : pointer.pointee.pts }
    /// Duration in ticks of `timeBase`.
    public var duration: Int64 { pointer.pointee.duration }
}
