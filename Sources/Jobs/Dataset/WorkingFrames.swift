import Tensors
import Flow
import MediaIO
import Raster

/// A decoded frame brought to the working resolution: packed RGB bytes (for the sample's
/// first frame) and Float luma in [0, 1] (for the flow).
public struct WorkingFrame: Sendable {
    /// Width × height × 3 bytes, R G B per pixel, row-major.
    public var rgb: [UInt8]
    /// Luma (BT.601 weights of the working RGB), [0, 1].
    public var luma: Plane

    /// R, G and B as planes of values in [0, 1].
    public var colourPlanes: [Plane] {
        let w = luma.width, h = luma.height
        guard rgb.count == w * h * 3 else { return [luma] }
        return (0..<3).map { c in Plane(width: w, height: h, data: (0..<(w * h)).map { Float(rgb[3 * $0 + c]) / 255 }) }
    }
}

/// Turns frames of any size, pixel format and aspect into working frames: scaled with
/// swscale's area filter (anti-aliased), centre-cropped or padded to `width × height`.
final class WorkingFrameSampler {
    let width: Int, height: Int, fit: DatasetConfiguration.Fit
    private let converter = FrameConverter()
    private let rgb24: PixelFormat

    init(width: Int, height: Int, fit: DatasetConfiguration.Fit) throws {
        guard let rgb24 = PixelFormat(name: "rgb24") else { throw DatasetError("rgb24", "FFmpeg does not know the rgb24 pixel format") }
        self.width = width
        self.height = height
        self.fit = fit
        self.rgb24 = rgb24
    }

    /// The scaled size before cropping or padding, for a `w × h` source (both ≥ 1).
    func scaledSize(sourceWidth w: Int, sourceHeight h: Int) -> (width: Int, height: Int) {
        let sx = Double(width) / Double(w), sy = Double(height) / Double(h)
        let s = fit == .crop ? max(sx, sy) : min(sx, sy)
        var sw = Int((Double(w) * s).rounded()), sh = Int((Double(h) * s).rounded())
        if fit == .crop {
            sw = max(sw, width)
            sh = max(sh, height)
        } else {
            sw = min(max(sw, 1), width)
            sh = min(max(sh, 1), height)
        }
        return (sw, sh)
    }

    func sample(_ frame: Frame) throws -> WorkingFrame {
        guard frame.width > 0, frame.height > 0 else { throw DatasetError("frame", "has no pixels") }
        let (sw, sh) = scaledSize(sourceWidth: frame.width, sourceHeight: frame.height)
        let scaled = try converter.convert(frame, width: sw, height: sh, pixelFormat: rgb24, algorithm: .area)
        let w = width, h = height
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        // Crop: source offset into the scaled picture; pad: destination offset into the canvas.
        let srcX = fit == .crop ? (sw - w) / 2 : 0, srcY = fit == .crop ? (sh - h) / 2 : 0
        let dstX = fit == .pad ? (w - sw) / 2 : 0, dstY = fit == .pad ? (h - sh) / 2 : 0
        let copyW = min(w, sw), copyH = min(h, sh)
        scaled.withPlane(0) { bytes, stride, _, _ in
            rgb.withUnsafeMutableBufferPointer { out in
                for y in 0..<copyH {
                    let s = (srcY + y) * stride + srcX * 3
                    let d = ((dstY + y) * w + dstX) * 3
                    for i in 0..<(copyW * 3) { out[d + i] = bytes[s + i] }
                }
            }
        }
        let luma = Plane(width: w, height: h) { out in
            rgb.withUnsafeBufferPointer { p in
                for i in 0..<(w * h) {
                    let r = Float(p[3 * i]), g = Float(p[3 * i + 1]), b = Float(p[3 * i + 2])
                    out[i] = (0.299 * r + 0.587 * g + 0.114 * b) * (1 / 255)
                }
            }
        }
        return WorkingFrame(rgb: rgb, luma: luma)
    }
}
