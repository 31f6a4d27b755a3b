/// The format of a video stream between two pipeline stages: picture size and layout, and the
/// exact rational clock. `timeBase` is seconds per pts tick; `frameRate` is frames per second.
public struct StreamFormat: Hashable, Sendable, CustomStringConvertible {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Pixel layout of the frames.
    public var pixelFormat: PixelFormat
    /// Seconds per pts tick.
    public var timeBase: Rational
    /// Nominal frames per second (exact, e.g. 30000/1001).
    public var frameRate: Rational
    /// Number of frames when known in advance (for progress and checks), else nil.
    public var frameCount: Int?

    public init(width: Int, height: Int, pixelFormat: PixelFormat, timeBase: Rational, frameRate: Rational, frameCount: Int? = nil) {
        self.width = width
        self.height = height
        self.pixelFormat = pixelFormat
        self.timeBase = timeBase
        self.frameRate = frameRate
        self.frameCount = frameCount
    }

    public var description: String {
        "\(width)x\(height) \(pixelFormat) \(frameRate) fps tb=\(timeBase)" + (frameCount.map { " frames=\($0)" } ?? "")
    }
}
