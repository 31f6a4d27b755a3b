import Foundation
import Motion
import Pipeline
import Raster

/// Renders the frames of a spectral loop from one reference frame: for every output phase the
/// loop's displacement (working resolution) is resized to each plane's size (luma at full size,
/// chroma at its own, values scaled to that plane's pixels) and the reference plane is
/// forward-warped by softmax splatting (weights exp(α·importance), importance = each pixel's
/// mean motion over the loop, so moving foreground wins over still background), holes filled
/// from their neighbourhood. Works in the frame's own planes, 8-bit or native 16-bit samples:
/// no trip through RGB, the pixel format and colour tags are kept.
struct LoopRenderer {
    let motion: LoopMotion
    let reference: Frame
    let alpha: Float
    let threads: Int
    private let importance: Plane
    private let planes: [Plane]
    private let maxValue: Float
    private let bytes: Int

    /// `importance`: each pixel's mean motion over the loop (`motion.meanMagnitude()`), at the
    /// motion's working size.
    init(motion: LoopMotion, importance: Plane, reference: Frame, alpha: Float, threads: Int) throws {
        self.motion = motion
        self.reference = reference
        self.alpha = alpha
        self.threads = threads
        self.importance = importance
        let format = reference.pixelFormat
        bytes = format.bytesPerSample
        maxValue = Float((1 << min(format.bitDepth, 16)) - 1)
        planes = (0..<format.planeCount).map { Self.readPlane(reference, $0, bytes: format.bytesPerSample) }
    }

    /// The frame at loop phase `phase` (0 ≤ phase < 1); phase 0 is the reference itself.
    func render(phase: Double) throws -> Frame {
        let out = try reference.copy()
        if phase == 0 { return out }
        let field = motion.displacement(phase: phase)
        var done: [Int: [Plane]] = [:]
        // Planes of one size (the two chroma planes) are splatted together.
        var groups: [(size: Int, indices: [Int])] = []
        for (i, p) in planes.enumerated() {
            let key = p.width << 20 | p.height
            if let g = groups.firstIndex(where: { $0.size == key }) { groups[g].indices.append(i) } else { groups.append((key, [i])) }
        }
        for group in groups {
            let first = planes[group.indices[0]]
            let w = first.width, h = first.height
            let sx = Float(w) / Float(field.width), sy = Float(h) / Float(field.height)
            let splatField = try SplatField(
                u: field.u.resizedBilinear(width: w, height: h, valueScale: sx, threads: threads),
                v: field.v.resizedBilinear(width: w, height: h, valueScale: sy, threads: threads),
                importance: importance.resizedBilinear(width: w, height: h, threads: threads))
            let result = try Plane.splat(group.indices.map { planes[$0] }, field: splatField, mode: .softmax(alpha: alpha),
                                         fillHoles: true, threads: threads)
            for (j, i) in group.indices.enumerated() { done[i] = [result.planes[j]] }
        }
        for (i, value) in done { try Self.writePlane(value[0], into: out, i, bytes: bytes, maxValue: maxValue) }
        return out
    }

    /// Plane `index` of `frame` as Float samples (code values, not normalised).
    static func readPlane(_ frame: Frame, _ index: Int, bytes: Int) -> Plane {
        frame.withPlane(index) { data, stride, w, h in
            Plane(width: w, height: h) { out in
                for y in 0..<h {
                    let row = y * stride
                    if bytes == 1 {
                        for x in 0..<w { out[y * w + x] = Float(data[row + x]) }
                    } else {
                        for x in 0..<w {
                            out[y * w + x] = Float(UInt16(data[row + 2 * x]) | UInt16(data[row + 2 * x + 1]) << 8)
                        }
                    }
                }
            }
        }
    }

    /// Writes Float code values into plane `index`, rounded and clamped to 0 … maxValue.
    static func writePlane(_ plane: Plane, into frame: Frame, _ index: Int, bytes: Int, maxValue: Float) throws {
        try frame.withMutablePlane(index) { data, stride, w, h in
            for y in 0..<h {
                let row = y * stride
                for x in 0..<w {
                    let v = plane.data[y * w + x]
                    let q = v.isFinite ? min(max(v.rounded(), 0), maxValue) : 0
                    if bytes == 1 {
                        data[row + x] = UInt8(q)
                    } else {
                        let s = UInt16(q)
                        data[row + 2 * x] = UInt8(truncatingIfNeeded: s)
                        data[row + 2 * x + 1] = UInt8(truncatingIfNeeded: s >> 8)
                    }
                }
            }
        }
    }
}
