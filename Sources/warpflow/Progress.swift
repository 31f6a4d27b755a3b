import Foundation
import Pipeline

/// A one-line progress bar on stderr, drawn only when stderr is a terminal, at most ten
/// times a second.
final class ProgressBar {
    private let enabled: Bool
    private let label: String
    private var lastDraw = 0.0

    init(label: String, quiet: Bool) {
        self.enabled = !quiet && isatty(STDERR_FILENO) == 1
        self.label = label
    }

    func update(_ p: PipelineProgress) {
        guard enabled, p.elapsedSeconds - lastDraw >= 0.1 || p.framesIn == p.totalFrames else { return }
        lastDraw = p.elapsedSeconds
        var line = "\(label) \(p.framesIn)"
        if let total = p.totalFrames, total > 0 {
            let fraction = min(1, Double(p.framesIn) / Double(total))
            let filled = Int(fraction * 30)
            line = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "] "
                + "\(p.framesIn)/\(total) " + String(format: "%3.0f%%", fraction * 100)
        }
        line += String(format: "  %.1f fps", p.framesPerSecond)
        if let eta = p.etaSeconds { line += String(format: "  ETA %.0fs", eta) }
        FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

/// Turns Ctrl-C into a cancellation: the run stops between frames and removes its output.
final class InterruptHandler {
    let token = CancellationToken()
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let token = self.token
        source.setEventHandler { token.cancel() }
        source.resume()
        let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        term.setEventHandler { token.cancel() }
        term.resume()
        termSource = term
    }
    private var termSource: DispatchSourceSignal?
}
