// libFuzzer target `spectrum`: the input bytes as a loop spectrum file (`warpflow loop
// --from-spectrum`, the dataset's safetensors format), rendered by the `loop` filter
// (`spectrum_in=`) from one synthetic frame, in two configurations: 32×24 yuv420p, 10 fps,
// 3 frames, origin=auto; and 17×11 yuv420p10le (odd size, 16-bit samples), 3 fps, 2 frames
// repeated twice, origin=reference, amplitude=1.5. Allowed: exactly the announced frames (the
// input's size and pixel format, pts 0, 1, 2 … in the time base 1/fps), or a `FilterError`
// whose text names the spectrum file. Never allowed: a trap or ASan report; another error
// type; a frame of another size, format, count or time.
// Build and run: see Tests/Fuzz/README.md.
import Foundation
import MediaIO
import Pipeline
import LoopJob

/// The spectrum file of this process (rewritten for every input).
private let path: String = {
    var base = NSTemporaryDirectory()
    while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
    return base + "/warpflow-fuzz-spectrum-\(getpid()).safetensors"
}()

/// One rendering set-up: the input stream and the loop's options besides `spectrum_in`.
private struct Setup {
    var input: StreamFormat
    var options: [String: String]
}

private let setups = [
    Setup(input: StreamFormat(width: 32, height: 24, pixelFormat: .yuv420p, timeBase: Rational(1, 10), frameRate: Rational(10, 1)),
          options: ["duration": "0.3", "threads": "1"]),
    Setup(input: StreamFormat(width: 17, height: 11, pixelFormat: .yuv420p10, timeBase: Rational(1, 3), frameRate: Rational(3, 1)),
          options: ["duration": "0.7", "origin": "reference", "amplitude": "1.5", "repeat": "2", "threads": "1"]),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpectrum(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = count > 0 && start != nil ? Data(bytes: start!, count: count) : Data()
    do {
        try data.write(to: URL(fileURLWithPath: path))
    } catch {
        fatalError("fuzz-spectrum: cannot write \(path): \(error)")
    }
    for setup in setups { render(setup) }
    return 0
}

/// Renders the file with `setup` and checks the outcome.
private func render(_ setup: Setup) {
    let what = "\(setup.input.width)x\(setup.input.height) \(setup.input.pixelFormat)"
    var out: [Frame] = []
    let format: StreamFormat
    do {
        var options = setup.options
        options["spectrum_in"] = path
        let filter = try FilterRegistry([LoopFilter.self]).makeFilter("loop", options: options)
        format = try filter.configure(input: setup.input)
        try filter.process(try frame(setup.input), emit: { out.append($0) })
        try filter.finish(emit: { out.append($0) })
    } catch let error as FilterError {
        guard "\(error)".contains(path) else { fatalError("fuzz-spectrum: \(what): a FilterError that does not name the file: \(error)") }
        return
    } catch {
        fatalError("fuzz-spectrum: \(what): \(type(of: error)), not a FilterError: \(error)")
    }
    guard format.width == setup.input.width, format.height == setup.input.height, format.pixelFormat == setup.input.pixelFormat,
          let expected = format.frameCount, out.count == expected, expected > 0 else {
        fatalError("fuzz-spectrum: \(what): \(out.count) frames emitted; configure announced \(format)")
    }
    for (i, f) in out.enumerated() {
        guard f.width == format.width, f.height == format.height, f.pixelFormat == format.pixelFormat else {
            fatalError("fuzz-spectrum: \(what): frame \(i) is \(f.width)x\(f.height) \(f.pixelFormat), not \(format)")
        }
        guard f.pts == Int64(i), f.timeBase == format.timeBase, f.timeBase == setup.input.frameRate.inverted else {
            fatalError("fuzz-spectrum: \(what): frame \(i) has pts \(f.pts) in \(f.timeBase); expected \(i) in \(format.timeBase)")
        }
    }
}

/// The reference frame: a diagonal ramp in every plane, plus a square, at pts 0.
private func frame(_ s: StreamFormat) throws -> Frame {
    let f = try Frame(width: s.width, height: s.height, pixelFormat: s.pixelFormat, pts: 0, timeBase: s.timeBase)
    let bytes = s.pixelFormat.bytesPerSample
    let full = (1 << s.pixelFormat.bitDepth) - 1
    for plane in 0..<s.pixelFormat.planeCount {
        try f.withMutablePlane(plane) { data, stride, w, h in
            for y in 0..<h {
                for x in 0..<w {
                    let square = x > w / 4 && x < w / 2 && y > h / 4 && y < h / 2
                    let v = square ? full : min(full, (x + 2 * y) * full / max(1, w + 2 * h) + plane * full / 8)
                    if bytes == 1 {
                        data[y * stride + x] = UInt8(truncatingIfNeeded: v)
                    } else {
                        data[y * stride + 2 * x] = UInt8(truncatingIfNeeded: v)
                        data[y * stride + 2 * x + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    }
                }
            }
        }
    }
    return f
}
