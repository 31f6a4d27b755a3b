import Foundation
import MediaIO
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob

/// Drives the loop filter over a clip without writing video: for `--spectrum-only`.
enum LoopSpectrumExport {
    static func run(_ filter: LoopFilter, input: String) throws {
        let reader = try VideoReader(path: input)
        var chain = try FilterChain(filters: [filter], input: reader.info.format)
        let discard: FrameSink = { _ in }
        while !chain.isFinished, let frame = try reader.nextFrame() { try chain.push(frame, into: discard) }
        try chain.finish(into: discard)
    }
}

/// The GIF beside a rendered MP4 (a loop's, an animation's) or instead of it, made from the rendered frames themselves
/// (not from the lossy video): scaled to `width` (height in proportion, even; by default the
/// video's, at most 480 px, narrower when the GIF would exceed `pixelBudget`), resampled in
/// time to a rate a GIF can hold exactly (whole centiseconds per frame), so the loop keeps its
/// duration and its motion its speed; one palette for all frames. Returned staged, for the
/// caller to commit with the MP4. Any failure throws: no GIF is reported that was not written.
enum RenderedGIF {
    /// Pixels over all of a GIF's frames when neither its width nor its rate is given.
    static let pixelBudget = 6_000_000.0

    /// The GIF rate for a loop at `rate`: `requested` (or the loop's rate, at most 25 fps),
    /// rounded to 100/d fps for a whole delay d ≥ 2 centiseconds.
    static func rate(for rate: Rational, requested: Double?) -> Rational {
        let wanted = requested ?? min(25, rate.doubleValue)
        let delay = max(2, Int((100 / max(wanted, 0.01)).rounded()))
        return Rational(100, Int64(min(delay, 65535)))
    }

    static func write(_ loopFrames: [Frame], rate loopRate: Rational, to path: String, width: Int?, fps: Double?) throws
        -> (file: StagedFile, rate: Rational, width: Int, height: Int, frames: Int) {
        guard let first = loopFrames.first, loopRate.isPositive else {
            throw MediaError(.invalidArgument, path: path, "the loop has no frames to make a GIF of")
        }
        guard let rgb24 = PixelFormat(name: "rgb24") else { throw MediaError(.invalidArgument, path: path, "this FFmpeg has no rgb24 pixel format") }
        let converter = FrameConverter()
        let sourceWidth = first.width, sourceHeight = first.height
        // Size and rate: as asked, or within a budget of `pixelBudget` pixels over the whole GIF
        // (about 1 byte each once coded): narrower first (down to 160 px), then fewer frames
        // per second (down to 8).
        let seconds = Double(loopFrames.count) / loopRate.doubleValue
        var gifRate = rate(for: loopRate, requested: fps)
        var w = max(2, min(width ?? min(sourceWidth, 480), sourceWidth) / 2 * 2)
        func pixels(_ w: Int, _ r: Rational) -> Double {
            Double(w) * Double(w) * Double(sourceHeight) / Double(sourceWidth) * seconds * r.doubleValue
        }
        if width == nil, pixels(w, gifRate) > pixelBudget {
            let fitted = Int((Double(w) * (pixelBudget / pixels(w, gifRate)).squareRoot()).rounded(.down))
            w = max(min(w, 160), fitted / 2 * 2)
        }
        if fps == nil, pixels(w, gifRate) > pixelBudget {
            gifRate = rate(for: loopRate, requested: max(8, gifRate.doubleValue * pixelBudget / pixels(w, gifRate)))
        }
        let h = max(2, Int((Double(sourceHeight) * Double(w) / Double(sourceWidth) / 2).rounded()) * 2)
        // Resampled in time: frame i of the GIF shows the loop at i / gifRate seconds.
        let n = max(1, Int((seconds * gifRate.doubleValue).rounded()))
        let picked = try (0..<n).map { i -> [UInt8] in
            let frame = loopFrames[min(loopFrames.count - 1, Int(Double(i) * Double(loopFrames.count) / Double(n)))]
            let packed = try converter.convert(frame, width: w, height: h, pixelFormat: rgb24)
            var bytes = [UInt8](repeating: 0, count: w * h * 3)
            packed.withPlane(0) { data, stride, _, _ in
                for y in 0..<h { for x in 0..<(w * 3) { bytes[y * w * 3 + x] = data[y * stride + x] } }
            }
            return bytes
        }
        let staged = try GIFWriter.writeStaged(frames: picked, width: w, height: h, frameRate: gifRate, to: path)
        return (staged.file, staged.rate, w, h, n)
    }
}

/// Writes `count` frames made by `frame(i)` (pts i, any time base) as an MP4 at `fps` frames
/// per second (as an exact rate of at most 6 significant digits), 4:2:0 unless `--pix-fmt` says
/// otherwise, and the GIF beside it (`gif`) or instead of it (`-o x.gif`), made from the same
/// frames; the files are staged and put in place together, or none is. Cancellable by an
/// interrupt. Returns the rate written and the GIF's path, if one was written.
func writeRendered(count: Int, fps: Double, width: Int, height: Int, pixelFormat: PixelFormat, output: String, gif: Bool,
                   encoder: EncoderOptions, out: OutputOptions, label: String,
                   frame: (Int) throws -> Frame) throws -> (rate: Rational, gif: String?) {
    guard let rate = Rational(parsing: String(format: "%.6g", fps)) else { throw CommandError("--fps \(fps) is not a rate") }
    let gifOnly = (output as NSString).pathExtension.lowercased() == "gif"
    let timeBase = Rational(rate.den, rate.num)
    var settings = encoder.settings
    if encoder.pixelFormat == nil { settings.pixelFormat = PixelFormat(name: "yuv420p") }
    let format = StreamFormat(width: width, height: height, pixelFormat: pixelFormat, timeBase: timeBase, frameRate: rate, frameCount: count)
    let writer = try VideoWriter(path: gifOnly ? output + ".mp4" : output, format: format, settings: settings)
    let bar = ProgressBar(label: label, quiet: out.quiet || out.json)
    let started = Date()
    var rendered: [Frame] = []
    let video: StagedFile
    do {
        for i in 0..<count {
            if Interrupts.token.isCancelled { throw PipelineError.cancelled }
            let f = try frame(i)
            f.timeBase = timeBase
            try writer.write(f)
            if gif || gifOnly { rendered.append(f) }
            bar.update(done: i + 1, total: count, elapsed: Date().timeIntervalSince(started))
        }
        video = try writer.finishStaged()
    } catch {
        writer.abort()
        throw error
    }
    bar.finish()
    var gifPath: String?
    do {
        var files = gifOnly ? [] : [video]
        if gif || gifOnly {
            let path = gifOnly ? output : (output as NSString).deletingPathExtension + ".gif"
            files.append(try RenderedGIF.write(rendered, rate: rate, to: path, width: nil, fps: nil).file)
            gifPath = path
        }
        try StagedFile.commit(files)
        if gifOnly { StagedFile.discard([video]) }
    } catch {
        StagedFile.discard([video])
        throw error
    }
    return (rate, gifPath)
}
