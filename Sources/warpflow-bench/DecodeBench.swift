import Foundation
import MediaIO
import Raster

/// `warpflow-bench decode FILE [--threads N] [--to rgb|luma|native] [--json OUT]`:
/// decodes every frame of FILE with `VideoReader` and converts it to planar Float RGB (the
/// analysis format), timing the whole loop. The peer is
/// `ffmpeg -i FILE -pix_fmt rgb24 -f null -`, run by Tests/Benchmarks/media/run.sh.
enum DecodeBench {
    static func run(_ arguments: [String]) throws -> Int32 {
        guard let file = arguments.first, !file.hasPrefix("-") else {
            FileHandle.standardError.write(Data("usage: warpflow-bench decode FILE [--threads N] [--to rgb|luma|native] [--json OUT]\n".utf8))
            return 2
        }
        var threads = 0
        var target = "rgb"
        var jsonPath: String?
        var i = 1
        while i < arguments.count {
            let value = i + 1 < arguments.count ? arguments[i + 1] : ""
            switch arguments[i] {
            case "--threads": threads = Int(value) ?? 0; i += 2
            case "--to": target = value; i += 2
            case "--json": jsonPath = value; i += 2
            default:
                FileHandle.standardError.write(Data("decode: unknown argument \(arguments[i])\n".utf8))
                return 2
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let reader = try VideoReader(path: file, options: ReaderOptions(threads: threads))
        let converter = FrameConverter()
        var frames = 0
        var checksum: Double = 0
        while let frame = try reader.nextFrame() {
            switch target {
            case "luma":
                let plane = try converter.luma(frame)
                checksum += Double(plane.data[plane.count / 2])
            case "native":
                checksum += Double(frame.pts)
            default:
                let image = try converter.rgb(frame)
                checksum += Double(image.planes[0].data[image.width / 2])
            }
            frames += 1
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let result: [String: Any] = [
            "file": file, "frames": frames, "seconds": seconds,
            "fps": Double(frames) / max(seconds, 1e-9), "to": target,
            "width": reader.info.width, "height": reader.info.height, "checksum": checksum,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        if let path = jsonPath {
            try json.write(to: URL(fileURLWithPath: path))
        }
        print(String(decoding: json, as: UTF8.self))
        return 0
    }
}
