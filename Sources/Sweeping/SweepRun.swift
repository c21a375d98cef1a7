import Campaigns
import Capture
import CSystemShims
import Foundation
import Packets
import ProbeSession
import Sockets

/// How a sweep sends and listens.
public struct SweepConfiguration: Sendable {
    public enum Sender: String, Sendable, CaseIterable {
        /// Raw IP sockets and sendmmsg: the kernel routes every probe (any interface, any next hop).
        case raw
        /// AF_PACKET with the qdisc bypassed and our own Ethernet header: one interface, one next hop.
        case packet
    }

    /// The capture's interface (and AF_PACKET's).
    public var interface: String
    /// Probes per second; nil: as fast as the socket takes them.
    public var rate: Double?
    /// How long to listen after the last probe left.
    public var cooldown: Duration = .seconds(2)
    public var sender: Sender = .raw
    /// For `.packet`: the 14-byte Ethernet header every probe starts with.
    public var linkHeader: [UInt8]?
    /// Bind the raw sockets to `interface` (off when capturing on "any").
    public var bindToInterface = true
    public var batchSize = 64
    public var captureBufferBytes: Int32 = 64 << 20
    /// Every captured answer is also written here (pcap).
    public var pcapPath: String?
    /// Orders the probes (a permutation of every (target, probe) pair).
    public var seed: UInt64 = 0
    public var shouldStop: (@Sendable () -> Bool)?
    /// Called from the sending thread about every half second.
    public var progress: (@Sendable (SweepProgress) -> Void)?

    public init(interface: String) { self.interface = interface }
}

public struct SweepProgress: Sendable {
    public var sent: Int
    public var total: Int
    public var answered: Int
}

public struct SweepStatistics: Sendable, Equatable {
    public var sender = ""
    public var probes = 0
    public var sent = 0
    public var sendErrors = 0
    public var firstSendError: String?
    /// Sends retried after the device queue was full (ENOBUFS).
    public var sendRetries = 0
    /// Packets the capture handed us, answers among them (first per probe), later answers
    /// to an already answered probe, and packets that answer none of ours.
    public var captured = 0
    public var matched = 0
    public var duplicates = 0
    public var unmatched = 0
    /// Dropped by the kernel before we read them (ring full), and by the interface.
    public var captureDropped = 0
    public var interfaceDropped = 0
    public var sendingSeconds = 0.0
    public var durationSeconds = 0.0
    public var interrupted = false
    /// Judged again from a capture file (`SweepReplay`): no send times, so no round trips.
    public var replayed = false
    /// The capture file's damage, after which the replay stopped (what came before counts).
    public var replayError: String?

    public init() {}
}

/// A finished sweep: the slots hold every probe's answer.
public struct SweepOutcome: Sendable {
    public var space: TargetSpace
    public var probe: SweepProbe
    public var slots: SweepSlots
    /// Third parties that answered (ICMP from routers); a slot's `from` is 1 + an index here.
    public var routers: [UInt128]
    public var statistics: SweepStatistics
}

public enum SweepError: Error, Sendable, CustomStringConvertible {
    case noPrivilege
    case setup(String)

    public var description: String {
        switch self {
        case .noPrivilege: return "sweeping needs root or CAP_NET_RAW: run the command with sudo"
        case .setup(let why): return why
        }
    }
}

/// Sends every probe of a sweep from this thread while a receiver thread reads the capture
/// and files each answer in its probe's slot.
public enum SweepRun {
    public static func run(_ space: TargetSpace, probe: SweepProbe, configuration c: SweepConfiguration) throws(SweepError) -> SweepOutcome {
        let total = space.count * probe.probesPerTarget
        let ipv4 = probe.isIPv4
        let socket: BatchSocket
        do throws(RawSocketError) {
            switch c.sender {
            case .raw: socket = try BatchSocket(ipv4 ? .rawIPv4 : .rawIPv6, device: c.bindToInterface ? c.interface : nil)
            case .packet: socket = try BatchSocket(.packet(interface: c.interface))
            }
        } catch {
            if error == .permissionDenied { throw .noPrivilege }
            throw .setup("cannot open the sending socket: \(error.description)")
        }
        if c.sender == .packet, c.linkHeader?.count != 14 { throw .setup("the AF_PACKET sender needs the next hop's link header") }

        var options = LiveCaptureConfiguration(interface: c.interface, filter: filter(for: probe))
        options.bufferSize = c.captureBufferBytes
        options.immediate = false
        options.timeoutMilliseconds = 1
        options.snapLength = 256
        options.incomingOnly = true
        let capture: LiveCapture
        do throws(LiveCaptureError) { capture = try LiveCapture(options) } catch {
            if case .permissionDenied = error { throw .noPrivilege }
            throw .setup(error.description)
        }
        var dump: CaptureDump?
        if let path = c.pcapPath {
            do throws(LiveCaptureError) { dump = try capture.openDump(path: path) } catch { throw .setup(error.description) }
        }
        let slots = SweepSlots(count: total)
        let receiver = SweepReceiver(capture: capture, dump: dump, space: space, probe: probe, slots: slots)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = cs_name_current_thread("cs-receive")
            receiver.loop()
            done.signal()
        }
        thread.start()

        var stats = SweepStatistics()
        stats.sender = c.sender.rawValue
        stats.probes = total
        let start = RunClock.monotonic()
        SweepSender(socket: socket, space: space, probe: probe, slots: slots, configuration: c, receiver: receiver)
            .send(total: total, stats: &stats)
        let sendingEnd = RunClock.monotonic()
        stats.sendingSeconds = sendingEnd - start
        // The answers to the last probes.
        let deadline = sendingEnd + c.cooldown.inSeconds
        while RunClock.monotonic() < deadline, receiver.answered < stats.sent, c.shouldStop?() != true {
            Thread.sleep(forTimeInterval: min(0.01, max(0, deadline - RunClock.monotonic())))
        }
        if c.shouldStop?() == true { stats.interrupted = true }
        receiver.stop()
        done.wait()
        stats.durationSeconds = RunClock.monotonic() - start
        receiver.fill(&stats)
        if let s = capture.statistics {
            stats.captureDropped = Int(s.dropped)
            stats.interfaceDropped = Int(s.interfaceDropped)
        }
        capture.close()
        if let dump, !dump.close() { throw .setup("the capture file \(c.pcapPath ?? "") could not be written completely (disk full?)") }
        if let failure = receiver.failure { throw .setup(failure) }
        return SweepOutcome(space: space, probe: probe, slots: slots, routers: receiver.routerList, statistics: stats)
    }

    /// Answers to our address only: TCP or UDP from the swept port, or echo replies; and ICMP errors.
    static func filter(for probe: SweepProbe) -> String {
        let us = probe.source.description
        let (icmp, echoReply, errors) = probe.isIPv4
            ? ("icmp", "icmp[0] == 0", "icmp[0] == 3 or icmp[0] == 4 or icmp[0] == 5 or icmp[0] == 11 or icmp[0] == 12")
            : ("icmp6", "ip6[40] == 129", "ip6[40] >= 1 and ip6[40] <= 4")
        switch probe.sweepProtocol {
        case .icmp: return "dst host \(us) and \(icmp) and (\(echoReply) or (\(errors)))"
        case .tcp, .udp: return "dst host \(us) and ((\(probe.sweepProtocol.rawValue) and src port \(probe.port)) or (\(icmp) and (\(errors))))"
        }
    }
}
