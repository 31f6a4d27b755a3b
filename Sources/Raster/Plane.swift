/// A single-channel image of `Float` samples, row-major and contiguous (row stride = `width`).
/// Intensities are in [0, 1] unless a producer says otherwise; flow components are in pixels.
public struct Plane: Sendable, Equatable {
    /// Width in samples.
    public let width: Int
    /// Height in rows.
    public let height: Int
    /// `width × height` samples, row after row. Outside this package samples are written
    /// through `withMutableSamples` or the subscript, which cannot change their count.
    public package(set) var data: [Float]

    /// A plane filled with `value`.
    public init(width: Int, height: Int, value: Float = 0) {
        precondition(width >= 0 && height >= 0, "negative plane size")
        self.width = width
        self.height = height
        self.data = [Float](repeating: value, count: width * height)
    }

    /// A plane over existing samples; `data.count` must be `width × height`.
    public init(width: Int, height: Int, data: [Float]) {
        precondition(data.count == width * height, "plane data has \(data.count) samples, expected \(width * height)")
        self.width = width
        self.height = height
        self.data = data
    }

    /// Sample at column `x`, row `y` (no bounds clamping).
    public subscript(x: Int, y: Int) -> Float {
        @inlinable get { data[y * width + x] }
        set { data[y * width + x] = newValue }
    }

    /// Number of samples.
    @inlinable public var count: Int { width * height }
}

/// A planar image of `Float` samples: one `Plane` per channel, all the same size
/// (3 planes R, G, B for colour; 1 plane for luma). Values in [0, 1].
public struct PlanarImage: Sendable, Equatable {
    /// The channels, each `width × height`.
    public var planes: [Plane]

    public init(planes: [Plane]) {
        precondition(!planes.isEmpty, "an image needs at least one plane")
        precondition(planes.allSatisfy { $0.width == planes[0].width && $0.height == planes[0].height }, "planes differ in size")
        self.planes = planes
    }

    /// A black image with `channels` planes.
    public init(width: Int, height: Int, channels: Int) {
        self.planes = (0..<channels).map { _ in Plane(width: width, height: height) }
    }

    public var width: Int { planes[0].width }
    public var height: Int { planes[0].height }
    public var channels: Int { planes.count }
}

extension Plane {
    /// The standard deviation of the samples (their unit; 0 for an empty plane), in Double.
    public var standardDeviation: Double {
        guard count > 0 else { return 0 }
        let mean = data.reduce(0.0) { $0 + Double($1) } / Double(count)
        let variance = data.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
        return variance.squareRoot()
    }
}
