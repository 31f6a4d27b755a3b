internal import CFFmpeg

/// One decoded (or to-be-encoded) video picture in its native pixel format, with its
/// presentation timestamp `pts` counted in ticks of `timeBase` (seconds per tick).
///
/// A `Frame` is the single Swift owner of an `AVFrame`: it frees it in `deinit`. Sharing the
/// pixel data is explicit through `clone()` (a new reference to the same buffers, like
/// `av_frame_ref`); writing through `withMutablePlane` first makes the buffers private
/// (`av_frame_make_writable`), so a clone never sees another owner's writes.
public final class Frame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>

    /// Presentation timestamp in ticks of `timeBase`.
    public var pts: Int64 {
        get { pointer.pointee.pts }
        set { pointer.pointee.pts = newValue }
    }
    /// Seconds per tick of `pts` and `duration`.
    public var timeBase: Rational
    /// Display duration in ticks of `timeBase` (0 when unknown).
    public var duration: Int64 {
        get { wf_frame_duration(pointer) }
        set { wf_frame_set_duration(pointer, newValue) }
    }
    /// Width in pixels.
    public var width: Int { Int(pointer.pointee.width) }
    /// Height in pixels.
    public var height: Int { Int(pointer.pointee.height) }
    /// Pixel layout of the data planes.
    public var pixelFormat: PixelFormat { PixelFormat(rawValue: pointer.pointee.format) }
    /// True when the decoder marked this frame a key frame.
    public var isKeyFrame: Bool { wf_frame_is_key(pointer) != 0 }
    /// True when the decoder concealed damaged data in this frame.
    public var isCorrupt: Bool { wf_frame_is_corrupt(pointer) != 0 }
    /// Number of data planes.
    public var planeCount: Int { pixelFormat.planeCount }
    /// The frame's colour tags as FFmpeg's raw enum values (`AVColorSpace`, `AVColorRange`,
    /// `AVColorPrimaries`, `AVColorTransferCharacteristic`); 2 (unspecified) when untagged.
    public var colorTags: ColorTags {
        get {
            let f = pointer.pointee
            return ColorTags(matrix: Int32(f.colorspace.rawValue), range: Int32(f.color_range.rawValue),
                             primaries: Int32(f.color_primaries.rawValue), transfer: Int32(f.color_trc.rawValue))
        }
        set {
            pointer.pointee.colorspace = AVColorSpace(UInt32(max(0, newValue.matrix)))
            pointer.pointee.color_range = AVColorRange(UInt32(max(0, newValue.range)))
            pointer.pointee.color_primaries = AVColorPrimaries(UInt32(max(0, newValue.primaries)))
            pointer.pointee.color_trc = AVColorTransferCharacteristic(UInt32(max(0, newValue.transfer)))
        }
    }
    /// Source frame index assigned by the reader (0-based decode order of output frames), or -1.
    public var index: Int = -1

    /// Takes ownership of an already-filled AVFrame.
    init(taking frame: UnsafeMutablePointer<AVFrame>, timeBase: Rational) {
        self.pointer = frame
        self.timeBase = timeBase
    }

    /// Allocates a blank frame of the given size and format with fresh buffers
    /// (contents undefined until written).
    public init(width: Int, height: Int, pixelFormat: PixelFormat, pts: Int64 = 0, timeBase: Rational) throws {
        guard width > 0, height > 0, width <= 32768, height <= 32768 else {
            throw MediaError(.invalidArgument, path: "", "cannot allocate a \(width)×\(height) frame")
        }
        guard let f = av_frame_alloc() else { throw MediaError(.io, path: "", "out of memory allocating a frame") }
        f.pointee.width = Int32(width)
        f.pointee.height = Int32(height)
        f.pointee.format = pixelFormat.rawValue
        f.pointee.pts = pts
        let status = av_frame_get_buffer(f, 0)
        if status < 0 {
            var p: UnsafeMutablePointer<AVFrame>? = f
            av_frame_free(&p)
            throw MediaError(.invalidArgument, path: "", "cannot allocate a \(width)×\(height) \(pixelFormat) frame", code: status)
        }
        self.pointer = f
        self.timeBase = timeBase
    }

    deinit {
        var p: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&p)
    }

    /// A new owner of the same pixel buffers (reference counted, no copy) with the same
    /// timestamps and properties.
    public func clone() -> Frame {
        guard let f = av_frame_clone(pointer) else {
            // Out of memory on a tiny allocation: fall back to a deep copy attempt.
            return (try? copy()) ?? self
        }
        let c = Frame(taking: f, timeBase: timeBase)
        c.index = index
        return c
    }

    /// A deep copy with its own buffers.
    public func copy() throws -> Frame {
        let c = try Frame(width: width, height: height, pixelFormat: pixelFormat, pts: pts, timeBase: timeBase)
        try check(av_frame_copy(c.pointer, pointer), .invalidArgument, path: "", "cannot copy frame")
        _ = av_frame_copy_props(c.pointer, pointer)
        c.index = index
        return c
    }

    /// Copies `other`'s metadata (colour range and space, sample aspect, flags, pts, duration)
    /// into this frame without touching the pixels; `timeBase` is copied too.
    public func copyProperties(from other: Frame) {
        _ = av_frame_copy_props(pointer, other.pointer)
        timeBase = other.timeBase
    }

    /// Bytes per row (line size, may include padding) of plane `plane`.
    public func bytesPerRow(_ plane: Int) -> Int { Int(lineSize(plane)) }

    /// Bytes of visible samples in one row of plane `plane` (no padding).
    public func visibleBytesPerRow(_ plane: Int) -> Int {
        var sizes = (Int32(0), Int32(0), Int32(0), Int32(0))
        let status = withUnsafeMutablePointer(to: &sizes) {
            $0.withMemoryRebound(to: Int32.self, capacity: 4) { av_image_fill_linesizes($0, pixelFormat.av, Int32(width)) }
        }
        guard status >= 0 else { return 0 }
        return Int([sizes.0, sizes.1, sizes.2, sizes.3][plane])
    }

    /// Calls `body` with plane `plane`'s bytes (rows × bytesPerRow, row padding included),
    /// its bytes per row, and its size in samples (width, height). `width` counts component
    /// values per row: pixels for planar layouts (yuv420p's chroma: ⌈w/2⌉), two per chroma
    /// pixel for semi-planar chroma (nv12's plane 1: 2·⌈w/2⌉, U and V interleaved), three or
    /// four per pixel for packed RGB; `width × bytes per component` is the row's visible bytes.
    public func withPlane<R>(_ plane: Int, _ body: (UnsafeBufferPointer<UInt8>, _ bytesPerRow: Int, _ width: Int, _ height: Int) throws -> R) rethrows -> R {
        let (w, h, stride) = planeGeometry(plane)
        let base = UnsafePointer(dataPointer(plane))
        return try body(UnsafeBufferPointer(start: base, count: stride * h), stride, w, h)
    }

    /// Like `withPlane`, but writable: makes the buffers private to this frame first.
    public func withMutablePlane<R>(_ plane: Int, _ body: (UnsafeMutableBufferPointer<UInt8>, _ bytesPerRow: Int, _ width: Int, _ height: Int) throws -> R) throws -> R {
        try check(av_frame_make_writable(pointer), .invalidArgument, path: "", "cannot make frame writable")
        let (w, h, stride) = planeGeometry(plane)
        return try body(UnsafeMutableBufferPointer(start: dataPointer(plane), count: stride * h), stride, w, h)
    }

    /// True when the visible samples of every plane are equal (timestamps are not compared).
    public func samplesEqual(_ other: Frame) -> Bool {
        guard width == other.width, height == other.height, pixelFormat == other.pixelFormat else { return false }
        for p in 0..<planeCount {
            let same = withPlane(p) { a, sa, w, h in
                other.withPlane(p) { b, sb, _, _ in
                    let rowBytes = visibleBytesPerRow(p)
                    for y in 0..<h where memcmp(a.baseAddress! + y * sa, b.baseAddress! + y * sb, rowBytes) != 0 {
                        return false
                    }
                    return true
                }
            }
            if !same { return false }
        }
        return true
    }

    // MARK: internals
    private func lineSize(_ plane: Int) -> Int32 {
        withUnsafePointer(to: pointer.pointee.linesize) { $0.withMemoryRebound(to: Int32.self, capacity: 8) { $0[plane] } }
    }
    private func dataPointer(_ plane: Int) -> UnsafeMutablePointer<UInt8> {
        withUnsafePointer(to: pointer.pointee.data) {
            $0.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { $0[plane]! }
        }
    }
    private func planeGeometry(_ plane: Int) -> (Int, Int, Int) {
        let fmt = pixelFormat
        precondition(plane >= 0 && plane < fmt.planeCount, "plane \(plane) out of range for \(fmt)")
        // Width in samples (component values): the visible bytes of a row over the bytes of
        // one component. Planar layouts: the plane's width in pixels. Interleaved layouts hold
        // several components per pixel: nv12's chroma plane has a U and a V per chroma pixel,
        // so its width is twice the chroma width (the whole row); rgb24's is 3 × width.
        let componentBytes = max(1, (fmt.bitDepth + 7) / 8)
        return (visibleBytesPerRow(plane) / componentBytes, fmt.planeHeight(plane, imageHeight: height), Int(lineSize(plane)))
    }
}

import Foundation

/// A frame's colour description, as FFmpeg's raw enum values: matrix (`AVColorSpace`: 1 BT.709,
/// 6 BT.601/SMPTE 170M, 9 BT.2020 NCL), range (`AVColorRange`: 1 limited, 2 full), primaries and
/// transfer characteristic (1 BT.709, 16 PQ, 18 HLG). 2 means unspecified for every field but range (0).
public struct ColorTags: Hashable, Sendable {
    public var matrix: Int32
    public var range: Int32
    public var primaries: Int32
    public var transfer: Int32
    public init(matrix: Int32, range: Int32, primaries: Int32, transfer: Int32) {
        self.matrix = matrix
        self.range = range
        self.primaries = primaries
        self.transfer = transfer
    }
}
