import Foundation
import Raster

/// Per-sample linear blending of two frames' planes: `out = a·(1−w) + b·w`, the kernel of the
/// `blend` filter. 8-bit samples use a fixed-point weight in 1/256 steps; 16-bit samples a
/// 1/65536 weight. The SIMD kernels run over rows in parallel; the scalar versions are the
/// reference they are tested against.
public enum BlendKernel {
    /// Bytes per sample (1 or 2) when `format` can be blended sample by sample, else nil.
    ///
    /// Accepted: formats whose every sample is one whole byte (8-bit planar, semi-planar and
    /// byte-packed layouts such as yuv420p, nv12, rgb24, gray) or one native-endian 16-bit word
    /// holding 9–16 significant bits (yuv420p10le, p010le, gray16le, rgb48le). Rejected: hardware
    /// surfaces, float samples, palettes (pal8), bit-packed layouts (rgb565, monob, x2rgb10) and byte-swapped
    /// 16-bit layouts, whose samples a per-word linear blend would corrupt.
    public static func bytesPerSample(for format: PixelFormat) -> Int? {
        let name = format.name
        let depth = format.bitDepth
        guard !format.isHardware, depth >= 8, depth <= 16 else { return nil }
        for floatMark in ["f16", "f32", "f64"] where name.contains(floatMark) { return nil }
        if depth == 8 { return name == "pal8" ? nil : 1 }  // palette indices do not blend
        // Several components sharing one packed word.
        for packed in ["x2rgb10", "x2bgr10", "xv30", "v30x", "rgb30", "bgr30"] where name.hasPrefix(packed) { return nil }
        let native = 1.littleEndian == 1 ? "le" : "be"
        guard name.hasSuffix(native) else { return nil }
        return 2
    }

    /// Fixed-point weight of `b` for 8-bit samples (0…256).
    @inlinable public static func weight8(_ w: Double) -> UInt16 { UInt16(max(0, min(256, (w * 256).rounded()))) }
    /// Fixed-point weight of `b` for 16-bit samples (0…65536).
    @inlinable public static func weight16(_ w: Double) -> UInt32 { UInt32(max(0, min(65536, (w * 65536).rounded()))) }

    /// Scalar reference for 8-bit rows.
    public static func blendRow8Scalar(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<UInt8>, count: Int, weight: UInt16) {
        let wb = UInt32(weight), wa = 256 - wb
        for i in 0..<count {
            out[i] = UInt8((UInt32(a[i]) * wa + UInt32(b[i]) * wb + 128) >> 8)
        }
    }

    /// SIMD 8-bit rows (16 samples per step), identical results to the scalar reference.
    public static func blendRow8(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<UInt8>, count: Int, weight: UInt16) {
        let wb = SIMD16<UInt16>(repeating: weight), wa = SIMD16<UInt16>(repeating: 256 - weight)
        let round = SIMD16<UInt16>(repeating: 128)
        var i = 0
        let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b), rawOut = UnsafeMutableRawPointer(out)
        while i + 16 <= count {
            let va = SIMD16<UInt16>(truncatingIfNeeded: rawA.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
            let vb = SIMD16<UInt16>(truncatingIfNeeded: rawB.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
            // a·wa + b·wb + 128 ≤ 255·256 + 128 < 65536: no overflow in 16 bits.
            let sum = va &* wa &+ vb &* wb &+ round
            rawOut.storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: sum &>> 8), toByteOffset: i, as: SIMD16<UInt8>.self)
            i += 16
        }
        if i < count { blendRow8Scalar(a + i, b + i, out + i, count: count - i, weight: weight) }
    }

    /// Scalar reference for 16-bit rows (native-endian samples).
    public static func blendRow16Scalar(_ a: UnsafePointer<UInt16>, _ b: UnsafePointer<UInt16>, _ out: UnsafeMutablePointer<UInt16>, count: Int, weight: UInt32) {
        let wb = UInt64(weight), wa = 65536 - wb
        for i in 0..<count {
            out[i] = UInt16((UInt64(a[i]) * wa + UInt64(b[i]) * wb + 32768) >> 16)
        }
    }

    /// SIMD 16-bit rows (8 samples per step), identical results to the scalar reference.
    public static func blendRow16(_ a: UnsafePointer<UInt16>, _ b: UnsafePointer<UInt16>, _ out: UnsafeMutablePointer<UInt16>, count: Int, weight: UInt32) {
        let wb = SIMD8<UInt64>(repeating: UInt64(weight)), wa = SIMD8<UInt64>(repeating: 65536 - UInt64(weight))
        let round = SIMD8<UInt64>(repeating: 32768)
        var i = 0
        let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b), rawOut = UnsafeMutableRawPointer(out)
        while i + 8 <= count {
            let va = SIMD8<UInt64>(truncatingIfNeeded: rawA.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self))
            let vb = SIMD8<UInt64>(truncatingIfNeeded: rawB.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self))
            let sum = (va &* wa &+ vb &* wb &+ round) &>> 16
            rawOut.storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: sum), toByteOffset: i * 2, as: SIMD8<UInt16>.self)
            i += 8
        }
        if i < count { blendRow16Scalar(a + i, b + i, out + i, count: count - i, weight: weight) }
    }

    /// Blends every plane of `a` and `b` (same size and format) into `out` with weight `w` of
    /// `b`, rows split across cores. `bytesPerSample` is 1 or 2.
    public static func blend(_ a: Frame, _ b: Frame, into out: Frame, weight w: Double, bytesPerSample: Int, scalar: Bool = false) throws {
        for plane in 0..<out.planeCount {
            let rowBytes = out.visibleBytesPerRow(plane)
            try out.withMutablePlane(plane) { o, so, _, rows in
                a.withPlane(plane) { pa, sa, _, _ in
                    b.withPlane(plane) { pb, sb, _, _ in
                        let oBase = o.baseAddress!, aBase = pa.baseAddress!, bBase = pb.baseAddress!
                        let work = rowBytes * rows
                        let bands = work > 1 << 16 ? min(rows, ProcessInfo.processInfo.activeProcessorCount * 4) : 1
                        Parallel.forEach(bands) { band in
                            let y0 = band * rows / bands, y1 = (band + 1) * rows / bands
                            for y in y0..<y1 {
                                let ra = aBase + y * sa, rb = bBase + y * sb, ro = oBase + y * so
                                if bytesPerSample == 1 {
                                    let wt = weight8(w)
                                    if scalar { blendRow8Scalar(ra, rb, ro, count: rowBytes, weight: wt) } else { blendRow8(ra, rb, ro, count: rowBytes, weight: wt) }
                                } else {
                                    let n = rowBytes / 2, wt = weight16(w)
                                    let a16 = UnsafeRawPointer(ra).assumingMemoryBound(to: UInt16.self)
                                    let b16 = UnsafeRawPointer(rb).assumingMemoryBound(to: UInt16.self)
                                    let o16 = UnsafeMutableRawPointer(ro).assumingMemoryBound(to: UInt16.self)
                                    if scalar { blendRow16Scalar(a16, b16, o16, count: n, weight: wt) } else { blendRow16(a16, b16, o16, count: n, weight: wt) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
