import DatasetJob
import Tensors
import Foundation

/// `warpflow-bench f16`: throughput of the float16 / bfloat16 conversions the shards use, the
/// SIMD kernels beside their scalar references and Swift's own `Float16`, in millions of values
/// per second (best of several runs), for 2¹⁸ values (in cache) and 2²² (streaming memory).
enum HalfBench {
    static let usage = "f16"

    static func run(_ arguments: [String]) throws -> Int32 {
        guard arguments.isEmpty else { throw BenchUsageError("f16 takes no arguments") }
        for n in [1 << 18, 1 << 22] { measure(count: n) }
        return 0
    }

    static func rate(_ label: String, count: Int, reps: Int = 7, _ body: () -> Void) {
        body()
        var best = Double.infinity
        for _ in 0..<reps {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(String(format: "  %@: %.0f M values/s (best of %d)", label, Double(count) / best / 1e6, reps))
    }

    static func measure(count n: Int) {
        print("\(n) values:")
        var rng = SystemRandomNumberGenerator()
        let values = (0..<n).map { _ in Float.random(in: -60000...60000, using: &rng) * (Bool.random(using: &rng) ? 1 : 1e-7) }
        var bytes = [UInt8](repeating: 0, count: 2 * n)
        var floats = [Float](repeating: 0, count: n)
        rate("F32→F16 SIMD encodeHalf", count: n) {
            values.withUnsafeBufferPointer { s in bytes.withUnsafeMutableBytes { Float16Conversion.encodeHalf(s, into: $0) } }
        }
        rate("F32→F16 scalar halfBits", count: n, reps: 3) {
            bytes.withUnsafeMutableBytes { d in
                for i in 0..<n { d.storeBytes(of: Float16Conversion.halfBits(values[i]), toByteOffset: 2 * i, as: UInt16.self) }
            }
        }
        rate("F16→F32 SIMD decodeHalf", count: n) {
            bytes.withUnsafeBytes { s in floats.withUnsafeMutableBufferPointer { Float16Conversion.decodeHalf(s, into: $0) } }
        }
        rate("F16→F32 scalar float(halfBits:)", count: n, reps: 3) {
            bytes.withUnsafeBytes { s in
                for i in 0..<n { floats[i] = Float16Conversion.float(halfBits: s.load(fromByteOffset: 2 * i, as: UInt16.self)) }
            }
        }
        rate("F32→F16 Swift Float16(_:)", count: n, reps: 3) {
            bytes.withUnsafeMutableBytes { d in
                for i in 0..<n { d.storeBytes(of: Float16(values[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self) }
            }
        }
        rate("F32→BF16 SIMD encodeBFloat16", count: n) {
            values.withUnsafeBufferPointer { s in bytes.withUnsafeMutableBytes { Float16Conversion.encodeBFloat16(s, into: $0) } }
        }
        rate("BF16→F32 SIMD decodeBFloat16", count: n) {
            bytes.withUnsafeBytes { s in floats.withUnsafeMutableBufferPointer { Float16Conversion.decodeBFloat16(s, into: $0) } }
        }
        rate("SafetensorsWriter.add(floats:as: .f16)", count: n, reps: 5) {
            var writer = SafetensorsWriter()
            _ = try? writer.add("x", shape: [n], floats: values, as: .f16)
        }
    }
}
