import Foundation

/// Helpers for tests that need real media: make clips with the `ffmpeg` CLI into a private
/// temporary folder, run `ffprobe`, and run any command capturing its output.
///
/// ```swift
/// let clip = try TestMedia.makeClip(name: "a.mp4",
///     args: ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1", "-pix_fmt", "yuv420p"])
/// let probe = try TestMedia.ffprobeJSON(clip)
/// ```
public enum TestMedia {
    /// A failure of an external tool, with its output.
    public struct ToolError: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var stderr: String
        public init(command: String, status: Int32, stderr: String) {
            self.command = command
            self.status = status
            self.stderr = stderr
        }
        public var description: String { "\(command) exited with \(status): \(stderr.suffix(2000))" }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var sharedDirectory: String?

    /// A temporary folder for this test process (created once, under the system temp folder).
    public static func tempDirectory() -> String {
        lock.lock(); defer { lock.unlock() }
        if let d = sharedDirectory { return d }
        let d = (NSTemporaryDirectory() as NSString).appendingPathComponent("warpflow-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        sharedDirectory = d
        return d
    }

    /// A new empty folder inside `tempDirectory()` (for tests that count the files they leave).
    public static func makeScratchDirectory(_ label: String = "scratch") throws -> String {
        let d = (tempDirectory() as NSString).appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Path of `name` inside `tempDirectory()` (the file is not created).
    public static func path(_ name: String) -> String {
        (tempDirectory() as NSString).appendingPathComponent(name)
    }

    /// Runs `ffmpeg -y -hide_banner -loglevel error <args> <tempDirectory>/<name>` and returns
    /// the output path. `args` are the input and encoding options (everything before the
    /// output name). A clip already made by this process under the same name and the same
    /// arguments is reused.
    public static func makeClip(name: String, args: [String]) throws -> String {
        let out = path(name)
        let key = out + "\u{1}" + args.joined(separator: "\u{1}")
        lock.lock()
        let cached = madeClips.contains(key) && FileManager.default.fileExists(atPath: out)
        lock.unlock()
        if cached { return out }
        let result = run("ffmpeg", ["-nostdin", "-y", "-hide_banner", "-loglevel", "error"] + args + [out])
        guard result.status == 0 else {
            throw ToolError(command: "ffmpeg " + args.joined(separator: " "), status: result.status, stderr: result.stderr)
        }
        lock.lock(); madeClips.insert(key); lock.unlock()
        return out
    }
    nonisolated(unsafe) private static var madeClips = Set<String>()

    /// Arguments for a synthetic moving test-pattern video input of the given size, rate
    /// (e.g. "25" or "30000/1001") and duration in seconds. lavfi `testsrc2` by default; it
    /// rounds sizes down to even numbers, so odd sizes use `testsrc` (which keeps them).
    public static func testSource(width: Int = 160, height: Int = 120, rate: String = "25", seconds: Double = 1) -> [String] {
        let source = (width % 2 == 1 || height % 2 == 1) ? "testsrc" : "testsrc2"
        return ["-f", "lavfi", "-i", "\(source)=size=\(width)x\(height):rate=\(rate):duration=\(seconds)"]
    }

    /// Arguments for a synthetic sine-tone audio input of `seconds` seconds.
    public static func sineSource(seconds: Double = 1, sampleRate: Int = 48000) -> [String] {
        ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=\(sampleRate):duration=\(seconds)"]
    }

    /// `ffprobe -show_format -show_streams -of json` of `path`, parsed.
    public static func ffprobeJSON(_ path: String, extra: [String] = []) throws -> [String: Any] {
        let result = run("ffprobe", ["-v", "error", "-of", "json", "-show_format", "-show_streams"] + extra + [path])
        guard result.status == 0 else {
            throw ToolError(command: "ffprobe \(path)", status: result.status, stderr: result.stderr)
        }
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return object as? [String: Any] ?? [:]
    }

    /// The streams of `ffprobeJSON(path)` of one codec type ("video" or "audio").
    public static func ffprobeStreams(_ path: String, type: String) throws -> [[String: Any]] {
        let streams = try ffprobeJSON(path)["streams"] as? [[String: Any]] ?? []
        return streams.filter { ($0["codec_type"] as? String) == type }
    }

    /// The presentation timestamps (in stream time-base ticks) of the first video stream's
    /// packets, in presentation order, and that stream's time base as "num/den".
    public static func ffprobeVideoPTS(_ path: String) throws -> (pts: [Int64], timeBase: String) {
        let result = run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                     "packet=pts:stream=time_base", "-of", "json", path])
        guard result.status == 0 else {
            throw ToolError(command: "ffprobe packets \(path)", status: result.status, stderr: result.stderr)
        }
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        let packets = json["packets"] as? [[String: Any]] ?? []
        let pts = packets.compactMap { ($0["pts"] as? NSNumber)?.int64Value }.sorted()
        let tb = ((json["streams"] as? [[String: Any]])?.first?["time_base"] as? String) ?? ""
        return (pts, tb)
    }

    /// Runs `executable` (looked up on PATH when it has no slash) with `args`; returns its exit
    /// status and its captured standard output and error. Status 127 when it cannot start.
    @discardableResult
    public static func run(_ executable: String, _ args: [String]) -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + args
        }
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            return (127, "", "cannot start \(executable): \(error)")
        }
        // Read both pipes concurrently so a chatty tool cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
    }

    /// Names of the entries of `directory` (empty when it cannot be read).
    public static func listDirectory(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// Parses "30000/1001" (ffprobe's rational text) into (num, den); nil when malformed.
    public static func parseRatio(_ text: String) -> (num: Int64, den: Int64)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let n = Int64(parts[0]), let d = Int64(parts[1]) else { return nil }
        return (n, d)
    }
}
