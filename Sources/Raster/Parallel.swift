import Dispatch
import Foundation

/// Splits loops over rows (or patch rows) between worker threads.
public enum Parallel {
    /// The default worker count: the number of active processors.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// How many workers a job of `work` elementary items deserves: at most `threads`, and one
    /// per `grain` items, so small images are not split into chunks that cost more to dispatch
    /// than to compute.
    public static func workers(for work: Int, threads: Int, grain: Int = 32_768) -> Int {
        max(1, min(threads, work / max(1, grain)))
    }

    /// Runs `body` over `0..<count` cut into `min(threads, count)` contiguous chunks, one chunk per
    /// worker, and returns when all are done. With one worker (or one item) runs inline.
    /// `body` must only write to memory that belongs to its own chunk.
    public static func forChunks(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = max(1, min(threads, count))
        if workers == 1 {
            body(0..<count)
            return
        }
        // The one place where row-parallel work crosses threads. `body` is not `@Sendable`
        // because callers capture raw pointers to the planes they fill; the contract above
        // (each chunk writes only its own rows) is what makes the sharing safe, so the
        // closure is handed to the workers as an explicitly unchecked value.
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { c in
                work.value((c * count / workers)..<((c + 1) * count / workers))
            }
        }
    }

    /// Runs `body(i)` for every i in `0..<iterations` on the shared worker pool (Dispatch's
    /// `concurrentPerform`), with the same contract as `forChunks`: iteration i writes only
    /// memory that belongs to it.
    public static func forEach(_ iterations: Int, _ body: (Int) -> Void) {
        guard iterations > 0 else { return }
        if iterations == 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: iterations) { work.value($0) }
        }
    }
}

/// A value handed across threads on the caller's guarantee that the threads never touch the
/// same memory (see `Parallel.forChunks`).
package struct UncheckedSendable<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}

extension Plane {
    /// A plane whose samples are all written by `fill` (given a pointer to `width × height`
    /// uninitialised samples), skipping the zero fill of `init(width:height:)`. `fill` must
    /// write every sample.
    public init(width: Int, height: Int, filling fill: (UnsafeMutablePointer<Float>) -> Void) {
        let n = max(0, width) * max(0, height)
        let data = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            if let base = buffer.baseAddress, n > 0 { fill(base) }
            initialized = n
        }
        self.init(width: max(0, width), height: max(0, height), data: data)
    }

    /// Calls `body` with a pointer to the samples, or does nothing for an empty plane.
    @inlinable public func withSamples(_ body: (UnsafePointer<Float>) -> Void) {
        data.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { body(base) }
        }
    }

    /// Calls `body` with a mutable pointer to the samples, or does nothing for an empty plane.
    public mutating func withMutableSamples(_ body: (UnsafeMutablePointer<Float>) -> Void) {
        data.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { body(base) }
        }
    }

    /// True when every sample is finite (no NaN or infinity).
    public var allFinite: Bool {
        var finite = true
        withSamples { p in
            var x = 0
            let n = count
            while x + 8 <= n {
                let v = UnsafeRawPointer(p + x).loadUnaligned(as: SIMD8<Float>.self)
                // NaN and ±inf both give NaN when multiplied by zero.
                if (v * 0 .== 0) != SIMDMask<SIMD8<Float>.MaskStorage>(repeating: true) { finite = false; return }
                x += 8
            }
            while x < n {
                if !p[x].isFinite { finite = false; return }
                x += 1
            }
        }
        return finite
    }

    /// This plane with every sample multiplied by `factor`.
    public func scaled(by factor: Float) -> Plane {
        var out = self
        out.withMutableSamples { p in
            let n = count
            var x = 0
            while x + 8 <= n {
                let v = UnsafeRawPointer(p + x).loadUnaligned(as: SIMD8<Float>.self) * factor
                UnsafeMutableRawPointer(p + x).storeBytes(of: v, as: SIMD8<Float>.self)
                x += 8
            }
            while x < n { p[x] *= factor; x += 1 }
        }
        return out
    }
}
