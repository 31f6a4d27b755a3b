import Foundation
import Raster

/// The Middlebury colour-wheel visualisation of a flow (Baker et al. 2011): hue gives the
/// direction, saturation the magnitude relative to `maxMagnitude`.
extension FlowField {
    /// The 55-entry colour wheel (RGB in [0, 1]): red→yellow (15), yellow→green (6),
    /// green→cyan (4), cyan→blue (11), blue→magenta (13), magenta→red (6).
    static let wheel: [SIMD3<Float>] = {
        var colours = [SIMD3<Float>]()
        let segments: [(Int, (Float) -> SIMD3<Float>)] = [
            (15, { SIMD3(1, $0, 0) }), (6, { SIMD3(1 - $0, 1, 0) }), (4, { SIMD3(0, 1, $0) }),
            (11, { SIMD3(0, 1 - $0, 1) }), (13, { SIMD3($0, 0, 1) }), (6, { SIMD3(1, 0, 1 - $0) }),
        ]
        for (n, make) in segments {
            for i in 0..<n { colours.append(make(Float(i) / Float(n))) }
        }
        return colours
    }()

    /// An RGB image (3 planes in [0, 1]) showing this flow on the standard colour wheel.
    /// Displacements of length `maxMagnitude` pixels reach full saturation (nil: the largest
    /// finite magnitude in the flow); longer ones are drawn darker. Non-finite vectors are black.
    public func colorWheel(maxMagnitude: Float? = nil) -> PlanarImage {
        var image = PlanarImage(width: width, height: height, channels: 3)
        guard width > 0, height > 0 else { return image }
        var maxRad: Float = 0
        if let maxMagnitude { maxRad = maxMagnitude } else {
            for i in 0..<(width * height) {
                let m = (u.data[i] * u.data[i] + v.data[i] * v.data[i]).squareRoot()
                if m.isFinite { maxRad = max(maxRad, m) }
            }
        }
        let scale: Float = maxRad > 0 ? 1 / maxRad : 0
        let wheel = FlowField.wheel, n = wheel.count
        for i in 0..<(width * height) {
            let fx = u.data[i], fy = v.data[i]
            guard fx.isFinite, fy.isFinite else { continue }
            let rad = (fx * fx + fy * fy).squareRoot() * scale
            let angle = Float(atan2(Double(-fy), Double(-fx)) / Double.pi)
            let fk = (angle + 1) / 2 * Float(n - 1)
            let k0 = min(max(Int(fk), 0), n - 1), k1 = (k0 + 1) % n
            let f = fk - Float(k0)
            var colour = wheel[k0] * (1 - f) + wheel[k1] * f
            if rad <= 1 {
                colour = SIMD3<Float>(repeating: 1) - (SIMD3<Float>(repeating: 1) - colour) * rad
            } else {
                colour *= 0.75
            }
            image.planes[0].data[i] = colour.x
            image.planes[1].data[i] = colour.y
            image.planes[2].data[i] = colour.z
        }
        return image
    }
}
