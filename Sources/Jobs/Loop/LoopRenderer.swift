import Foundation
import Flow
import Pipeline
import Raster

/// Renders the frames of a spectral loop from one reference frame: for every output phase the
/// loop's displacement (working resolution) is resized to each plane's size (luma at full size,
/// chroma at its own, values scaled to that plane's pixels) and the reference plane is
/// forward-warped by softmax splatting (weights exp(α·importance), importance = each pixel's
/// mean motion over the loop, so moving foreground wins over still background), holes filled
/// from the window's steady background where given (`LoopBackground`, fill=background), else
/// from their neighbourhood. Works in the frame's own planes, 8-bit or native 16-bit samples: no
/// trip through RGB, the pixel format and colour tags are kept.
package struct LoopRenderer {
    /// The loop's motion; nil for a renderer of given displacements (`render(displacement:)`).
    let motion: LoopMotion?
    let reference: Frame
    let alpha: Float
    let threads: Int
    private let importance: Plane
    private let planes: [Plane]
    /// The steady background of each plane (plane size), or nil: holes filled from their
    /// neighbourhood only.
    private let background: [StaticBackground]?
    private let maxValue: Float
    private let bytes: Int
    /// Pixels of the first plane (luma) left uncovered by the splat, and how many of them the
    /// background filled, summed over the frames rendered.
    private(set) var holes = 0, holesFromBackground = 0
    /// True when some reference pixels were replaced by the clean plate.
    private let replaced: Bool

    /// `importance`: each pixel's mean motion over the loop (`motion.meanMagnitude()`), at the
    /// motion's working size. `background`: one per plane of the reference, of that plane's size.
    /// `cleanPlate`: pixels held still (`weight` 0 … 1 at the motion's working size) show the
    /// window's steady background (`planes`, one per plane) where it has one, instead of the
    /// reference frame: a thing that only passes through is left out.
    package init(motion: LoopMotion?, importance: Plane, reference: Frame, alpha: Float, background: [StaticBackground]? = nil,
         cleanPlate: (weight: Plane, planes: [StaticBackground])? = nil, threads: Int) throws {
        self.motion = motion
        self.reference = reference
        self.alpha = alpha
        self.threads = threads
        self.importance = importance
        let format = reference.pixelFormat
        bytes = format.bytesPerSample
        maxValue = Self.fullScale(format)
        var planes = (0..<format.planeCount).map { Self.readPlane(reference, $0, bytes: format.bytesPerSample) }
        if let plate = cleanPlate, plate.planes.count == planes.count {
            for i in planes.indices where plate.planes[i].median.width == planes[i].width && plate.planes[i].median.height == planes[i].height {
                let w = planes[i].width, h = planes[i].height
                let weight = plate.weight.resizedBilinear(width: w, height: h, threads: threads)
                for j in 0..<(w * h) where plate.planes[i].steady.data[j] > 0 && weight.data[j] > 0 {
                    let m = min(1, weight.data[j])
                    planes[i].data[j] += m * (plate.planes[i].median.data[j] - planes[i].data[j])
                }
            }
            replaced = true
        } else {
            replaced = false
        }
        self.planes = planes
        if let background {
            guard background.count == planes.count,
                  zip(background, planes).allSatisfy({ $0.median.width == $1.width && $0.median.height == $1.height }) else {
                throw FilterError.processing(filter: LoopFilter.name, reason: "the window's background does not match the reference frame's planes")
            }
        }
        self.background = background
    }

    /// The frame at loop phase `phase` (0 ≤ phase < 1); phase 0 is the reference itself.
    mutating func render(phase: Double) throws -> Frame {
        let out = try reference.copy()
        if phase == 0 {
            if replaced {
                for (i, p) in planes.enumerated() { try Self.writePlane(p, into: out, i, bytes: bytes, maxValue: maxValue) }
            }
            return out
        }
        guard let motion else { throw FilterError.processing(filter: LoopFilter.name, reason: "the renderer has no loop motion") }
        return try render(displacement: motion.displacement(phase: phase), at: String(format: "loop phase %.3f", phase))
    }

    /// The reference frame moved by `field` (working size, pixels), `at` naming the moment in
    /// errors. Throws when more than half the picture would be left uncovered.
    package mutating func render(displacement field: FlowField, at moment: String) throws -> Frame {
        let out = try reference.copy()
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
                                         fillHoles: false, threads: threads)
            let isLuma = group.indices[0] == 0
            if isLuma { holes += result.holeCount }
            // Flat frames filled from a few pixels' neighbourhood are not a picture: refused.
            if isLuma, result.holeCount * 2 > w * h {
                throw FilterError.processing(filter: LoopFilter.name, reason: String(
                    format: "the motion at %@ leaves %.0f%% of the picture uncovered (no pixel of the reference frame lands there); "
                        + "the motion moves pixels too far to render: lower amplitude=", moment, 100 * Double(result.holeCount) / Double(w * h)))
            }
            var warped = result.planes, coverage = result.weight
            if let background, result.holeCount > 0 {
                // A hole whose pixel is steady background in every plane of the group takes it.
                let steady = group.indices.map { background[$0] }
                for t in 0..<coverage.count where coverage.data[t] < result.holeThreshold {
                    guard steady.allSatisfy({ $0.steady.data[t] > 0 }) else { continue }
                    for j in steady.indices { warped[j].data[t] = steady[j].median.data[t] }
                    coverage.data[t] = 1
                    if isLuma { holesFromBackground += 1 }
                }
            }
            let filled = try Plane.fillingHoles(warped, weight: coverage, threshold: result.holeThreshold, threads: threads)
            for (j, i) in group.indices.enumerated() { done[i] = [filled[j]] }
        }
        for (i, value) in done { try Self.writePlane(value[0], into: out, i, bytes: bytes, maxValue: maxValue) }
        return out
    }

    /// The largest code value of `format`'s samples (255 for 8-bit).
    static func fullScale(_ format: PixelFormat) -> Float { Float((1 << min(format.bitDepth, 16)) - 1) }

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

/// The steady background of a tracked window (`StaticBackground` of every plane, in code
/// values), from frames spread over it: what a spectral loop shows where its motion uncovers
/// picture the reference frame hides.
enum LoopBackground {
    /// Frames sampled from the window (the first included), at most.
    static let samples = 24
    /// A sample agrees with the median within this fraction of full scale (coding noise, a
    /// little light flicker).
    static let tolerance: Float = 0.03
    /// Fraction of the samples that must agree for a pixel to be steady background: it is
    /// seen in most of the window.
    static let agreement: Float = 0.6

    /// One background per plane of `frames` (same size and format, at least one).
    static func planes(of frames: [Frame], threads: Int) throws -> [StaticBackground] {
        guard let format = frames.first?.pixelFormat else { return [] }
        let full = LoopRenderer.fullScale(format)
        return try (0..<format.planeCount).map { index in
            let samples = frames.map { LoopRenderer.readPlane($0, index, bytes: format.bytesPerSample) }
            do {
                return try StaticBackground(samples: samples, tolerance: tolerance * full, agreement: agreement, threads: threads)
            } catch {
                throw FilterError.processing(filter: LoopFilter.name, reason: "the window's background: \(error)")
            }
        }
    }
}
