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
    /// Most B-frames in a row (0…16); nil keeps the encoder's default (3 for x264's `medium`).
    /// 0 turns them off: packets come out in display order with no reordering delay, so the
    /// first packet's dts and pts are both the first frame's pts (what a gapless loop needs).
    public var bFrames: Int? = nil
    /// Write an MP4/MOV edit list (the muxer's `use_editlist`). False leaves it out, so no
    /// player shifts or trims the start: with `bFrames: 0` and pts 0, 1, 2 … the first frame
    /// is shown at exactly 0 s and a looping player repeats the file with no gap. Without an
    /// edit list a stream whose first dts is below 0 (B-frames) is shifted later instead, so
    /// the first frame then starts after 0 (the writer adds a warning). Other containers
    /// ignore it.
    public var editList: Bool = true
    /// Code every frame at the same quality (x264/x265 `ipratio=1`, no macroblock tree / CU
    /// tree, `qcomp=1`). By default an encoder spends more bits on a keyframe, on what later
    /// frames reference and on the first frame (its complexity estimate starts empty), so the
    /// step from the last frame of a file to its first is also a step in coding quality: with
    /// x264's defaults an unchanged picture coded all-intra differs by 1.5 code values between
    /// frames 0 and 1. A video that is played in a loop wants none; with this, identical
    /// pictures are coded identically.
    public var uniformQuality: Bool = false
    /// Most frames from one keyframe to the next (1 = every frame a keyframe, 1…100000); nil
    /// keeps the encoder's default (250 for x264). Short intervals cost size; 1 makes every
    /// frame's coding noise independent, so no step between two frames (a loop's wrap
    /// included) shows a keyframe's jump in quality.
    public var keyframeInterval: Int? = nil

    public init(codec: Codec = .h264, crf: Double = 18, qp: Int? = nil, preset: String = "medium",
                pixelFormat: PixelFormat? = nil, threads: Int = 0, faststart: Bool = true,
                bFrames: Int? = nil, editList: Bool = true, uniformQuality: Bool = false, keyframeInterval: Int? = nil) {
        self.codec = codec
        self.crf = crf
        self.qp = qp
        self.preset = preset
        self.pixelFormat = pixelFormat
        self.threads = threads
        self.faststart = faststart
        self.bFrames = bFrames
        self.editList = editList
        self.uniformQuality = uniformQuality
        self.keyframeInterval = keyframeInterval
    }
}

