import Raster
@testable import Flow

/// A continuous, deterministic multi-scale texture (smoothstep value noise, 5 octaves from 32 px
/// down to 2 px), so moved copies of it can be rendered exactly at any real position and the
/// true flow is known analytically.
struct Texture {
    var seed: UInt32

    static func hash(_ x: Int32, _ y: Int32, _ s: UInt32) -> Float {
        var h = UInt32(bitPattern: x) &* 0x8da6b343 ^ UInt32(bitPattern: y) &* 0xd8163841 ^ s &* 0xcb1ab31f
        h ^= h >> 13; h = h &* 0x5bd1e995; h ^= h >> 15
        return Float(h & 0xffff) / 65535
    }

    func octave(_ x: Float, _ y: Float, period: Float, salt: UInt32) -> Float {
        let fx = x / period, fy = y / period
        let x0 = fx.rounded(.down), y0 = fy.rounded(.down)
        var ax = fx - x0, ay = fy - y0
        ax = ax * ax * (3 - 2 * ax); ay = ay * ay * (3 - 2 * ay)
        let ix = Int32(x0), iy = Int32(y0), s = seed &+ salt
        let a = Texture.hash(ix, iy, s), b = Texture.hash(ix + 1, iy, s)
        let c = Texture.hash(ix, iy + 1, s), d = Texture.hash(ix + 1, iy + 1, s)
        let top = a + ax * (b - a), bottom = c + ax * (d - c)
        return top + ay * (bottom - top)
    }

    /// Intensity in [0, 1] at real position (x, y).
    func value(_ x: Float, _ y: Float) -> Float {
        let periods: [Float] = [32, 16, 8, 4, 2], weights: [Float] = [0.35, 0.25, 0.18, 0.13, 0.09]
        var total: Float = 0
        for (i, p) in periods.enumerated() { total += weights[i] * octave(x, y, period: p, salt: UInt32(i) &* 7919) }
        return total
    }

    /// Renders a plane whose pixel (x, y) shows the texture at `map(x, y)`.
    func render(width: Int, height: Int, _ map: (Float, Float) -> (Float, Float) = { ($0, $1) }) -> Plane {
        var plane = Plane(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let (sx, sy) = map(Float(x), Float(y))
                plane.data[y * width + x] = value(sx, sy)
            }
        }
        return plane
    }
}

/// A frame pair with exact flow made from a global motion `forward` (p → its position in frame 1)
/// and its inverse `backward`: frame 0 shows the texture at p, frame 1 at backward(q).
func makePair(width: Int, height: Int, seed: UInt32 = 1,
              forward: (Float, Float) -> (Float, Float), backward: (Float, Float) -> (Float, Float)) -> (Plane, Plane, FlowField) {
    let tex = Texture(seed: seed)
    let i0 = tex.render(width: width, height: height)
    let i1 = tex.render(width: width, height: height, backward)
    var truth = FlowField(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            let (tx, ty) = forward(Float(x), Float(y))
            truth.u.data[y * width + x] = tx - Float(x)
            truth.v.data[y * width + x] = ty - Float(y)
        }
    }
    return (i0, i1, truth)
}

/// Mask (1 inside) of pixels at least `margin` pixels from every border.
func interiorMask(width: Int, height: Int, margin: Int) -> Plane {
    var mask = Plane(width: width, height: height)
    for y in margin..<(height - margin) { for x in margin..<(width - margin) { mask.data[y * width + x] = 1 } }
    return mask
}

/// A moving-square scene: a static textured background and a square of another texture,
/// `side` pixels, at (x0, y0) in frame 0 and moved by (dx, dy) integer pixels in frame 1.
struct SquareScene {
    let width: Int, height: Int, x0: Int, y0: Int, side: Int, dx: Int, dy: Int

    func inSquare(_ x: Int, _ y: Int, frame: Int) -> Bool {
        let ox = x0 + frame * dx, oy = y0 + frame * dy
        return x >= ox && x < ox + side && y >= oy && y < oy + side
    }

    func frames() -> (Plane, Plane) {
        let bg = Texture(seed: 11), fg = Texture(seed: 99)
        var f = [Plane(width: width, height: height), Plane(width: width, height: height)]
        for frame in 0..<2 {
            for y in 0..<height {
                for x in 0..<width {
                    let ox = Float(x0 + frame * dx), oy = Float(y0 + frame * dy)
                    f[frame].data[y * width + x] = inSquare(x, y, frame: frame)
                        ? 0.2 + 0.8 * fg.value(Float(x) - ox, Float(y) - oy) : 0.8 * bg.value(Float(x), Float(y))
                }
            }
        }
        return (f[0], f[1])
    }

    /// Exact forward (0 → 1) or backward (1 → 0) flow.
    func truth(backward: Bool) -> FlowField {
        var flow = FlowField(width: width, height: height)
        let frame = backward ? 1 : 0, sign: Float = backward ? -1 : 1
        for y in 0..<height {
            for x in 0..<width where inSquare(x, y, frame: frame) {
                flow.u.data[y * width + x] = sign * Float(dx)
                flow.v.data[y * width + x] = sign * Float(dy)
            }
        }
        return flow
    }

    /// Pixels of frame 0 (or of frame 1 when `backward`) that the other frame does not show.
    func occluded(backward: Bool) -> Plane {
        var mask = Plane(width: width, height: height)
        let this = backward ? 1 : 0
        for y in 0..<height {
            for x in 0..<width where !inSquare(x, y, frame: this) && inSquare(x, y, frame: 1 - this) {
                mask.data[y * width + x] = 1
            }
        }
        return mask
    }
}

extension Plane {
    /// Uniform noise in [0, 1) from a 64-bit linear congruential generator seeded with `seed`:
    /// the same picture on every run, of any size (odd ones end rows in partial SIMD blocks).
    static func seededNoise(_ w: Int, _ h: Int, seed: UInt64) -> Plane {
        var state = seed
        return Plane(width: w, height: h, data: (0..<(w * h)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        })
    }
}
