import Foundation
import MediaIO
import Raster

/// What the renderer needs for one output time t, on the field grid (a downscale of the luma
/// grid): where to read frame 0 (`toFirst`, displacement x ↦ x + d₀(x)) and frame 1
/// (`toSecond`), and the weight of frame 1 at every field pixel (`secondWeight`, 0…1).
struct RenderPlan: Sendable {
    var toFirst: Deformation
    var toSecond: Deformation
    var secondWeight: Plane
}

/// Renders an in-between frame from two frames' native sample planes: for every sample of
/// every plane (luma at full size, chroma at its own size, 8-bit or native 16-bit samples),
/// the plan's displacements are sampled at the sample's position (scaled to the plane's
/// pixels), both frames are read bilinearly there, and blended with the plan's weight. No
/// colour conversion happens, so colours cannot drift and the pixel format is kept.
enum PlaneRenderer {
    /// The plan resampled to one plane's size: displacements in that plane's pixels and the
    /// weight of frame 1, one value per sample (row-major, `width × height`).
    struct DenseMaps {
        let width: Int, height: Int
        let u0: Plane, v0: Plane, u1: Plane, v1: Plane, weight: Plane

        init(_ plan: RenderPlan, width w: Int, height h: Int, threads: Int) {
            width = w
            height = h
            let sx = Float(w) / Float(plan.toFirst.width), sy = Float(h) / Float(plan.toFirst.height)
            u0 = plan.toFirst.u.resizedBilinear(width: w, height: h, valueScale: sx, threads: threads)
            v0 = plan.toFirst.v.resizedBilinear(width: w, height: h, valueScale: sy, threads: threads)
            u1 = plan.toSecond.u.resizedBilinear(width: w, height: h, valueScale: sx, threads: threads)
            v1 = plan.toSecond.v.resizedBilinear(width: w, height: h, valueScale: sy, threads: threads)
            weight = plan.secondWeight.resizedBilinear(width: w, height: h, threads: threads)
        }
    }

    /// The in-between frame: `first`'s format, size and colour tags, pts 0 in `first`'s time base.
    static func render(_ plan: RenderPlan, first: Frame, second: Frame, cubic: Bool, threads: Int) throws -> Frame {
        let format = first.pixelFormat
        let out = try Frame(width: first.width, height: first.height, pixelFormat: format, timeBase: first.timeBase)
        out.copyProperties(from: first)
        let bytes = format.bytesPerSample
        let maxValue = Float((1 << min(format.bitDepth, 16)) - 1)
        var maps: DenseMaps?
        for plane in 0..<format.planeCount {
            try out.withMutablePlane(plane) { o, so, pw, ph in
                // Chroma planes share one set of maps.
                if maps?.width != pw || maps?.height != ph { maps = DenseMaps(plan, width: pw, height: ph, threads: threads) }
                guard let maps else { return }
                first.withPlane(plane) { a, sa, _, _ in
                    second.withPlane(plane) { b, sb, _, _ in
                        guard let ob = o.baseAddress, let ab = a.baseAddress, let bb = b.baseAddress else { return }
                        renderPlane(maps, bytes: bytes, maxValue: maxValue, cubic: cubic && plane == 0, a: (ab, sa), b: (bb, sb), out: (ob, so), threads: threads)
                    }
                }
            }
        }
        return out
    }

    private static func renderPlane(_ m: DenseMaps, bytes: Int, maxValue: Float, cubic: Bool,
                                    a: (UnsafePointer<UInt8>, Int), b: (UnsafePointer<UInt8>, Int),
                                    out: (UnsafeMutablePointer<UInt8>, Int), threads: Int) {
        let pw = m.width, ph = m.height
        m.u0.withSamples { u0 in
        m.v0.withSamples { v0 in
        m.u1.withSamples { u1 in
        m.v1.withSamples { v1 in
        m.weight.withSamples { wt in
            Parallel.forChunks(ph, threads: Parallel.workers(for: pw * ph, threads: threads, grain: 16_384)) { rows in
                for y in rows {
                    let orow = out.0 + y * out.1
                    let fy = Float(y)
                    for x in 0..<pw {
                        let i = y * pw + x
                        let px0 = Float(x) + u0[i], py0 = fy + v0[i], px1 = Float(x) + u1[i], py1 = fy + v1[i]
                        let w1 = wt[i]
                        if cubic {
                            let s0 = sampleCubic(a.0, bytes: bytes, stride: a.1, width: pw, height: ph, x: px0, y: py0)
                            let s1 = sampleCubic(b.0, bytes: bytes, stride: b.1, width: pw, height: ph, x: px1, y: py1)
                            let value = min(max(s0 + w1 * (s1 - s0) + 0.5, 0), maxValue)
                            if bytes == 1 { orow[x] = UInt8(value) } else {
                                UnsafeMutableRawPointer(orow).storeBytes(of: UInt16(value), toByteOffset: 2 * x, as: UInt16.self)
                            }
                        } else if bytes == 1 {
                            let s0 = sample8(a.0, stride: a.1, width: pw, height: ph, x: px0, y: py0)
                            let s1 = sample8(b.0, stride: b.1, width: pw, height: ph, x: px1, y: py1)
                            orow[x] = UInt8(min(max(s0 + w1 * (s1 - s0) + 0.5, 0), 255))
                        } else {
                            let s0 = sample16(a.0, stride: a.1, width: pw, height: ph, x: px0, y: py0)
                            let s1 = sample16(b.0, stride: b.1, width: pw, height: ph, x: px1, y: py1)
                            let value = min(max(s0 + w1 * (s1 - s0) + 0.5, 0), maxValue)
                            UnsafeMutableRawPointer(orow).storeBytes(of: UInt16(value), toByteOffset: 2 * x, as: UInt16.self)
                        }
                    }
                }
            }
        }}}}}
    }

    /// Clamped cell of (x, y) in a `w × h` plane: corners and fractions. Non-finite positions
    /// read the top-left sample.
    @inline(__always)
    static func cell(_ x: Float, _ y: Float, _ w: Int, _ h: Int) -> (Int, Int, Int, Int, Float, Float) {
        let cx = x.isNaN ? 0 : min(max(x, 0), Float(w - 1)), cy = y.isNaN ? 0 : min(max(y, 0), Float(h - 1))
        let x0 = Int(cx), y0 = Int(cy)
        return (x0, min(x0 + 1, w - 1), y0, min(y0 + 1, h - 1), cx - Float(x0), cy - Float(y0))
    }

    /// Keys' cubic convolution weights (a = −½, Catmull-Rom) of the 4 taps around fraction `f`.
    @inline(__always)
    static func cubicWeights(_ f: Float) -> SIMD4<Float> {
        let f2 = f * f, f3 = f2 * f
        return SIMD4(-0.5 * f3 + f2 - 0.5 * f,
                     1.5 * f3 - 2.5 * f2 + 1,
                     -1.5 * f3 + 2 * f2 + 0.5 * f,
                     0.5 * f3 - 0.5 * f2)
    }

    /// Bicubic (Catmull-Rom) sample of 8-bit or native 16-bit samples at (x, y), edges clamped,
    /// as a Float in sample units (may overshoot the sample range slightly; callers clamp).
    @inline(__always)
    static func sampleCubic(_ p: UnsafePointer<UInt8>, bytes: Int, stride: Int, width w: Int, height h: Int, x: Float, y: Float) -> Float {
        let cx = x.isNaN ? 0 : min(max(x, 0), Float(w - 1)), cy = y.isNaN ? 0 : min(max(y, 0), Float(h - 1))
        let x1 = Int(cx), y1 = Int(cy)
        let wx = cubicWeights(cx - Float(x1)), wy = cubicWeights(cy - Float(y1))
        let xs = SIMD4<Int>(max(x1 - 1, 0), x1, min(x1 + 1, w - 1), min(x1 + 2, w - 1))
        var rows = SIMD4<Float>()
        for j in 0..<4 {
            let row = p + min(max(y1 - 1 + j, 0), h - 1) * stride
            let v: SIMD4<Float>
            if bytes == 1 {
                v = SIMD4(Float(row[xs[0]]), Float(row[xs[1]]), Float(row[xs[2]]), Float(row[xs[3]]))
            } else {
                let r = UnsafeRawPointer(row)
                v = SIMD4(Float(r.loadUnaligned(fromByteOffset: 2 * xs[0], as: UInt16.self)), Float(r.loadUnaligned(fromByteOffset: 2 * xs[1], as: UInt16.self)),
                          Float(r.loadUnaligned(fromByteOffset: 2 * xs[2], as: UInt16.self)), Float(r.loadUnaligned(fromByteOffset: 2 * xs[3], as: UInt16.self)))
            }
            rows[j] = (v * wx).sum()
        }
        return (rows * wy).sum()
    }

    /// Bilinear sample of 8-bit samples, as a Float in sample units.
    @inline(__always)
    static func sample8(_ p: UnsafePointer<UInt8>, stride: Int, width w: Int, height h: Int, x: Float, y: Float) -> Float {
        let (x0, x1, y0, y1, ax, ay) = cell(x, y, w, h)
        let r0 = p + y0 * stride, r1 = p + y1 * stride
        let top = Float(r0[x0]) + ax * (Float(r0[x1]) - Float(r0[x0]))
        let bottom = Float(r1[x0]) + ax * (Float(r1[x1]) - Float(r1[x0]))
        return top + ay * (bottom - top)
    }

    /// Bilinear sample of native-endian 16-bit samples, as a Float in sample units.
    @inline(__always)
    static func sample16(_ p: UnsafePointer<UInt8>, stride: Int, width w: Int, height h: Int, x: Float, y: Float) -> Float {
        let (x0, x1, y0, y1, ax, ay) = cell(x, y, w, h)
        let r0 = UnsafeRawPointer(p + y0 * stride), r1 = UnsafeRawPointer(p + y1 * stride)
        @inline(__always) func at(_ r: UnsafeRawPointer, _ i: Int) -> Float { Float(r.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        let top = at(r0, x0) + ax * (at(r0, x1) - at(r0, x0))
        let bottom = at(r1, x0) + ax * (at(r1, x1) - at(r1, x0))
        return top + ay * (bottom - top)
    }
}
