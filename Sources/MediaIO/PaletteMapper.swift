import Raster

/// Ordered dithering before an RGB → palette lookup.
public enum Dither: Sendable, Equatable {
    /// Each pixel maps to its nearest palette colour.
    case none
    /// 8×8 Bayer ordered dithering: before the lookup, each channel of pixel (x, y) gets
    /// round(((M[y mod 8][x mod 8] + ½) / 64 − ½) · amplitude) added (8-bit levels, clamped to
    /// 0…255), the same for every frame, so a still area stays still in an animation.
    /// `amplitude` is 0…255; about the spacing of neighbouring palette colours (16–32) suits.
    case bayer8x8(amplitude: Int)

    /// The 64 offsets, row-major by (y mod 8, x mod 8); all 0 for `.none`.
    func offsets() throws -> [Int32] {
        guard case .bayer8x8(let amplitude) = self else { return [Int32](repeating: 0, count: 64) }
        guard (0...255).contains(amplitude) else {
            throw MediaError(.invalidArgument, path: "", "dither amplitude \(amplitude) is outside 0…255")
        }
        // M(2n) = [4M, 4M+2; 4M+3, 4M+1], from M(1) = [0]; row-major n × n.
        var m = [0], n = 1
        while n < 8 {
            var next = [Int](repeating: 0, count: 4 * n * n)
            for y in 0..<2 * n {
                for x in 0..<2 * n { next[y * 2 * n + x] = 4 * m[(y % n) * n + x % n] + [0, 2, 3, 1][(y / n) * 2 + x / n] }
            }
            m = next
            n *= 2
        }
        return m.map { v -> Int32 in Int32((((Double(v) + 0.5) / 64 - 0.5) * Double(amplitude)).rounded()) }
    }
}

/// Maps RGB colours to the index of their nearest palette colour (squared RGB distance, the
/// lowest index on ties), exactly, through a 32×32×32 table of 15-bit cells filled up front:
/// a cell holds the index when one entry is nearest for all of its 512 colours (an entry can
/// only win where its distance to the cell box is at most the least farthest-corner distance
/// of any entry), else the few entries that can be, searched per pixel.
public struct PaletteMapper: Sendable {
    /// The palette indices refer to.
    public let palette: Palette
    /// Per cell (r>>3 << 10 | g>>3 << 5 | b>>3): the index, or −1 − slot for searched cells.
    let table: [Int32]
    /// Per slot: the first candidate in `candidates` and how many there are (ascending index).
    let slots: [SIMD2<Int32>]
    let candidates: [UInt8]
    let entries: [SIMD3<Int32>]

    /// Fills the table: first the candidates of each 32³-level box among all entries, then
    /// those of each cell among its box's (a cell's candidates are always among its box's).
    public init(palette: Palette) {
        self.palette = palette
        let entries = palette.colors.map { SIMD3<Int32>(Int32($0.r), Int32($0.g), Int32($0.b)) }
        self.entries = entries
        let fine = SpanTables(entries, span: 8), coarse = SpanTables(entries, span: 32)
        let all = (0..<entries.count).map { UInt8($0) }
        struct Part { var table: [Int32] = []; var slots: [SIMD2<Int32>] = []; var candidates: [UInt8] = [] }
        var parts = [Part](repeating: Part(), count: 32)
        parts.withUnsafeMutableBufferPointer { parts in
            Parallel.forEach(32) { cr in
                var part = Part()
                var boxes = [[UInt8]](repeating: [], count: 64)
                for k in 0..<64 { coarse.candidates(among: all, cr >> 2, k >> 3, k & 7, into: &boxes[k]) }
                var found: [UInt8] = []
                for cg in 0..<32 {
                    for cb in 0..<32 {
                        fine.candidates(among: boxes[(cg >> 2) << 3 | cb >> 2], cr, cg, cb, into: &found)
                        if found.count == 1 {
                            part.table.append(Int32(found[0]))
                        } else {
                            part.table.append(-1 - Int32(part.slots.count))
                            part.slots.append(SIMD2(Int32(part.candidates.count), Int32(found.count)))
                            part.candidates += found
                        }
                    }
                }
                parts[cr] = part
            }
        }
        var table: [Int32] = [], slots: [SIMD2<Int32>] = [], candidates: [UInt8] = []
        table.reserveCapacity(32768)
        for part in parts {
            let slotBase = Int32(slots.count), candidateBase = Int32(candidates.count)
            table += part.table.map { $0 >= 0 ? $0 : $0 - slotBase }
            slots += part.slots.map { SIMD2($0.x + candidateBase, $0.y) }
            candidates += part.candidates
        }
        self.table = table
        self.slots = slots
        self.candidates = candidates
    }

    /// Per axis, box coordinate c (span [c·span, c·span + span − 1]) and entry j: the squared
    /// distance from the entry's component to the span (near) and to its farther end (far).
    struct SpanTables {
        let near: [Int32], far: [Int32]
        let n: Int, boxes: Int

        init(_ entries: [SIMD3<Int32>], span: Int32) {
            n = entries.count
            boxes = Int(256 / span)
            var near: [Int32] = [], far: [Int32] = []
            for axis in 0..<3 {
                for c in 0..<Int32(boxes) {
                    let lo = c * span, hi = lo + span - 1
                    for e in entries {
                        let v = e[axis], gap = v < lo ? lo - v : (v > hi ? v - hi : 0), reach = max(v - lo, hi - v)
                        near.append(gap * gap)
                        far.append(reach * reach)
                    }
                }
            }
            self.near = near
            self.far = far
        }

        /// The entries of `among` that can be nearest to a colour of box (r, g, b): those no
        /// farther from the box than the least farthest-corner distance of any of them.
        func candidates(among: [UInt8], _ r: Int, _ g: Int, _ b: Int, into found: inout [UInt8]) {
            found.removeAll(keepingCapacity: true)
            near.withUnsafeBufferPointer { near in
                far.withUnsafeBufferPointer { far in
                    let (ro, go, bo) = (r * n, (boxes + g) * n, (2 * boxes + b) * n)
                    var bound = Int32.max
                    for j in among { bound = min(bound, far[ro + Int(j)] + far[go + Int(j)] + far[bo + Int(j)]) }
                    for j in among where near[ro + Int(j)] + near[go + Int(j)] + near[bo + Int(j)] <= bound { found.append(j) }
                }
            }
        }
    }

    /// The nearest palette index of `color` (the table's answer).
    public func index(of color: RGBColor) -> Int {
        Int(resolve(SIMD3(Int32(color.r), Int32(color.g), Int32(color.b))))
    }

    /// The nearest palette index by comparing every entry: the reference `index(of:)` equals.
    public func nearestByBruteForce(_ color: RGBColor) -> Int {
        let c = SIMD3(Int32(color.r), Int32(color.g), Int32(color.b))
        var best = 0, bestDistance = Int32.max
        for (i, e) in entries.enumerated() {
            let d = e &- c, distance = (d &* d).wrappedSum()
            if distance < bestDistance { bestDistance = distance; best = i }
        }
        return best
    }

    /// Palette indices (width × height, row-major) of interleaved RGB bytes (width × height × 3).
    public func map(rgb: [UInt8], width: Int, height: Int, dither: Dither = .none) throws -> [UInt8] {
        let offsets = try dither.offsets()
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, !overflow, rgb.count % 3 == 0, rgb.count / 3 == pixels else {
            throw MediaError(.invalidArgument, path: "", "\(rgb.count) bytes are not a \(width)×\(height) RGB picture")
        }
        var out = [UInt8](repeating: 0, count: pixels)
        rgb.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                mapRows(src.baseAddress!, srcStride: 3 * width, dst.baseAddress!, dstStride: width, width: width, height: height, offsets: offsets)
            }
        }
        return out
    }

    /// Maps rows in parallel with the SIMD row kernel.
    func mapRows(_ src: UnsafePointer<UInt8>, srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, dstStride: Int,
                 width: Int, height: Int, offsets: [Int32]) {
        Parallel.forChunks(height, threads: Parallel.workers(for: width * height, threads: processorCount, grain: 1 << 16)) { rows in
            for y in rows {
                let row = SIMD8<Int32>(offsets[(y & 7) * 8..<(y & 7) * 8 + 8])
                mapRow(src + y * srcStride, dst + y * dstStride, width: width, offsets: row)
            }
        }
    }

    /// SIMD row kernel: dithers and finds the cells of eight pixels at once (x mod 8 is the
    /// lane, so one row of offsets serves every group), then looks each up.
    func mapRow(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, width: Int, offsets: SIMD8<Int32>) {
        let zero = SIMD8<Int32>(repeating: 0), top = SIMD8<Int32>(repeating: 255)
        var x = 0
        while x + 8 <= width {
            let s = src + 3 * x
            func channel(_ k: Int) -> SIMD8<Int32> {
                let v = SIMD8<Int32>(Int32(s[k]), Int32(s[k + 3]), Int32(s[k + 6]), Int32(s[k + 9]),
                                     Int32(s[k + 12]), Int32(s[k + 15]), Int32(s[k + 18]), Int32(s[k + 21])) &+ offsets
                return v.clamped(lowerBound: zero, upperBound: top)
            }
            let r = channel(0), g = channel(1), b = channel(2)
            let cells = (r &>> 3) &<< 10 | (g &>> 3) &<< 5 | (b &>> 3)
            for lane in 0..<8 {
                let v = table[Int(cells[lane])]
                dst[x + lane] = v >= 0 ? UInt8(truncatingIfNeeded: v) : search(slot: Int(-1 - v), SIMD3(r[lane], g[lane], b[lane]))
            }
            x += 8
        }
        while x < width {
            let off = offsets[x & 7]
            let c = SIMD3(Int32(src[3 * x]), Int32(src[3 * x + 1]), Int32(src[3 * x + 2])) &+ off
            dst[x] = resolve(c.clamped(lowerBound: .zero, upperBound: SIMD3(repeating: 255)))
            x += 1
        }
    }

    /// Scalar reference of `mapRow` for row `y`, with the 64 offsets of `Dither.offsets()`.
    func mapRowScalar(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, width: Int, y: Int, offsets: [Int32]) {
        for x in 0..<width {
            let off = offsets[(y & 7) * 8 + (x & 7)]
            let c = (0..<3).map { min(255, max(0, Int32(src[3 * x + $0]) + off)) }
            dst[x] = UInt8(nearestByBruteForce(RGBColor(UInt8(c[0]), UInt8(c[1]), UInt8(c[2]))))
        }
    }

    /// The index for a colour with components 0…255.
    func resolve(_ c: SIMD3<Int32>) -> UInt8 {
        let v = table[Int(c.x >> 3) << 10 | Int(c.y >> 3) << 5 | Int(c.z >> 3)]
        return v >= 0 ? UInt8(truncatingIfNeeded: v) : search(slot: Int(-1 - v), c)
    }

    /// The nearest of a searched cell's candidates (ascending index, so the first least wins).
    func search(slot: Int, _ c: SIMD3<Int32>) -> UInt8 {
        let range = slots[slot]
        var best: UInt8 = 0, bestDistance = Int32.max
        for k in Int(range.x)..<Int(range.x + range.y) {
            let i = candidates[k]
            let d = entries[Int(i)] &- c, distance = (d &* d).wrappedSum()
            if distance < bestDistance { bestDistance = distance; best = i }
        }
        return best
    }
}
