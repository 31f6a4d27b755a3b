internal import CFFmpeg
import Foundation

/// Writes an animated GIF that loops forever, through libavcodec's `gif` encoder (PAL8 frames,
/// one palette for the whole animation: the global colour table, which FFmpeg 5.1's encoder
/// also copies into the first frame; later frames carry none) and
/// libavformat's `gif` muxer (its `loop` option 0: the NETSCAPE2.0 extension, repeat forever).
/// Like `VideoWriter` it writes a temporary file beside `path` and renames it in `finish()`;
/// if the writer fails, is dropped or is `abort()`ed first, nothing is left under `path`.
///
/// Timing: GIF delays are whole centiseconds (1/100 s) and the muxer writes each frame's delay
/// as the next frame's pts minus its own in its fixed time base of 1/100 s (the last frame's
/// from the `final_delay` option). Frame k gets pts k · `delayCentiseconds`, so every frame
/// lasts the same: `delayCentiseconds` = 100 / frame rate rounded to the nearest whole (halves
/// up), at least 2, since browsers play a delay of 0 or 1 as 10. The file plays at
/// `actualFrameRate` (100 / delay fps: 30 fps → 3 cs → 33⅓ fps, 24 → 4 → 25, 60 → 2 → 50);
/// FFmpeg's CLI instead rounds each pts to 1/100 s, alternating delays (3, 3, 4, …) to keep
/// the mean rate, which makes uniform motion judder.
///
/// ```swift
/// let palette = try PaletteQuantizer.palette(frames: frames)
/// let gif = try GIFWriter(path: "loop.gif", width: 320, height: 240, frameRate: Rational(25, 1), palette: palette)
/// for f in frames { try gif.write(rgb: f) }   // 320 × 240 × 3 bytes each
/// try gif.finish()
/// ```
public final class GIFWriter {
    /// The final output path.
    public let path: String
    /// Picture size in pixels.
    public let width: Int, height: Int
    /// The colours every frame is mapped to.
    public let palette: Palette
    /// Dithering applied when mapping frames to `palette`.
    public let dither: Dither
    /// How long each frame is shown, in centiseconds (see the type's documentation).
    public let delayCentiseconds: Int
    /// The rate the file plays at: 100 / `delayCentiseconds` frames per second.
    public var actualFrameRate: Rational { Rational(100, Int64(delayCentiseconds)) }
    /// Frames given to the encoder so far.
    public var framesWritten: Int { session.framesWritten }
    /// Packets the muxer accepted so far; `finish()` checks one per frame.
    public var packetsWritten: Int { session.packetsWritten }

    private let mapper: PaletteMapper
    private let entries: [UInt32]
    private let offsets: [Int32]
    private let session: EncodeSession
    private var frame: UnsafeMutablePointer<AVFrame>?

    /// Opens the encoder and the temporary output. `width` and `height` are 1…16384 pixels;
    /// `frameRate` (frames per second) is at least 100/65535 (GIF's longest delay, 65535 cs).
    public init(path: String, width: Int, height: Int, frameRate: Rational, palette: Palette, dither: Dither = .none) throws {
        self.path = path
        self.width = width
        self.height = height
        self.palette = palette
        self.dither = dither
        try GIFWriter.checkSize(width, height, path: path)
        delayCentiseconds = try GIFWriter.delay(for: frameRate, path: path)
        do {
            offsets = try dither.offsets()
        } catch let error as MediaError {
            throw MediaError(error.kind, path: path, error.message)
        }
        mapper = PaletteMapper(palette: palette)
        entries = palette.pal8Entries
        session = try EncodeSession(path: path, container: "gif")
        // FFmpeg 5.1's gif muxer holds the last packet until its trailer and frees it only
        // there: an aborted file still gets a trailer (into the temporary file removed after).
        session.writesTrailerOnAbort = true
        do {
            try open()
        } catch {
            cleanUp()
            throw error
        }
    }

    deinit { cleanUp() }

    /// Writes `frames` (each width × height × 3 bytes of interleaved RGB, row-major) to `path`
    /// with one palette built by `PaletteQuantizer` from all of their pixels. Returns the rate
    /// the file plays at. Throws, leaving no file, for no frames or a frame of the wrong size.
    @discardableResult
    public static func write(frames: [[UInt8]], width: Int, height: Int, frameRate: Rational, to path: String,
                             dither: Dither = .none) throws -> Rational {
        try encode(frames: frames, width: width, height: height, frameRate: frameRate, to: path, dither: dither, stage: false).rate
    }

    /// Like `write(frames:…)`, but the finished file keeps its temporary name (`finishStaged()`).
    public static func writeStaged(frames: [[UInt8]], width: Int, height: Int, frameRate: Rational, to path: String,
                                   dither: Dither = .none) throws -> (file: StagedFile, rate: Rational) {
        let r = try encode(frames: frames, width: width, height: height, frameRate: frameRate, to: path, dither: dither, stage: true)
        return (r.file, r.rate)
    }

    private static func encode(frames: [[UInt8]], width: Int, height: Int, frameRate: Rational, to path: String,
                               dither: Dither, stage: Bool) throws -> (file: StagedFile, rate: Rational) {
        try checkSize(width, height, path: path)
        guard !frames.isEmpty else { throw MediaError(.invalidArgument, path: path, "no frames to write") }
        for (i, f) in frames.enumerated() { try checkFrame(f, index: i, width: width, height: height, path: path) }
        let palette: Palette
        do {
            palette = try PaletteQuantizer.palette(frames: frames)
        } catch let error as MediaError {
            throw MediaError(error.kind, path: path, error.message)
        }
        let writer = try GIFWriter(path: path, width: width, height: height, frameRate: frameRate, palette: palette, dither: dither)
        do {
            for f in frames { try writer.write(rgb: f) }
            return (try writer.complete(stage: stage), writer.actualFrameRate)
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Maps one picture (width × height × 3 bytes of interleaved RGB, row-major) to the palette
    /// and encodes it as the next frame.
    public func write(rgb: [UInt8]) throws {
        guard !session.done, let enc = session.encoder, let f = frame else { throw MediaError(.invalidArgument, path: path, "write after finish or abort") }
        try GIFWriter.checkFrame(rgb, index: framesWritten, width: width, height: height, path: path)
        // The encoder may still hold the previous picture (it compares frames): copy on write.
        try check(av_frame_make_writable(f), .io, path: path, "cannot make the frame writable")
        guard let indices = f.pointee.data.0, let colors = f.pointee.data.1 else {
            throw MediaError(.io, path: path, "the PAL8 frame has no buffers")
        }
        for (i, entry) in entries.enumerated() {
            UnsafeMutableRawPointer(colors).storeBytes(of: entry, toByteOffset: 4 * i, as: UInt32.self)
        }
        rgb.withUnsafeBufferPointer { src in
            mapper.mapRows(src.baseAddress!, srcStride: 3 * width, indices, dstStride: Int(f.pointee.linesize.0),
                           width: width, height: height, offsets: offsets)
        }
        let (pts, overflow) = Int64(framesWritten).multipliedReportingOverflow(by: Int64(delayCentiseconds))
        guard !overflow else { throw MediaError(.invalidArgument, path: path, "frame \(framesWritten): its time is beyond 64 bits") }
        f.pointee.pts = pts
        wf_frame_set_duration(f, Int64(delayCentiseconds))
        try check(avcodec_send_frame(enc, f), .encodeFailed, path: path, "the GIF encoder rejected frame \(framesWritten)")
        session.framesWritten += 1
        try drain()
    }

    /// Flushes the encoder, writes the trailer and renames the temporary file to `path`.
    /// Throws, leaving no file, when no frame was written or a frame has no packet.
    public func finish() throws {
        _ = try complete(stage: false)
    }

    /// Like `finish()`, but the finished file keeps its temporary name: put it in place with
    /// `StagedFile.commit` (together with other outputs), or remove it with `discard`.
    public func finishStaged() throws -> StagedFile {
        try complete(stage: true)
    }

    private func complete(stage: Bool) throws -> StagedFile {
        defer { cleanUp() }
        return try session.complete(stage: stage, drain: drain)
    }

    /// Stops and removes the temporary file; nothing is left under `path`.
    public func abort() { cleanUp() }

    // MARK: internals

    /// 100 / rate centiseconds, rounded half up, at least 2; throws beyond GIF's 65535.
    static func delay(for rate: Rational, path: String) throws -> Int {
        guard rate.isPositive else { throw MediaError(.invalidArgument, path: path, "frame rate \(rate) is not positive") }
        let n = Int128(rate.num).magnitude, d = Int128(rate.den).magnitude
        let delay = (200 * d + n) / (2 * n)
        guard delay <= 65535 else {
            throw MediaError(.invalidArgument, path: path, "frame rate \(rate) fps is too low for GIF: a frame would last \(delay) cs, beyond 65535")
        }
        return max(2, Int(delay))
    }

    static func checkSize(_ width: Int, _ height: Int, path: String) throws {
        guard (1...16384).contains(width), (1...16384).contains(height) else {
            throw MediaError(.invalidArgument, path: path, "cannot write a \(width)×\(height) GIF (each side 1…16384 pixels)")
        }
    }

    static func checkFrame(_ rgb: [UInt8], index: Int, width: Int, height: Int, path: String) throws {
        guard rgb.count == width * height * 3 else {
            throw MediaError(.invalidArgument, path: path, "frame \(index) has \(rgb.count) bytes, not \(width)×\(height)×3 = \(width * height * 3) (RGB)")
        }
    }

    private func open() throws {
        guard let codec = wf_find_encoder(AV_CODEC_ID_GIF) else {
            throw MediaError(.unsupportedCodec, path: path, "this FFmpeg build has no GIF encoder", code: wf_averror_encoder_not_found())
        }
        guard let out = session.output else { throw MediaError(.cannotWrite, path: path, "cannot create the GIF container") }
        let timeBase = AVRational(num: 1, den: 100)
        guard let enc = avcodec_alloc_context3(codec) else { throw MediaError(.io, path: path, "out of memory allocating an encoder") }
        session.encoder = enc
        enc.pointee.width = Int32(width)
        enc.pointee.height = Int32(height)
        enc.pointee.pix_fmt = AV_PIX_FMT_PAL8
        enc.pointee.time_base = timeBase
        enc.pointee.framerate = AVRational(num: 100, den: Int32(delayCentiseconds))
        try check(avcodec_open2(enc, codec, nil), .encodeFailed, path: path, "cannot open the GIF encoder for \(width)×\(height)")

        guard let stream = avformat_new_stream(out, nil) else { throw MediaError(.io, path: path, "cannot add a video stream") }
        try check(avcodec_parameters_from_context(stream.pointee.codecpar, enc), .encodeFailed, path: path, "cannot describe the video stream")
        stream.pointee.time_base = timeBase
        var options: OpaquePointer? = nil
        av_dict_set(&options, "loop", "0", 0)
        av_dict_set(&options, "final_delay", String(delayCentiseconds), 0)
        try session.writeHeader(options: &options, what: "GIF")

        guard let f = av_frame_alloc() else { throw MediaError(.io, path: path, "out of memory allocating a frame") }
        frame = f
        f.pointee.width = Int32(width)
        f.pointee.height = Int32(height)
        f.pointee.format = AV_PIX_FMT_PAL8.rawValue
        try check(av_frame_get_buffer(f, 0), .io, path: path, "cannot allocate a \(width)×\(height) PAL8 frame")
    }

    /// Muxes every packet the encoder has ready, its timestamps in the stream's time base.
    private func drain() throws {
        try session.drain(encoderName: "GIF") { pkt, enc, out in
            pkt.pointee.stream_index = 0
            av_packet_rescale_ts(pkt, enc.pointee.time_base, out.pointee.streams[0]!.pointee.time_base)
            try check(av_write_frame(out, pkt), .cannotWrite, path: path, "cannot write a GIF frame")
        }
    }

    /// Frees the frame and the session (which removes the temporary file unless it was put in place).
    private func cleanUp() {
        freeFrame(&frame)
        session.cleanUp()
    }
}
