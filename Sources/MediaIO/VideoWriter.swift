internal import CFFmpeg
import Foundation

/// Encodes frames to an MP4 (H.264 or HEVC), copying audio packets from a source so A/V sync
/// is kept. Writes to a temporary file in the target folder and renames it to `path` in
/// `finish()`; if the writer is dropped or `abort()`ed first, nothing is left under `path`.
///
/// Timestamps are exact: the encoder and stream clock is `format.timeBase` (seconds per tick)
/// and each frame's pts is rescaled exactly from `frame.timeBase`. `crf: 0` or `qp: 0` is
/// true lossless. Frames of another size or pixel layout than the encoder's are converted.
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
    public var framesWritten: Int { session.framesWritten }
    /// Video packets the muxer accepted so far. `finish()` checks that it equals
    /// `framesWritten` (one packet per frame), so a finished file holds every frame written.
    public var packetsWritten: Int { session.packetsWritten }
    /// Things the writer changed or skipped to be able to write (e.g. "odd size: yuv444p
    /// used instead of yuv420p", "audio stream 1 (pcm_s16le) skipped: mp4 cannot hold it").
    public private(set) var warnings: [String] = []
    /// What the encoder receives: size, pixel layout and exact clock (frames of another
    /// size/layout are converted to this; pts are rescaled to `timeBase`).
    public private(set) var encoderFormat: StreamFormat

    private let session: EncodeSession
    private var videoIndex: Int32 = 0
    /// Source audio stream index → output stream index.
    private var audioMap: [Int: Int32] = [:]
    private var lastPTS: Int64?
    /// The last video packet's dts, in the output stream's time base.
    private var lastDTS: Int64?
    /// The largest dts step between video packets the container can hold: 2³¹ − 1 ticks in
    /// MP4/MOV (whose muxer silently rewrites a longer step into a broken one), else any.
    private var dtsStepLimit = Int64.max
    /// True for MP4/MOV, whose edit list hides frames shown before time 0 (far before 0, the
    /// muxer writes every timestamp as 0).
    private var holdsOnlyNonNegativeTimes = false
    private var containerName: String { session.containerName }
    /// True for MP4/MOV without an edit list, whose muxer shifts a video whose first dts is
    /// below 0 (B-frames) later, so its first frame starts after 0 (a warning says so).
    private var shiftsNegativeDTS = false
    private lazy var converter = FrameConverter()

    /// Opens the encoder and the temporary output. `format.timeBase`/`frameRate` set the
    /// stream's exact clock; `audioFrom` copies that reader's audio stream parameters (its
    /// packets then go through `writeAudio`) and its rotation.
    public init(path: String, format: StreamFormat, settings: EncoderSettings = EncoderSettings(), audioFrom: VideoReader? = nil) throws {
        self.path = path
        encoderFormat = format
        try Self.checkFormat(format, path: path)
        session = try EncodeSession(path: path, container: nil)
        do {
            try open(format: format, settings: settings, source: audioFrom)
        } catch {
            session.cleanUp()
            throw error
        }
    }


    /// Refuses sizes and rates no encoder takes, before any file is made.
    private static func checkFormat(_ format: StreamFormat, path: String) throws {
        guard format.width > 0, format.height > 0, format.width <= 16384, format.height <= 16384 else {
            throw MediaError(.invalidArgument, path: path, "cannot encode a \(format.width)×\(format.height) picture")
        }
        guard format.frameRate.isPositive else {
            throw MediaError(.invalidArgument, path: path, "frame rate \(format.frameRate) is not positive")
        }
    }

    private func open(format: StreamFormat, settings: EncoderSettings, source: VideoReader?) throws {
        let encoderName = settings.codec == .h264 ? "libx264" : "libx265"
        guard let codec = wf_find_encoder_by_name(encoderName) else {
            throw MediaError(.unsupportedCodec, path: path, "encoder \(encoderName) for \(settings.codec.rawValue) is not available in this FFmpeg build",
                             code: wf_averror_encoder_not_found())
        }
        let pixelFormat = try choosePixelFormat(codec: codec, format: format, settings: settings)
        guard let out = session.output else { throw MediaError(.cannotWrite, path: path, "cannot create the output container") }
        let movFamily: Set<String> = ["mov", "mp4", "3gp", "3g2", "psp", "ipod", "ismv", "f4v"]
        if movFamily.contains(containerName) {
            dtsStepLimit = Int64(Int32.max)
            holdsOnlyNonNegativeTimes = true
        }

        // Clock: the requested time base when it fits FFmpeg's 32-bit rationals, else 1/rate.
        let timeBase = format.timeBase.isPositive && format.timeBase.av != nil ? format.timeBase : format.frameRate.inverted
        guard let tbAV = timeBase.av, let rateAV = format.frameRate.av else {
            throw MediaError(.invalidArgument, path: path, "frame rate \(format.frameRate) does not fit FFmpeg's rationals")
        }
        encoderFormat = StreamFormat(width: format.width, height: format.height, pixelFormat: pixelFormat,
                                     timeBase: timeBase, frameRate: format.frameRate, frameCount: format.frameCount)

        guard let enc = avcodec_alloc_context3(codec) else { throw MediaError(.io, path: path, "out of memory allocating an encoder") }
        session.encoder = enc
        enc.pointee.width = Int32(format.width)
        enc.pointee.height = Int32(format.height)
        enc.pointee.pix_fmt = pixelFormat.av
        enc.pointee.time_base = tbAV
        enc.pointee.framerate = rateAV
        enc.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
        enc.pointee.thread_count = Int32(clamping: max(0, settings.threads))
        if out.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            enc.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)
        }
        if let src = source { copyColorTags(from: src, to: enc) }
        try setEncoderOptions(enc, settings: settings)
        try check(avcodec_open2(enc, codec, nil), .encodeFailed, path: path,
                  "cannot open the \(encoderName) encoder for \(format.width)×\(format.height) \(pixelFormat)")

        guard let stream = avformat_new_stream(out, nil) else { throw MediaError(.io, path: path, "cannot add a video stream") }
        videoIndex = stream.pointee.index
        try check(avcodec_parameters_from_context(stream.pointee.codecpar, enc), .encodeFailed, path: path, "cannot describe the video stream")
        stream.pointee.time_base = tbAV
        stream.pointee.avg_frame_rate = rateAV
        stream.pointee.r_frame_rate = rateAV
        if let src = source { try copyFromSource(src, into: out, videoStream: stream) }

        var options: OpaquePointer? = nil
        if settings.faststart { av_dict_set(&options, "movflags", "+faststart", 0) }
        if !settings.editList && holdsOnlyNonNegativeTimes {
            av_dict_set(&options, "use_editlist", "0", 0)
            shiftsNegativeDTS = true
        }
        try session.writeHeader(options: &options, what: "container")
        // The muxer gives packets without a duration one frame period at the stream's rate; MP4
        // cannot hold a period beyond 2³¹ − 1 ticks (a frame rate from corrupt timestamps).
        let streamTimeBase = Rational(stream.pointee.time_base)
        let period = (try? Rational.rescale(checked: 1, from: format.frameRate.inverted, to: streamTimeBase)) ?? .max
        if period > dtsStepLimit {
            throw MediaError(.invalidArgument, path: path, "frame rate \(format.frameRate) fps is too low for \(containerName): "
                             + "one frame would last \(period) ticks of \(streamTimeBase) s, beyond the \(dtsStepLimit) it can hold")
        }
    }

    /// The encoder's pixel layout: asked for, else the input's when the encoder takes it, else
    /// yuv420p (10-bit when the input is deeper); 4:4:4 when 4:2:x cannot hold an odd size.
    private func choosePixelFormat(codec: UnsafePointer<AVCodec>, format: StreamFormat, settings: EncoderSettings) throws -> PixelFormat {
        var supported: [PixelFormat] = []
        if var p = codec.pointee.pix_fmts {
            while p.pointee.rawValue != -1 { supported.append(PixelFormat(p.pointee)); p += 1 }
        }
        let takes: (PixelFormat) -> Bool = { f in supported.isEmpty || supported.contains(f) }
        var chosen: PixelFormat
        if let asked = settings.pixelFormat {
            guard takes(asked) else {
                throw MediaError(.invalidArgument, path: path, "the \(settings.codec.rawValue) encoder cannot take pixel format \(asked); it takes \(supported.map(\.name).joined(separator: ", "))")
            }
            chosen = asked
        } else if takes(format.pixelFormat) {
            chosen = format.pixelFormat
        } else if format.pixelFormat.bitDepth > 8, takes(.yuv420p10) {
            chosen = .yuv420p10
        } else {
            chosen = .yuv420p
        }
        let oddX = format.width % 2 == 1 && chosen.chromaShiftX > 0
        let oddY = format.height % 2 == 1 && chosen.chromaShiftY > 0
        if oddX || oddY {
            let deep = chosen.bitDepth > 8
            let full = PixelFormat(name: deep ? "yuv444p10le" : "yuv444p") ?? .yuv444p
            if takes(full) {
                warnings.append("\(format.width)×\(format.height) is odd, which \(chosen) cannot hold: encoding \(full) instead")
                chosen = full
            } else {
                throw MediaError(.invalidArgument, path: path, "\(format.width)×\(format.height) is odd and the encoder has no 4:4:4 layout")
            }
        }
        return chosen
    }

    /// Preset, rate control (crf/qp, lossless), B-frames and quiet logging for libx264/libx265.
    private func setEncoderOptions(_ enc: UnsafeMutablePointer<AVCodecContext>, settings: EncoderSettings) throws {
        let priv = enc.pointee.priv_data
        let lossless = settings.qp == 0 || (settings.qp == nil && settings.crf == 0)
        if let b = settings.bFrames, !(0...16).contains(b) {
            throw MediaError(.invalidArgument, path: path, "bFrames \(b) is outside 0…16")
        }
        if let k = settings.keyframeInterval, !(1...100_000).contains(k) {
            throw MediaError(.invalidArgument, path: path, "keyframe interval \(k) is outside 1…100000")
        }
        let keyint = settings.keyframeInterval.map { ["keyint=\($0)", "min-keyint=1"] } ?? []
        if av_opt_set(priv, "preset", settings.preset, 0) < 0 {
            throw MediaError(.invalidArgument, path: path, "unknown encoder preset \"\(settings.preset)\"")
        }
        var params: [String] = []
        switch settings.codec {
        case .h264:
            params.append("log=-1")
            if let b = settings.bFrames { params.append("bframes=\(b)") }
            if settings.uniformQuality { params.append(contentsOf: ["ipratio=1", "mbtree=0", "qcomp=1"]) }
            params.append(contentsOf: keyint)
            if lossless {
                av_opt_set(priv, "qp", "0", 0)
            } else if let qp = settings.qp {
                av_opt_set(priv, "qp", String(qp), 0)
            } else {
                av_opt_set(priv, "crf", String(settings.crf), 0)
            }
            av_opt_set(priv, "x264-params", params.joined(separator: ":"), 0)
        case .hevc:
            params.append("log-level=none")
            if let b = settings.bFrames { params.append("bframes=\(b)") }
            if settings.uniformQuality { params.append(contentsOf: ["ipratio=1", "cutree=0", "qcomp=1"]) }
            params.append(contentsOf: keyint)
            // libx265 ignores the codec context's thread count; pass it through its own options.
            if settings.threads > 0 { params.append("pools=\(settings.threads):frame-threads=\(min(settings.threads, 4))") }
            if lossless {
                params.append("lossless=1")
            } else if let qp = settings.qp {
                av_opt_set(priv, "qp", String(qp), 0)
            } else {
                av_opt_set(priv, "crf", String(settings.crf), 0)
            }
            av_opt_set(priv, "x265-params", params.joined(separator: ":"), 0)
        }
    }

    /// The source video's colour description (matrix, range, primaries, transfer, chroma
    /// siting), so the output is tagged like the input it was made from.
    private func copyColorTags(from src: VideoReader, to enc: UnsafeMutablePointer<AVCodecContext>) {
        guard let streams = src.formatContext.pointee.streams, let st = streams[src.info.streamIndex],
              let par = st.pointee.codecpar else { return }
        enc.pointee.color_range = par.pointee.color_range
        enc.pointee.color_primaries = par.pointee.color_primaries
        enc.pointee.color_trc = par.pointee.color_trc
        enc.pointee.colorspace = par.pointee.color_space
        enc.pointee.chroma_sample_location = par.pointee.chroma_location
    }

    /// Rotation of the source's video stream and its audio streams (stream copy).
    private func copyFromSource(_ src: VideoReader, into out: UnsafeMutablePointer<AVFormatContext>, videoStream: UnsafeMutablePointer<AVStream>) throws {
        let ic = src.formatContext
        guard let streams = ic.pointee.streams else { return }
        if let sv = streams[src.info.streamIndex] {
            _ = wf_stream_copy_display_matrix(sv, videoStream)
        }
        let containerName = cString(out.pointee.oformat.pointee.name)
        for audio in src.info.audioStreams {
            guard let st = streams[audio.streamIndex] else { continue }
            let par = st.pointee.codecpar!
            if avformat_query_codec(out.pointee.oformat, par.pointee.codec_id, FF_COMPLIANCE_NORMAL) != 1 {
                warnings.append("audio stream \(audio.streamIndex) (\(audio.codec)) skipped: \(containerName) cannot hold it")
                continue
            }
            guard let os = avformat_new_stream(out, nil) else { throw MediaError(.io, path: path, "cannot add an audio stream") }
            try check(avcodec_parameters_copy(os.pointee.codecpar, par), .encodeFailed, path: path, "cannot copy audio stream \(audio.streamIndex)")
            os.pointee.codecpar.pointee.codec_tag = 0
            os.pointee.time_base = st.pointee.time_base
            audioMap[audio.streamIndex] = os.pointee.index
        }
    }

    /// Encodes one frame; its pts (in `frame.timeBase`) must increase strictly, and in MP4/MOV
    /// must not be negative. Throws `MediaError` (`.invalidArgument`) when it does not, or when
    /// the pts cannot be expressed in the encoder's time base (an invalid time base, or a
    /// corrupt pts beyond 64 bits there); throws `.encodeFailed` rather than mux a packet whose
    /// dts would make a broken file (see `finish()`).
    public func write(_ frame: Frame) throws {
        guard !session.done, let enc = session.encoder else { throw MediaError(.invalidArgument, path: path, "write after finish or abort") }
        let pts: Int64
        do {
            pts = try Rational.rescale(checked: frame.pts, from: frame.timeBase, to: encoderFormat.timeBase)
        } catch {
            throw MediaError(.invalidArgument, path: path, "frame \(framesWritten): pts \(frame.pts) cannot be written in the output time base (\(error))")
        }
        if let last = lastPTS, pts <= last {
            throw MediaError(.invalidArgument, path: path, "frame pts \(frame.pts) (\(frame.timeBase)) does not increase (previous \(last) in \(encoderFormat.timeBase))")
        }
        if pts < 0 && holdsOnlyNonNegativeTimes {
            throw MediaError(.invalidArgument, path: path, "frame pts \(frame.pts) (\(frame.timeBase)) is before 0, where \(containerName) hides frames "
                             + "behind its edit list; the file would not decode to the frames written, so it is not written")
        }
        var source = frame
        if frame.width != encoderFormat.width || frame.height != encoderFormat.height || frame.pixelFormat != encoderFormat.pixelFormat {
            source = try converter.convert(frame, width: encoderFormat.width, height: encoderFormat.height, pixelFormat: encoderFormat.pixelFormat)
        }
        guard let f = av_frame_clone(source.pointer) else { throw MediaError(.io, path: path, "out of memory") }
        var owned: UnsafeMutablePointer<AVFrame>? = f
        defer { freeFrame(&owned) }
        f.pointee.pts = pts
        wf_frame_set_duration(f, 0)
        wf_frame_set_picture_type_none(f)
        try check(avcodec_send_frame(enc, f), .encodeFailed, path: path, "the encoder rejected frame \(framesWritten)")
        lastPTS = pts
        session.framesWritten += 1
        try drain()
    }

    /// Copies one audio packet from the source reader, rescaled to the output's time base.
    /// Packets of streams that were skipped (see `warnings`) are ignored.
    /// `shift` (ticks of `packet.timeBase`) is subtracted from its timestamps first, to follow a
    /// cut of the video timeline.
    public func writeAudio(_ packet: MediaPacket, shift: Int64 = 0) throws {
        guard !session.done, let out = session.output else { throw MediaError(.invalidArgument, path: path, "write after finish or abort") }
        guard let index = audioMap[packet.sourceStreamIndex], let tb = packet.timeBase.av else { return }
        guard let p = av_packet_alloc() else { throw MediaError(.io, path: path, "out of memory") }
        var owned: UnsafeMutablePointer<AVPacket>? = p
        defer { freePacket(&owned) }
        try check(av_packet_ref(p, packet.pointer), .io, path: path, "cannot reference an audio packet")
        p.pointee.stream_index = index
        p.pointee.pos = -1
        if shift != 0 {
            // A shifted timestamp must stay a timestamp: no overflow, and not "no timestamp".
            func shifted(_ t: Int64) throws -> Int64 {
                if t == wf_nopts_value() { return t }
                let (value, overflow) = t.subtractingReportingOverflow(shift)
                guard !overflow, value != wf_nopts_value() else {
                    throw MediaError(.invalidArgument, path: path, "audio packet timestamp \(t) shifted by \(shift) ticks (time base \(packet.timeBase)) is beyond 64 bits")
                }
                return value
            }
            p.pointee.pts = try shifted(p.pointee.pts)
            p.pointee.dts = try shifted(p.pointee.dts)
        }
        av_packet_rescale_ts(p, tb, out.pointee.streams[Int(index)]!.pointee.time_base)
        try check(av_interleaved_write_frame(out, p), .cannotWrite, path: path, "cannot write an audio packet")
    }

    /// Writes every audio packet `reader` has queued (`takeAudioPackets()`).
    public func writeAudio(from reader: VideoReader) throws {
        for p in reader.takeAudioPackets() { try writeAudio(p) }
    }

    /// Flushes the encoder, writes the trailer and renames the temporary file to `path`.
    /// Throws, leaving no file, unless the muxer accepted one packet per frame written
    /// (`packetsWritten == framesWritten`), each with a dts larger than the one before.
    public func finish() throws {
        _ = try complete(stage: false)
    }

    /// Like `finish()`, but the finished file keeps its temporary name: put it in place with
    /// `StagedFile.commit` (together with other outputs), or remove it with `discard`.
    public func finishStaged() throws -> StagedFile {
        try complete(stage: true)
    }

    private func complete(stage: Bool) throws -> StagedFile {
        try session.complete(stage: stage, drain: drain)
    }

    /// Stops and removes the temporary file; nothing is left under `path`.
    public func abort() { session.cleanUp() }

    /// Receives every packet the encoder has ready and muxes it. A packet whose dts is missing,
    /// does not increase, or steps further than the container can hold is an error: muxers
    /// "fix" such packets silently (the MP4 muxer rewrites the dts and drops the pts), which
    /// leaves a file that does not decode.
    private func drain() throws {
        try session.drain(encoderName: "video") { pkt, enc, out in
            pkt.pointee.stream_index = videoIndex
            let streamTimeBase = out.pointee.streams[Int(videoIndex)]!.pointee.time_base
            av_packet_rescale_ts(pkt, enc.pointee.time_base, streamTimeBase)
            let dts = pkt.pointee.dts
            if let problem = dtsProblem(dts, duration: pkt.pointee.duration) {
                throw MediaError(.encodeFailed, path: path, "video packet \(packetsWritten): \(problem) (time base \(Rational(streamTimeBase))); "
                                 + "the file would not decode, so it is not written")
            }
            if shiftsNegativeDTS && packetsWritten == 0 && dts < 0 {
                warnings.append("no edit list with B-frames: the first dts is \(dts) ticks of \(Rational(streamTimeBase)) s, so \(containerName) "
                                + "starts the video \(dts.magnitude) ticks late (set bFrames to 0 for a start at 0)")
            }
            try check(av_interleaved_write_frame(out, pkt), .cannotWrite, path: path, "cannot write a video packet")
            lastDTS = dts
        }
    }

    /// Why a video packet with this dts and duration cannot be muxed, or nil when it can.
    private func dtsProblem(_ dts: Int64, duration: Int64) -> String? {
        if dts == wf_nopts_value() { return "the encoder gave no dts" }
        if duration > dtsStepLimit {
            return "its duration of \(duration) ticks is beyond the \(dtsStepLimit) ticks the container can hold for one frame"
        }
        guard let last = lastDTS else { return nil }
        if dts <= last { return "dts \(dts) does not increase (previous \(last))" }
        let (step, overflow) = dts.subtractingReportingOverflow(last)
        if overflow || step > dtsStepLimit {
            return "dts \(dts) is \(overflow ? "more than 2⁶³" : "\(step)") ticks after the previous \(last), "
                + "beyond the \(dtsStepLimit) ticks the container can hold between frames"
        }
        return nil
    }
}
