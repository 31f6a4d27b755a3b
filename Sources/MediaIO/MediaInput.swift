internal import CFFmpeg
import Foundation

/// Opening an input: the container, its best video stream and a decoder for it, with every
/// failure turned into a `MediaError` that names the file.
enum MediaInput {
    struct Opened {
        var format: UnsafeMutablePointer<AVFormatContext>
        var codec: UnsafeMutablePointer<AVCodecContext>
        var info: VideoStreamInfo
        var declaredFrames: Int?
    }

    static func open(path: String, threads: Int) throws -> Opened {
        try checkFile(path)
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        let status = avformat_open_input(&ctx, path, nil, nil)
        guard status >= 0, let fmt = ctx else {
            if status == wf_averror(ENOENT) { throw MediaError(.fileNotFound, path: path, "no such file", code: status) }
            if status == wf_averror(EACCES) { throw MediaError(.io, path: path, "permission denied", code: status) }
            throw MediaError(.notMedia, path: path, "not a media file FFmpeg can read", code: status)
        }
        var ok = false
        var codecOut: UnsafeMutablePointer<AVCodecContext>? = nil
        defer {
            if !ok {
                avcodec_free_context(&codecOut)
                var f: UnsafeMutablePointer<AVFormatContext>? = fmt
                avformat_close_input(&f)
            }
        }
        let infoStatus = avformat_find_stream_info(fmt, nil)
        if infoStatus < 0 {
            throw MediaError(.notMedia, path: path, "cannot read stream information", code: infoStatus)
        }
        let streamCount = Int(fmt.pointee.nb_streams)
        guard let streams = fmt.pointee.streams else {
            throw MediaError(.noVideoStream, path: path, "the file has no streams")
        }
        // The best video stream that is not a still cover picture.
        var best = Int(av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0))
        if best >= 0, let st = streams[best], st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 { best = -1 }
        if best < 0 {
            best = (0..<streamCount).first { i in
                guard let st = streams[i] else { return false }
                return st.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO
                    && st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0
            } ?? -1
        }
        guard best >= 0, let stream = streams[best] else {
            throw MediaError(.noVideoStream, path: path, "the file has no video stream")
        }
        let par = stream.pointee.codecpar!
        let codecName = cString(avcodec_get_name(par.pointee.codec_id))
        guard let decoder = wf_find_decoder(par.pointee.codec_id) else {
            throw MediaError(.unsupportedCodec, path: path, "no decoder for video codec \(codecName)",
                             code: wf_averror_decoder_not_found())
        }
        guard let cc = avcodec_alloc_context3(decoder) else {
            throw MediaError(.io, path: path, "out of memory allocating a decoder")
        }
        codecOut = cc
        try check(avcodec_parameters_to_context(cc, par), .unsupportedCodec, path: path, "cannot configure the \(codecName) decoder")
        cc.pointee.pkt_timebase = stream.pointee.time_base
        cc.pointee.thread_count = Int32(clamping: max(0, threads))
        cc.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        try check(avcodec_open2(cc, decoder, nil), .unsupportedCodec, path: path, "cannot open the \(codecName) decoder")

        let timeBase = Rational(stream.pointee.time_base)
        var rate = Rational(stream.pointee.avg_frame_rate)
        let baseRate = Rational(stream.pointee.r_frame_rate)
        // The average comes from the first and last timestamps, so one corrupt timestamp can make
        // it absurd (0.005 fps for a 25 fps clip whose first dts jumped back 2²⁸ ticks): below a
        // tenth of the base rate it is not believed, and FFmpeg's guess (from the base rate) is used.
        if rate.isPositive && baseRate.isPositive && baseRate.doubleValue <= 1000 && rate.doubleValue * 10 < baseRate.doubleValue {
            rate = Rational(av_guess_frame_rate(fmt, stream, nil))
        }
        if !rate.isPositive || rate.doubleValue > 1000 { rate = baseRate }
        if !rate.isPositive || rate.doubleValue > 1000 { rate = Rational(av_guess_frame_rate(fmt, stream, nil)) }
        if !rate.isPositive { rate = Rational(25, 1) }

        var duration: Double? = nil
        if stream.pointee.duration != wf_nopts_value() && stream.pointee.duration > 0 && timeBase.isPositive {
            duration = Double(stream.pointee.duration) * timeBase.doubleValue
        } else if fmt.pointee.duration != wf_nopts_value() && fmt.pointee.duration > 0 {
            duration = Double(fmt.pointee.duration) / Double(wf_time_base())
        }
        let declared = wf_stream_nb_frames(stream) > 0 ? Int(wf_stream_nb_frames(stream)) : nil
        var frameCount = declared
        if frameCount == nil, let d = duration {
            // nil (unknown) when a corrupt duration gives no count that fits in Int.
            if let estimate = Int(exactly: (d * rate.doubleValue).rounded()), estimate > 0 { frameCount = estimate }
        }

        var audio: [AudioStreamInfo] = []
        for i in 0..<streamCount {
            guard let st = streams[i], let ap = st.pointee.codecpar,
                  ap.pointee.codec_type == AVMEDIA_TYPE_AUDIO else { continue }
            let tb = Rational(st.pointee.time_base)
            var d: Double? = nil
            if st.pointee.duration != wf_nopts_value() && st.pointee.duration > 0 && tb.isPositive {
                d = Double(st.pointee.duration) * tb.doubleValue
            }
            audio.append(AudioStreamInfo(streamIndex: i, codec: cString(avcodec_get_name(ap.pointee.codec_id)),
                                         sampleRate: Int(ap.pointee.sample_rate),
                                         channels: Int(ap.pointee.ch_layout.nb_channels),
                                         timeBase: tb, durationSeconds: d))
        }

        let width = Int(par.pointee.width), height = Int(par.pointee.height)
        guard width > 0, height > 0 else {
            throw MediaError(.notMedia, path: path, "the video stream has no picture size")
        }
        let info = VideoStreamInfo(
            path: path, container: cString(fmt.pointee.iformat.pointee.name), codec: codecName,
            width: width, height: height,
            pixelFormat: PixelFormat(rawValue: par.pointee.format),
            frameRate: rate, timeBase: timeBase, durationSeconds: duration, frameCount: frameCount,
            rotation: wf_stream_rotation(stream), streamIndex: best, audioStreams: audio)
        ok = true
        return Opened(format: fmt, codec: cc, info: info, declaredFrames: declared)
    }

    /// Missing and zero-byte files get their own errors before FFmpeg sees them. Patterns with
    /// `%` (image sequences) and URLs are left to FFmpeg.
    static func checkFile(_ path: String) throws {
        guard !path.isEmpty else { throw MediaError(.fileNotFound, path: path, "empty path") }
        if path.contains("%") || path.contains("://") { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MediaError(.fileNotFound, path: path, "no such file")
        }
        if isDirectory.boolValue { throw MediaError(.notMedia, path: path, "is a folder, not a media file") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? NSNumber, size.int64Value == 0 {
            throw MediaError(.emptyFile, path: path, "the file is empty (0 bytes)")
        }
    }
}
