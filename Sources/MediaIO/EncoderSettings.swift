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

