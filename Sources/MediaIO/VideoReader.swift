internal import CFFmpeg
import Foundation

/// Decodes the best video stream of any file FFmpeg reads (MP4, MKV, MOV, WebM, AVI, image
/// sequences) frame by frame, with exact pts. Threaded decoding is on.
///
/// Damaged data does not stop decoding: packets the decoder rejects are skipped and counted
/// (`stats.packetsRejected`), concealed frames are counted (`stats.framesCorrupt`), gaps in pts
/// count as lost frames, and a cut-off file ends with what could be decoded (`stats.truncated`).
/// Damaged timestamps are repaired as FFmpeg's CLI repairs them (missing pts extrapolated,
/// repeated or backward pts dropped, discontinuities re-timed: `ReaderOptions.repairTimestamps`),
/// so the frames returned have strictly increasing pts; frames whose size or pixel format
/// changes mid-stream are scaled to the stream's (`ReaderOptions.scaleToStreamFormat`).
///
/// ```swift
/// let reader = try VideoReader(path: "clip.mp4")
/// while let frame = try reader.nextFrame() { … }   // native YUV, pts in reader.info.timeBase
/// ```
public final class VideoReader {
    /// The file being read.
    public let path: String
    /// What the file holds.
    public let info: VideoStreamInfo
    /// Decoding counts so far.
    public internal(set) var stats = DecodeStats()

    let formatContext: UnsafeMutablePointer<AVFormatContext>
    private let codecContext: UnsafeMutablePointer<AVCodecContext>
    private var packet: UnsafeMutablePointer<AVPacket>?
    private let options: ReaderOptions
    private var audioQueue: [MediaPacket] = []
    private var demuxDone = false
    private var flushed = false
    private var finished = false
    /// Where the frames returned so far were placed (`VideoTimestampRepair`).
    private var timeline: VideoTimestampRepair
    private var nextIndex = 0
    /// True once `seek` was called (the first frame after it is not the stream's first).
    private var sought = false
    private var dropBeforePTS: Int64?
    /// One frame's duration in ticks of `info.timeBase` (0 when unknown).
    private let frameTicks: Int64
    /// The same limits in seconds, for the audio streams' own time bases.
    private let forwardJumpSeconds: Double
    private let backwardJumpSeconds: Double
    /// Per audio stream index: where its timestamps stand (`repairAudio`).
    private var audioClocks: [Int: AudioTimestampRepair] = [:]
    /// Size and pixel format every frame is given (`ReaderOptions.scaleToStreamFormat`).
    private var streamFormat: (width: Int, height: Int, pixelFormat: PixelFormat)?
    private lazy var converter = FrameConverter()
    /// Frame count the container declares (nil when it does not).
    private let declaredFrames: Int?

    /// Opens `path`; throws `MediaError` naming the file when it is missing, empty, not media
    /// or has no decodable video stream.
    public init(path: String, options: ReaderOptions = ReaderOptions()) throws {
        wf_set_log_quiet(1)
        self.path = path
        self.options = options
        let opened = try MediaInput.open(path: path, threads: options.threads)
        formatContext = opened.format
        codecContext = opened.codec
        info = opened.info
        declaredFrames = opened.declaredFrames
        packet = av_packet_alloc()
        // 0 (unknown) when the rate or time base is unusable or one frame does not fit in ticks.
        if info.frameRate.isPositive && info.timeBase.isPositive,
           let ticks = try? Rational.rescale(checked: 1, from: info.frameRate.inverted, to: info.timeBase), ticks > 0 {
            frameTicks = ticks
        } else {
            frameTicks = 0
        }
        // max(threshold, 100 frame periods); Int64.max ticks (never) when the time base is unusable.
        let threshold = options.discontinuityThreshold.isFinite && options.discontinuityThreshold > 0 ? options.discontinuityThreshold : 10
        let (periods, overflow) = frameTicks.multipliedReportingOverflow(by: 100)
        // A forward or backward jump longer than these many ticks is a discontinuity.
        let forwardJumpLimit = max(VideoReader.ticks(threshold, timeBase: info.timeBase), overflow ? .max : periods)
        forwardJumpSeconds = max(threshold, info.frameRate.isPositive ? 100 / info.frameRate.doubleValue : 0)
        // FFmpeg's CLI takes any jump back by more than 0.1 s as a discontinuity in formats that allow them.
        let allowsDiscontinuities = opened.format.pointee.iformat.pointee.flags & AVFMT_TS_DISCONT != 0
        let backwardJumpLimit = allowsDiscontinuities ? VideoReader.ticks(0.1, timeBase: info.timeBase) : forwardJumpLimit
        timeline = VideoTimestampRepair(repairs: options.repairTimestamps, frameTicks: frameTicks,
                                        forwardJumpLimit: forwardJumpLimit, backwardJumpLimit: backwardJumpLimit)
        backwardJumpSeconds = allowsDiscontinuities ? 0.1 : forwardJumpSeconds
        if info.width > 0 && info.height > 0 && info.pixelFormat.rawValue >= 0 {
            streamFormat = (info.width, info.height, info.pixelFormat)
        }
        if packet == nil {
            throw MediaError(.io, path: path, "out of memory allocating a packet")
        }
    }

    deinit {
        freePacket(&packet)
        var c: UnsafeMutablePointer<AVCodecContext>? = codecContext
        avcodec_free_context(&c)
        var f: UnsafeMutablePointer<AVFormatContext>? = formatContext
        avformat_close_input(&f)
    }

    /// Reads stream information without decoding.
    public static func probe(path: String) throws -> VideoStreamInfo {
        try VideoReader(path: path).info
    }

    /// The next decoded frame in presentation order in its native pixel format, or nil at the end.
    /// Its pts increases strictly from one call to the next (after timestamp repair).
    public func nextFrame() throws -> Frame? {
        while true {
            guard let frame = try decodeOne() else { return nil }
            guard place(frame) else { continue }
            if let limit = dropBeforePTS {
                // The frame ends before the seek target (an end past Int64.max does not).
                let (end, overflow) = frame.pts.addingReportingOverflow(max(frameTicks, 1))
                if !overflow && end <= limit { continue }
                dropBeforePTS = nil
            }
            let out = try conform(frame)
            out.index = nextIndex
            nextIndex += 1
            stats.framesDecoded += 1
            return out
        }
    }

    /// Lines for a run's report on what the reader repaired (empty when nothing was): the
    /// timestamp repairs (`DecodeStats.timestampRepairSummary`) and the frames scaled to the
    /// stream's size and pixel format.
    public var repairWarnings: [String] {
        var lines: [String] = []
        if let summary = stats.timestampRepairSummary { lines.append("input \(summary)") }
        if stats.framesRescaled > 0, let f = streamFormat {
            let n = stats.framesRescaled
            lines.append("input size or pixel format changed mid-stream: \(n) frame\(n == 1 ? "" : "s") scaled (bicubic) to the stream's \(f.width)×\(f.height) \(f.pixelFormat)")
        }
        return lines
    }

    /// The audio packets demuxed since the last call (only with `keepAudio`).
    public func takeAudioPackets() -> [MediaPacket] {
        defer { audioQueue.removeAll() }
        return audioQueue
    }

    /// Moves to the frame shown at `seconds` (the next `nextFrame()` returns the first frame
    /// whose display interval reaches it). Throws when the container cannot seek, and for a
    /// time that is negative, not finite, or beyond the stream's 64-bit tick range.
    public func seek(toSeconds seconds: Double) throws {
        let tb = info.timeBase
        guard tb.isPositive, seconds.isFinite, seconds >= 0 else {
            throw MediaError(.invalidArgument, path: path, "cannot seek to \(seconds) s")
        }
        // Ticks as a Double are range-checked before the conversion to Int64 (which would trap).
        let ticks = (seconds * Double(tb.den) / Double(tb.num)).rounded()
        let outOfRange = MediaError(.invalidArgument, path: path, "cannot seek to \(seconds) s: beyond the stream's 64-bit timestamps (time base \(tb))")
        guard ticks.isFinite, ticks < 0x1p63 else { throw outOfRange }
        let (target, overflow) = Int64(ticks).addingReportingOverflow(startTicks)
        guard !overflow else { throw outOfRange }
        let status = av_seek_frame(formatContext, Int32(info.streamIndex), target, AVSEEK_FLAG_BACKWARD)
        try check(status, .io, path: path, "cannot seek to \(seconds) s")
        avcodec_flush_buffers(codecContext)
        demuxDone = false
        flushed = false
        finished = false
        timeline.reset()
        audioClocks.removeAll()
        audioQueue.removeAll()
        dropBeforePTS = target
        sought = true
    }

    /// The stream's start time in ticks (0 when unknown).
    private var startTicks: Int64 { streamStart ?? 0 }

    /// The stream's start time in ticks as the container gives it, nil when unknown.
    private var streamStart: Int64? {
        guard let streams = formatContext.pointee.streams, let st = streams[info.streamIndex] else { return nil }
        let s = st.pointee.start_time
        return s == wf_nopts_value() ? nil : s
    }

    // MARK: decoding

    /// Decodes the next frame in decode-output order, feeding packets as needed.
    private func decodeOne() throws -> Frame? {
        if finished { return nil }
        guard let raw = av_frame_alloc() else { throw MediaError(.io, path: path, "out of memory allocating a frame") }
        var consecutiveErrors = 0
        while true {
            let status = avcodec_receive_frame(codecContext, raw)
            if status >= 0 {
                let frame = Frame(taking: raw, timeBase: info.timeBase)
                if frame.isCorrupt { stats.framesCorrupt += 1 }
                return frame
            }
            if status == FFStatus.eof {
                finishStream()
                var p: UnsafeMutablePointer<AVFrame>? = raw
                freeFrame(&p)
                return nil
            }
            if status != FFStatus.again {
                // The decoder reports damage on output (frame threading): skip and go on.
                stats.packetsRejected += 1
                consecutiveErrors += 1
                if consecutiveErrors > 10_000 || flushed {
                    if flushed { finishStream(); var p: UnsafeMutablePointer<AVFrame>? = raw; freeFrame(&p); return nil }
                    var p: UnsafeMutablePointer<AVFrame>? = raw
                    freeFrame(&p)
                    throw MediaError(.decodeFailed, path: path, "the decoder rejects every packet", code: status)
                }
                continue
            }
            // EAGAIN: the decoder wants more input.
            if flushed {
                // Should not happen (EAGAIN after a flush): treat as the end.
                finishStream()
                var p: UnsafeMutablePointer<AVFrame>? = raw
                freeFrame(&p)
                return nil
            }
            do {
                try feedOnePacket()
            } catch {
                var p: UnsafeMutablePointer<AVFrame>? = raw
                freeFrame(&p)
                throw error
            }
        }
    }

    /// Reads packets until one video packet was sent to the decoder (or flushes at the end).
    private func feedOnePacket() throws {
        guard let pkt = packet else { return }
        while !demuxDone {
            let status = av_read_frame(formatContext, pkt)
            if status < 0 {
                if status != FFStatus.eof && status != FFStatus.again {
                    stats.readErrors += 1
                    stats.truncated = true
                }
                if status == FFStatus.again { continue }
                demuxDone = true
                break
            }
            defer { av_packet_unref(pkt) }
            let index = Int(pkt.pointee.stream_index)
            if index == info.streamIndex {
                let sent = avcodec_send_packet(codecContext, pkt)
                if sent < 0 && sent != FFStatus.again {
                    stats.packetsRejected += 1
                    continue
                }
                return
            }
            if options.keepAudio, info.audioStreams.contains(where: { $0.streamIndex == index }),
               let copy = av_packet_alloc() {
                let tb = Rational(formatContext.pointee.streams[index]!.pointee.time_base)
                if av_packet_ref(copy, pkt) >= 0 && repairAudio(copy, stream: index, timeBase: tb) {
                    audioQueue.append(MediaPacket(taking: copy, sourceStreamIndex: index, timeBase: tb))
                } else {
                    var c: UnsafeMutablePointer<AVPacket>? = copy
                    freePacket(&c)
                }
            }
        }
        // End of data: drain the decoder.
        _ = avcodec_send_packet(codecContext, nil)
        flushed = true
    }

    /// Gives a decoded frame its pts (repaired: see `ReaderOptions.repairTimestamps`) and a
    /// duration when it has none, and counts lost frames. False when the frame is dropped.
    private func place(_ frame: Frame) -> Bool {
        let raw = wf_frame_best_pts(frame.pointer)
        guard let pts = timeline.place(raw: raw == wf_nopts_value() ? nil : raw, start: startTicks, declaredStart: streamStart,
                                       afterSeek: sought, countsLoss: dropBeforePTS == nil, stats: &stats) else { return false }
        frame.pts = pts
        if wf_frame_duration(frame.pointer) <= 0 && frameTicks > 0 { frame.duration = frameTicks }
        return true
    }

    /// Repairs a copied audio packet's timestamps (`AudioTimestampRepair`); false when it is dropped.
    private func repairAudio(_ p: UnsafeMutablePointer<AVPacket>, stream: Int, timeBase: Rational) -> Bool {
        guard options.repairTimestamps else { return true }
        var clock = audioClocks[stream] ?? AudioTimestampRepair(forward: VideoReader.ticks(forwardJumpSeconds, timeBase: timeBase),
                                                                backward: VideoReader.ticks(backwardJumpSeconds, timeBase: timeBase))
        defer { audioClocks[stream] = clock }
        guard let (dts, pts) = clock.repair(dts: p.pointee.dts, pts: p.pointee.pts, duration: p.pointee.duration,
                                            none: wf_nopts_value(), stats: &stats) else { return false }
        p.pointee.dts = dts
        p.pointee.pts = pts
        return true
    }

    /// `seconds` in ticks of `timeBase`, rounded up, at least 1; Int64.max when the time base is
    /// unusable or the count does not fit.
    private static func ticks(_ seconds: Double, timeBase tb: Rational) -> Int64 {
        guard tb.isPositive else { return .max }
        let t = (seconds * Double(tb.den) / Double(tb.num)).rounded(.up)
        return t.isFinite && t < 0x1p63 ? max(1, Int64(t)) : .max
    }

    /// The frame in the stream's size and pixel format: scaled (bicubic) when a resolution or
    /// layout change mid-stream made it differ (`ReaderOptions.scaleToStreamFormat`).
    private func conform(_ frame: Frame) throws -> Frame {
        guard options.scaleToStreamFormat else { return frame }
        guard let target = streamFormat else {
            streamFormat = (frame.width, frame.height, frame.pixelFormat)
            return frame
        }
        if frame.width == target.width && frame.height == target.height && frame.pixelFormat == target.pixelFormat { return frame }
        do {
            let scaled = try converter.convert(frame, width: target.width, height: target.height,
                                               pixelFormat: target.pixelFormat, algorithm: .bicubic)
            stats.framesRescaled += 1
            return scaled
        } catch {
            throw MediaError(.decodeFailed, path: path, "a \(frame.width)×\(frame.height) \(frame.pixelFormat) frame (the stream changed format mid-way) "
                             + "cannot be scaled to the stream's \(target.width)×\(target.height) \(target.pixelFormat): \(error)")
        }
    }

    /// Marks the end of decoding and notes frames the container declared but never came.
    private func finishStream() {
        finished = true
        if let expected = declaredFrames, dropBeforePTS == nil, expected > 1 {
            let (counted, overflow1) = stats.framesDecoded.addingReportingOverflow(stats.framesLost)
            let (seen, overflow2) = counted.addingReportingOverflow(stats.framesDropped)
            let overflow = overflow1 || overflow2
            // A small shortfall is normal (declared counts are often estimates).
            if !overflow && seen < expected && (Double(expected - seen) > max(2, 0.02 * Double(expected))) {
                stats.framesMissingAtEnd = expected - seen
                stats.truncated = true
            }
        }
    }
}
