import Raster
import Flow
/// The flat regions of a picture: connected areas where it has no texture of its own (a wall,
/// the sky, a uniform background). A pixel is flat when the samples of its 5 × 5 patch span at
/// most `range`; two 4-neighbour flat pixels belong to one region when they differ by less than
/// `step`, so a smooth gradient stays one region while an edge, however faint, splits regions.
/// Motion cannot be seen inside such a region (every shift of it looks the same), so a
/// decision about it has to come from the region as a whole.
public struct FlatRegions: Sendable, Equatable {
    /// Per pixel, the index of its region (0 ..< `count`), or −1 where the picture is not flat.
    public let labels: [Int32]
    /// Number of regions.
    public let count: Int
    /// Pixels in each region.
    public let sizes: [Int]

    /// The flat regions of `plane` (any units; `range` and `step` in the same units, ≥ 0).
    /// Non-finite samples are never flat. Throws `RasterError.invalidParameter` for a negative
    /// or non-finite `range` or `step`.
    public init(of plane: Plane, range: Float, step: Float) throws {
        guard range >= 0, range.isFinite else {
            throw RasterError.invalidParameter(name: "range", value: "\(range)", expected: "a finite value ≥ 0")
        }
        guard step >= 0, step.isFinite else {
            throw RasterError.invalidParameter(name: "step", value: "\(step)", expected: "a finite value ≥ 0")
        }
        let w = plane.width, h = plane.height, n = plane.count
        let flat = Self.flatMask(plane, range: range)
        // Union-find over the flat pixels, linked to their right and lower flat neighbours.
        var parent = [Int32](repeating: -1, count: n)
        for i in 0..<n where flat[i] { parent[i] = Int32(i) }
        func root(_ i: Int) -> Int {
            var r = i
            while Int(parent[r]) != r { r = Int(parent[r]) }
            var j = i
            while Int(parent[j]) != r { let next = Int(parent[j]); parent[j] = Int32(r); j = next }
            return r
        }
        func link(_ i: Int, _ j: Int) {
            guard flat[j], abs(plane.data[i] - plane.data[j]) < step else { return }
            let a = root(i), b = root(j)
            if a != b { parent[max(a, b)] = Int32(min(a, b)) }
        }
        for y in 0..<h {
            for x in 0..<w where flat[y * w + x] {
                let i = y * w + x
                if x + 1 < w { link(i, i + 1) }
                if y + 1 < h { link(i, i + w) }
            }
        }
        var labels = [Int32](repeating: -1, count: n), index = [Int32](repeating: -1, count: n), sizes: [Int] = []
        for i in 0..<n where flat[i] {
            let r = root(i)
            if index[r] < 0 { index[r] = Int32(sizes.count); sizes.append(0) }
            labels[i] = index[r]
            sizes[Int(index[r])] += 1
        }
        self.labels = labels
        self.sizes = sizes
        self.count = sizes.count
    }

    /// Whether each pixel's 5 × 5 patch (clipped at the borders) spans at most `range`.
    static func flatMask(_ plane: Plane, range: Float) -> [Bool] {
        let w = plane.width, h = plane.height
        // Running max and min over 5 columns, then over 5 rows.
        var rowMax = [Float](repeating: 0, count: plane.count), rowMin = rowMax
        for y in 0..<h {
            for x in 0..<w {
                var hi = -Float.infinity, lo = Float.infinity
                for k in max(0, x - 2)...min(w - 1, x + 2) {
                    let s = plane.data[y * w + k]
                    guard s.isFinite else { hi = .infinity; lo = -.infinity; break }
                    hi = max(hi, s)
                    lo = min(lo, s)
                }
                rowMax[y * w + x] = hi
                rowMin[y * w + x] = lo
            }
        }
        var flat = [Bool](repeating: false, count: plane.count)
        for y in 0..<h {
            for x in 0..<w {
                var hi = -Float.infinity, lo = Float.infinity
                for k in max(0, y - 2)...min(h - 1, y + 2) {
                    hi = max(hi, rowMax[k * w + x])
                    lo = min(lo, rowMin[k * w + x])
                }
                flat[y * w + x] = hi - lo <= range
            }
        }
        return flat
    }
}
