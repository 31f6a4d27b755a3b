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
    /// Frames per second (exact; the stream's average rate, else its base rate; FFmpeg's
    /// guess from the base rate when the average is below a tenth of it, which only corrupt
    /// timestamps cause).
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
    /// Repair damaged timestamps the way FFmpeg's CLI does (on by default), so that the pts of
    /// the frames returned always increase strictly and never jump absurdly far:
    /// - a frame without pts gets the previous frame's plus one nominal frame period;
    /// - a frame whose pts repeats or goes back a little is dropped (unless the pts before it
    ///   were extrapolated: then they were wrong, and it is re-timed as at a discontinuity);
    /// - a jump forward or back by more than `discontinuityThreshold` seconds or 100 nominal frame
    ///   periods, whichever is longer, is a discontinuity: that frame is re-timed one period
    ///   after the previous one, and the frames after it keep the same shift, so the timeline
    ///   continues. This is FFmpeg's `-dts_delta_threshold` rule for MPEG-TS and the other
    ///   formats that allow discontinuities; warpflow applies it to every format (FFmpeg waits
    ///   for a 30-hour jump, `-dts_error_threshold`, in MP4 or MKV), so that one corrupt
    ///   timestamp far away cannot make a rate-changing filter emit hours of frames. In formats
    ///   that allow discontinuities (MPEG-TS, MPEG-PS, …) a jump back by more than 0.1 s is one
    ///   too (FFmpeg's rule), which joins concatenated transport streams. The first frame is
    ///   measured against the stream's start time from the container: one farther from it than
    ///   the threshold (a corrupt edit list or composition offset) is placed at the start.
    ///
    /// Copied audio packets (`keepAudio`) are repaired alike, each stream on its own clock:
    /// shifted to continue after a discontinuity, dropped when their dts does not increase.
    ///
    /// Each repair is counted in `DecodeStats`. Off, frames keep the decoder's best-effort pts
    /// (a missing one is still extrapolated) and nothing is dropped or shifted.
    public var repairTimestamps: Bool = true
    /// The shortest jump between consecutive frames, in seconds, that counts as a timestamp
    /// discontinuity (see `repairTimestamps`); the threshold used is the longer of this and
    /// 100 nominal frame periods. Default 10, FFmpeg's `-dts_delta_threshold`.
    public var discontinuityThreshold: Double = 10
    /// Scale frames whose size or pixel format differs from the stream's (a resolution change
    /// mid-stream) to the stream's size and pixel format with swscale's bicubic filter, as
    /// FFmpeg's CLI does, so that filters configured for the stream keep working (on by
    /// default; counted in `DecodeStats.framesRescaled`). The stream's format is what the reader
    /// reports in `info`: FFmpeg takes it from the first decoded frame.
    public var scaleToStreamFormat: Bool = true

    public init(threads: Int = 0, keepAudio: Bool = false, repairTimestamps: Bool = true,
                discontinuityThreshold: Double = 10, scaleToStreamFormat: Bool = true) {
        self.threads = threads
        self.keepAudio = keepAudio
        self.repairTimestamps = repairTimestamps
        self.discontinuityThreshold = discontinuityThreshold
        self.scaleToStreamFormat = scaleToStreamFormat
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
    /// Frames that had no pts and were given one: the previous frame's plus one nominal period
    /// (`ReaderOptions.repairTimestamps`).
    public var framesPtsFilled: Int = 0
    /// Frames dropped because their pts repeated or went back (by less than a discontinuity)
    /// (`ReaderOptions.repairTimestamps`).
    public var framesDropped: Int = 0
    /// Timestamp discontinuities met: jumps forward or back beyond the threshold of
    /// `ReaderOptions.discontinuityThreshold`, each re-timed to continue one frame period after
    /// the frame before it.
    public var timestampDiscontinuities: Int = 0
    /// Frames returned with a pts other than the stream's because a discontinuity before
    /// them shifted the timeline (the frame at the jump and every later one until the next jump
    /// brings the shift back to 0).
    public var framesRetimed: Int = 0
    /// Jumps in a copied audio stream's timestamps beyond the discontinuity threshold, re-timed
    /// to continue where the stream's previous packet ended (`ReaderOptions.keepAudio`).
    public var audioDiscontinuities: Int = 0
    /// Copied audio packets dropped because their dts did not increase (a muxer would refuse
    /// them) or could not be shifted within 64 bits.
    public var audioPacketsDropped: Int = 0
    /// Frames whose size or pixel format differed from the stream's and that were scaled to
    /// it (`ReaderOptions.scaleToStreamFormat`).
    public var framesRescaled: Int = 0
    /// True when any damage was met: rejected packets, corrupt or lost frames, read errors
    /// or truncation. (Timestamp repairs are told by `repairedTimestamps`.)
    public var sawDamage: Bool {
        packetsRejected > 0 || framesCorrupt > 0 || framesLost > 0 || readErrors > 0 || truncated
    }
    /// True when the reader filled, dropped or re-timed any frame's or audio packet's timestamp.
    public var repairedTimestamps: Bool {
        framesPtsFilled > 0 || framesDropped > 0 || timestampDiscontinuities > 0 || framesRetimed > 0
            || audioDiscontinuities > 0 || audioPacketsDropped > 0
    }
    /// One line counting the timestamp repairs, for a report ("timestamps repaired: 2
    /// discontinuities re-timed (1 frame shifted), 1 frame with a repeated or backward pts
    /// dropped"), or nil when there were none.
    public var timestampRepairSummary: String? {
        guard repairedTimestamps else { return nil }
        func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
        var parts: [String] = []
        if timestampDiscontinuities > 0 || framesRetimed > 0 {
            parts.append(count(timestampDiscontinuities, "discontinuity", "discontinuities")
                         + " re-timed (" + count(framesRetimed, "frame", "frames") + " shifted)")
        }
        if framesDropped > 0 { parts.append(count(framesDropped, "frame", "frames") + " with a repeated or backward pts dropped") }
        if framesPtsFilled > 0 { parts.append(count(framesPtsFilled, "missing pts", "missing pts") + " filled") }
        if audioDiscontinuities > 0 { parts.append("audio: " + count(audioDiscontinuities, "discontinuity", "discontinuities") + " re-timed") }
        if audioPacketsDropped > 0 { parts.append("audio: " + count(audioPacketsDropped, "packet", "packets") + " with a non-increasing dts dropped") }
        return "timestamps repaired: " + parts.joined(separator: ", ")
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
