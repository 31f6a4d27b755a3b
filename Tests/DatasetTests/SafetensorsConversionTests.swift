import XCTest
@testable import DatasetJob
@testable import Tensors

/// The F16/BF16 conversions of safetensors: the SIMD kernels against their scalar references
/// over every 16-bit pattern and over random and boundary floats, the references against
/// Swift's own `Float16` and against rounding worked out in `Double`.
final class SafetensorsConversionTests: XCTestCase {
    /// A seeded generator so that failures reproduce (SplitMix64).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    static let allPatterns = (0...UInt16.max).map { $0 }
    static let allPatternBytes = allPatterns.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }

    /// Floats whose conversion is easy to get wrong: zeros, subnormals of both formats, the
    /// edges of F16's subnormal and normal ranges, the overflow boundary, specials.
    static let boundaries: [Float] = {
        let base: [Float] = [0, .leastNonzeroMagnitude, .leastNormalMagnitude, 0x1p-24, 0x1p-25, 0x1.8p-25, Float(0x1p-25).nextUp,
                             Float(0x1p-25).nextDown, 0x1.8p-24, 0x1p-14, Float(0x1p-14).nextDown, 0x1.ffcp-15, 0x1.ffep-15, 65504, 65504.5, 65519.996,
                             65520, 65536, 1e10, .greatestFiniteMagnitude, .infinity, .nan, Float(bitPattern: 0x7fa0_0001),
                             Float(bitPattern: 0x7f80_2000), 0.1, 1.0 / 3, 1, 2048, 2049, 4097, 0x1.002p0, 0x1.006p0]
        return base + base.map { -$0 }
    }()

    /// Bit patterns that compare equal, or both NaN.
    func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    func decodedHalf(_ bytes: [UInt8]) -> [Float] { Float16Conversion.floats(halfBytes: bytes[...]) }

    func encodedHalfBits(_ values: [Float]) -> [UInt16] {
        let bytes = Float16Conversion.halfBytes(values)
        return (0..<values.count).map { UInt16(bytes[2 * $0]) | UInt16(bytes[2 * $0 + 1]) << 8 }
    }

    func testHalfToFloatOverAllPatterns() {
        let simd = decodedHalf(Self.allPatternBytes)
        XCTAssertEqual(simd.count, 65536)
        var mismatches = 0
        for h in Self.allPatterns {
            let scalar = Float16Conversion.float(halfBits: h)
            if simd[Int(h)].bitPattern != scalar.bitPattern { mismatches += 1 }
            #if !(os(macOS) && arch(x86_64))
            XCTAssertTrue(same(scalar, Float(Float16(bitPattern: h))), "0x\(String(h, radix: 16))")
            #endif
        }
        XCTAssertEqual(mismatches, 0, "SIMD and scalar F16→F32 differ")
        // Values from the format's definition.
        let known: [(UInt16, Float)] = [(0x3c00, 1), (0xc000, -2), (0x7bff, 65504), (0x0001, 0x1p-24), (0x03ff, 0x1.ff8p-15),
                                        (0x0400, 0x1p-14), (0x3555, 0x1.554p-2), (0x7c00, .infinity), (0xfc00, -.infinity), (0x8000, -0.0)]
        for (h, v) in known { XCTAssertEqual(Float16Conversion.float(halfBits: h).bitPattern, v.bitPattern, "0x\(String(h, radix: 16))") }
        XCTAssertTrue(Float16Conversion.float(halfBits: 0x7e00).isNaN)
        XCTAssertEqual(Float16Conversion.float(halfBits: 0xfd01).bitPattern, 0xffa0_2000, "NaN sign and payload kept")
    }

    func testFloatToHalfRoundTripsEveryPattern() {
        let decoded = decodedHalf(Self.allPatternBytes)
        let simd = encodedHalfBits(decoded)
        for h in Self.allPatterns {
            let isNaN = h & 0x7c00 == 0x7c00 && h & 0x3ff != 0
            let scalar = Float16Conversion.halfBits(decoded[Int(h)])
            if isNaN {
                XCTAssertTrue(scalar & 0x7c00 == 0x7c00 && scalar & 0x3ff != 0 && scalar & 0x8000 == h & 0x8000, "NaN 0x\(String(h, radix: 16))")
                XCTAssertEqual(scalar | 0x200, h | 0x200, "NaN payload kept, made quiet")
            } else {
                XCTAssertEqual(scalar, h)
            }
            XCTAssertEqual(simd[Int(h)], scalar, "0x\(String(h, radix: 16))")
        }
    }

    /// Midpoints between neighbouring F16 values round to the even one; one float ulp either
    /// side rounds to the nearer. 65520, halfway between 65504 and 2^16, rounds to infinity.
    func testFloatToHalfTiesGoToEven() {
        var inputs: [Float] = [], expected: [UInt16] = []
        for h in UInt16(0)..<0x7c00 {
            let lo = Float16Conversion.float(halfBits: h)
            let hi = h == 0x7bff ? 65536 : Float16Conversion.float(halfBits: h + 1)
            let mid = (lo + hi) / 2  // exact: 12 significant bits
            XCTAssertEqual(Double(mid), (Double(lo) + Double(hi)) / 2)
            for sign: Float in [1, -1] {
                let s: UInt16 = sign < 0 ? 0x8000 : 0
                inputs += [sign * mid, sign * mid.nextUp, sign * mid.nextDown]
                expected += [s | (h & 1 == 0 ? h : h + 1), s | (h + 1), s | h]
            }
        }
        let simd = encodedHalfBits(inputs)
        for (i, x) in inputs.enumerated() {
            let scalar = Float16Conversion.halfBits(x)
            XCTAssertEqual(scalar, expected[i], "\(x)")
            XCTAssertEqual(simd[i], expected[i], "\(x)")
            #if !(os(macOS) && arch(x86_64))
            XCTAssertEqual(Float16(x).bitPattern, expected[i], "\(x)")
            #endif
        }
    }

    func testFloatToHalfOnRandomAndBoundaryFloats() {
        var rng = Generator(state: 42)
        // Uniform bit patterns cover every exponent (subnormals, NaNs included); the second
        // half is concentrated on F16's range.
        var inputs = (0..<200_000).map { _ in Float(bitPattern: UInt32.random(in: .min ... .max, using: &rng)) }
        inputs += (0..<200_000).map { _ in Float.random(in: -70000...70000, using: &rng) * (Bool.random(using: &rng) ? 1 : 0x1p-20) }
        inputs += Self.boundaries
        let simd = encodedHalfBits(inputs)
        for (i, x) in inputs.enumerated() {
            let scalar = Float16Conversion.halfBits(x)
            XCTAssertEqual(simd[i], scalar, "\(x) bits 0x\(String(x.bitPattern, radix: 16))")
            #if !(os(macOS) && arch(x86_64))
            XCTAssertTrue(same(Float16Conversion.float(halfBits: scalar), Float(Float16(x))), "\(x)")
            #endif
        }
        XCTAssertEqual(Float16Conversion.halfBits(65519.996), 0x7bff)
        XCTAssertEqual(Float16Conversion.halfBits(65520), 0x7c00)
        XCTAssertEqual(Float16Conversion.halfBits(0x1p-25), 0, "exactly half the smallest subnormal: tie to even 0")
        XCTAssertEqual(Float16Conversion.halfBits(Float(0x1p-25).nextUp), 1)
        XCTAssertEqual(Float16Conversion.halfBits(0x1.8p-24), 2, "1.5 steps: tie to even 2")
        XCTAssertEqual(Float16Conversion.halfBits(-.leastNonzeroMagnitude), 0x8000)
    }

    /// BF16 keeps the top 16 bits of a binary32, rounded to nearest even; checked against
    /// rounding decided in Double.
    func testBFloat16AgainstDoubleRounding() {
        let bytes = Self.allPatternBytes
        let simd = Float16Conversion.floats(bfloat16Bytes: bytes[...])
        for b in Self.allPatterns {
            XCTAssertEqual(simd[Int(b)].bitPattern, UInt32(b) << 16)
            XCTAssertEqual(Float16Conversion.float(bfloat16Bits: b).bitPattern, UInt32(b) << 16)
        }
        var rng = Generator(state: 7)
        var inputs = (0..<200_000).map { _ in Float(bitPattern: UInt32.random(in: .min ... .max, using: &rng)) }
        inputs += Self.boundaries + [Float(bitPattern: 0x3f80_8000), Float(bitPattern: 0x3f81_8000), Float(bitPattern: 0x7f7f_8000)]
        let encoded = Float16Conversion.bfloat16Bytes(inputs)
        for (i, x) in inputs.enumerated() {
            let scalar = Float16Conversion.bfloat16Bits(x)
            XCTAssertEqual(UInt16(encoded[2 * i]) | UInt16(encoded[2 * i + 1]) << 8, scalar, "\(x)")
            if x.isNaN {
                XCTAssertTrue(Float16Conversion.float(bfloat16Bits: scalar).isNaN)
                continue
            }
            let lo = UInt16(x.bitPattern >> 16), hi = lo &+ 1
            func value(_ p: UInt16) -> Double {
                p & 0x7fff == 0x7f80 ? (p & 0x8000 != 0 ? -0x1p128 : 0x1p128) : Double(Float(bitPattern: UInt32(p) << 16))
            }
            let dLo = abs(Double(x) - value(lo)), dHi = abs(Double(x) - value(hi))
            let want = x.bitPattern & 0xffff == 0 ? lo : dLo < dHi ? lo : dHi < dLo ? hi : (lo & 1 == 0 ? lo : hi)
            XCTAssertEqual(scalar, want, "\(x)")
        }
        XCTAssertEqual(Float16Conversion.bfloat16Bits(Float(bitPattern: 0x3f80_8000)), 0x3f80)
        XCTAssertEqual(Float16Conversion.bfloat16Bits(Float(bitPattern: 0x3f81_8000)), 0x3f82)
        XCTAssertEqual(Float16Conversion.bfloat16Bits(Float(bitPattern: 0x7f7f_8000)), 0x7f80, "tie above the largest finite: inf")
    }

    func testArrayHelpersHandleTailsAndSlices() {
        for count in 0...19 {
            let values = (0..<count).map { Float($0) * 0.37 - 2 }
            let bits = encodedHalfBits(values)
            XCTAssertEqual(bits, values.map(Float16Conversion.halfBits), "count \(count)")
            let bytes = Float16Conversion.halfBytes(values)
            XCTAssertEqual(bytes.count, 2 * count)
            let padded: [UInt8] = [9] + bytes + [9]
            let back = Float16Conversion.floats(halfBytes: padded[1...])  // odd length: last byte ignored
            XCTAssertEqual(back, bits.map(Float16Conversion.float(halfBits:)))
        }
    }

    func testLargestMagnitudeScanMatchesScalar() {
        var rng = Generator(state: 3)
        for count in Array(0...40) + [1000, 4099] {
            for special in [nil, Float.nan, .infinity, -.infinity, -1e30] as [Float?] {
                var values = (0..<count).map { _ in Float.random(in: -100...100, using: &rng) }
                if let special, count > 0 { values[Int.random(in: 0..<count, using: &rng)] = special }
                let (simd, scalar) = values.withUnsafeBufferPointer {
                    (FloatScan.largestMagnitudeBits($0), FloatScan.largestMagnitudeBitsScalar($0))
                }
                XCTAssertEqual(simd, scalar, "count \(count), \(String(describing: special))")
                if special == nil {
                    XCTAssertEqual(Float(bitPattern: simd), values.map(abs).max() ?? 0)
                } else if count > 0, special!.isFinite == false {
                    XCTAssertGreaterThanOrEqual(simd, 0x7f80_0000)
                }
            }
        }
    }
}
