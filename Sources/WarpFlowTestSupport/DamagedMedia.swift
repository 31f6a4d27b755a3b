import Foundation

/// Clips with damaged timestamps or a mid-stream size change, made deterministically from clean
/// clips the ffmpeg CLI makes (the same damage on every run), for tests of how damaged input is
/// read and that outputs stay decodable.
///
/// ```swift
/// let damaged = try DamagedMedia.transportStream(name: "jump.ts") { index, _ in index == 10 ? .shift(-(1 << 28)) : .keep }
/// let (frames, packets) = try DamagedMedia.ffprobeVideo(output)   // decoded frame count, packet timestamps
/// ```
public enum DamagedMedia {
    /// What to do with the timestamps of one video PES packet of an MPEG-TS file.
    public enum Edit: Sendable {
        /// Leave it.
        case keep
        /// Add `ticks` (90 kHz, modulo 2³³ as the format stores them) to its PTS and DTS.
        case shift(Int64)
        /// Give it this PTS and DTS (90 kHz ticks, modulo 2³³).
        case set(pts: Int64, dts: Int64)
        /// Clear its PTS/DTS flags, so the packet has no timestamps (the bytes stay, as stuffing).
        case remove
    }

    /// The PTS and DTS (90 kHz ticks) of one video PES packet as found in the file.
    public struct Timestamps: Sendable, Equatable {
        public var pts: Int64
        public var dts: Int64
    }

    /// An MPEG-TS file of `seconds` of 160×120 (or the given size) H.264 at 25 fps, made by the
    /// ffmpeg CLI (`bFrames` B-frames, a key frame every 10 frames, so 100 frames for 4 s).
    public static func cleanTransportStream(name: String, width: Int = 160, height: Int = 120, seconds: Double = 4,
                                            bFrames: Int = 2) throws -> String {
        try TestMedia.makeClip(name: name, args: TestMedia.testSource(width: width, height: height, rate: "25", seconds: seconds)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-bf", String(bFrames), "-g", "10", "-pix_fmt", "yuv420p", "-f", "mpegts"])
    }

    /// `cleanTransportStream(...)` (4 s, 100 frames) copied to `name` with the video PES packets'
    /// timestamps edited by `edit(index, timestamps)`, index counting PES packets (frames) in
    /// file order from 0.
    public static func transportStream(name: String, bFrames: Int = 2,
                                       edit: (Int, Timestamps) -> Edit) throws -> String {
        let clean = try cleanTransportStream(name: "damaged-source-bf\(bFrames).ts", bFrames: bFrames)
        let output = TestMedia.path(name)
        var data = try Data(contentsOf: URL(fileURLWithPath: clean))
        try editTransportStream(&data, edit)
        try data.write(to: URL(fileURLWithPath: output))
        return output
    }

    /// Edits the timestamps of the video PES packets in MPEG-TS bytes (see `Edit`). Throws when
    /// the data is not 188-byte transport packets.
    public static func editTransportStream(_ data: inout Data, _ edit: (Int, Timestamps) -> Edit) throws {
        guard data.count % 188 == 0 else { throw TestMedia.ToolError(command: "edit MPEG-TS", status: 1, stderr: "not 188-byte packets") }
        var bytes = [UInt8](data)
        var index = 0
        for start in stride(from: 0, to: bytes.count, by: 188) {
            guard bytes[start] == 0x47 else { throw TestMedia.ToolError(command: "edit MPEG-TS", status: 1, stderr: "lost sync at \(start)") }
            let unitStart = bytes[start + 1] & 0x40 != 0
            let adaptation = (bytes[start + 3] >> 4) & 3
            guard unitStart, adaptation & 1 != 0 else { continue }
            var pes = start + 4
            if adaptation & 2 != 0 { pes += 1 + Int(bytes[start + 4]) }
            // A video PES header with its timestamps inside this transport packet.
            guard pes + 19 <= start + 188, bytes[pes] == 0, bytes[pes + 1] == 0, bytes[pes + 2] == 1,
                  (0xE0...0xEF).contains(bytes[pes + 3]) else { continue }
            let flags = bytes[pes + 7] >> 6
            guard flags & 2 != 0 else { index += 1; continue }
            let ptsAt = pes + 9, dtsAt = pes + 14
            let pts = readTimestamp(bytes, ptsAt)
            let dts = flags == 3 ? readTimestamp(bytes, dtsAt) : pts
            switch edit(index, Timestamps(pts: pts, dts: dts)) {
            case .keep:
                break
            case .shift(let ticks):
                writeTimestamp(&bytes, ptsAt, pts &+ ticks, prefix: flags == 3 ? 3 : 2)
                if flags == 3 { writeTimestamp(&bytes, dtsAt, dts &+ ticks, prefix: 1) }
            case .set(let newPTS, let newDTS):
                writeTimestamp(&bytes, ptsAt, newPTS, prefix: flags == 3 ? 3 : 2)
                if flags == 3 { writeTimestamp(&bytes, dtsAt, newDTS, prefix: 1) }
            case .remove:
                bytes[pes + 7] &= 0x3F
            }
            index += 1
        }
        data = Data(bytes)
    }

    /// A 33-bit PES timestamp: 3 + 15 + 15 bits, each group followed by a marker bit.
    private static func readTimestamp(_ b: [UInt8], _ at: Int) -> Int64 {
        let high = Int64((b[at] >> 1) & 7) << 30
        let middle = (Int64(b[at + 1]) << 22) | (Int64(b[at + 2] >> 1) << 15)
        let low = (Int64(b[at + 3]) << 7) | Int64(b[at + 4] >> 1)
        return high | middle | low
    }

    private static func writeTimestamp(_ b: inout [UInt8], _ at: Int, _ value: Int64, prefix: UInt8) {
        let v = value & ((1 << 33) - 1)
        b[at] = (prefix << 4) | (UInt8((v >> 30) & 7) << 1) | 1
        b[at + 1] = UInt8((v >> 22) & 0xFF)
        b[at + 2] = (UInt8((v >> 15) & 0x7F) << 1) | 1
        b[at + 3] = UInt8((v >> 7) & 0xFF)
        b[at + 4] = (UInt8(v & 0x7F) << 1) | 1
    }

    /// 4 s of 160×120 H.264 at 25 fps (100 frames, no B-frames) in MP4 whose frames from the
    /// 11th on are `seconds` later (ffmpeg's `setts` bitstream filter): a huge but
    /// representable gap, as a corrupt timestamp far in the future makes.
    public static func forwardJumpMP4(name: String, seconds: Int = 1000) throws -> String {
        let clean = try TestMedia.makeClip(name: "damaged-source.mp4", args: TestMedia.testSource(width: 160, height: 120, rate: "25", seconds: 4)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p"])
        return try TestMedia.makeClip(name: name, args: ["-i", clean, "-c", "copy", "-bsf:v", "setts=ts=if(gte(N\\,10)\\,TS+\(seconds)/TB\\,TS)"])
    }

    /// Two MPEG-TS clips of different sizes (1 s of 160×120, then 1 s of 128×96, H.264 yuv420p
    /// at 25 fps, optionally with AAC audio) joined byte for byte, as `cat a.ts b.ts` joins them:
    /// the stream changes size mid-way and its timestamps restart.
    public static func concatenatedSizes(name: String, audio: Bool = false) throws -> String {
        func part(_ w: Int, _ h: Int) throws -> String {
            try TestMedia.makeClip(name: "concat-part-\(w)x\(h)\(audio ? "-a" : "").ts",
                                   args: TestMedia.testSource(width: w, height: h, rate: "25", seconds: 1)
                                       + (audio ? TestMedia.sineSource(seconds: 1) + ["-c:a", "aac", "-shortest"] : [])
                                       + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mpegts"])
        }
        let first = try Data(contentsOf: URL(fileURLWithPath: try part(160, 120)))
        let second = try Data(contentsOf: URL(fileURLWithPath: try part(128, 96)))
        let output = TestMedia.path(name)
        try (first + second).write(to: URL(fileURLWithPath: output))
        return output
    }

    /// 2 s of 160×120 H.264 at 25 fps (50 frames) with AAC audio in MPEG-TS whose 33-bit
    /// 90 kHz clock wraps about 1 s in: FFmpeg's demuxer unwraps it into timestamps from about
    /// −1 s, and MP4 hides frames before 0 behind its edit list.
    public static func nearWrapTransportStream(name: String) throws -> String {
        // 2³³ ticks is 95443.718 s; the muxer starts 1.4 s after the offset.
        try TestMedia.makeClip(name: name, args: TestMedia.testSource(width: 160, height: 120, rate: "25", seconds: 2)
            + TestMedia.sineSource(seconds: 2)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
               "-output_ts_offset", "95441.3177", "-f", "mpegts"])
    }

    /// What ffprobe finds in the first video stream of `path`: the number of frames it decodes,
    /// each frame's size ("160×120"), and every packet's pts and dts in file order (nil when missing).
    public static func ffprobeVideo(_ path: String) throws -> (decodedFrames: Int, sizes: [String], packets: [(pts: Int64?, dts: Int64?)]) {
        func entries(_ section: String, _ fields: String) throws -> [[String: Any]] {
            let r = TestMedia.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "\(section)=\(fields)", "-of", "json", path])
            guard r.status == 0 else { throw TestMedia.ToolError(command: "ffprobe \(section)s of \(path)", status: r.status, stderr: r.stderr) }
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
            return json[section + "s"] as? [[String: Any]] ?? []
        }
        let sizes = try entries("frame", "width,height").map { "\($0["width"] as? Int ?? 0)×\($0["height"] as? Int ?? 0)" }
        let packets = try entries("packet", "pts,dts").map { p -> (pts: Int64?, dts: Int64?) in
            ((p["pts"] as? NSNumber)?.int64Value, (p["dts"] as? NSNumber)?.int64Value)
        }
        return (sizes.count, sizes, packets)
    }

    /// True when every value is present and each is larger than the one before.
    public static func strictlyIncreasing(_ values: [Int64?]) -> Bool {
        guard values.allSatisfy({ $0 != nil }) else { return false }
        let v = values.compactMap { $0 }
        return zip(v, v.dropFirst()).allSatisfy { $0 < $1 }
    }
}
