import Capture
import Packets
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// The raw sockets a run needs: one per IP version its packets use.
struct ProbeSender {
    let v4: RawIPv4Socket?
    let v6: RawIPv6Socket?

    /// Checks every packet is IPv4 or IPv6 and opens the sockets, bound to `device` if given.
    init(packets: [[UInt8]], device: String?) throws(ProbeSessionError) {
        var needsV4 = false, needsV6 = false
        for (index, packet) in packets.enumerated() {
            switch packet.first.map({ $0 >> 4 }) {
            case 4 where packet.count >= 20: needsV4 = true
            case 6 where packet.count >= 40: needsV6 = true
            default:
                throw .send("probe \(index) is not an IPv4 or IPv6 packet (\(packet.count) bytes)")
            }
        }
        do throws(RawSocketError) {
            v4 = needsV4 ? try RawIPv4Socket(device: device) : nil
            v6 = needsV6 ? try RawIPv6Socket(mode: .headerIncluded, device: device) : nil
            // Without it a full queue drops probes silently (the kernel hides ENOBUFS from
            // raw sockets unless asked); IPPROTO_RAW sockets get no ICMP errors queued by it.
            try v4?.reportQueueDrops()
            try v6?.reportQueueDrops()
        } catch {
            if error == .permissionDenied { throw .noPrivilege }
            throw .send(error.description)
        }
    }

    /// Sends one packet (already checked by `init`) on the socket of its IP version.
    func send(_ packet: [UInt8]) throws(RawSocketError) {
        if packet.first.map({ $0 >> 4 }) == 4, let v4 {
            try v4.send(packet)
        } else if let v6 {
            try v6.send(packet)
        } else {
            throw .invalidPacket("no socket for this IP version")
        }
    }
}

/// The clocks a run reads: monotonic for pacing, real time for timestamps that compare
/// with the capture's (the kernel stamps captured packets with CLOCK_REALTIME).
public enum RunClock {
    public static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    public static func realtime() -> CaptureTimestamp { CaptureTimestamp.now() }

    /// CLOCK_REALTIME in microseconds, mod 2^32 (the clock capture timestamps use).
    public static func realtimeMicros() -> UInt32 {
        let t = realtime()
        return UInt32(truncatingIfNeeded: t.seconds &* 1_000_000 &+ Int64(t.nanoseconds / 1000))
    }

    /// Sleeps about `seconds` (an interrupted sleep returns early; callers loop on the clock).
    static func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        let whole = seconds.rounded(.down)
        var ts = timespec(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1e9))
        nanosleep(&ts, nil)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
