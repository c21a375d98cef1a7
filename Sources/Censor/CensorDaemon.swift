import JSONSupport
import Packets
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// The I/O shell around `CensorEngine`: takes every packet arriving in this network
/// namespace from NFQUEUE, asks the engine, answers with a verdict, sends the forged
/// packets through raw sockets, and logs one JSON line per rule decision.
///
/// Throttling holds verdicts: a delayed packet stays in the kernel queue and is accepted
/// at its release time. That shapes exactly the flows a rule caught (after an SNI match,
/// say), per flow and direction, needs no tc setup on interfaces the lab owns, and
/// adds no reordering within a flow (release times of a flow only grow). Disturb holds
/// verdicts for random times (reordering on purpose) and sends copies of the packet, as
/// forwarded, through the raw sockets after the original's verdict.
public final class CensorDaemon {
    public let policy: CensorPolicy
    public let queueNumber: UInt16
    public let logPath: String?

    public init(policy: CensorPolicy, queue: UInt16 = 0, logPath: String? = nil) {
        self.policy = policy
        self.queueNumber = queue
        self.logPath = logPath
    }

    /// Runs until SIGTERM or SIGINT, then removes its iptables rules, accepts the
    /// packets it still holds and returns.
    public func run() throws(CensorDaemonError) {
        let log = try LogWriter(path: logPath)
        let signals = try SignalPipe()
        let queue = try NetfilterQueue(number: queueNumber, maxLength: 16_384)
        let v4: RawIPv4Socket
        do { v4 = try RawIPv4Socket() } catch { throw .socket(error.description) }
        let v6 = try? RawIPv6Socket(mode: .headerIncluded)
        let firewall = Firewall(queue: queueNumber)
        let v6Problem = try firewall.install()
        defer { firewall.remove() }
        if let v6Problem { log.event("warning", time: wallClock(), [("message", .string(v6Problem))]) }
        log.event("ready", time: wallClock(), [("queue", .int(Int64(queueNumber))), ("rules", .int(Int64(policy.rules.count))),
                                               ("pid", .int(Int64(getpid())))])

        var engine = CensorEngine(policy: policy)
        var held = TimeQueue<UInt32>()
        var copies = TimeQueue<[UInt8]>()
        var sampler = DisturbLogSampler()
        var counters = Counters()
        defer {
            for id in held.removeAll() { queue.verdict(id, accept: true) }
            counters.copiesDropped += copies.removeAll().count
            for s in sampler.flush(at: monotonic(), force: true) {
                log.event("disturb-summary", time: wallClock(), DisturbLogSampler.fields(rule: s.rule, seconds: s.seconds, s.tally))
            }
            log.event("stop", time: wallClock(), counters.fields)
        }

        var fds = [pollfd(fd: queue.fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: signals.readEnd, events: Int16(POLLIN), revents: 0)]
        while true {
            let now = monotonic()
            let wake = [held.next, copies.next].compactMap { $0 }.min()
            let timeout: Int32 = wake.map { Int32(max(0, min(1000, (($0 - now) * 1000).rounded(.up)))) } ?? 1000
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, timeout)
            if ready < 0, errno != EINTR { break }
            if fds[1].revents != 0 { break }
            if fds[0].revents & Int16(POLLIN) != 0 {
                let (packets, overruns) = queue.receive()
                counters.overruns += overruns
                for q in packets {
                    counters.packets += 1
                    let time = monotonic()
                    guard let packet = try? IPPacket.parse(q.bytes) else {
                        counters.unparsed += 1
                        queue.verdict(q.id, accept: true)
                        continue
                    }
                    let d = engine.handle(packet, at: time)
                    switch d.verdict {
                    case .accept:
                        queue.verdict(q.id, accept: true)
                        send(d.forged, v4, v6, log)
                    case .drop:
                        send(d.forged, v4, v6, log)
                        queue.verdict(q.id, accept: false)
                        counters.dropped += 1
                    case .delay(let until):
                        held.insert(q.id, at: until)
                        counters.delayed += 1
                    }
                    counters.forged += d.forged.count
                    if !d.duplicates.isEmpty, let copy = ForwardedCopy.bytes(of: q.bytes) {
                        for at in d.duplicates {
                            // Bounded like the kernel queue: past it, copies are skipped, not queued.
                            if copies.count < Self.maxPendingCopies { copies.insert(copy, at: at) } else { counters.copiesDropped += 1 }
                        }
                    }
                    if d.rule != nil {
                        counters.decisions += 1
                        if d.action == .disturb, !sampler.record(d, at: time) { continue }
                        let direction: PacketDirection = policy.isClient(packet.source) ? .clientToServer : .serverToClient
                        log.write(DecisionRecord.json(d, packet: packet, direction: direction,
                                                      loggedAt: wallClock(), decidedAt: time))
                    }
                }
            }
            // Verdicts first: a copy is due no earlier than its original's release.
            let due = monotonic()
            for id in held.due(upTo: due) { queue.verdict(id, accept: true) }
            for copy in copies.due(upTo: due) { sendCopy(copy, v4, v6, log, &counters) }
            for s in sampler.flush(at: due) {
                log.event("disturb-summary", time: wallClock(), DisturbLogSampler.fields(rule: s.rule, seconds: s.seconds, s.tally))
            }
        }
    }

    /// Copies waiting to be sent, at most (about 20 MB of full-size packets).
    static let maxPendingCopies = 16_384

    /// Sends a disturb copy; only the first failure is logged (at thousands of packets a
    /// second a failing socket would flood the log), the stop line counts them all.
    private func sendCopy(_ bytes: [UInt8], _ v4: RawIPv4Socket, _ v6: RawIPv6Socket?, _ log: LogWriter,
                          _ counters: inout Counters) {
        do {
            if bytes.first.map({ $0 >> 4 }) == 4 { try v4.send(bytes) } else if let v6 { try v6.send(bytes) } else { return }
            counters.copies += 1
        } catch {
            counters.copyErrors += 1
            if counters.copyErrors == 1 {
                log.event("send-error", time: wallClock(), [("what", .string("disturb copy")), ("message", .string(error.description))])
            }
        }
    }

    private func send(_ forged: [ForgedPacket], _ v4: RawIPv4Socket, _ v6: RawIPv6Socket?, _ log: LogWriter) {
        for f in forged {
            do {
                if case .v4 = f.destination { try v4.send(f.bytes) } else if let v6 { try v6.send(f.bytes) }
            } catch {
                log.event("send-error", time: wallClock(), [("dst", .string(f.destination.description)),
                                                            ("message", .string(error.description))])
            }
        }
    }
}

/// What the daemon did, for the `stop` line.
struct Counters {
    var packets = 0, decisions = 0, forged = 0, dropped = 0, delayed = 0, overruns = 0, unparsed = 0
    /// Disturb copies sent, failed, and skipped (queue full or still pending at stop).
    var copies = 0, copyErrors = 0, copiesDropped = 0

    var fields: [(key: String, value: JSONValue)] {
        [("packets", .int(Int64(packets))), ("decisions", .int(Int64(decisions))), ("forged", .int(Int64(forged))),
         ("dropped", .int(Int64(dropped))), ("delayed", .int(Int64(delayed))), ("overruns", .int(Int64(overruns))),
         ("unparsed", .int(Int64(unparsed))), ("copies", .int(Int64(copies))), ("copy_errors", .int(Int64(copyErrors))),
         ("copies_dropped", .int(Int64(copiesDropped)))]
    }
}

func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func wallClock() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The write end of a pipe that SIGTERM/SIGINT write to (a signal handler may do
/// nothing more), so the poll loop wakes up and shuts down cleanly.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

final class SignalPipe {
    let readEnd: Int32

    init() throws(CensorDaemonError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .queue("pipe failed") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }
        readEnd = fds[0]
        signalPipeWriteEnd = fds[1]
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig) { _ in
                var byte: UInt8 = 1
                let saved = errno
                _ = write(signalPipeWriteEnd, &byte, 1)
                errno = saved
            }
        }
        signal(SIGPIPE, SIG_IGN)
        // A parent may hand down a mask that blocks them (Foundation's Process does,
        // from a thread of libdispatch's): then SIGTERM would never arrive.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    deinit {
        for sig in [SIGTERM, SIGINT, SIGHUP] { signal(sig, SIG_DFL) }
        close(readEnd)
        close(signalPipeWriteEnd)
        signalPipeWriteEnd = -1
    }
}
