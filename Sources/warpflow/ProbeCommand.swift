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
                try printReport(ProbeReport(info))
            } else {
                print(Self.text(info))
            }
        }
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

/// `probe --json`: the file, its container, its video stream and its audio streams (null for
/// what the file does not say). A probe reads no frames, so it has `file` rather than the
/// job reports' `input`/`frames_in` keys.
struct ProbeReport: Encodable {
    struct Video: Encodable {
        let info: VideoStreamInfo
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: ReportKey.self)
            try c.value(info.codec, "codec")
            try c.value(info.width, "width")
            try c.value(info.height, "height")
            try c.value(info.pixelFormat.name, "pixel_format")
            try c.value(info.frameRate.description, "frame_rate")
            try c.value(info.timeBase.description, "time_base")
            try c.number(info.rotation, "rotation")
            try c.value(info.streamIndex, "stream_index")
            try c.number(info.durationSeconds, "duration")
            try c.value(info.frameCount, "frame_count")
        }
    }
    struct Audio: Encodable {
        let info: AudioStreamInfo
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: ReportKey.self)
            try c.value(info.streamIndex, "stream_index")
            try c.value(info.codec, "codec")
            try c.value(info.sampleRate, "sample_rate")
            try c.value(info.channels, "channels")
            try c.value(info.timeBase.description, "time_base")
            try c.number(info.durationSeconds, "duration")
        }
    }
    let info: VideoStreamInfo
    init(_ info: VideoStreamInfo) { self.info = info }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ReportKey.self)
        try c.value(info.path, "file")
        try c.value(info.container, "container")
        try c.value(Video(info: info), "video")
        try c.value(info.audioStreams.map(Audio.init), "audio")
        try c.value([String](), "warnings")
    }
}
