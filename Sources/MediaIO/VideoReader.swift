internal import CFFmpeg
import Foundation

/// Decodes the best video stream of any file FFmpeg reads (MP4, MKV, MOV, WebM, AVI, image
/// sequences) frame by frame, with exact pts. Threaded decoding is on.
///
/// Damaged data does not stop decoding: packets the decoder rejects are skipped and counted
/// (`stats.packetsRejected`), concealed frames are counted (`stats.framesCorrupt`), gaps in pts
/// count as lost frames, and a cut-off file ends with what could be decoded (`stats.truncated`).
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
    private var lastPTS: Int64?
    private var nextIndex = 0
    private var dropBeforePTS: Int64?
    /// One frame's duration in ticks of `info.timeBase` (0 when unknown).
    private let frameTicks: Int64
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
    public func nextFrame() throws -> Frame? {
        while true {
            guard let frame = try decodeOne() else { return nil }
            if let limit = dropBeforePTS {
                // The frame ends before the seek target (an end past Int64.max does not).
                let (end, overflow) = frame.pts.addingReportingOverflow(max(frameTicks, 1))
                if !overflow && end <= limit { continue }
                dropBeforePTS = nil
            }
            return frame
        }
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
        lastPTS = nil
        audioQueue.removeAll()
        dropBeforePTS = target
    }

    /// The stream's start time in ticks (0 when unknown).
    private var startTicks: Int64 {
        guard let streams = formatContext.pointee.streams, let st = streams[info.streamIndex] else { return 0 }
        let s = st.pointee.start_time
        return s == wf_nopts_value() ? 0 : s
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
                account(frame)
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
                if av_packet_ref(copy, pkt) >= 0 {
                    let tb = formatContext.pointee.streams[index]!.pointee.time_base
                    audioQueue.append(MediaPacket(taking: copy, sourceStreamIndex: index, timeBase: Rational(tb)))
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

    /// Fills in index, pts (synthesised when missing) and damage counts for a decoded frame.
    private func account(_ frame: Frame) {
        var pts = wf_frame_best_pts(frame.pointer)
        if pts == wf_nopts_value() {
            // Synthesised one frame after the last; saturates at Int64.max (then the pts no longer
            // increases and consumers reject or drop the frame) instead of overflowing.
            if let last = lastPTS {
                let (next, overflow) = last.addingReportingOverflow(max(frameTicks, 1))
                pts = overflow ? Int64.max : next
            } else {
                pts = 0
            }
        }
        frame.pts = pts
        if wf_frame_duration(frame.pointer) <= 0 && frameTicks > 0 { frame.duration = frameTicks }
        if let last = lastPTS, frameTicks > 0, dropBeforePTS == nil {
            // In 128 bits: corrupt pts can be anywhere in Int64, so the gap can exceed it.
            let gap = Int128(pts) - Int128(last), period = Int128(frameTicks)
            // More than 1.5 frame durations between neighbours: frames are missing.
            if gap * 2 > period * 3 {
                let lost = Int(clamping: (gap + period / 2) / period - 1)
                let (total, overflow) = stats.framesLost.addingReportingOverflow(lost)
                stats.framesLost = overflow ? Int.max : total
            }
        }
        lastPTS = max(pts, lastPTS ?? pts)
        if frame.isCorrupt { stats.framesCorrupt += 1 }
        frame.index = nextIndex
        nextIndex += 1
        stats.framesDecoded += 1
    }

    /// Marks the end of decoding and notes frames the container declared but never came.
    private func finishStream() {
        finished = true
        if let expected = declaredFrames, dropBeforePTS == nil, expected > 1 {
            let (seen, overflow) = stats.framesDecoded.addingReportingOverflow(stats.framesLost)
            // A small shortfall is normal (declared counts are often estimates).
            if !overflow && seen < expected && (Double(expected - seen) > max(2, 0.02 * Double(expected))) {
                stats.framesMissingAtEnd = expected - seen
                stats.truncated = true
            }
        }
    }
}
