internal import CFFmpeg
import Raster

/// Converts frames between pixel formats and sizes with swscale, and to and from planar
/// `Float` images for analysis (RGB or luma, values in [0, 1]). Caches its swscale context
/// for repeated conversions of the same geometry. One converter per thread.
public final class FrameConverter {
    public init() {}

    /// The frame as three Float planes R, G, B in [0, 1].
    public func rgb(_ frame: Frame) throws -> PlanarImage {
        throw MediaError(.unsupportedFormat, path: "", "FrameConverter is not implemented yet")
    }

    /// The frame's luma (Y, or BT.601 luma of RGB) as one Float plane in [0, 1].
    public func luma(_ frame: Frame) throws -> Plane {
        throw MediaError(.unsupportedFormat, path: "", "FrameConverter is not implemented yet")
    }

    /// A frame of `pixelFormat` made from a Float RGB (3 planes) or gray (1 plane) image.
    public func frame(from image: PlanarImage, pixelFormat: PixelFormat, pts: Int64, timeBase: Rational) throws -> Frame {
        throw MediaError(.unsupportedFormat, path: "", "FrameConverter is not implemented yet")
    }

    /// The frame scaled to `width × height` and converted to `pixelFormat` (timestamps kept).
    public func convert(_ frame: Frame, width: Int, height: Int, pixelFormat: PixelFormat) throws -> Frame {
        throw MediaError(.unsupportedFormat, path: "", "FrameConverter is not implemented yet")
    }
}
