import Foundation
import MediaIO
import Pipeline

/// A one-line progress bar on stderr, drawn only when stderr is a terminal, at most ten
/// times a second. Safe to update from several threads (a dataset's clips report from theirs).
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private let label: String
    private var lastDraw = 0.0
    private let lock = NSLock()

    init(label: String, quiet: Bool) {
        self.enabled = !quiet && isatty(STDERR_FILENO) == 1
        self.label = label
    }

    /// A pipeline's progress: frames read of the clip's total, frames per second, ETA.
    func update(_ p: PipelineProgress) {
        var suffix = String(format: "  %.1f fps", p.framesPerSecond)
        if let eta = p.etaSeconds { suffix += String(format: "  ETA %.0fs", eta) }
        draw(done: p.framesIn, total: p.totalFrames, elapsed: p.elapsedSeconds, suffix: suffix)
    }

    /// Any count of work done of a total (clips of a dataset, say), with the time so far.
    func update(done: Int, total: Int, elapsed: Double) {
        draw(done: done, total: total, elapsed: elapsed, suffix: String(format: "  %.0f s", elapsed))
    }

    private func draw(done: Int, total: Int?, elapsed: Double, suffix: String) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        guard elapsed - lastDraw >= 0.1 || done == total else { return }
        lastDraw = elapsed
        var line = "\(label) \(done)"
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let filled = Int(fraction * 30)
            line = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "] "
                + "\(done)/\(total) " + String(format: "%3.0f%%", fraction * 100)
        }
        FileHandle.standardError.write(Data(("\r" + line + suffix + "\u{1B}[K").utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

/// Ctrl-C, SIGTERM and SIGHUP, for the whole process (`install()` runs before any command).
/// The first signal cancels `token`: a pipeline stops between frames and removes its output, a
/// dataset build stops between clips (finished clips are kept). Whatever has not stopped
/// within `grace` seconds (a long clip, a GIF being written) — or at once on a second signal —
/// has every temporary output removed (`LiveTemporaries`, which also holds back any rename not
/// yet made) and exits with 128 + the signal: no half-written file, no temporary left.
enum Interrupts {
    /// Cancelled by the first signal.
    static let token = CancellationToken()
    /// Seconds a cooperative stop gets before the forced one.
    static let grace = 3.0
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var signalled = false
    /// The first signal received (SIGINT until one is).
    nonisolated(unsafe) private(set) static var first: Int32 = SIGINT
    /// 128 + the first signal: the exit status of a run it stopped.
    static var exitCode: Int32 { 128 + first }
    /// The sources' own serial queue (the main thread is busy running the command).
    private static let queue = DispatchQueue(label: "warpflow.signals")

    static func install() {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { received(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// On `queue` only, so `signalled` needs no lock.
    private static func received(_ number: Int32) {
        if signalled { stop(number) }
        signalled = true
        first = number
        token.cancel()
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { stop(number) }
    }

    private static func stop(_ number: Int32) -> Never {
        LiveTemporaries.removeAllAndHold()
        printError("\nwarpflow: interrupted (signal \(number)); unfinished outputs removed")
        _exit(128 + number)
    }
}
