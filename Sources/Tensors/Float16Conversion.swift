/// Conversions between `Float` (IEEE binary32) and the two 16-bit float formats of safetensors:
/// F16 (IEEE binary16: 1 sign, 5 exponent, 10 mantissa bits; largest finite 65504) and BF16
/// (bfloat16: the top 16 bits of a binary32). Narrowing rounds to nearest, ties to even; values
/// beyond the format's range become ±infinity and NaN stays NaN (quiet, top payload bits kept).
/// Widening is exact.
///
/// Each conversion has a scalar reference (`halfBits(_:)`, `float(halfBits:)`, …), written for
/// clarity, and a buffer kernel that converts 8 values per SIMD step with a branch-free
/// bit-level algorithm (`encodeHalf`, `decodeHalf`, …); the tests check one against the other.
/// The buffer kernels read and write little-endian bytes, the byte order of safetensors.
public enum Float16Conversion {
    // MARK: - Scalar references

    /// The F16 bit pattern nearest to `x` (ties to even); beyond ±65520 gives ±infinity.
    public static func halfBits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let exponent = Int((bits >> 23) & 0xff)
        let mantissa = bits & 0x7f_ffff
        if exponent == 0xff {
            // Infinity, or NaN made quiet with the top 9 payload bits kept.
            return mantissa == 0 ? sign | 0x7c00 : sign | 0x7e00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let e = exponent - 127  // unbiased; binary32 subnormals (exponent 0) are far below F16's
        if exponent == 0 || e < -25 { return sign }  // below half the smallest subnormal 2^-24
        if e > 15 { return sign | 0x7c00 }          // 2^16 and above
        let significand = mantissa | 0x80_0000       // 24 bits, value = significand × 2^(e − 23)
        // Bits to drop: 13 for a normal F16 (11-bit significand), more for a subnormal one.
        let shift = e >= -14 ? 13 : 13 + (-14 - e)
        let kept = significand >> UInt32(shift)
        let rest = significand & ((1 << UInt32(shift)) - 1)
        let halfway: UInt32 = 1 << UInt32(shift - 1)
        let rounded = rest > halfway || (rest == halfway && kept & 1 == 1) ? kept + 1 : kept
        if e >= -14 {
            // `rounded` carries the implicit bit (0x400…0x800): adding it to (e + 14) << 10 sets
            // the exponent field to e + 15, and a carry to 0x800 moves to the next binade (or inf).
            return sign | UInt16(truncatingIfNeeded: (UInt32(e + 14) << 10) + rounded)
        }
        return sign | UInt16(truncatingIfNeeded: rounded)  // 0x400 is the smallest normal
    }

    /// The `Float` an F16 bit pattern stands for (exact; NaN payloads kept).
    public static func float(halfBits h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1f)
        let mantissa = UInt32(h & 0x3ff)
        switch exponent {
        case 0:
            return sign * Float(mantissa) * 0x1p-24  // zero or subnormal: mantissa × 2^-24
        case 0x1f:
            return Float(bitPattern: UInt32(h & 0x8000) << 16 | 0x7f80_0000 | mantissa << 13)
        default:
            return sign * Float(sign: .plus, exponent: exponent - 15, significand: 1 + Float(mantissa) * 0x1p-10)
        }
    }

    /// The BF16 bit pattern nearest to `x` (ties to even); beyond BF16's range gives ±infinity.
    public static func bfloat16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
        let kept = bits >> 16, rest = bits & 0xffff
        let rounded = rest > 0x8000 || (rest == 0x8000 && kept & 1 == 1) ? kept + 1 : kept
        return UInt16(truncatingIfNeeded: rounded)  // a carry out of the largest finite gives inf
    }

    /// The `Float` a BF16 bit pattern stands for (exact).
    public static func float(bfloat16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    // MARK: - SIMD kernels on whole buffers

    /// Writes `source.count` F16 values, 2 little-endian bytes each, to `destination`, which
    /// must hold at least `2 × source.count` bytes. Same results as `halfBits(_:)`.
    public static func encodeHalf(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count >= 2 * source.count, "encodeHalf: destination too small")
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return }
        var i = 0
        #if _endian(little)
        while i + 8 <= source.count {
            let bits = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<UInt32>.self)
            dst.storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: halfBits8(bits)), toByteOffset: 2 * i, as: SIMD8<UInt16>.self)
            i += 8
        }
        #endif
        while i < source.count {
            dst.storeBytes(of: halfBits(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            i += 1
        }
    }

    /// Reads `destination.count` F16 values (2 little-endian bytes each) from `source`, which
    /// must hold at least `2 × destination.count` bytes. Same results as `float(halfBits:)`.
    public static func decodeHalf(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count >= 2 * destination.count, "decodeHalf: source too small")
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return }
        var i = 0
        #if _endian(little)
        while i + 8 <= destination.count {
            let h = SIMD8<UInt32>(truncatingIfNeeded: src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self))
            UnsafeMutableRawPointer(dst + i).storeBytes(of: floatBits8(half: h), as: SIMD8<UInt32>.self)
            i += 8
        }
        #endif
        while i < destination.count {
            dst[i] = float(halfBits: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            i += 1
        }
    }

    /// Writes `source.count` BF16 values, 2 little-endian bytes each, to `destination` (at least
    /// `2 × source.count` bytes). Same results as `bfloat16Bits(_:)`.
    public static func encodeBFloat16(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count >= 2 * source.count, "encodeBFloat16: destination too small")
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return }
        var i = 0
        #if _endian(little)
        while i + 8 <= source.count {
            let u = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<UInt32>.self)
            let rounded = (u &+ 0x7fff &+ ((u &>> 16) & 1)) &>> 16
            let quietNaN = (u &>> 16) | 0x40
            let isNaN = lessMask(SIMD8(repeating: 0x7f80_0000), u & 0x7fff_ffff)
            let out = select(isNaN, quietNaN, rounded)
            dst.storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: out), toByteOffset: 2 * i, as: SIMD8<UInt16>.self)
            i += 8
        }
        #endif
        while i < source.count {
            dst.storeBytes(of: bfloat16Bits(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            i += 1
        }
    }

    /// Reads `destination.count` BF16 values (2 little-endian bytes each) from `source` (at least
    /// `2 × destination.count` bytes). Same results as `float(bfloat16Bits:)`.
    public static func decodeBFloat16(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count >= 2 * destination.count, "decodeBFloat16: source too small")
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return }
        var i = 0
        #if _endian(little)
        while i + 8 <= destination.count {
            let b = SIMD8<UInt32>(truncatingIfNeeded: src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self))
            UnsafeMutableRawPointer(dst + i).storeBytes(of: b &<< 16, as: SIMD8<UInt32>.self)
            i += 8
        }
        #endif
        while i < destination.count {
            dst[i] = float(bfloat16Bits: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            i += 1
        }
    }

    // MARK: - Array conveniences

    /// `values` as F16, 2 little-endian bytes per value.
    public static func halfBytes(_ values: [Float]) -> [UInt8] {
        encoded(values, encodeHalf)
    }

    /// `values` as BF16, 2 little-endian bytes per value.
    public static func bfloat16Bytes(_ values: [Float]) -> [UInt8] {
        encoded(values, encodeBFloat16)
    }

    /// The floats of F16 little-endian `bytes` (an odd last byte is ignored).
    public static func floats(halfBytes bytes: ArraySlice<UInt8>) -> [Float] {
        decoded(bytes, decodeHalf)
    }

    /// The floats of BF16 little-endian `bytes` (an odd last byte is ignored).
    public static func floats(bfloat16Bytes bytes: ArraySlice<UInt8>) -> [Float] {
        decoded(bytes, decodeBFloat16)
    }

    private static func encoded(_ values: [Float], _ kernel: (UnsafeBufferPointer<Float>, UnsafeMutableRawBufferPointer) -> Void) -> [UInt8] {
        let out = [UInt8](unsafeUninitializedCapacity: 2 * values.count) { buffer, count in
            values.withUnsafeBufferPointer { kernel($0, UnsafeMutableRawBufferPointer(buffer)) }
            count = 2 * values.count
        }
        return out
    }

    private static func decoded(_ bytes: ArraySlice<UInt8>, _ kernel: (UnsafeRawBufferPointer, UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        let n = bytes.count / 2
        return [Float](unsafeUninitializedCapacity: n) { buffer, count in
            bytes.withUnsafeBytes { kernel($0, UnsafeMutableBufferPointer(rebasing: buffer[0..<n])) }
            count = n
        }
    }

    // MARK: - Bit-level lanes
    // Lane masks are built with wrapping arithmetic (0 or all ones), not with SIMD comparisons
    // and `replacing(with:where:)`, which Swift lowers lane by lane (measured 3× slower).

    /// All ones in the lanes where `a < b`, else 0; both below 2^31.
    @inline(__always)
    static func lessMask(_ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<UInt32> {
        0 &- ((a &- b) &>> 31)
    }

    /// `ifTrue` in the lanes where `mask` is all ones, `ifFalse` where it is 0.
    @inline(__always)
    static func select(_ mask: SIMD8<UInt32>, _ ifTrue: SIMD8<UInt32>, _ ifFalse: SIMD8<UInt32>) -> SIMD8<UInt32> {
        ifFalse ^ ((ifFalse ^ ifTrue) & mask)
    }

    /// F16 bit patterns (in the low 16 bits) of 8 binary32 bit patterns. Normal results: drop
    /// 13 mantissa bits after adding 0xfff plus the lowest kept bit (ties to even) and
    /// re-biasing the exponent; tiny ones: the float addition of 0.5, whose ulp is F16's
    /// subnormal step 2^-24, rounds the value to an integer count of steps.
    @inline(__always)
    static func halfBits8(_ u: SIMD8<UInt32>) -> SIMD8<UInt32> {
        let sign = (u &>> 16) & 0x8000
        let a = u & 0x7fff_ffff
        // (15 − 127) << 23 re-biases the exponent (wrapping add of its two's complement).
        let normal = (a &+ 0xc800_0000 &+ 0xfff &+ ((a &>> 13) & 1)) &>> 13
        let magic = SIMD8<UInt32>(repeating: 126 << 23)  // 0.5
        let sum = unsafeBitCast(a, to: SIMD8<Float>.self) + unsafeBitCast(magic, to: SIMD8<Float>.self)
        let tiny = unsafeBitCast(sum, to: SIMD8<UInt32>.self) &- magic
        var out = select(lessMask(a, SIMD8(repeating: 113 << 23)), tiny, normal)       // |x| < 2^-14
        out = select(~lessMask(a, SIMD8(repeating: 143 << 23)), SIMD8(repeating: 0x7c00), out)  // |x| ≥ 2^16, inf
        out = select(lessMask(SIMD8(repeating: 0x7f80_0000), a), 0x7e00 | ((a &>> 13) & 0x3ff), out)  // NaN
        return out | sign
    }

    /// binary32 bit patterns of 8 F16 bit patterns (in the low 16 bits). The exponent is
    /// re-biased; inf/NaN get the top exponent; subnormals are made exact by a float
    /// subtraction of 2^-14 from 2^-14 + mantissa × 2^-24.
    @inline(__always)
    static func floatBits8(half h: SIMD8<UInt32>) -> SIMD8<UInt32> {
        let shifted = (h & 0x7fff) &<< 13
        let exponent = (h &>> 10) & 0x1f
        var out = shifted &+ ((127 - 15) << 23)
        let isTop = 0 &- ((exponent &+ 1) &>> 5)       // exponent 31: inf or NaN
        out = out &+ (isTop & ((128 - 16) << 23))
        let magic = SIMD8<UInt32>(repeating: 113 << 23)  // 2^-14
        let tiny = unsafeBitCast(out &+ (1 << 23), to: SIMD8<Float>.self) - unsafeBitCast(magic, to: SIMD8<Float>.self)
        let isZero = 0 &- ((exponent &- 1) &>> 31)     // exponent 0: zero or subnormal
        out = select(isZero, unsafeBitCast(tiny, to: SIMD8<UInt32>.self), out)
        return out | ((h & 0x8000) &<< 16)
    }
}
