import Raster
import Dispatch

/// Direct 8-bit planar YUV (4:2:0, 4:2:2, 4:4:4) → Float RGB in [0, 1], the fast path of
/// `FrameConverter.rgb`: one pass per output row, parallel over rows, with chroma upsampled
/// bilinearly (MPEG-2/H.264 siting: horizontally co-sited with even luma columns, vertically
/// centred between luma rows for 4:2:0).
struct YUVToRGB {
    /// Luma weights of R and B (BT.601: 0.299/0.114; BT.709: 0.2126/0.0722; BT.2020: 0.2627/0.0593).
    var kr: Float, kb: Float
    /// Full (0…255) or limited (16…235 luma, 16…240 chroma) range.
    var fullRange: Bool

    /// The weights of a colour matrix given as FFmpeg's AVColorSpace value; nil when unknown.
    static func weights(matrix: Int32) -> (Float, Float)? {
        switch matrix {
        case 1: return (0.2126, 0.0722)            // BT.709
        case 5, 6: return (0.299, 0.114)           // BT.470BG, SMPTE 170M (BT.601)
        case 9, 10: return (0.2627, 0.0593)        // BT.2020
        default: return nil
        }
    }

    /// Coefficients mapping 8-bit samples to R, G, B: y' = (Y − yOff)·yScale, c' = (C − 128)·cScale,
    /// R = y' + rv·v', G = y' − gu·u' − gv·v', B = y' + bu·u'.
    struct Coefficients {
        var yOff: Float, yScale: Float, cScale: Float
        var rv: Float, gu: Float, gv: Float, bu: Float
    }

    var coefficients: Coefficients {
        let kg = 1 - kr - kb
        return Coefficients(yOff: fullRange ? 0 : 16, yScale: fullRange ? 1 / 255 : 1 / 219,
                            cScale: fullRange ? 1 / 255 : 1 / 224,
                            rv: 2 * (1 - kr), gu: 2 * kb * (1 - kb) / kg, gv: 2 * kr * (1 - kr) / kg, bu: 2 * (1 - kb))
    }

    /// Scalar reference for one row: 8-bit luma and Float chroma (already upsampled to the
    /// full width, still offset by 128) → R, G, B rows, clamped to [0, 1].
    static func combineRowScalar(_ y: UnsafePointer<UInt8>, _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                                 _ r: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>,
                                 count: Int, _ c: Coefficients) {
        for i in 0..<count {
            let yy = (Float(y[i]) - c.yOff) * c.yScale
            let uu = (u[i] - 128) * c.cScale, vv = (v[i] - 128) * c.cScale
            r[i] = min(max(yy + c.rv * vv, 0), 1)
            g[i] = min(max(yy - c.gu * uu - c.gv * vv, 0), 1)
            b[i] = min(max(yy + c.bu * uu, 0), 1)
        }
    }

    /// SIMD version of `combineRowScalar`, 16 pixels at a time.
    static func combineRow(_ y: UnsafePointer<UInt8>, _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                           _ r: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>,
                           count: Int, _ c: Coefficients) {
        typealias V = SIMD16<Float>
        let zero = V(repeating: 0), one = V(repeating: 1), mid = V(repeating: 128)
        let yOff = V(repeating: c.yOff), yScale = V(repeating: c.yScale), cScale = V(repeating: c.cScale)
        let rv = V(repeating: c.rv), gu = V(repeating: c.gu), gv = V(repeating: c.gv), bu = V(repeating: c.bu)
        let yRaw = UnsafeRawPointer(y), uRaw = UnsafeRawPointer(u), vRaw = UnsafeRawPointer(v)
        let rRaw = UnsafeMutableRawPointer(r), gRaw = UnsafeMutableRawPointer(g), bRaw = UnsafeMutableRawPointer(b)
        @inline(__always) func clamp(_ x: V) -> V {
            var x = x
            x.replace(with: zero, where: x .< zero)
            x.replace(with: one, where: x .> one)
            return x
        }
        var i = 0
        while i + 16 <= count {
            let yy = (V(yRaw.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)) - yOff) * yScale
            let uu = (uRaw.loadUnaligned(fromByteOffset: i * 4, as: V.self) - mid) * cScale
            let vv = (vRaw.loadUnaligned(fromByteOffset: i * 4, as: V.self) - mid) * cScale
            rRaw.storeBytes(of: clamp(yy + rv * vv), toByteOffset: i * 4, as: V.self)
            gRaw.storeBytes(of: clamp(yy - gu * uu - gv * vv), toByteOffset: i * 4, as: V.self)
            bRaw.storeBytes(of: clamp(yy + bu * uu), toByteOffset: i * 4, as: V.self)
            i += 16
        }
        if i < count { combineRowScalar(y + i, u + i, v + i, r + i, g + i, b + i, count: count - i, c) }
    }

    /// Scalar reference: upsamples one chroma row (vertical blend of rows `a` and `b` with
    /// weight `wb` on `b`) horizontally to `width` samples: co-sited, so even columns copy,
    /// odd ones average their neighbours.
    static func upsampleRowScalar(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, wb: Float, shiftX: Int,
                            chromaWidth: Int, width: Int, into out: UnsafeMutablePointer<Float>) {
        let wa = 1 - wb
        if shiftX == 0 {
            for x in 0..<width { out[x] = wa * Float(a[x]) + wb * Float(b[x]) }
            return
        }
        // 4:2:x: out[2j] = c[j], out[2j+1] = (c[j] + c[j+1]) / 2.
        var prev = wa * Float(a[0]) + wb * Float(b[0])
        for j in 0..<chromaWidth {
            let nextIndex = min(j + 1, chromaWidth - 1)
            let next = wa * Float(a[nextIndex]) + wb * Float(b[nextIndex])
            let x = 2 * j
            if x < width { out[x] = prev }
            if x + 1 < width { out[x + 1] = 0.5 * (prev + next) }
            prev = next
        }
    }

    /// SIMD version of `upsampleRowScalar`: the vertical blend 16 chroma samples at a time into
    /// `scratch` (≥ chromaWidth floats), then the horizontal interleave.
    static func upsampleRow(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, wb: Float, shiftX: Int,
                            chromaWidth: Int, width: Int, scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let wa = 1 - wb
        let dst = shiftX == 0 ? out : scratch
        let n = shiftX == 0 ? width : chromaWidth
        let ar = UnsafeRawPointer(a), br = UnsafeRawPointer(b), dr = UnsafeMutableRawPointer(dst)
        let va = SIMD16<Float>(repeating: wa), vb = SIMD16<Float>(repeating: wb)
        var j = 0
        while j + 16 <= n {
            let x = SIMD16<Float>(ar.loadUnaligned(fromByteOffset: j, as: SIMD16<UInt8>.self))
            let y = SIMD16<Float>(br.loadUnaligned(fromByteOffset: j, as: SIMD16<UInt8>.self))
            dr.storeBytes(of: va * x + vb * y, toByteOffset: j * 4, as: SIMD16<Float>.self)
            j += 16
        }
        while j < n { dst[j] = wa * Float(a[j]) + wb * Float(b[j]); j += 1 }
        if shiftX == 0 { return }
        let last = chromaWidth - 1
        var k = 0
        while k < last {
            let c = scratch[k], d = scratch[k + 1]
            out[2 * k] = c
            out[2 * k + 1] = 0.5 * (c + d)
            k += 1
        }
        if 2 * last < width { out[2 * last] = scratch[last] }
        if 2 * last + 1 < width { out[2 * last + 1] = scratch[last] }
    }

    /// Converts a whole frame. Planes are given as (base, bytes per row); outputs are
    /// contiguous `width × height` Float planes.
    func convert(y: (UnsafePointer<UInt8>, Int), u: (UnsafePointer<UInt8>, Int), v: (UnsafePointer<UInt8>, Int),
                 width: Int, height: Int, shiftX: Int, shiftY: Int,
                 r: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>) {
        let c = coefficients
        let chromaWidth = -((-width) >> shiftX), chromaHeight = -((-height) >> shiftY)
        let bands = width * height >= 65_536 ? min(processorCount * 2, height) : 1
        let work = { (band: Int) in
            let start = height * band / bands, end = height * (band + 1) / bands
            let uRow = UnsafeMutablePointer<Float>.allocate(capacity: width + 16)
            let vRow = UnsafeMutablePointer<Float>.allocate(capacity: width + 16)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: width + 16)
            defer { uRow.deallocate(); vRow.deallocate(); scratch.deallocate() }
            for row in start..<end {
                // Vertical chroma position: centred for 4:2:0 (sample j sits at luma row 2j + 0.5).
                var c0 = row, c1 = row
                var wb: Float = 0
                if shiftY > 0 {
                    let pos = (Float(row) - 0.5) / 2
                    let f = pos.rounded(.down)
                    wb = pos - f
                    c0 = min(max(Int(f), 0), chromaHeight - 1)
                    c1 = min(max(Int(f) + 1, 0), chromaHeight - 1)
                }
                YUVToRGB.upsampleRow(u.0 + c0 * u.1, u.0 + c1 * u.1, wb: wb, shiftX: shiftX, chromaWidth: chromaWidth, width: width, scratch: scratch, into: uRow)
                YUVToRGB.upsampleRow(v.0 + c0 * v.1, v.0 + c1 * v.1, wb: wb, shiftX: shiftX, chromaWidth: chromaWidth, width: width, scratch: scratch, into: vRow)
                let o = row * width
                YUVToRGB.combineRow(y.0 + row * y.1, uRow, vRow, r + o, g + o, b + o, count: width, c)
            }
        }
        Parallel.forEach(bands, work)
    }
}
