import Measurement
import Synchronization
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// The progress of a long run on stderr: `investigate 198.18.9.2 port 80: trace, 46 probes
/// sent, 2.4 s`. On a terminal one line is rewritten in place once the run passes a second
/// and cleared at the end; when stderr is not a terminal nothing is printed, unless -v asks
/// for one line per phase; -q silences it everywhere. Results go to stdout regardless.
final class ProgressLine: Sendable {
    enum Mode: Sendable { case off, terminal, lines }

    private struct State {
        var phase = "starting"
        var probes = 0
        var shown = false
        var finished = false
    }

    let mode: Mode
    private let subject: String
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    init(subject: String, quiet: Bool, verbose: Bool) {
        self.subject = subject
        mode = quiet ? .off : isatty(2) == 1 ? .terminal : verbose ? .lines : .off
    }

    /// On a terminal, starts redrawing the line four times a second.
    func start() {
        guard mode == .terminal else { return }
        try? startThread(named: "progress", stackSize: ThreadStack.small) { [self] in
            while true {
                usleep(250_000)
                guard redraw() else { return }
            }
        }
    }

    /// A phase starts.
    func update(_ progress: EngineProgress) {
        state.withLock { s in
            s.phase = progress.phase
            s.probes = progress.probesSent
            if mode == .lines, !s.finished { write(text(s) + "\n") }
        }
    }

    /// The run is over: the line is cleared, and nothing is drawn after this returns.
    func finish() {
        state.withLock { s in
            if s.shown { write("\r\u{1B}[K") }
            s.shown = false
            s.finished = true
        }
    }

    /// Redraws once past the first second; false when finished.
    private func redraw() -> Bool {
        state.withLock { s in
            guard !s.finished else { return false }
            guard elapsed >= 1 else { return true }
            write("\r\u{1B}[K" + text(s))
            s.shown = true
            return true
        }
    }

    private var elapsed: Double {
        let c = (ContinuousClock.now - started).components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }

    private func text(_ s: State) -> String {
        let tenths = Int((elapsed * 10).rounded())
        return "\(subject): \(s.phase), \(s.probes) \(s.probes == 1 ? "probe" : "probes") sent, \(tenths / 10).\(tenths % 10) s"
    }

    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
