import Raster
import Foundation
@testable import MediaIO
import WarpFlowTestSupport
import XCTest

/// `PaletteQuantizer`, `PaletteMapper` and `GIFWriter`: palettes, exact lookups, SIMD kernels
/// against their references, and GIFs decoded again by the ffmpeg CLI.
final class GIFWriterTests: XCTestCase {
    /// A deterministic generator (SplitMix64), so failures reproduce.
    typealias Random = SplitMix64

    /// Frame k of a moving colour pattern: a red-to-black ramp across, green down, blue
    /// pulsing with k, and a saturated orange square that moves 3 px per frame.
    static func pattern(_ k: Int, width: Int, height: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let blue = UInt8(40 + 30 * (k % 4))
        for y in 0..<height {
            for x in 0..<width {
                let i = 3 * (y * width + x)
                let inSquare = (x - 3 * k - 4 + width) % width < 12 && y >= 10 && y < 22
                rgb[i] = inSquare ? 250 : UInt8(255 * x / (width - 1))
                rgb[i + 1] = inSquare ? 120 : UInt8(255 * y / (height - 1))
                rgb[i + 2] = inSquare ? 10 : blue
            }
        }
        return rgb
    }

    /// Mean absolute difference per byte; with `swapRB`, `b`'s red and blue are swapped first.
    static func meanError(_ a: [UInt8], _ b: [UInt8], swapRB: Bool = false) -> Double {
        var total = 0
        for i in stride(from: 0, to: a.count, by: 3) {
            let (r, g, bl) = swapRB ? (b[i + 2], b[i + 1], b[i]) : (b[i], b[i + 1], b[i + 2])
            total += abs(Int(a[i]) - Int(r)) + abs(Int(a[i + 1]) - Int(g)) + abs(Int(a[i + 2]) - Int(bl))
        }
        return Double(total) / Double(a.count)
    }

    /// Decodes `path` with the ffmpeg CLI into one rgb24 picture per frame.
    static func decodeRGB(_ path: String, width: Int, height: Int) throws -> [[UInt8]] {
        let raw = try TestMedia.makeScratchDirectory("gifdecode") + "/frames.rgb"
        let result = TestMedia.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", raw])
        guard result.status == 0 else { throw TestMedia.ToolError(command: "ffmpeg -i \(path)", status: result.status, stderr: result.stderr) }
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        let size = width * height * 3
        XCTAssertEqual(data.count % size, 0, "decoded bytes are not whole \(width)×\(height) frames")
        return stride(from: 0, to: data.count - size + 1, by: size).map { Array(data[$0..<$0 + size]) }
    }

    // MARK: quantizer

    func testFewColoursGiveExactlyThoseColours() throws {
        var random = Random(state: 1)
        // Near neighbours share a 6-bit histogram cell, which takes the exact second pass.
        var colors: Set<RGBColor> = [RGBColor(0, 0, 0), RGBColor(1, 1, 1), RGBColor(0, 0, 1), RGBColor(255, 255, 254)]
        while colors.count < 256 { colors.insert(random.color()) }
        let list = Array(colors)
        var rgb: [UInt8] = []
        for i in 0..<5000 {
            let c = list[(i * 7919) % list.count]
            rgb += [c.r, c.g, c.b]
        }
        let palette = try PaletteQuantizer.palette(rgb: rgb)
        XCTAssertEqual(Set(palette.colors), colors)
        XCTAssertEqual(palette.colors.count, 256)
        let indices = try PaletteMapper(palette: palette).map(rgb: rgb, width: 100, height: 50)
        for (p, index) in indices.enumerated() {
            XCTAssertEqual(palette.colors[Int(index)], RGBColor(rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]))
        }
        // Few colours in separate cells take the one-pass path.
        let two = try PaletteQuantizer.palette(rgb: [10, 20, 30, 200, 100, 0, 10, 20, 30])
        XCTAssertEqual(two.colors, [RGBColor(10, 20, 30), RGBColor(200, 100, 0)])
    }

    func testManyColoursGiveAtMostTheLimitDeterministically() throws {
        let rgb = (0..<4).flatMap { Self.pattern(3 * $0, width: 64, height: 48) }
        var random = Random(state: 2)
        let noise = (0..<15_000).map { _ in random.byte() }
        for (pixels, limit) in [(rgb, 256), (noise, 256), (noise, 16), (rgb, 1)] {
            let a = try PaletteQuantizer.palette(rgb: pixels, maxColors: limit)
            XCTAssertLessThanOrEqual(a.colors.count, limit)
            XCTAssertGreaterThan(a.colors.count, limit / 2, "median cut gave too few colours")
            XCTAssertEqual(Set(a.colors).count, a.colors.count, "duplicate entries")
            if limit == 16 { XCTAssertEqual(a, try PaletteQuantizer.palette(rgb: pixels, maxColors: limit), "not deterministic") }
        }
        // Refinement moves colours to their clusters' means: it must not make the fit worse,
        // and a palette fitted to the pixels beats a uniform grid of as many colours.
        func error(_ palette: Palette) throws -> Double {
            let indices = try PaletteMapper(palette: palette).map(rgb: rgb, width: 64, height: 48 * 4)
            let mapped = indices.flatMap { [palette.colors[Int($0)].r, palette.colors[Int($0)].g, palette.colors[Int($0)].b] }
            return Self.meanError(rgb, mapped)
        }
        let plain = try error(PaletteQuantizer.palette(rgb: rgb, maxColors: 32, refinementPasses: 0))
        let refined = try error(PaletteQuantizer.palette(rgb: rgb, maxColors: 32, refinementPasses: 4))
        let grid = try error(Palette(colors: (0..<32).map { (i: Int) -> RGBColor in
            RGBColor(UInt8(32 + 64 * (i & 3)), UInt8(32 + 64 * (i >> 2 & 3)), UInt8(64 + 128 * (i >> 4)))
        }))
        XCTAssertLessThanOrEqual(refined, plain * 1.01, "k-means made the palette worse")
        XCTAssertLessThan(refined, grid * 0.8, "fitted \(refined), uniform grid \(grid)")
        print("32 colours: median cut \(plain), refined \(refined), uniform grid \(grid) levels per channel")
    }

    func testBadQuantizerInputThrows() {
        XCTAssertThrowsError(try PaletteQuantizer.palette(rgb: []))
        XCTAssertThrowsError(try PaletteQuantizer.palette(rgb: [1, 2]))
        XCTAssertThrowsError(try PaletteQuantizer.palette(rgb: [1, 2, 3], maxColors: 0))
        XCTAssertThrowsError(try PaletteQuantizer.palette(rgb: [1, 2, 3], maxColors: 257))
        XCTAssertThrowsError(try Palette(colors: []))
        XCTAssertThrowsError(try Palette(colors: Array(repeating: RGBColor(1, 2, 3), count: 257)))
        XCTAssertThrowsError(try PaletteMapper(palette: Palette(colors: [RGBColor(0, 0, 0)])).map(rgb: [1, 2, 3], width: 2, height: 1))
        XCTAssertThrowsError(try PaletteMapper(palette: Palette(colors: [RGBColor(0, 0, 0)])).map(rgb: [1, 2, 3], width: 1, height: 1, dither: .bayer8x8(amplitude: 300)))
    }

    func testPAL8EntriesAreOpaqueARGB() throws {
        let palette = try Palette(colors: [RGBColor(0x12, 0x34, 0x56), RGBColor(255, 0, 0)])
        let entries = palette.pal8Entries
        XCTAssertEqual(entries.count, 256)
        XCTAssertEqual(entries[0], 0xFF12_3456)
        XCTAssertEqual(entries[1], 0xFFFF_0000)
        XCTAssertEqual(entries[2] >> 24, 0xFF, "unused entries must be opaque too")
        // In memory (little-endian): B, G, R, A, as FFmpeg's PAL8 reads a native uint32 ARGB.
        let bytes = withUnsafeBytes(of: entries[0].littleEndian) { Array($0) }
        XCTAssertEqual(bytes, [0x56, 0x34, 0x12, 0xFF])
    }

    // MARK: lookup and kernels

    func testTableLookupEqualsBruteForce() throws {
        var random = Random(state: 3)
        let spread = try Palette(colors: (0..<256).map { _ in random.color() })
        // Crowded: many entries inside a few 15-bit cells, so most cells must be searched.
        let crowded = try Palette(colors: (0..<256).map { (i: Int) -> RGBColor in RGBColor(UInt8(i % 16), UInt8(i / 16), UInt8(i * 7 % 16)) })
        let tiny = try Palette(colors: [RGBColor(128, 128, 128)])
        let pair = try Palette(colors: [RGBColor(0, 0, 0), RGBColor(255, 255, 255), RGBColor(0, 0, 0)])
        for palette in [spread, crowded, tiny, pair] {
            let mapper = PaletteMapper(palette: palette)
            for _ in 0..<12_000 {
                let c = palette.colors.count > 16 && random.next() % 2 == 0
                    ? RGBColor(random.byte() % 40, random.byte() % 40, random.byte() % 40) : random.color()
                XCTAssertEqual(mapper.index(of: c), mapper.nearestByBruteForce(c), "\(c)")
            }
            for (i, c) in palette.colors.enumerated() {
                XCTAssertEqual(palette.colors[mapper.index(of: c)], c)
                XCTAssertLessThanOrEqual(mapper.index(of: c), i, "ties go to the lowest index")
            }
        }
    }

    func testSIMDNearestSearchMatchesScalar() {
        var random = Random(state: 4)
        for count in [1, 7, 8, 9, 100, 256] {
            let centres = (0..<count).map { _ in SIMD3<Float>(Float(random.byte()), Float(random.byte()), Float(random.byte())) }
            let search = NearestColorSearch(centres + [])
            for _ in 0..<2000 {
                let whole = SIMD3<Float>(Float(random.byte()), Float(random.byte()), Float(random.byte()))
                let fractional = whole + SIMD3<Float>(Float(random.next() % 1000) / 997, 0.25, -0.5)
                XCTAssertEqual(search.nearest(whole), search.nearestScalar(whole))
                XCTAssertEqual(search.nearest(fractional), search.nearestScalar(fractional))
            }
            // Ties: a duplicate entry never wins over its first copy.
            let twice = NearestColorSearch(centres + centres)
            XCTAssertEqual(twice.nearest(centres[count - 1]), twice.nearestScalar(centres[count - 1]))
            XCTAssertLessThan(twice.nearest(centres[count - 1]), count)
        }
    }

    func testSIMDRowKernelMatchesScalarWithAndWithoutDither() throws {
        var random = Random(state: 5)
        let palette = try Palette(colors: (0..<40).map { _ in random.color() })
        let mapper = PaletteMapper(palette: palette)
        let width = 37
        let row = (0..<width * 3).map { _ in random.byte() }
        for dither in [Dither.none, .bayer8x8(amplitude: 24), .bayer8x8(amplitude: 255)] {
            let offsets = try dither.offsets()
            for y in 0..<9 {
                let o = offsets[(y & 7) * 8..<(y & 7) * 8 + 8]
                let lanes = SIMD8<Int32>(Array(o))
                var simd = [UInt8](repeating: 0, count: width), scalar = simd
                row.withUnsafeBufferPointer { src in
                    simd.withUnsafeMutableBufferPointer { mapper.mapRow(src.baseAddress!, $0.baseAddress!, width: width, offsets: lanes) }
                    scalar.withUnsafeMutableBufferPointer { mapper.mapRowScalar(src.baseAddress!, $0.baseAddress!, width: width, y: y, offsets: offsets) }
                }
                XCTAssertEqual(simd, scalar, "dither \(dither), row \(y)")
            }
        }
    }

    func testBayerOffsetsAndDitheringKeepsAreaMeans() throws {
        // Amplitude 64: the offsets are the 64 matrix values − 32, each once.
        XCTAssertEqual(Set(try Dither.bayer8x8(amplitude: 64).offsets()).count, 64)
        XCTAssertEqual(try Dither.bayer8x8(amplitude: 64).offsets().reduce(0, +), 0, "offsets are symmetric about 0")
        XCTAssertEqual(try Dither.none.offsets(), [Int32](repeating: 0, count: 64))
        // A grey ramp on a 5-grey palette: 8×8 block means are far closer with dithering.
        let width = 256, height = 16
        let rgb = (0..<width * height).flatMap { p in [UInt8](repeating: UInt8(p % width), count: 3) }
        let palette = try Palette(colors: [0, 64, 128, 192, 255].map { RGBColor($0, $0, $0) })
        let mapper = PaletteMapper(palette: palette)
        func blockError(_ dither: Dither) throws -> Double {
            let indices = try mapper.map(rgb: rgb, width: width, height: height, dither: dither)
            var total = 0.0
            for by in 0..<height / 8 {
                for bx in 0..<width / 8 {
                    var source = 0.0, mapped = 0.0
                    for y in 8 * by..<8 * by + 8 {
                        for x in 8 * bx..<8 * bx + 8 {
                            source += Double(rgb[3 * (y * width + x)])
                            mapped += Double(palette.colors[Int(indices[y * width + x])].r)
                        }
                    }
                    total += abs(source - mapped) / 64
                }
            }
            return total / Double(width / 8 * height / 8)
        }
        let (plain, dithered) = (try blockError(.none), try blockError(.bayer8x8(amplitude: 64)))
        XCTAssertLessThan(dithered, plain / 2, "dithered \(dithered), plain \(plain)")
    }

    // MARK: GIF files

    func testAnimatedGIFDecodesBackLoopsForeverAndKeepsItsRate() throws {
        let dir = try TestMedia.makeScratchDirectory("gif")
        let path = dir + "/moving.gif"
        let (width, height, count) = (64, 48, 12)
        let frames = (0..<count).map { Self.pattern($0, width: width, height: height) }
        let rate = try GIFWriter.write(frames: frames, width: width, height: height, frameRate: Rational(25, 1), to: path)
        XCTAssertEqual(rate, Rational(25, 1), "25 fps is exactly 4 cs per frame")
        XCTAssertEqual(TestMedia.listDirectory(dir), ["moving.gif"], "temporary files left behind")

        let back = try Self.decodeRGB(path, width: width, height: height)
        XCTAssertEqual(back.count, count)
        // GIF is lossless given the palette: each decoded frame is exactly the source mapped to
        // the same (deterministic) palette, which checks the palette's byte order exactly.
        let palette = try PaletteQuantizer.palette(frames: frames)
        let mapper = PaletteMapper(palette: palette)
        var worst = 0.0
        for (k, (source, decoded)) in zip(frames, back).enumerated() {
            let expected = try mapper.map(rgb: source, width: width, height: height).flatMap { (i: UInt8) -> [UInt8] in
                let c = palette.colors[Int(i)]
                return [c.r, c.g, c.b]
            }
            XCTAssertTrue(decoded == expected, "frame \(k) is not the palette-mapped source")
            // Measured 5.1–5.2 levels (FFmpeg's palettegen + paletteuse, no dither: 7.1).
            let error = Self.meanError(source, decoded), swapped = Self.meanError(source, decoded, swapRB: true)
            worst = max(worst, error)
            XCTAssertLessThan(error, 7, "frame \(k)")
            XCTAssertGreaterThan(swapped, 30, "frame \(k): red and blue are not told apart")
        }
        let stream = try XCTUnwrap(TestMedia.ffprobeStreams(path, type: "video").first)
        XCTAssertEqual(stream["codec_name"] as? String, "gif")
        XCTAssertEqual(stream["width"] as? Int, width)
        XCTAssertEqual(stream["height"] as? Int, height)
        // Every frame lasts 4 cs, the last one included (final_delay).
        let probe = TestMedia.run("ffprobe", ["-v", "error", "-show_entries", "packet=pts,duration", "-of", "csv=p=0", path])
        let packets = probe.stdout.split(separator: "\n").map { $0.split(separator: ",").compactMap { Int($0) } }
        XCTAssertEqual(packets.count, count)
        XCTAssertEqual(packets.map { $0.last }, Array(repeating: 4, count: count), probe.stdout)
        XCTAssertEqual(packets.map { $0.first }, (0..<count).map { 4 * $0 })
        // Loops forever: NETSCAPE2.0 block, sub-block 1, loop count 0 (little-endian).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let loop = Data("NETSCAPE2.0".utf8) + Data([3, 1, 0, 0, 0])
        XCTAssertNotNil(bytes.range(of: loop), "no infinite-loop extension")
        XCTAssertEqual(bytes.prefix(6), Data("GIF89a".utf8))
        print("gif round trip: worst mean error \(worst) levels per channel")
    }

    func testDelayRounding() throws {
        func delay(_ num: Int64, _ den: Int64) throws -> Int { try GIFWriter.delay(for: Rational(num, den), path: "x.gif") }
        XCTAssertEqual(try delay(30, 1), 3)          // 3.33 → 3: plays at 33⅓ fps
        XCTAssertEqual(try delay(24, 1), 4)          // 4.17 → 4: 25 fps
        XCTAssertEqual(try delay(40, 1), 3)          // 2.5 → 3 (halves up)
        XCTAssertEqual(try delay(30000, 1001), 3)
        XCTAssertEqual(try delay(60, 1), 2)
        XCTAssertEqual(try delay(100, 1), 2, "browsers play 1 cs as 10 cs")
        XCTAssertEqual(try delay(1, 600), 60000)
        XCTAssertThrowsError(try delay(1, 1000))
        XCTAssertThrowsError(try delay(0, 1))
        XCTAssertThrowsError(try delay(-25, 1))
        let gif = try GIFWriter(path: TestMedia.path("rate.gif"), width: 8, height: 8, frameRate: Rational(30, 1),
                                palette: Palette(colors: [RGBColor(0, 0, 0)]))
        XCTAssertEqual(gif.actualFrameRate, Rational(100, 3))
        gif.abort()
    }

    func testBadInputGivesErrorNamingThePathAndNoFile() throws {
        let dir = try TestMedia.makeScratchDirectory("gifbad")
        let path = dir + "/bad.gif"
        let good = Self.pattern(0, width: 16, height: 8)
        func expectError(_ kind: MediaError.Kind, _ body: () throws -> Void) {
            XCTAssertThrowsError(try body()) { error in
                let e = error as? MediaError
                XCTAssertEqual(e?.kind, kind, "\(error)")
                XCTAssertTrue(e?.description.contains(path) ?? false, "\(error) does not name the file")
            }
            XCTAssertEqual(TestMedia.listDirectory(dir), [], "a file was left behind")
        }
        let rate = Rational(10, 1)
        expectError(.invalidArgument) { try GIFWriter.write(frames: [good], width: 0, height: 8, frameRate: rate, to: path) }
        expectError(.invalidArgument) { try GIFWriter.write(frames: [good], width: 20_000, height: 8, frameRate: rate, to: path) }
        expectError(.invalidArgument) { try GIFWriter.write(frames: [], width: 16, height: 8, frameRate: rate, to: path) }
        expectError(.invalidArgument) { try GIFWriter.write(frames: [good, []], width: 16, height: 8, frameRate: rate, to: path) }
        expectError(.invalidArgument) { try GIFWriter.write(frames: [good, good + [1, 2, 3]], width: 16, height: 8, frameRate: rate, to: path) }
        expectError(.invalidArgument) { try GIFWriter.write(frames: [good], width: 16, height: 8, frameRate: Rational(0, 1), to: path) }
        let palette = try PaletteQuantizer.palette(rgb: good)
        expectError(.invalidArgument) {
            let gif = try GIFWriter(path: path, width: 16, height: 8, frameRate: rate, palette: palette)
            try gif.write(rgb: good)
            try gif.write(rgb: Array(good.dropLast()))
        }
        expectError(.encodeFailed) { try GIFWriter(path: path, width: 16, height: 8, frameRate: rate, palette: palette).finish() }
        expectError(.invalidArgument) {
            let gif = try GIFWriter(path: path, width: 16, height: 8, frameRate: rate, palette: palette)
            try gif.write(rgb: good)
            gif.abort()
            try gif.write(rgb: good)
        }
        let missing = dir + "/no/such/folder/out.gif"
        XCTAssertThrowsError(try GIFWriter.write(frames: [good], width: 16, height: 8, frameRate: rate, to: missing)) { error in
            XCTAssertEqual((error as? MediaError)?.kind, .cannotWrite)
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
        XCTAssertEqual(TestMedia.listDirectory(dir), [])
    }

    /// Not a test of speed (no timing assertion): with WARPFLOW_GIF_SPEED=1, quantises and
    /// writes 60 frames of 320×240 and prints the times (`swift test -c release ...`).
    func testSpeedOf60FramesAt320x240() throws {
        guard ProcessInfo.processInfo.environment["WARPFLOW_GIF_SPEED"] != nil else {
            throw XCTSkip("set WARPFLOW_GIF_SPEED=1 to measure")
        }
        let frames = (0..<60).map { Self.pattern($0, width: 320, height: 240) }
        let path = try TestMedia.makeScratchDirectory("gifspeed") + "/speed.gif"
        var start = Date()
        let palette = try PaletteQuantizer.palette(frames: frames)
        let quantise = Date().timeIntervalSince(start)
        start = Date()
        let mapper = PaletteMapper(palette: palette)
        let table = Date().timeIntervalSince(start)
        start = Date()
        for f in frames { _ = try mapper.map(rgb: f, width: 320, height: 240, dither: .bayer8x8(amplitude: 16)) }
        let map = Date().timeIntervalSince(start)
        start = Date()
        try GIFWriter.write(frames: frames, width: 320, height: 240, frameRate: Rational(25, 1), to: path)
        let total = Date().timeIntervalSince(start)
        print(String(format: "gif-speed: palette %.1f ms, table %.1f ms, map 60 frames %.1f ms, write(frames:) total %.1f ms, %d bytes",
                     quantise * 1000, table * 1000, map * 1000, total * 1000,
                     (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0))
    }
}

extension SplitMix64 {
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 24) }
    mutating func color() -> RGBColor { RGBColor(byte(), byte(), byte()) }
}
