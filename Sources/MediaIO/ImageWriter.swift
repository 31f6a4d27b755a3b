internal import CFFmpeg
import Foundation
import Raster

/// Writes single pictures as PNG files with FFmpeg's PNG encoder: flow visualisations,
/// occlusion masks, frames for inspection. Like `VideoWriter`, it writes a temporary file
/// beside the target and renames it, so a failure leaves nothing under the final name.
public enum ImageWriter {
    /// Writes `image` (1 plane: 8-bit gray; 3 planes: 8-bit RGB; values in [0, 1], clamped)
    /// to `path` as PNG.
    public static func writePNG(_ image: PlanarImage, to path: String) throws {
        guard image.channels == 1 || image.channels == 3 else {
            throw MediaError(.invalidArgument, path: path, "PNG needs 1 or 3 planes, got \(image.channels)")
        }
        let format: PixelFormat = image.channels == 1 ? .gray : .rgb24
        let frame = try FrameConverter().frame(from: image, pixelFormat: format, pts: 0, timeBase: Rational(1, 1))
        try writePNG(frame, to: path)
    }

    /// Writes one frame as PNG (any pixel format the PNG encoder takes: rgb24, rgba, gray,
    /// gray16, rgb48; others are converted to rgb24 first).
    public static func writePNG(_ frame: Frame, to path: String) throws {
        guard let codec = wf_find_encoder(AV_CODEC_ID_PNG) else {
            throw MediaError(.unsupportedCodec, path: path, "this FFmpeg build has no PNG encoder")
        }
        let accepted: [PixelFormat] = [.rgb24, .gray, PixelFormat(AV_PIX_FMT_RGBA), PixelFormat(AV_PIX_FMT_GRAY16BE), PixelFormat(AV_PIX_FMT_RGB48BE)]
        let source = accepted.contains(frame.pixelFormat)
            ? frame : try FrameConverter().convert(frame, width: frame.width, height: frame.height, pixelFormat: .rgb24)
        guard let context = avcodec_alloc_context3(codec) else { throw MediaError(.io, path: path, "out of memory") }
        var ctx: UnsafeMutablePointer<AVCodecContext>? = context
        defer { avcodec_free_context(&ctx) }
        context.pointee.width = Int32(source.width)
        context.pointee.height = Int32(source.height)
        context.pointee.pix_fmt = source.pixelFormat.av
        context.pointee.time_base = AVRational(num: 1, den: 25)
        try check(avcodec_open2(context, codec, nil), .encodeFailed, path: path, "cannot open the PNG encoder for \(source.pixelFormat)")
        guard let packet = av_packet_alloc() else { throw MediaError(.io, path: path, "out of memory") }
        var pkt: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&pkt) }
        try check(avcodec_send_frame(context, source.pointer), .encodeFailed, path: path, "the PNG encoder rejected the picture")
        _ = avcodec_send_frame(context, nil)
        try check(avcodec_receive_packet(context, packet), .encodeFailed, path: path, "the PNG encoder produced no data")
        let data = Data(bytes: packet.pointee.data, count: Int(packet.pointee.size))
        try writeAtomically(data, to: path)
    }

    /// Writes `data` to a temporary file beside `path`, then renames it into place.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw MediaError(.cannotWrite, path: path, "the output folder \(dir.path) does not exist")
        }
        let staged = StagedFile(temporary: TemporaryOutput.path(for: path), path: path)
        do {
            try data.write(to: URL(fileURLWithPath: staged.temporary))
            try StagedFile.commit([staged])
        } catch let error as MediaError {
            StagedFile.discard([staged])
            throw error
        } catch {
            StagedFile.discard([staged])
            throw MediaError(.cannotWrite, path: path, "cannot write: \(error.localizedDescription)")
        }
    }
}
