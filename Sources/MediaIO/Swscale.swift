internal import CFFmpeg

/// The scaling filter swscale uses when it resizes (and for chroma up/down-sampling).
public enum ScaleAlgorithm: String, Sendable, CaseIterable {
    /// 2×2 linear interpolation (fast, slightly soft).
    case bilinear
    /// 4×4 cubic (the default: sharp, little ringing).
    case bicubic
    /// Lanczos windowed sinc (sharpest, some ringing).
    case lanczos
    /// Pixel-area averaging (best for large reductions).
    case area
    /// Nearest neighbour (no new values; for masks and labels).
    case point

    var swsFlags: Int32 {
        switch self {
        case .bilinear: return SWS_BILINEAR
        case .bicubic: return SWS_BICUBIC
        case .lanczos: return SWS_LANCZOS
        case .area: return SWS_AREA
        case .point: return SWS_POINT
        }
    }
}

/// Colour description of YUV data: matrix (FFmpeg's AVColorSpace value, which equals the
/// SWS_CS_* numbering) and whether samples use the full 0…255 range.
struct ColorDescription: Hashable {
    var matrix: Int32
    var fullRange: Bool

    /// The frame's colour tags, guessing BT.709 for unspecified HD and BT.601 otherwise.
    static func of(_ frame: UnsafeMutablePointer<AVFrame>) -> ColorDescription {
        let f = frame.pointee
        let format = PixelFormat(rawValue: f.format)
        var matrix = Int32(f.colorspace.rawValue)
        if matrix == AVCOL_SPC_UNSPECIFIED.rawValue || matrix == AVCOL_SPC_RGB.rawValue || matrix == AVCOL_SPC_RESERVED.rawValue {
            matrix = guessMatrix(width: Int(f.width), height: Int(f.height))
        }
        let jpeg = format == .yuvj420p || format.name.hasPrefix("yuvj")
        return ColorDescription(matrix: matrix, fullRange: f.color_range == AVCOL_RANGE_JPEG || jpeg)
    }

    /// BT.709 for pictures taller than 576 rows or wider than 1024, else BT.601.
    static func guessMatrix(width: Int, height: Int) -> Int32 {
        (height > 576 || width > 1024) ? Int32(AVCOL_SPC_BT709.rawValue) : Int32(AVCOL_SPC_SMPTE170M.rawValue)
    }

    /// Writes these tags into a frame (for YUV frames made from RGB).
    func apply(to frame: UnsafeMutablePointer<AVFrame>) {
        frame.pointee.colorspace = AVColorSpace(UInt32(matrix))
        frame.pointee.color_range = fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
    }
}

/// One swscale context with the geometry and colour set it was made for, rebuilt only when
/// they change. Uses swscale's slice threads (`sws_scale_frame`).
final class SwsCache {
    struct Key: Hashable {
        var srcW: Int32, srcH: Int32, srcFormat: Int32
        var dstW: Int32, dstH: Int32, dstFormat: Int32
        var flags: Int32
        var srcColor: ColorDescription, dstColor: ColorDescription
    }
    private var context: OpaquePointer?
    private var key: Key?
    let threads: Int

    init(threads: Int = min(processorCount, 8)) { self.threads = threads }

    deinit { sws_freeContext(context) }

    /// Converts `src` into `dst` (whose width, height and format must be set and buffers allocated).
    func scale(_ src: UnsafeMutablePointer<AVFrame>, into dst: UnsafeMutablePointer<AVFrame>,
               flags: Int32, srcColor: ColorDescription, dstColor: ColorDescription) throws {
        let k = Key(srcW: src.pointee.width, srcH: src.pointee.height, srcFormat: src.pointee.format,
                    dstW: dst.pointee.width, dstH: dst.pointee.height, dstFormat: dst.pointee.format,
                    flags: flags, srcColor: srcColor, dstColor: dstColor)
        if k != key {
            sws_freeContext(context)
            context = nil
            key = nil
            context = try makeContext(k)
            key = k
        }
        // sws_scale_frame needs frames without leftover slice state; the buffers are kept.
        let status = sws_scale_frame(context, dst, src)
        if status < 0 {
            throw MediaError(.invalidArgument, path: "", "swscale cannot convert \(PixelFormat(rawValue: k.srcFormat)) \(k.srcW)×\(k.srcH) to \(PixelFormat(rawValue: k.dstFormat)) \(k.dstW)×\(k.dstH)", code: status)
        }
    }

    private func makeContext(_ k: Key) throws -> OpaquePointer {
        let fail = MediaError(.invalidArgument, path: "",
                              "swscale cannot convert \(PixelFormat(rawValue: k.srcFormat)) \(k.srcW)×\(k.srcH) to \(PixelFormat(rawValue: k.dstFormat)) \(k.dstW)×\(k.dstH)")
        guard sws_isSupportedInput(AVPixelFormat(k.srcFormat)) != 0, sws_isSupportedOutput(AVPixelFormat(k.dstFormat)) != 0 else {
            throw fail
        }
        // FFmpeg 5.1's threaded sws_init_context leaks the slice contexts it made when one of
        // them fails to initialise (a geometry swscale refuses, e.g. 1×12288 → 64×48; fuzz
        // finding reader-1). A single-threaded context checks the geometry first, leak-free;
        // contexts are cached per geometry, so this costs one extra init per new geometry.
        if threads > 1 {
            let probe = try makeContext(k, threads: 1, fail: fail)
            sws_freeContext(probe)
        }
        return try makeContext(k, threads: threads, fail: fail)
    }

    private func makeContext(_ k: Key, threads: Int, fail: MediaError) throws -> OpaquePointer {
        guard let ctx = sws_alloc_context() else { throw fail }
        let raw = UnsafeMutableRawPointer(ctx)
        var ok = true
        ok = ok && av_opt_set_int(raw, "srcw", Int64(k.srcW), 0) >= 0
        ok = ok && av_opt_set_int(raw, "srch", Int64(k.srcH), 0) >= 0
        ok = ok && av_opt_set_int(raw, "src_format", Int64(k.srcFormat), 0) >= 0
        ok = ok && av_opt_set_int(raw, "dstw", Int64(k.dstW), 0) >= 0
        ok = ok && av_opt_set_int(raw, "dsth", Int64(k.dstH), 0) >= 0
        ok = ok && av_opt_set_int(raw, "dst_format", Int64(k.dstFormat), 0) >= 0
        ok = ok && av_opt_set_int(raw, "sws_flags", Int64(k.flags), 0) >= 0
        ok = ok && av_opt_set_int(raw, "threads", Int64(threads), 0) >= 0
        if !ok || sws_init_context(ctx, nil, nil) < 0 {
            sws_freeContext(ctx)
            throw fail
        }
        // Colour matrices and ranges (ignored by swscale for RGB↔RGB).
        let srcTable = sws_getCoefficients(k.srcColor.matrix)
        let dstTable = sws_getCoefficients(k.dstColor.matrix)
        _ = sws_setColorspaceDetails(ctx, srcTable, k.srcColor.fullRange ? 1 : 0,
                                     dstTable, k.dstColor.fullRange ? 1 : 0, 0, 1 << 16, 1 << 16)
        return ctx
    }
}
