import Foundation
import XCTest
import Dataset

/// Throughput of the F16/BF16 conversions, opt-in (it measures, it does not check much):
/// `WARPFLOW_F16_SPEED=1 swift test -c release --filter SafetensorsSpeedTests`. Prints
/// millions of values per second, best of several runs, for the SIMD kernels, their scalar
/// references and Swift's own `Float16` conversion.
final class SafetensorsSpeedTests: XCTestCase {
    func rate(_ label: String, count: Int, reps: Int = 7, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<reps {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let perSecond = Double(count) / best
        print(String(format: "  %@: %.0f M values/s (best of %d)", label, perSecond / 1e6, reps))
        return perSecond
    }

    func testConversionSpeed() throws {
        guard ProcessInfo.processInfo.environment["WARPFLOW_F16_SPEED"] == "1" else {
            throw XCTSkip("set WARPFLOW_F16_SPEED=1 (and build with -c release) to measure")
        }
        // 2^18 values stay in cache; 2^22 (16 MB of Float) stream through memory.
        for n in [1 << 18, 1 << 22] {
            try measure(count: n)
        }
    }

    func measure(count n: Int) throws {
        print("\(n) values:")
        var rng = SystemRandomNumberGenerator()
        let values = (0..<n).map { _ in Float.random(in: -60000...60000, using: &rng) * (Bool.random(using: &rng) ? 1 : 1e-7) }
        var bytes = [UInt8](repeating: 0, count: 2 * n)
        var floats = [Float](repeating: 0, count: n)
        let encode = rate("F32→F16 SIMD encodeHalf", count: n) {
            values.withUnsafeBufferPointer { s in bytes.withUnsafeMutableBytes { Float16Conversion.encodeHalf(s, into: $0) } }
        }
        let encodeScalar = rate("F32→F16 scalar halfBits", count: n, reps: 3) {
            bytes.withUnsafeMutableBytes { d in
                for i in 0..<n { d.storeBytes(of: Float16Conversion.halfBits(values[i]), toByteOffset: 2 * i, as: UInt16.self) }
            }
        }
        let decode = rate("F16→F32 SIMD decodeHalf", count: n) {
            bytes.withUnsafeBytes { s in floats.withUnsafeMutableBufferPointer { Float16Conversion.decodeHalf(s, into: $0) } }
        }
        let decodeScalar = rate("F16→F32 scalar float(halfBits:)", count: n, reps: 3) {
            bytes.withUnsafeBytes { s in
                for i in 0..<n { floats[i] = Float16Conversion.float(halfBits: s.load(fromByteOffset: 2 * i, as: UInt16.self)) }
            }
        }
        #if !(os(macOS) && arch(x86_64))
        _ = rate("F32→F16 Swift Float16(_:)", count: n, reps: 3) {
            bytes.withUnsafeMutableBytes { d in
                for i in 0..<n { d.storeBytes(of: Float16(values[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self) }
            }
        }
        _ = rate("F16→F32 Swift Float(Float16)", count: n, reps: 3) {
            bytes.withUnsafeBytes { s in
                for i in 0..<n { floats[i] = Float(Float16(bitPattern: s.load(fromByteOffset: 2 * i, as: UInt16.self))) }
            }
        }
        #endif
        _ = rate("F32→BF16 SIMD encodeBFloat16", count: n) {
            values.withUnsafeBufferPointer { s in bytes.withUnsafeMutableBytes { Float16Conversion.encodeBFloat16(s, into: $0) } }
        }
        _ = rate("BF16→F32 SIMD decodeBFloat16", count: n) {
            bytes.withUnsafeBytes { s in floats.withUnsafeMutableBufferPointer { Float16Conversion.decodeBFloat16(s, into: $0) } }
        }
        _ = rate("SafetensorsWriter.add(floats:as: .f16)", count: n, reps: 5) {
            var writer = SafetensorsWriter()
            XCTAssertEqual(try? writer.add("x", shape: [n], floats: values, as: .f16), .f16)
        }
        // Only meaningful optimised: unoptimised builds run the SIMD types lane by lane.
        if !_isDebugAssertConfiguration() {
            XCTAssertGreaterThan(encode, encodeScalar)
            XCTAssertGreaterThan(decode, decodeScalar)
        }
    }
}
