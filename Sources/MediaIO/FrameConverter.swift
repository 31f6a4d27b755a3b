internal import CFFmpeg
import Raster

/// Converts frames between pixel formats and sizes with swscale, and to and from planar
/// `Float` images for analysis (RGB or luma, values in [0, 1]). Caches its swscale context
/// for repeated conversions of the same geometry. One converter per thread.
///
/// Colour: YUV frames are read with the matrix (BT.601/709/2020) and range (limited/full)
/// they are tagged with; untagged frames are taken as BT.709 when larger than 1024×576, else
/// BT.601. Frames made from RGB images are tagged the same way.
public final class FrameConverter {
    private let cache = SwsCache()
    private var scratch: Frame?

    public init() {}

    /// Always convert through swscale (tests compare it with the direct YUV path).
    var forceSwscale = false

    /// The frame as three Float planes R, G, B in [0, 1] (width × height of the frame).
    /// 8-bit planar YUV goes through a direct SIMD conversion with bilinear chroma; other
    /// layouts through swscale (bicubic chroma) to planar RGB.
    public func rgb(_ frame: Frame) throws -> PlanarImage {
        let w = frame.width, h = frame.height
        if !forceSwscale, let image = directRGB(frame) { return image }
        let deep = frame.pixelFormat.bitDepth > 8
        let planar: Frame
        if frame.pixelFormat == .gbrp && !deep {
            planar = frame
        } else {
            let target: PixelFormat = deep ? (PixelFormat(name: "gbrp16le") ?? .gbrp) : .gbrp
            planar = try scratchFrame(width: w, height: h, format: target)
            let src = ColorDescription.of(frame.pointer)
            try cache.scale(frame.pointer, into: planar.pointer, flags: ScaleAlgorithm.bicubic.swsFlags,
                            srcColor: src, dstColor: ColorDescription(matrix: src.matrix, fullRange: true))
        }
        let sixteen = planar.pixelFormat.bytesPerSample == 2
        // gbrp stores G, B, R in planes 0, 1, 2.
        var buffers = takeBuffers(3, count: w * h)
        for (channel, p) in [2, 0, 1].enumerated() {
            planar.withPlane(p) { buffer, stride, pw, ph in
                buffers[channel].withUnsafeMutableBufferPointer { out in
                    let base = buffer.baseAddress!
                    let dst = out.baseAddress!
                    SampleKernels.forEachRow(ph, samplesPerRow: pw) { y in
                        if sixteen {
                            let row = UnsafeRawPointer(base + y * stride).assumingMemoryBound(to: UInt16.self)
                            SampleKernels.shortsToFloat(row, dst + y * pw, count: pw)
                        } else {
                            SampleKernels.bytesToFloat(base + y * stride, dst + y * pw, count: pw)
                        }
                    }
                }
            }
        }
        recycled = buffers
        let planes = buffers.map { Plane(width: w, height: h, data: $0) }
        return PlanarImage(planes: planes)
    }

    /// The frame's luma (Y, or BT.601 luma of RGB) as one Float plane in [0, 1]; limited-range
    /// Y (16…235) is stretched to [0, 1] and clamped.
    public func luma(_ frame: Frame) throws -> Plane {
        let format = frame.pixelFormat
        // Big-endian samples: swap to the native (little-endian) twin first, then read as usual.
        if format.isBigEndian, let native = format.byteSwapped, !native.isBigEndian {
            let swapped = try scratchFrame(width: frame.width, height: frame.height, format: native)
            let color = ColorDescription.of(frame.pointer)
            try cache.scale(frame.pointer, into: swapped.pointer, flags: ScaleAlgorithm.point.swsFlags, srcColor: color, dstColor: color)
            color.apply(to: swapped.pointer)
            return try luma(swapped)
        }
        let hasLumaPlane = !format.isRGB && format.isPlanar || format == .nv12 || format == .gray
            || format.name.hasPrefix("gray") || format.name.hasPrefix("nv")
        let step = format.bytesPerSample
        if hasLumaPlane && !format.isRGB && (step == 1 || step == 2) && format.bitDepth <= 16 && !format.isHardware {
            let depth = format.bitDepth
            let color = ColorDescription.of(frame.pointer)
            let isGray = format.name.hasPrefix("gray")
            let full = color.fullRange || isGray
            // Values sit `shift` bits up in their storage word (p010: 6): fold that into the scale.
            let stored = Float(1 << format.componentShift)
            let unit = Float(1 << (depth - 8))
            let offset: Float = full ? 0 : 16 * unit * stored
            let scale: Float = (full ? 1 / Float((1 << depth) - 1) : 1 / (219 * unit)) / stored
            var buffers = takeBuffers(1, count: frame.width * frame.height)
            return frame.withPlane(0) { buffer, stride, w, h in
                buffers[0].withUnsafeMutableBufferPointer { out in
                    let base = buffer.baseAddress!
                    let dst = out.baseAddress!
                    SampleKernels.forEachRow(h, samplesPerRow: w) { y in
                        if step == 2 {
                            let row = UnsafeRawPointer(base + y * stride).assumingMemoryBound(to: UInt16.self)
                            SampleKernels.shortsToFloat(row, dst + y * w, count: w, offset: offset, scale: scale, clamp: !full)
                        } else {
                            SampleKernels.bytesToFloat(base + y * stride, dst + y * w, count: w, offset: offset, scale: scale, clamp: !full)
                        }
                    }
                }
                recycled = buffers
                return Plane(width: w, height: h, data: buffers[0])
            }
        }
        // RGB and packed layouts: BT.601 luma of the RGB image.
        let image = try rgb(frame)
        var out = Plane(width: image.width, height: image.height)
        let r = image.planes[0].data, g = image.planes[1].data, b = image.planes[2].data
        for i in 0..<out.count { out.data[i] = 0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i] }
        return out
    }

    /// A frame of `pixelFormat` made from a Float RGB (3 planes) or gray (1 plane) image with
    /// values in [0, 1]; `pts` is in ticks of `timeBase`. YUV output is tagged BT.709 when larger
    /// than 1024×576, else BT.601, limited range (full for `yuvj*`); use `frame(from:like:)` to
    /// match an existing frame's tags.
    public func frame(from image: PlanarImage, pixelFormat: PixelFormat, pts: Int64, timeBase: Rational) throws -> Frame {
        try makeFrame(from: image, pixelFormat: pixelFormat, pts: pts, timeBase: timeBase, color: nil)
    }

    /// A frame like `source` made from a Float RGB or gray image of the same size: `source`'s
    /// pixel format and bit depth (10-bit stays 10-bit), colour matrix, range, primaries and
    /// transfer tags, pts, duration and time base. Throws when the sizes differ.
    public func frame(from image: PlanarImage, like source: Frame) throws -> Frame {
        guard image.width == source.width, image.height == source.height else {
            throw MediaError(.invalidArgument, path: "", "a \(image.width)×\(image.height) image cannot become a frame like a \(source.width)×\(source.height) one")
        }
        let out = try makeFrame(from: image, pixelFormat: source.pixelFormat, pts: source.pts, timeBase: source.timeBase,
                                color: ColorDescription.of(source.pointer))
        _ = av_frame_copy_props(out.pointer, source.pointer)
        out.index = source.index
        return out
    }

    private func makeFrame(from image: PlanarImage, pixelFormat: PixelFormat, pts: Int64, timeBase: Rational,
                           color: ColorDescription?) throws -> Frame {
        guard image.channels == 3 || image.channels == 1 else {
            throw MediaError(.invalidArgument, path: "", "an image with \(image.channels) planes cannot become a frame (need 3 RGB or 1 gray)")
        }
        let w = image.width, h = image.height
        // Deep targets go through a 16-bit intermediate so no precision is lost on the way.
        let deep = pixelFormat.bitDepth > 8
        let intermediate: PixelFormat
        if image.channels == 3 {
            intermediate = deep ? (PixelFormat(name: "gbrp16le") ?? .gbrp) : .gbrp
        } else {
            intermediate = deep ? (PixelFormat(name: "gray16le") ?? .gray) : .gray
        }
        let sixteen = intermediate.bytesPerSample == 2
        let planar = try Frame(width: w, height: h, pixelFormat: intermediate, pts: pts, timeBase: timeBase)
        // gbrp plane p holds image channel [1, 2, 0][p] (G, B, R).
        let order = image.channels == 3 ? [1, 2, 0] : [0]
        for (p, channel) in order.enumerated() {
            try planar.withMutablePlane(p) { buffer, stride, pw, ph in
                image.planes[channel].data.withUnsafeBufferPointer { src in
                    let s = src.baseAddress!, d = buffer.baseAddress!
                    SampleKernels.forEachRow(ph, samplesPerRow: pw) { y in
                        if sixteen {
                            let row = UnsafeMutableRawPointer(d + y * stride).assumingMemoryBound(to: UInt16.self)
                            SampleKernels.floatToShorts(s + y * pw, row, count: pw)
                        } else {
                            SampleKernels.floatToBytes(s + y * pw, d + y * stride, count: pw)
                        }
                    }
                }
            }
        }
        if pixelFormat == planar.pixelFormat { return planar }
        let out = try Frame(width: w, height: h, pixelFormat: pixelFormat, pts: pts, timeBase: timeBase)
        let dstColor = color ?? ColorDescription(matrix: ColorDescription.guessMatrix(width: w, height: h),
                                                 fullRange: pixelFormat.name.hasPrefix("yuvj"))
        try cache.scale(planar.pointer, into: out.pointer, flags: ScaleAlgorithm.bicubic.swsFlags | SWS_ACCURATE_RND,
                        srcColor: ColorDescription(matrix: dstColor.matrix, fullRange: true), dstColor: dstColor)
        if !pixelFormat.isRGB { dstColor.apply(to: out.pointer) }
        out.pts = pts
        return out
    }

    /// The frame scaled to `width × height` and converted to `pixelFormat` with `algorithm`
    /// (timestamps, index and colour tags kept).
    public func convert(_ frame: Frame, width: Int, height: Int, pixelFormat: PixelFormat,
                        algorithm: ScaleAlgorithm = .bicubic) throws -> Frame {
        let out = try Frame(width: width, height: height, pixelFormat: pixelFormat, pts: frame.pts, timeBase: frame.timeBase)
        let src = ColorDescription.of(frame.pointer)
        var dst = src
        if frame.pixelFormat.isRGB { dst.fullRange = false }
        if pixelFormat.isRGB { dst.fullRange = true }
        if pixelFormat.name.hasPrefix("yuvj") { dst.fullRange = true }
        try cache.scale(frame.pointer, into: out.pointer, flags: algorithm.swsFlags | SWS_ACCURATE_RND,
                        srcColor: src, dstColor: dst)
        _ = av_frame_copy_props(out.pointer, frame.pointer)
        if !pixelFormat.isRGB { dst.apply(to: out.pointer) }
        out.index = frame.index
        return out
    }

    /// The direct path for 8-bit 3-plane YUV with a known matrix; nil for anything else.
    private func directRGB(_ frame: Frame) -> PlanarImage? {
        let format = frame.pixelFormat
        guard !format.isRGB, format.isPlanar, format.planeCount == 3, format.bitDepth == 8, format.bytesPerSample == 1,
              format.chromaShiftX <= 1, format.chromaShiftY <= 1 else { return nil }
        let color = ColorDescription.of(frame.pointer)
        guard let (kr, kb) = YUVToRGB.weights(matrix: color.matrix) else { return nil }
        let converter = YUVToRGB(kr: kr, kb: kb, fullRange: color.fullRange)
        let w = frame.width, h = frame.height
        var buffers = takeBuffers(3, count: w * h)
        // Moved out one by one so each stays uniquely referenced (filled in place).
        var r = buffers.removeFirst(), g = buffers.removeFirst(), b = buffers.removeFirst()
        r.withUnsafeMutableBufferPointer { rOut in
            g.withUnsafeMutableBufferPointer { gOut in
                b.withUnsafeMutableBufferPointer { bOut in
                    frame.withPlane(0) { yp, ys, _, _ in
                        frame.withPlane(1) { up, us, _, _ in
                            frame.withPlane(2) { vp, vs, _, _ in
                                converter.convert(y: (yp.baseAddress!, ys), u: (up.baseAddress!, us), v: (vp.baseAddress!, vs),
                                                  width: w, height: h, shiftX: format.chromaShiftX, shiftY: format.chromaShiftY,
                                                  r: rOut.baseAddress!, g: gOut.baseAddress!, b: bOut.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        recycled = [r, g, b]
        return PlanarImage(planes: recycled.map { Plane(width: w, height: h, data: $0) })
    }

    /// The Float arrays handed out last time; when the caller has dropped its image they are
    /// uniquely referenced again and are filled in place (no allocation, no page faults).
    private var recycled: [[Float]] = []

    /// `k` arrays of `n` samples, reusing the last ones handed out when the sizes match.
    private func takeBuffers(_ k: Int, count n: Int) -> [[Float]] {
        var out = recycled
        recycled = []
        if out.count != k || out.contains(where: { $0.count != n }) {
            out = (0..<k).map { _ in [Float](repeating: 0, count: n) }
        }
        return out
    }

    /// A reusable destination frame of the given geometry.
    private func scratchFrame(width: Int, height: Int, format: PixelFormat) throws -> Frame {
        if let s = scratch, s.width == width, s.height == height, s.pixelFormat == format { return s }
        let f = try Frame(width: width, height: height, pixelFormat: format, timeBase: Rational(1, 1))
        scratch = f
        return f
    }
}
