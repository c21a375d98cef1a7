import Capture
import Packets
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// Sends a run's probes, paced, while reading the run's capture.
///
/// One thread does both, by design. The callbacks are the caller's (non-escaping, not
/// Sendable), so they must run on the caller's thread whatever reads the capture; and the
/// kernel's capture ring (TPACKET_V3: small packets packed back to back, some 200 000 in
/// 32 MiB) already is the buffer between the wire and us, so a capture thread would add a
/// second buffer, a lock and a copy without adding capacity. The sender empties the ring
/// with non-blocking batch reads every `drainInterval` sends, through every pause the pacer
/// imposes, and through every ENOBUFS back-off; the ring never holds more than a few hundred
/// packets of ours. (Without immediate mode libpcap uses TPACKET_V3; immediate mode would
/// fall back to V2 with one 64 KiB frame per packet, a ring of a few hundred packets.)
public enum ProbeRun {
    /// The longest a single probe is retried while the socket says ENOBUFS; then it counts as an error.
    static let maxBackoffSeconds = 1.0

    /// Opens the capture FIRST (so no early answer is missed), then sends `packets` in order (IPv4 via RawIPv4Socket, IPv6 via RawIPv6Socket(.headerIncluded)), paced by a Pacer, while draining the capture; `onSent(i, clockTime)` after each send with the clock read just before it (CLOCK_REALTIME as CaptureTimestamp, comparable with capture timestamps); `onPacket(captured)` for every captured packet, returning true when the caller is settled (stop waiting early). After the last send waits up to `timeout` unless settled. Send errors (e.g. EPERM from a firewall, ENETUNREACH) are counted, not fatal, except a missing privilege (thrown at socket creation).
    ///
    /// `onSent` is called only for probes that left; the capture's own timestamp of a probe
    /// leaving is a little earlier and more exact. Settling is final: once `onPacket` returns
    /// true, the remaining probes still go but the run does not wait after the last one.
    public static func run(packets: [[UInt8]], configuration: RunConfiguration,
                           onSent: (Int, CaptureTimestamp) -> Void,
                           onPacket: (CapturedPacket) -> Bool,
                           quiet: (() -> Bool)? = nil,
                           dropsSoFar: ((@escaping () -> UInt32) -> Void)? = nil) throws(ProbeSessionError) -> RunStatistics
    {
        // The sockets open before the capture only so a missing privilege is reported the
        // same way whichever is refused; nothing is sent before the capture is open.
        let device = configuration.interface == "any" ? configuration.sendInterface : configuration.interface
        let sender = try ProbeSender(packets: packets, device: configuration.bindToInterface ? device : nil)
        let capture: any PacketSource
        switch configuration.receiver {
        case .sockets: capture = try openSockets(answering: packets)
        case .capture: capture = try openCapture(configuration)
        }
        defer {
            if configuration.reuseCapture, let live = capture as? LiveCapture { CapturePool.shared.give(live) } else { capture.close() }
        }

        // What the capture has dropped so far, for a caller that hands answers on mid-run (valid until it returns).
        dropsSoFar? { capture.statistics?.dropped ?? 0 }
        var stats = RunStatistics()
        var settled = false
        var readFailure: LiveCaptureError?

        /// Hands everything the capture holds to `onPacket`, without waiting.
        func drain() {
            guard readFailure == nil else { return }
            do {
                try capture.drain { packet in
                    stats.captured += 1
                    if onPacket(packet) { settled = true }
                }
            } catch {
                readFailure = error
            }
        }

        /// Lets about `seconds` pass, reading the capture meanwhile.
        func pause(_ seconds: Double) {
            drain()
            // Capped so a pathological rate never overflows the conversion; callers loop.
            let seconds = min(seconds, 1)
            if seconds >= 0.001 {
                _ = capture.waitForPackets(timeout: .nanoseconds(Int64(seconds * 1e9)))
                drain()
            } else {
                RunClock.sleep(seconds)
            }
        }

        /// Sends one probe, retrying EINTR at once and ENOBUFS after a growing pause;
        /// returns why it failed, or nil once it has gone.
        func transmit(_ packet: [UInt8]) -> String? {
            var backoff = 0.000_05
            var waited = 0.0
            while true {
                do throws(RawSocketError) {
                    try sender.send(packet)
                    return nil
                } catch {
                    guard case .system(_, let code) = error else { return error.description }
                    if code == EINTR { continue }
                    guard code == ENOBUFS || code == EAGAIN, waited < maxBackoffSeconds else { return error.description }
                    stats.sendRetries += 1
                    pause(backoff)
                    waited += backoff
                    backoff = min(backoff * 2, 0.002)
                }
            }
        }

        let start = RunClock.monotonic()
        var pacer = Pacer(rate: configuration.rate, burst: configuration.burst, now: start)
        let paced = pacer.rate != nil
        let drainInterval = max(1, configuration.drainInterval)
        var sinceDrain = 0
        for (index, packet) in packets.enumerated() {
            if configuration.shouldStop?() == true { break }
            if let shared = configuration.sharedPacer {
                // The slot is taken; wait for its time (a pause ends early when answers arrive).
                let until = RunClock.monotonic() + shared.reserve()
                while readFailure == nil, configuration.shouldStop?() != true {
                    let left = until - RunClock.monotonic()
                    if left <= 0 { break }
                    pause(left)
                }
            } else if paced {
                while readFailure == nil {
                    let wait = pacer.delay(at: RunClock.monotonic())
                    if wait <= 0 { break }
                    pause(wait)
                }
            }
            if readFailure != nil || configuration.shouldStop?() == true { break }
            // The clock before the send: on veth the kernel may carry the probe, the routers'
            // work and the answer's capture all inside sendto(), so a time read after it can be
            // later than the answer (RTTs of a few µs, or none). Read before, it errs the
            // other way, by the syscall's cost, as ping's does; the capture's own timestamp of
            // the probe leaving, when there is one, is used instead.
            let beforeSend = RunClock.realtime()
            if let failure = transmit(packet) {
                stats.sendErrors += 1
                if stats.firstSendError == nil {
                    stats.firstSendError = "probe \(index) to \(destination(of: packet)): \(failure)"
                }
            } else {
                stats.sent += 1
                onSent(index, beforeSend)
            }
            if paced && configuration.sharedPacer == nil { pacer.consume(at: RunClock.monotonic()) }
            sinceDrain += 1
            if sinceDrain >= drainInterval {
                drain()
                sinceDrain = 0
            }
        }
        let sendingEnd = RunClock.monotonic()
        stats.sendingSeconds = sendingEnd - start

        // The answers to the last probes; when nothing decisive came by then, as long as a
        // router's late unreachable may take.
        var deadline = sendingEnd + max(0, configuration.timeout.inSeconds)
        let silenceDeadline = configuration.silenceTimeout.map { sendingEnd + $0.inSeconds }
        drain()
        while !settled, readFailure == nil, configuration.shouldStop?() != true {
            var left = deadline - RunClock.monotonic()
            if left <= 0, let silenceDeadline, silenceDeadline > deadline, quiet?() == true {
                deadline = silenceDeadline
                stats.waitedForSilence = true
                left = deadline - RunClock.monotonic()
            }
            if left <= 0 { break }
            _ = capture.waitForPackets(timeout: .nanoseconds(Int64(min(left, 0.05) * 1e9)))
            drain()
        }
        let end = RunClock.monotonic()
        if let readFailure { throw .capture(readFailure.description) }
        stats.endedEarly = settled && end < deadline
        stats.durationSeconds = end - start
        stats.captureDropped = capture.statistics?.dropped ?? 0
        return stats
    }

    static let snapLength: Int32 = 16_384

    /// The run's capture: batch mode (TPACKET_V3, answers at most 1 ms late), non-blocking.
    static func openCapture(_ configuration: RunConfiguration) throws(ProbeSessionError) -> LiveCapture {
        var options = LiveCaptureConfiguration(interface: configuration.interface, filter: configuration.filter)
        options.bufferSize = configuration.captureBufferBytes
        // libpcap sizes the ring's blocks from the snap length: at its 256 KiB default a 4 MiB
        // ring has 8 blocks, each retired after 1 ms, and a reader late by 8 ms under load
        // loses answers. 16 KiB keeps whole packets (answers to probes are small; a datagram
        // answer past that is cut, its length kept) in a ring of 128 blocks.
        options.snapLength = Self.snapLength
        options.immediate = false
        options.timeoutMilliseconds = 1
        do {
            return try configuration.reuseCapture ? CapturePool.shared.take(options) : LiveCapture(options)
        } catch {
            if case .permissionDenied = error { throw .noPrivilege }
            throw .capture(error.description)
        }
    }

    /// Raw receive sockets for the answers to `packets`.
    static func openSockets(answering packets: [[UInt8]]) throws(ProbeSessionError) -> SocketReceiver {
        do {
            return try SocketReceiver(endpoints: SocketReceiver.endpoints(answering: packets), snapLength: Int(snapLength))
        } catch {
            if case .permissionDenied = error { throw .noPrivilege }
            throw .capture(error.description)
        }
    }

    /// The destination address in a packet's header, for messages.
    private static func destination(of packet: [UInt8]) -> String {
        if packet.first.map({ $0 >> 4 }) == 4, packet.count >= 20 {
            return IPv4Address(packet[16], packet[17], packet[18], packet[19]).description
        }
        if packet.count >= 40, let address = IPv6Address(bytes: packet[24..<40]) { return address.description }
        return "?"
    }
}
