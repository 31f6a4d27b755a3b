import Raster
import Dispatch

/// Row kernels that turn 8/16-bit samples into `Float` and back, with a SIMD version and a
/// plain scalar reference for each (tests compare them). `scale`/`offset` map a sample `s`
/// to `(s - offset) * scale`, clamped to [0, 1] when `clamp` is set.
public enum SampleKernels {
    /// Scalar reference: UInt8 row → Float row.
    public static func bytesToFloatScalar(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                                          offset: Float = 0, scale: Float = 1.0 / 255, clamp: Bool = false) {
        for i in 0..<count {
            var v = (Float(src[i]) - offset) * scale
            if clamp { v = min(max(v, 0), 1) }
            dst[i] = v
        }
    }

    /// SIMD: UInt8 row → Float row, 16 samples at a time.
    public static func bytesToFloat(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                                    offset: Float = 0, scale: Float = 1.0 / 255, clamp: Bool = false) {
        var i = 0
        let raw = UnsafeRawPointer(src)
        let out = UnsafeMutableRawPointer(dst)
        let o = SIMD16<Float>(repeating: offset), s = SIMD16<Float>(repeating: scale)
        let zero = SIMD16<Float>(repeating: 0), one = SIMD16<Float>(repeating: 1)
        while i + 16 <= count {
            let bytes = raw.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            var v = (SIMD16<Float>(bytes) - o) * s
            if clamp { v.replace(with: zero, where: v .< zero); v.replace(with: one, where: v .> one) }
            out.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        if i < count { bytesToFloatScalar(src + i, dst + i, count: count - i, offset: offset, scale: scale, clamp: clamp) }
    }

    /// Scalar reference: UInt16 row → Float row.
    public static func shortsToFloatScalar(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                                           offset: Float = 0, scale: Float = 1.0 / 65535, clamp: Bool = false) {
        for i in 0..<count {
            var v = (Float(src[i]) - offset) * scale
            if clamp { v = min(max(v, 0), 1) }
            dst[i] = v
        }
    }

    /// SIMD: UInt16 row → Float row, 8 samples at a time.
    public static func shortsToFloat(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                                     offset: Float = 0, scale: Float = 1.0 / 65535, clamp: Bool = false) {
        var i = 0
        let raw = UnsafeRawPointer(src)
        let out = UnsafeMutableRawPointer(dst)
        let o = SIMD8<Float>(repeating: offset), s = SIMD8<Float>(repeating: scale)
        let zero = SIMD8<Float>(repeating: 0), one = SIMD8<Float>(repeating: 1)
        while i + 8 <= count {
            let v16 = raw.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self)
            var v = (SIMD8<Float>(v16) - o) * s
            if clamp { v.replace(with: zero, where: v .< zero); v.replace(with: one, where: v .> one) }
            out.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        if i < count { shortsToFloatScalar(src + i, dst + i, count: count - i, offset: offset, scale: scale, clamp: clamp) }
    }

    /// Scalar reference: Float row in [0, 1] → UInt8 row (×255, clamped, rounded to nearest
    /// even; NaN becomes 0).
    public static func floatToBytesScalar(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt8>, count: Int) {
        for i in 0..<count {
            let x = src[i] * 255
            let v = x >= 0 ? min(x, 255) : 0
            dst[i] = UInt8(v.rounded(.toNearestOrEven))
        }
    }

    /// SIMD: Float row in [0, 1] → UInt8 row, 16 at a time, same results as the scalar one.
    /// Rounds by adding 1.5·2²³, which leaves round-to-nearest-even(v) in the low mantissa bits
    /// (the standard library's generic vector conversions are too slow here).
    public static func floatToBytes(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt8>, count: Int) {
        var i = 0
        let raw = UnsafeRawPointer(src)
        let zero = SIMD16<Float>(repeating: 0), top = SIMD16<Float>(repeating: 255)
        while i + 16 <= count {
            var v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * 255
            v.replace(with: zero, where: .!(v .>= zero))  // negatives and NaN
            v.replace(with: top, where: v .> top)
            v += SIMD16<Float>(repeating: 12_582_912)
            let bits = unsafeBitCast(v, to: SIMD16<UInt32>.self)
            for k in 0..<16 { dst[i + k] = UInt8(truncatingIfNeeded: bits[k]) }
            i += 16
        }
        if i < count { floatToBytesScalar(src + i, dst + i, count: count - i) }
    }

    /// Scalar reference: Float row in [0, 1] → native UInt16 row (×65535, clamped, rounded to
    /// nearest even; NaN becomes 0).
    public static func floatToShortsScalar(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count {
            let x = src[i] * 65535
            let v = x >= 0 ? min(x, 65535) : 0
            dst[i] = UInt16(v.rounded(.toNearestOrEven))
        }
    }

    /// SIMD: Float row in [0, 1] → native UInt16 row, 8 at a time, same results as the scalar
    /// one (the 1.5·2²³ rounding trick of `floatToBytes`; exact below 2²²).
    public static func floatToShorts(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, count: Int) {
        var i = 0
        let raw = UnsafeRawPointer(src)
        let zero = SIMD8<Float>(repeating: 0), top = SIMD8<Float>(repeating: 65535)
        while i + 8 <= count {
            var v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * 65535
            v.replace(with: zero, where: .!(v .>= zero))  // negatives and NaN
            v.replace(with: top, where: v .> top)
            v += SIMD8<Float>(repeating: 12_582_912)
            let bits = unsafeBitCast(v, to: SIMD8<UInt32>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: bits), as: SIMD8<UInt16>.self)
            i += 8
        }
        if i < count { floatToShortsScalar(src + i, dst + i, count: count - i) }
    }

    /// Runs `body(row)` for rows 0..<rows, in parallel bands when the work is large enough.
    static func forEachRow(_ rows: Int, samplesPerRow: Int, _ body: (Int) -> Void) {
        let bands = rows * samplesPerRow >= 65_536 ? min(processorCount * 2, rows) : 1
        if bands <= 1 {
            for y in 0..<rows { body(y) }
            return
        }
        Parallel.forChunks(rows, threads: bands) { band in
            for y in band { body(y) }
        }
    }
}
