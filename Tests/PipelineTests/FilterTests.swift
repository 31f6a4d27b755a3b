import MediaIO
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob
import WarpFlowTestSupport
import XCTest

final class FilterTests: XCTestCase {
    let registry = FilterRegistry.standard

    func format(_ w: Int = 48, _ h: Int = 32, _ pf: PixelFormat = .yuv420p, rate: Rational = Rational(24, 1)) -> StreamFormat {
        StreamFormat(width: w, height: h, pixelFormat: pf, timeBase: rate.inverted, frameRate: rate, frameCount: nil)
    }

    func verifier(_ chain: String, _ input: StreamFormat) -> FilterVerifier {
        FilterVerifier(input: input) { try self.registry.makeChain(chain)[0] }
    }

    func testNullPassesFramesUntouched() throws {
        let input = format()
        let frames = try FilterVerifier.syntheticFrames(input, count: 5)
        let report = try verifier("null", input).verify(frames, expectedCount: 5)
        XCTAssertEqual(report.pts, [0, 1, 2, 3, 4])
        for (a, b) in zip(frames, report.frames) { XCTAssertTrue(a.samplesEqual(b)) }
    }

    func testScaleSizesAndEvenRounding() throws {
        XCTAssertEqual(ScaleFilter.outputSize(width: 175, height: 143, requestedWidth: 100, requestedHeight: -2).1, 82)
        XCTAssertEqual(ScaleFilter.outputSize(width: 175, height: 143, requestedWidth: 100, requestedHeight: -1).1, 82)
        XCTAssertEqual(ScaleFilter.outputSize(width: 1920, height: 1080, requestedWidth: -2, requestedHeight: 361).0, 642)
        XCTAssertEqual(ScaleFilter.outputSize(width: 1920, height: 1080, requestedWidth: -1, requestedHeight: 361).0, 642)
        XCTAssertEqual(ScaleFilter.outputSize(width: 1920, height: 1080, requestedWidth: -1, requestedHeight: 359).0, 638)
        let input = format(64, 48)
        let report = try verifier("scale=w=32:h=-2:format=yuv444p", input).verify(try FilterVerifier.syntheticFrames(input, count: 3), expectedCount: 3)
        XCTAssertEqual(report.format.width, 32)
        XCTAssertEqual(report.format.height, 24)
        XCTAssertEqual(report.frames[0].pixelFormat, .yuv444p)
        XCTAssertEqual(report.frames[0].width, 32)
    }

    func testScaleAtIdentityIsPassThrough() throws {
        let input = format()
        let frames = try FilterVerifier.syntheticFrames(input, count: 2)
        let filter = try registry.makeChain("scale=0:0")[0]
        _ = try filter.configure(input: input)
        var out: [Frame] = []
        try filter.process(frames[0]) { out.append($0) }
        XCTAssertTrue(out[0] === frames[0], "identity scale must pass the same frame object")
    }

    func testTrimByFramesAndByTime() throws {
        var input = format()
        input.frameCount = 20
        let frames = try FilterVerifier.syntheticFrames(input, count: 20)
        let byFrames = try verifier("trim=start_frame=5:end_frame=12", input).verify(frames, expectedCount: 7)
        XCTAssertEqual(byFrames.pts, Array(0..<7))
        XCTAssertEqual(byFrames.format.frameCount, 7)
        XCTAssertTrue(byFrames.frames[0].samplesEqual(frames[5]))
        // 24 fps: 0.25 s is frame 6, end 0.5 s excludes frame 12.
        let byTime = try verifier("trim=start=0.25:duration=0.25", input).verify(frames, expectedCount: 6)
        XCTAssertTrue(byTime.frames[0].samplesEqual(frames[6]))
        XCTAssertEqual(byTime.format.frameCount, 6)
        // Time bounds between frames snap to the frame grid for the audio cut: 0.23 s → frame 6.
        let between = try registry.makeChain("trim=start=0.23:end=0.49")[0]
        _ = try between.configure(input: input)
        XCTAssertEqual(between.keptTimeRange, KeptTimeRange(start: Rational(6, 24), end: Rational(12, 24)))
        let filter = try registry.makeChain("trim=end_frame=3")[0]
        _ = try filter.configure(input: input)
        for f in frames.prefix(4) { try filter.process(f) { _ in } }
        XCTAssertTrue(filter.isFinished)
        XCTAssertEqual(filter.keptTimeRange, KeptTimeRange(start: Rational(0, 1), end: Rational(3, 24)))
    }

    func testBlendKernelsMatchScalarReference() throws {
        var rng = SystemRandomNumberGenerator()
        for count in [1, 15, 16, 17, 100, 1000] {
            let a = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let b = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for w in [0.0, 0.25, 0.4, 0.5, 0.9, 1.0] {
                var simd = [UInt8](repeating: 0, count: count), scalar = simd
                BlendKernel.blendRow8(a, b, &simd, count: count, weight: BlendKernel.weight8(w))
                BlendKernel.blendRow8Scalar(a, b, &scalar, count: count, weight: BlendKernel.weight8(w))
                XCTAssertEqual(simd, scalar)
                if w == 0 { XCTAssertEqual(simd, a) }
                if w == 1 { XCTAssertEqual(simd, b) }
                let a16 = a.map { UInt16($0) * 257 }, b16 = b.map { UInt16($0) * 251 }
                var s16 = [UInt16](repeating: 0, count: count), r16 = s16
                BlendKernel.blendRow16(a16, b16, &s16, count: count, weight: BlendKernel.weight16(w))
                BlendKernel.blendRow16Scalar(a16, b16, &r16, count: count, weight: BlendKernel.weight16(w))
                XCTAssertEqual(s16, r16)
            }
        }
    }

    func testBlend24To60KeepsOriginalsBitExactAndBlendsBetween() throws {
        let input = format(64, 40)
        let frames = try FilterVerifier.syntheticFrames(input, count: 9)
        // 9 frames cover 9/24 s (the last shown for one period); at 60 fps that is ⌈22.5⌉ = 23 frames.
        let report = try verifier("blend=fps=60", input).verify(frames, expectedCount: 23)
        XCTAssertEqual(report.format.timeBase, Rational(1, 60))
        XCTAssertEqual(report.format.frameRate, Rational(60, 1))
        XCTAssertEqual(report.pts, Array(0...22))
        XCTAssertEqual(report.format.frameCount, nil)
        // The last frame is held for its period (outputs 20, 21, 22 are at 8/24 s and after).
        for k in 20...22 { XCTAssertTrue(report.frames[k].samplesEqual(frames[8])) }
        XCTAssertEqual(report.emittedByFinish, 3, "finish flushes the held last frame for its period")
        // Output k is at k/60 s; source i at i/24 s: they meet at k = 5i/2 for even i.
        for i in stride(from: 0, to: 9, by: 2) {
            XCTAssertTrue(report.frames[5 * i / 2].samplesEqual(frames[i]), "output \(5 * i / 2) must be source \(i) untouched")
        }
        // Output 1 is at 1/60 s = 0.4 of the way from source 0 to source 1.
        let expected = try Frame(width: 64, height: 40, pixelFormat: .yuv420p, timeBase: Rational(1, 60))
        try BlendKernel.blend(frames[0], frames[1], into: expected, weight: 0.4, bytesPerSample: 1, scalar: true)
        XCTAssertTrue(report.frames[1].samplesEqual(expected))
        XCTAssertFalse(report.frames[1].samplesEqual(frames[0]))
    }

    func testBlendNTSCRatesHaveExactTimestamps() throws {
        let input = format(32, 32, rate: Rational(30000, 1001))
        let frames = try FilterVerifier.syntheticFrames(input, count: 10)
        var counted = input
        counted.frameCount = 10
        let report = try verifier("blend=60000/1001", counted).verify(frames, expectedCount: 20)
        XCTAssertEqual(report.format.frameCount, 20)
        XCTAssertEqual(report.format.timeBase, Rational(1001, 60000))
        XCTAssertEqual(report.pts, Array(0..<20))
        for i in 0..<10 { XCTAssertTrue(report.frames[2 * i].samplesEqual(frames[i])) }
    }

    func testBlendDownConversionAnd16BitInput() throws {
        let input = format(32, 16, .yuv420p10, rate: Rational(60, 1))
        let frames = try FilterVerifier.syntheticFrames(input, count: 31)
        // 31/60 s at 24 fps: ⌈12.4⌉ = 13 frames; output k at k/24 s = source 2.5k.
        let report = try verifier("blend=fps=24", input).verify(frames, expectedCount: 13)
        XCTAssertTrue(report.frames[2].samplesEqual(frames[5]))
        let expected = try Frame(width: 32, height: 16, pixelFormat: .yuv420p10, timeBase: Rational(1, 24))
        try BlendKernel.blend(frames[2], frames[3], into: expected, weight: 0.5, bytesPerSample: 2, scalar: true)
        XCTAssertTrue(report.frames[1].samplesEqual(expected))
    }

    func testBlendRejectsFloatFormats() throws {
        let filter = try registry.makeChain("blend=fps=50")[0]
        XCTAssertThrowsError(try filter.configure(input: format(16, 16, .gbrpf32))) { error in
            XCTAssertTrue("\(error)".contains("gbrpf32"), "\(error)")
        }
    }

    func testFiltersOnRealDecodedFrames() throws {
        let clip = try TestMedia.makeClip(name: "filters-real.mp4", args: TestMedia.testSource(width: 96, height: 64, rate: "25", seconds: 0.4)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let reader = try VideoReader(path: clip)
        var frames: [Frame] = []
        while let f = try reader.nextFrame() { frames.append(f) }
        XCTAssertEqual(frames.count, 10)
        let input = reader.info.format
        // 10 frames at 25 fps span 0.4 s: 30 fps gives ⌈12⌉ = 12 frames, 10 fps gives 4.
        let up = try verifier("blend=fps=30", input).verify(frames, expectedCount: 12)
        XCTAssertTrue(up.frames[6].samplesEqual(frames[5]), "0.2 s is source frame 5")
        try verifier("blend=fps=10", input).verify(frames, expectedCount: 4)
        try verifier("trim=start_frame=3:end_frame=7", input).verify(frames, expectedCount: 4)
        let scaled = try verifier("scale=w=-2:h=32:flags=bilinear", input).verify(frames, expectedCount: 10)
        XCTAssertEqual(scaled.format.width, 48)
        try verifier("null", input).verify(frames, expectedCount: 10)
    }

    func testBlendAcceptsWholeSampleLayoutsOnly() throws {
        func size(_ name: String) -> Int? { PixelFormat(name: name).flatMap { BlendKernel.bytesPerSample(for: $0) } }
        for name in ["yuv420p", "yuvj420p", "nv12", "rgb24", "gray", "yuyv422", "gbrp"] { XCTAssertEqual(size(name), 1, name) }
        for name in ["yuv420p10le", "p010le", "gray16le", "rgb48le", "yuv444p12le"] { XCTAssertEqual(size(name), 2, name) }
        for name in ["rgb48be", "yuv420p10be", "rgb565le", "monob", "pal8", "x2rgb10le", "gbrpf32le", "grayf32le", "bgr8"] {
            XCTAssertNil(size(name), name)
        }
        let filter = try registry.makeChain("blend=fps=50")[0]
        let bigEndian = try XCTUnwrap(PixelFormat(name: "rgb48be"))
        XCTAssertThrowsError(try filter.configure(input: format(16, 16, bigEndian))) { error in
            XCTAssertTrue("\(error)".contains("filter blend: cannot handle input: pixel format rgb48be"), "\(error)")
        }
    }

    func testBlendOnSemiPlanarInputKeepsOriginals() throws {
        let input = format(40, 24, .nv12, rate: Rational(25, 1))
        let frames = try FilterVerifier.syntheticFrames(input, count: 6)
        // 6/25 s at 50 fps: 12 frames; even outputs are the sources, odd ones their midpoints.
        let report = try verifier("blend=50", input).verify(frames, expectedCount: 12)
        for i in 0..<6 { XCTAssertTrue(report.frames[2 * i].samplesEqual(frames[i])) }
        let mid = try Frame(width: 40, height: 24, pixelFormat: .nv12, timeBase: Rational(1, 50))
        try BlendKernel.blend(frames[2], frames[3], into: mid, weight: 0.5, bytesPerSample: 1, scalar: true)
        XCTAssertTrue(report.frames[5].samplesEqual(mid))
        XCTAssertTrue(report.frames[11].samplesEqual(frames[5]))
    }

    func testVerifierCatchesAFilterWhoseFinishFlushesTwice() throws {
        final class Sticky: VideoFilter {
            static let name = "sticky"
            static let summary = "holds the last frame and never forgets it (broken on purpose)"
            static let options: [FilterOption] = []
            var held: Frame?
            var lastPTS: Int64 = -1
            init(options: FilterOptionValues) throws {}
            func configure(input: StreamFormat) throws -> StreamFormat { input }
            func process(_ frame: Frame, emit: FrameSink) throws {
                if let held { try emit(held) }
                held = frame
            }
            func finish(emit: FrameSink) throws {
                guard let held else { return }
                lastPTS += held.pts + 1
                let out = try held.copy()
                out.pts = lastPTS
                try emit(out)
            }
        }
        let input = format()
        let v = FilterVerifier(input: input) { try Sticky(options: FilterOptionValues(filterName: "sticky", values: [:], explicitlySet: [])) }
        XCTAssertThrowsError(try v.verify(try FilterVerifier.syntheticFrames(input, count: 3))) { error in
            XCTAssertTrue("\(error)".contains("a second finish emitted 1 more frames"), "\(error)")
        }
    }

    func testVerifierCatchesAFilterThatMutatesEmittedFrames() throws {
        final class Recycler: VideoFilter {
            static let name = "recycler"
            static let summary = "emits one frame object and later overwrites it (broken on purpose)"
            static let options: [FilterOption] = []
            var held: Frame?
            init(options: FilterOptionValues) throws {}
            func configure(input: StreamFormat) throws -> StreamFormat { input }
            func process(_ frame: Frame, emit: FrameSink) throws {
                if let held {
                    try held.withMutablePlane(0) { buffer, _, _, _ in buffer[0] &+= 1 }
                }
                held = frame
                try emit(frame)
            }
        }
        let input = format()
        let v = FilterVerifier(input: input) { try Recycler(options: FilterOptionValues(filterName: "recycler", values: [:], explicitlySet: [])) }
        XCTAssertThrowsError(try v.verify(try FilterVerifier.syntheticFrames(input, count: 3)))
    }
}
