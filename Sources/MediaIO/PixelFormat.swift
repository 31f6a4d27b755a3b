internal import CFFmpeg

/// A pixel layout as FFmpeg names it (`yuv420p`, `yuv420p10le`, `rgb24`, `gray`, …).
/// Wraps FFmpeg's `AVPixelFormat` value without exposing the C type.
public struct PixelFormat: Hashable, Sendable, CustomStringConvertible {
    /// FFmpeg's `AVPixelFormat` raw value (-1 is "none").
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Looks a format up by FFmpeg's name (`av_get_pix_fmt`); nil when FFmpeg does not know it.
    public init?(name: String) {
        let value = av_get_pix_fmt(name)
        guard value.rawValue >= 0 else { return nil }
        self.rawValue = value.rawValue
    }

    init(_ av: AVPixelFormat) { self.rawValue = av.rawValue }
    var av: AVPixelFormat { AVPixelFormat(rawValue: rawValue) }

    /// FFmpeg's name for the format, e.g. "yuv420p".
    public var name: String {
        guard let c = av_get_pix_fmt_name(av) else { return "none" }
        return String(cString: c)
    }
    public var description: String { name }

    /// Number of separate data planes (3 for yuv420p, 1 for rgb24).
    public var planeCount: Int { Int(wf_pix_fmt_planes(av)) }
    /// log2 of the horizontal chroma subsampling (1 for 4:2:0 and 4:2:2).
    public var chromaShiftX: Int { Int(wf_pix_fmt_log2_chroma_w(av)) }
    /// log2 of the vertical chroma subsampling (1 for 4:2:0).
    public var chromaShiftY: Int { Int(wf_pix_fmt_log2_chroma_h(av)) }
    /// Bits per component (8, 10, 12, 16, 32).
    public var bitDepth: Int { Int(wf_pix_fmt_depth(av)) }
    /// Bytes per sample step of the first component within its plane.
    public var bytesPerSample: Int { Int(wf_pix_fmt_step(av, 0)) }
    /// True for planar layouts.
    public var isPlanar: Bool { wf_pix_fmt_is_planar(av) != 0 }
    /// True for RGB layouts (packed or planar).
    public var isRGB: Bool { wf_pix_fmt_is_rgb(av) != 0 }
    /// Bits the first component's value is shifted left within its storage (6 for p010le,
    /// whose 10 significant bits sit at the top of each 16-bit word; 0 for yuv420p10le).
    public var componentShift: Int { Int(wf_pix_fmt_shift(av, 0)) }
    /// True for big-endian multi-byte layouts (yuv420p10be, gray16be).
    public var isBigEndian: Bool { wf_pix_fmt_is_big_endian(av) != 0 }
    /// The same layout in the other byte order, or nil when there is none (8-bit formats).
    public var byteSwapped: PixelFormat? {
        let other = wf_pix_fmt_swap_endianness(av)
        return other.rawValue >= 0 && other.rawValue != rawValue ? PixelFormat(other) : nil
    }
    /// Number of components (3 for yuv420p and nv12, 4 for yuva420p, 1 for gray).
    public var componentCount: Int { Int(wf_pix_fmt_components(av)) }
    /// True when every plane holds exactly one component in whole samples of `bytesPerSample`
    /// bytes (yuv420p, yuv422p10le, gray, gbrp): the layout a per-plane resampler can read.
    /// False for semi-planar (nv12, p010), packed (rgb24, yuyv422) and bit-packed layouts.
    public var isOneComponentPerPlane: Bool {
        let n = componentCount, step = bytesPerSample
        guard n > 0, n == planeCount, step == 1 || step == 2 else { return false }
        return (0..<n).allSatisfy { Int(wf_pix_fmt_step(av, Int32($0))) == step }
    }
    /// True for hardware surfaces (not readable as memory).
    public var isHardware: Bool { wf_pix_fmt_is_hwaccel(av) != 0 }

    /// Width in samples of plane `index` for an image `width` pixels wide.
    public func planeWidth(_ index: Int, imageWidth width: Int) -> Int {
        (index == 1 || index == 2) && !isRGB ? -((-width) >> chromaShiftX) : width
    }
    /// Height in rows of plane `index` for an image `height` pixels high.
    public func planeHeight(_ index: Int, imageHeight height: Int) -> Int {
        (index == 1 || index == 2) && !isRGB ? -((-height) >> chromaShiftY) : height
    }

    public static let yuv420p = PixelFormat(AV_PIX_FMT_YUV420P)
    public static let yuv422p = PixelFormat(AV_PIX_FMT_YUV422P)
    public static let yuv444p = PixelFormat(AV_PIX_FMT_YUV444P)
    public static let yuvj420p = PixelFormat(AV_PIX_FMT_YUVJ420P)
    public static let yuv420p10 = PixelFormat(AV_PIX_FMT_YUV420P10LE)
    public static let nv12 = PixelFormat(AV_PIX_FMT_NV12)
    public static let gray = PixelFormat(AV_PIX_FMT_GRAY8)
    public static let rgb24 = PixelFormat(AV_PIX_FMT_RGB24)
    public static let gbrp = PixelFormat(AV_PIX_FMT_GBRP)
    public static let gbrpf32 = PixelFormat(AV_PIX_FMT_GBRPF32LE)
    public static let grayf32 = PixelFormat(AV_PIX_FMT_GRAYF32LE)
}
