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
/// adds no reordering within a flow (release times of a flow only grow).
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
        var held = HeldPackets()
        var counters = (packets: 0, decisions: 0, forged: 0, dropped: 0, delayed: 0, overruns: 0, unparsed: 0)
        defer {
            for id in held.releaseAll() { queue.verdict(id, accept: true) }
            log.event("stop", time: wallClock(), [
                ("packets", .int(Int64(counters.packets))), ("decisions", .int(Int64(counters.decisions))),
                ("forged", .int(Int64(counters.forged))), ("dropped", .int(Int64(counters.dropped))),
                ("delayed", .int(Int64(counters.delayed))), ("overruns", .int(Int64(counters.overruns))),
                ("unparsed", .int(Int64(counters.unparsed))),
            ])
        }

        var fds = [pollfd(fd: queue.fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: signals.readEnd, events: Int16(POLLIN), revents: 0)]
        while true {
            let now = monotonic()
            let timeout: Int32 = held.nextRelease.map { Int32(max(0, min(1000, (($0 - now) * 1000).rounded(.up)))) } ?? 1000
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
                        held.hold(q.id, until: until)
                        counters.delayed += 1
                    }
                    counters.forged += d.forged.count
                    if d.rule != nil {
                        counters.decisions += 1
                        let direction: PacketDirection = policy.isClient(packet.source) ? .clientToServer : .serverToClient
                        log.write(DecisionRecord.json(d, packet: packet, direction: direction,
                                                      loggedAt: wallClock(), decidedAt: time))
                    }
                }
            }
            for id in held.release(upTo: monotonic()) { queue.verdict(id, accept: true) }
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

/// Packets whose verdict waits for their release time, in release order
/// (equal times keep arrival order).
struct HeldPackets {
    private var items: [(until: Double, id: UInt32)] = []

    var nextRelease: Double? { items.first?.until }
    var count: Int { items.count }

    mutating func hold(_ id: UInt32, until: Double) {
        var lo = 0, hi = items.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if items[mid].until <= until { lo = mid + 1 } else { hi = mid }
        }
        items.insert((until, id), at: lo)
    }

    mutating func release(upTo now: Double) -> [UInt32] {
        let n = items.prefix { $0.until <= now }.count
        defer { items.removeFirst(n) }
        return items.prefix(n).map(\.id)
    }

    mutating func releaseAll() -> [UInt32] {
        defer { items = [] }
        return items.map(\.id)
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
