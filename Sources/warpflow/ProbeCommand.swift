import ArgumentParser
import Foundation
import MediaIO

/// `warpflow probe FILE`: what a media file holds.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Show a file's video stream (size, pixel format, exact rate and time base, duration, frames, rotation) and audio streams."
    )

    @Argument(help: "Media file to inspect.")
    var file: String

    @Flag(name: .long, help: "Print machine-readable JSON on stdout.")
    var json = false

    func run() throws {
        try runReportingErrors {
            let info = try VideoReader.probe(path: file)
            if json {
                try printJSON(Self.dictionary(info))
            } else {
                print(Self.text(info))
            }
        }
    }

    static func dictionary(_ info: VideoStreamInfo) -> [String: Any] {
        var video: [String: Any] = [
            "codec": info.codec, "width": info.width, "height": info.height,
            "pixel_format": info.pixelFormat.name, "frame_rate": info.frameRate.description,
            "time_base": info.timeBase.description, "rotation": info.rotation, "stream_index": info.streamIndex,
        ]
        video["duration"] = info.durationSeconds ?? NSNull()
        video["frame_count"] = info.frameCount ?? NSNull()
        let audio: [[String: Any]] = info.audioStreams.map {
            ["stream_index": $0.streamIndex, "codec": $0.codec, "sample_rate": $0.sampleRate, "channels": $0.channels,
             "time_base": $0.timeBase.description, "duration": $0.durationSeconds ?? NSNull()]
        }
        return ["file": info.path, "container": info.container, "video": video, "audio": audio, "warnings": [String]()]
    }

    static func text(_ info: VideoStreamInfo) -> String {
        var rows: [(String, String)] = [
            ("file", info.path),
            ("container", info.container),
            ("video", "\(info.codec) \(info.width)×\(info.height) \(info.pixelFormat)"),
            ("frame rate", "\(info.frameRate) fps" + (info.frameRate.den != 1 ? String(format: " (%.3f)", info.frameRate.doubleValue) : "")),
            ("time base", info.timeBase.description),
            ("duration", info.durationSeconds.map { String(format: "%.3f s", $0) } ?? "unknown"),
            ("frames", info.frameCount.map(String.init) ?? "unknown"),
        ]
        if info.rotation != 0 { rows.append(("rotation", String(format: "%g°", info.rotation))) }
        for a in info.audioStreams {
            rows.append(("audio #\(a.streamIndex)", "\(a.codec) \(a.sampleRate) Hz, \(a.channels) ch" + (a.durationSeconds.map { String(format: ", %.3f s", $0) } ?? "")))
        }
        let width = rows.map { $0.0.count }.max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}
