internal import CFFmpeg

/// How a writer encodes video.
public struct EncoderSettings: Sendable, Equatable {
    /// Video codecs the writer can produce.
    public enum Codec: String, Sendable, CaseIterable {
        /// H.264 through libx264.
        case h264
        /// HEVC through libx265.
        case hevc
    }
    public var codec: Codec = .h264
    /// Constant rate factor (0 = lossless for x264; 0…51). Ignored when `qp` is set.
    public var crf: Double = 18
    /// Constant quantiser (0 = lossless); overrides `crf` when set.
    public var qp: Int? = nil
    /// x264/x265 preset name (ultrafast … veryslow).
    public var preset: String = "medium"
    /// Output pixel layout; nil keeps the input frames' layout when the encoder accepts it.
    public var pixelFormat: PixelFormat? = nil
    /// Encoder threads; 0 lets the encoder pick.
    public var threads: Int = 0
    /// Move the MP4 index to the front (`-movflags +faststart`).
    public var faststart: Bool = true

    public init(codec: Codec = .h264, crf: Double = 18, qp: Int? = nil, preset: String = "medium",
                pixelFormat: PixelFormat? = nil, threads: Int = 0, faststart: Bool = true) {
        self.codec = codec
        self.crf = crf
        self.qp = qp
        self.preset = preset
        self.pixelFormat = pixelFormat
        self.threads = threads
        self.faststart = faststart
    }
}

/// Encodes frames to an MP4 (H.264 or HEVC), copying audio packets from a source so A/V sync
/// is kept. Writes to a temporary file in the target folder and renames it to `path` in
/// `finish()`; if the writer is dropped or `abort()`ed first, nothing is left under `path`.
///
/// ```swift
/// let writer = try VideoWriter(path: "out.mp4", format: reader.info.format, settings: .init(crf: 0),
///                              audioFrom: reader.info.audioStreams.isEmpty ? nil : reader)
/// try writer.write(frame)            // frame.pts in frame.timeBase
/// try writer.finish()
/// ```
public final class VideoWriter {
    /// The final output path.
    public let path: String
    /// Frames encoded so far.
    public internal(set) var framesWritten = 0

    /// Opens the encoder and the temporary output. `format.timeBase`/`frameRate` set the
    /// stream's exact clock; `audioFrom` copies that reader's audio stream parameters (its
    /// packets then go through `writeAudio`).
    public init(path: String, format: StreamFormat, settings: EncoderSettings = EncoderSettings(), audioFrom: VideoReader? = nil) throws {
        throw MediaError(.encodeFailed, path: path, "VideoWriter is not implemented yet")
    }

    /// Encodes one frame; its pts (in `frame.timeBase`) must increase strictly.
    public func write(_ frame: Frame) throws {}

    /// Copies one audio packet from the source reader, rescaled to the output's time base.
    public func writeAudio(_ packet: MediaPacket) throws {}

    /// Flushes the encoder, writes the trailer and renames the temporary file to `path`.
    public func finish() throws {}

    /// Stops and removes the temporary file; nothing is left under `path`.
    public func abort() {}
}
