import Foundation
import MediaIO
import Pipeline

/// Drives any `VideoFilter` without files, the way swift-nio's `EmbeddedChannel` drives a
/// handler, and checks the contract every filter must keep:
///
/// - emitted frames match the format `configure` announced (size, pixel format, time base);
/// - pts strictly increase;
/// - `finish` flushes what the filter holds (the total count equals `expectedCount` when given,
///   and a second `finish` emits nothing);
/// - feeding frame by frame while inspecting each output at once, and feeding the whole input
///   (copied up front) as one burst and inspecting outputs only at the end, give identical
///   frames (catches a filter that reuses or mutates a frame after emitting it);
/// - two fresh instances give identical results (determinism).
///
/// The format and pts checks are `FilterChain`'s, the same ones every run of the tool makes.
public struct FilterVerifier {
    /// What a verified run produced.
    public struct Report {
        /// The output format `configure` returned.
        public var format: StreamFormat
        /// Emitted frames, in order.
        public var frames: [Frame]
        /// How many of them were emitted by `finish`.
        public var emittedByFinish: Int
        /// Their pts.
        public var pts: [Int64] { frames.map(\.pts) }
    }

    /// A broken contract, with what was seen.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    let make: () throws -> any VideoFilter
    let input: StreamFormat

    /// `make` builds a fresh filter instance each time (the verifier needs several).
    public init(input: StreamFormat, make: @escaping () throws -> any VideoFilter) {
        self.input = input
        self.make = make
    }

    /// Runs all checks on `frames` (deep-copied per run, so the caller's frames are untouched)
    /// and returns the frame-by-frame run's report.
    @discardableResult
    public func verify(_ frames: [Frame], expectedCount: Int? = nil) throws -> Report {
        let stepwise = try run(frames, inspectImmediately: true)
        let burst = try run(frames, inspectImmediately: false)
        guard stepwise.frames.count == burst.frames.count else {
            throw Failure(description: "frame-by-frame run emitted \(stepwise.frames.count) frames, burst run \(burst.frames.count)")
        }
        for (i, (a, b)) in zip(stepwise.frames, burst.frames).enumerated() {
            guard a.pts == b.pts, a.samplesEqual(b) else {
                throw Failure(description: "output \(i) differs between frame-by-frame and burst feeding (pts \(a.pts) vs \(b.pts))")
            }
        }
        if let expectedCount, stepwise.frames.count != expectedCount {
            throw Failure(description: "expected \(expectedCount) output frames, got \(stepwise.frames.count) (\(stepwise.emittedByFinish) from finish)")
        }
        return stepwise
    }

    /// One run on a fresh instance, driven by a one-stage `FilterChain`, which checks every
    /// emitted frame against the announced format and pts order (and converts the input first
    /// when the filter asks for another pixel format). With `inspectImmediately`, each input is
    /// copied as it is fed and each emitted frame is deep-copied the moment it is emitted; in
    /// burst mode the whole input is copied up front and fed in one go, and the emitted objects
    /// are kept as they are until after `finish` (so a filter that reuses or mutates a frame it
    /// emitted shows up as a difference between the two runs).
    public func run(_ frames: [Frame], inspectImmediately: Bool) throws -> Report {
        let filter = try make()
        var chain: FilterChain
        do {
            chain = try FilterChain(filters: [filter], input: input)
        } catch {
            throw Failure(description: "configure failed: \(error)")
        }
        var outputs: [Frame] = []
        var inFinish = false
        var byFinish = 0
        let sink: FrameSink = { frame in
            outputs.append(inspectImmediately ? try frame.copy() : frame)
            if inFinish { byFinish += 1 }
        }
        do {
            if inspectImmediately {
                for frame in frames { try chain.push(try frame.copy(), into: sink) }
            } else {
                let burst = try frames.map { try $0.copy() }
                for frame in burst { try chain.push(frame, into: sink) }
            }
            inFinish = true
            try chain.finish(into: sink)
        } catch let error as FilterError {
            throw Failure(description: "\(error)")
        }
        // Everything held must have been flushed by the first `finish`: a second one emits nothing.
        var afterFinish = 0
        try filter.finish { _ in afterFinish += 1 }
        if afterFinish > 0 {
            throw Failure(description: "a second finish emitted \(afterFinish) more frames: finish must flush and forget what it holds")
        }
        return Report(format: chain.outputFormat, frames: outputs, emittedByFinish: byFinish)
    }

    /// Synthetic input: `count` frames of `format` with pts 0, step, 2·step, … whose planes hold
    /// a moving diagonal ramp (sample value depends on x, y, plane and frame index), so that
    /// every frame differs from its neighbours.
    public static func syntheticFrames(_ format: StreamFormat, count: Int, ptsStep: Int64 = 1) throws -> [Frame] {
        try (0..<count).map { k in
            let frame = try Frame(width: format.width, height: format.height, pixelFormat: format.pixelFormat,
                                  pts: Int64(k) * ptsStep, timeBase: format.timeBase)
            let wide = format.pixelFormat.bitDepth > 8
            let maxValue = (1 << max(format.pixelFormat.bitDepth, 1)) - 1
            for plane in 0..<frame.planeCount {
                let rowBytes = frame.visibleBytesPerRow(plane)
                try frame.withMutablePlane(plane) { buffer, stride, _, rows in
                    for y in 0..<rows {
                        if wide {
                            let row = UnsafeMutableRawPointer(buffer.baseAddress! + y * stride).assumingMemoryBound(to: UInt16.self)
                            for x in 0..<rowBytes / 2 { row[x] = UInt16((x * 7 + y * 3 + plane * 50 + k * 11) % (maxValue + 1)) }
                        } else {
                            let row = buffer.baseAddress! + y * stride
                            for x in 0..<rowBytes { row[x] = UInt8(truncatingIfNeeded: x * 3 + y * 5 + plane * 40 + k * 9) }
                        }
                    }
                }
            }
            return frame
        }
    }
}
