import Raster

/// One 8-bit RGB colour (each component 0…255).
public struct RGBColor: Hashable, Sendable, CustomStringConvertible {
    /// Red, green and blue, 0…255.
    public var r: UInt8, g: UInt8, b: UInt8
    /// The colour (r, g, b).
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }
    /// The colour as 0xRRGGBB.
    public var packed: UInt32 { UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b) }
    /// "(r, g, b)".
    public var description: String { "(\(r), \(g), \(b))" }
}

/// The colours of an 8-bit indexed picture (GIF, FFmpeg's PAL8): 1…256 entries, index i
/// of a pixel meaning `colors[i]`.
public struct Palette: Sendable, Equatable {
    /// The entries, in index order.
    public let colors: [RGBColor]

    /// Throws `MediaError` (`.invalidArgument`) unless there are 1…256 colours.
    public init(colors: [RGBColor]) throws {
        guard (1...256).contains(colors.count) else {
            throw MediaError(.invalidArgument, path: "", "a palette holds 1…256 colours, not \(colors.count)")
        }
        self.colors = colors
    }

    /// The 256 entries a PAL8 `AVFrame` holds in `data[1]`: native-endian UInt32 0xAARRGGBB
    /// (bytes B, G, R, A in memory on little-endian machines), alpha 255 (opaque: FFmpeg's GIF
    /// encoder makes an entry with alpha below 128 transparent). Unused entries are opaque black.
    public var pal8Entries: [UInt32] {
        (0..<256).map { $0 < colors.count ? 0xFF00_0000 | colors[$0].packed : 0xFF00_0000 }
    }
}

/// Builds a palette of at most 256 colours from RGB pixels; deterministic (the same pixels
/// give the same palette, in the same order).
///
/// Algorithm: a histogram of the pixels on a 64×64×64 grid (6 bits per channel) keeps each
/// cell's pixel count and exact mean colour. When the pixels hold no more distinct colours
/// than asked for, the palette is exactly those colours (sorted by 0xRRGGBB). Otherwise the
/// occupied cells, weighted by their counts, are split by median cut (the box with the largest
/// squared error is cut at the weighted median of its widest-variance channel) into
/// `maxColors` boxes whose means start a few passes of weighted k-means (Lloyd) refinement in
/// plain RGB Euclidean distance. Colours are rounded to 8 bits and duplicates removed.
public enum PaletteQuantizer {
    /// A palette for interleaved RGB bytes (`rgb.count` a positive multiple of 3).
    /// `maxColors` is 1…256; `refinementPasses` k-means passes follow the median cut (0 = none).
    public static func palette(rgb: [UInt8], maxColors: Int = 256, refinementPasses: Int = 3) throws -> Palette {
        try palette(frames: [rgb], maxColors: maxColors, refinementPasses: refinementPasses)
    }

    /// One palette for several pictures (each interleaved RGB bytes, a multiple of 3 long),
    /// built from all of their pixels.
    public static func palette(frames: [[UInt8]], maxColors: Int = 256, refinementPasses: Int = 3) throws -> Palette {
        guard (1...256).contains(maxColors) else {
            throw MediaError(.invalidArgument, path: "", "maxColors \(maxColors) is outside 1…256")
        }
        guard refinementPasses >= 0 else {
            throw MediaError(.invalidArgument, path: "", "refinementPasses \(refinementPasses) is negative")
        }
        for (i, f) in frames.enumerated() where f.count % 3 != 0 {
            throw MediaError(.invalidArgument, path: "", "picture \(i) has \(f.count) bytes, not a multiple of 3 (RGB)")
        }
        guard frames.contains(where: { !$0.isEmpty }) else {
            throw MediaError(.invalidArgument, path: "", "no pixels to build a palette from")
        }
        var histogram = Histogram()
        for f in frames { f.withUnsafeBufferPointer { histogram.add($0) } }
        if let exact = histogram.exactColors(limit: maxColors, frames: frames) {
            return try Palette(colors: exact.sorted { $0.packed < $1.packed })
        }
        var points = histogram.points()
        var centres = medianCut(&points, boxes: maxColors)
        for _ in 0..<refinementPasses { centres = refine(centres, points: points) }
        var seen = Set<RGBColor>(), colors: [RGBColor] = []
        for c in centres {
            let q = { (v: Float) in UInt8(max(0, min(255, v.rounded()))) }
            let color = RGBColor(q(c.x), q(c.y), q(c.z))
            if seen.insert(color).inserted { colors.append(color) }
        }
        return try Palette(colors: colors)
    }

    /// A weighted colour: a histogram cell's mean colour and pixel count.
    struct Point {
        var color: SIMD3<Float>
        var weight: Double
    }

    /// Pixel counts, colour sums and first colours on a 64³ grid.
    struct Histogram {
        static let cells = 1 << 18
        var count = [Int](repeating: 0, count: cells)
        var sums = [SIMD4<Int64>](repeating: .zero, count: cells)
        /// The first colour seen in each cell, 0xRRGGBB + 1 (0: empty).
        var first = [UInt32](repeating: 0, count: cells)
        /// True when some cell holds two different colours.
        var mixed = false

        mutating func add(_ rgb: UnsafeBufferPointer<UInt8>) {
            guard let p = rgb.baseAddress else { return }
            let n = rgb.count / 3
            var mixedHere = false
            count.withUnsafeMutableBufferPointer { count in
                sums.withUnsafeMutableBufferPointer { sums in
                    first.withUnsafeMutableBufferPointer { first in
                        for i in 0..<n {
                            let r = Int(p[3 * i]), g = Int(p[3 * i + 1]), b = Int(p[3 * i + 2])
                            let cell = (r >> 2) << 12 | (g >> 2) << 6 | (b >> 2)
                            count[cell] += 1
                            sums[cell] &+= SIMD4<Int64>(Int64(r), Int64(g), Int64(b), 0)
                            let c = UInt32(r << 16 | g << 8 | b) + 1
                            if first[cell] == 0 { first[cell] = c } else if first[cell] != c { mixedHere = true }
                        }
                    }
                }
            }
            mixed = mixed || mixedHere
        }

        /// The distinct colours when there are at most `limit`, else nil. Counts them exactly
        /// (a second pass over `frames`) only when some cell holds more than one colour.
        func exactColors(limit: Int, frames: [[UInt8]]) -> [RGBColor]? {
            let occupied = first.indices.filter { first[$0] != 0 }
            guard occupied.count <= limit else { return nil }
            let unpack = { (c: UInt32) in RGBColor(UInt8(c >> 16), UInt8(c >> 8 & 0xFF), UInt8(c & 0xFF)) }
            if !mixed { return occupied.map { unpack(first[$0] - 1) } }
            var distinct = Set<UInt32>(), last = UInt32.max
            for f in frames {
                for i in stride(from: 0, to: f.count - 2, by: 3) {
                    let c = UInt32(f[i]) << 16 | UInt32(f[i + 1]) << 8 | UInt32(f[i + 2])
                    if c == last { continue }
                    last = c
                    if distinct.insert(c).inserted && distinct.count > limit { return nil }
                }
            }
            return distinct.map(unpack)
        }

        /// The occupied cells as weighted mean colours.
        func points() -> [Point] {
            var out: [Point] = []
            for cell in 0..<Histogram.cells where count[cell] > 0 {
                let s = SIMD3<Double>(Double(sums[cell].x), Double(sums[cell].y), Double(sums[cell].z)) / Double(count[cell])
                out.append(Point(color: SIMD3<Float>(Float(s.x), Float(s.y), Float(s.z)), weight: Double(count[cell])))
            }
            return out
        }
    }

    /// A run of points with its weighted statistics.
    struct Box {
        var range: Range<Int>
        var mean: SIMD3<Double>
        var error: Double
        var axis: Int

        init(_ points: UnsafeBufferPointer<Point>, _ range: Range<Int>) {
            self.range = range
            var w = 0.0, s = SIMD3<Double>.zero, q = SIMD3<Double>.zero
            for i in range {
                let c = SIMD3<Double>(Double(points[i].color.x), Double(points[i].color.y), Double(points[i].color.z))
                w += points[i].weight
                s += points[i].weight * c
                q += points[i].weight * c * c
            }
            mean = s / w
            let variance = q / w - mean * mean
            error = range.count > 1 ? max(0, variance.sum()) * w : 0
            axis = variance.y > variance.x ? (variance.z > variance.y ? 2 : 1) : (variance.z > variance.x ? 2 : 0)
        }
    }

    /// Median cut of `points` into at most `boxes` boxes; their mean colours.
    static func medianCut(_ points: inout [Point], boxes: Int) -> [SIMD3<Float>] {
        var list = points.withUnsafeBufferPointer { [Box($0, 0..<$0.count)] }
        while list.count < boxes {
            guard let pick = list.indices.filter({ list[$0].error > 0 }).max(by: { list[$0].error < list[$1].error }) else { break }
            let box = list[pick]
            let axis = box.axis
            // A total order (the axis first, then r, g, b), so the cut never depends on the sort.
            points[box.range].sort { a, b in
                if a.color[axis] != b.color[axis] { return a.color[axis] < b.color[axis] }
                if a.color.x != b.color.x { return a.color.x < b.color.x }
                if a.color.y != b.color.y { return a.color.y < b.color.y }
                return a.color.z < b.color.z
            }
            let total = points[box.range].reduce(0) { $0 + $1.weight }
            var cut = box.range.lowerBound + 1, running = points[box.range.lowerBound].weight
            while cut < box.range.upperBound - 1 && running < total / 2 {
                running += points[cut].weight
                cut += 1
            }
            points.withUnsafeBufferPointer { p in
                list[pick] = Box(p, box.range.lowerBound..<cut)
                list.append(Box(p, cut..<box.range.upperBound))
            }
        }
        return list.map { SIMD3<Float>(Float($0.mean.x), Float($0.mean.y), Float($0.mean.z)) }
    }

    /// One weighted k-means (Lloyd) pass: each point goes to its nearest centre, each centre
    /// moves to its points' weighted mean (a centre with no points stays).
    static func refine(_ centres: [SIMD3<Float>], points: [Point]) -> [SIMD3<Float>] {
        let search = NearestColorSearch(centres)
        var nearest = [Int32](repeating: 0, count: points.count)
        nearest.withUnsafeMutableBufferPointer { out in
            points.withUnsafeBufferPointer { p in
                Parallel.forChunks(p.count, threads: Parallel.workers(for: p.count * centres.count, threads: processorCount, grain: 1 << 20)) { range in
                    for i in range { out[i] = Int32(search.nearest(p[i].color)) }
                }
            }
        }
        var sums = [SIMD3<Double>](repeating: .zero, count: centres.count)
        var weights = [Double](repeating: 0, count: centres.count)
        for (i, p) in points.enumerated() {
            let k = Int(nearest[i])
            sums[k] += p.weight * SIMD3<Double>(Double(p.color.x), Double(p.color.y), Double(p.color.z))
            weights[k] += p.weight
        }
        return centres.indices.map { k in
            guard weights[k] > 0 else { return centres[k] }
            let m = sums[k] / weights[k]
            return SIMD3<Float>(Float(m.x), Float(m.y), Float(m.z))
        }
    }
}

/// Nearest colour among up to 256 by squared RGB distance, the lowest index on ties: a SIMD
/// search eight entries at a time (`nearest`) and its scalar reference (`nearestScalar`), which
/// give the same index for every query (exact for whole-number colours, whose squared
/// distances stay below 2²⁴).
struct NearestColorSearch: Sendable {
    /// Entries as structure of arrays, padded to a multiple of 8 with entries too far to win.
    let r: [Float], g: [Float], b: [Float]
    let count: Int

    init(_ colors: [SIMD3<Float>]) {
        count = colors.count
        let padded = (colors.count + 7) / 8 * 8
        let far: Float = 1e6
        r = (0..<padded).map { $0 < colors.count ? colors[$0].x : far }
        g = (0..<padded).map { $0 < colors.count ? colors[$0].y : far }
        b = (0..<padded).map { $0 < colors.count ? colors[$0].z : far }
    }

    init(_ palette: Palette) {
        self.init(palette.colors.map { SIMD3<Float>(Float($0.r), Float($0.g), Float($0.b)) })
    }

    /// Scalar reference.
    func nearestScalar(_ c: SIMD3<Float>) -> Int {
        var best = 0, bestDistance = Float.infinity
        for i in 0..<count {
            let dr = r[i] - c.x, dg = g[i] - c.y, db = b[i] - c.z
            let d = dr * dr + dg * dg + db * db
            if d < bestDistance { bestDistance = d; best = i }
        }
        return best
    }

    /// SIMD search: each lane keeps its best entry, then the lanes are reduced.
    func nearest(_ c: SIMD3<Float>) -> Int {
        let qr = SIMD8<Float>(repeating: c.x), qg = SIMD8<Float>(repeating: c.y), qb = SIMD8<Float>(repeating: c.z)
        var bestDistance = SIMD8<Float>(repeating: .infinity)
        var bestIndex = SIMD8<Int32>(repeating: 0)
        var index = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        r.withUnsafeBufferPointer { rp in
            g.withUnsafeBufferPointer { gp in
                b.withUnsafeBufferPointer { bp in
                    var i = 0
                    while i < rp.count {
                        let dr = UnsafeRawPointer(rp.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self) - qr
                        let dg = UnsafeRawPointer(gp.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self) - qg
                        let db = UnsafeRawPointer(bp.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self) - qb
                        let d = dr * dr + dg * dg + db * db
                        let better = d .< bestDistance
                        bestDistance.replace(with: d, where: better)
                        bestIndex.replace(with: index, where: better)
                        index &+= 8
                        i += 8
                    }
                }
            }
        }
        let least = bestDistance.min()
        let winners = SIMD8<Int32>(repeating: .max).replacing(with: bestIndex, where: bestDistance .== least)
        return Int(winners.min())
    }
}

