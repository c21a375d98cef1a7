import CPcap
import SystemSupport
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// How to open a live capture.
public struct LiveCaptureConfiguration: Sendable, Hashable {
    public var interface: String
    /// A BPF filter in tcpdump syntax, compiled into the kernel; nil captures everything.
    public var filter: String?
    public var snapLength: Int32 = 262_144
    /// Kernel ring buffer size in bytes.
    public var bufferSize: Int32 = 8 << 20
    /// Deliver each packet as it arrives instead of batching (what a prober wants).
    public var immediate: Bool = true
    /// Read timeout used when `immediate` is off.
    public var timeoutMilliseconds: Int32 = 10
    public var promiscuous: Bool = false
    public var nanosecondTimestamps: Bool = true
    /// Only packets the interface receives (PCAP_D_IN; PACKET_IGNORE_OUTGOING where the kernel
    /// has it): a bulk prober need not read back every probe it sent.
    public var incomingOnly: Bool = false

    public init(interface: String, filter: String? = nil) {
        self.interface = interface
        self.filter = filter
    }
}

public enum LiveCaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    case permissionDenied(interface: String)
    case noSuchInterface(interface: String, message: String)
    case openFailed(interface: String, message: String)
    case invalidFilter(filter: String, message: String)
    case readFailed(message: String)

    public var description: String {
        switch self {
        case .permissionDenied(let i):
            return "capturing on \(i) needs root or CAP_NET_RAW: run the command with sudo"
        case .noSuchInterface(let i, let m):
            return "cannot capture on \(i): no such interface (\(m)); list interfaces with `ip link`"
        case .openFailed(let i, let m):
            return "cannot capture on \(i): \(m)"
        case .invalidFilter(let f, let m):
            return "the capture filter \"\(f)\" is not valid BPF syntax: \(m)"
        case .readFailed(let m):
            return "reading from the capture failed: \(m)"
        }
    }
}

/// A libpcap live capture with a kernel BPF filter and capture timestamps.
/// One reader at a time: `next` must not be called from two threads at once.
public final class LiveCapture: @unchecked Sendable {
    var handle: OpaquePointer?
    public let linkType: LinkType
    public let interface: String
    public let hasNanosecondTimestamps: Bool
    let selectableFD: Int32
    /// The network namespace it captures in (the opening thread's); nil when unknown.
    public let namespace: NamespaceIdentity?
    /// What it was opened with (the filter: the one set last).
    public private(set) var configuration: LiveCaptureConfiguration
    /// Packets stamped before this are not handed over: a reused capture's ring may still
    /// hold the previous user's (`reuse(filter:)`).
    var notBefore: CaptureTimestamp?
    /// `pcap_stats` when the capture was last reused: its counts run from there.
    var statisticsBase: (received: UInt32, dropped: UInt32, interfaceDropped: UInt32) = (0, 0, 0)

    public init(_ config: LiveCaptureConfiguration) throws(LiveCaptureError) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_create(config.interface, &errbuf) else {
            throw .openFailed(interface: config.interface, message: String(cString: errbuf))
        }
        func fail(_ code: Int32) -> LiveCaptureError {
            let message = String(cString: pcap_geterr(h))
            pcap_close(h)
            switch code {
            case PCAP_ERROR_PERM_DENIED: return .permissionDenied(interface: config.interface)
            case PCAP_ERROR_NO_SUCH_DEVICE: return .noSuchInterface(interface: config.interface, message: message)
            default: return .openFailed(interface: config.interface, message: message.isEmpty ? "libpcap error \(code)" : message)
            }
        }
        pcap_set_snaplen(h, config.snapLength)
        pcap_set_promisc(h, config.promiscuous ? 1 : 0)
        pcap_set_buffer_size(h, config.bufferSize)
        pcap_set_timeout(h, config.timeoutMilliseconds)
        if config.immediate { pcap_set_immediate_mode(h, 1) }
        var nano = false
        if config.nanosecondTimestamps, pcap_set_tstamp_precision(h, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0 { nano = true }
        let rc = pcap_activate(h)
        if rc < 0 { throw fail(rc) }   // warnings (rc > 0) are not fatal
        // On every interface at once, SLL2 keeps which one each packet came in on; an older
        // libpcap keeps SLL (v1), which reads as well.
        if config.interface == "any" { _ = pcap_set_datalink(h, 276) }   // DLT_LINUX_SLL2
        if let filter = config.filter {
            do throws(LiveCaptureError) { try Self.setFilter(h, filter) } catch {
                pcap_close(h)
                throw error
            }
        }
        if config.incomingOnly, pcap_setdirection(h, PCAP_D_IN) != 0 { throw fail(PCAP_ERROR) }
        pcap_setnonblock(h, 1, &errbuf)
        handle = h
        interface = config.interface
        linkType = LinkType(rawValue: UInt32(pcap_datalink(h)))
        hasNanosecondTimestamps = nano && pcap_get_tstamp_precision(h) == Int32(PCAP_TSTAMP_PRECISION_NANO)
        selectableFD = pcap_get_selectable_fd(h)
        configuration = config
        namespace = NamespaceIdentity.currentThread
    }

    private static func setFilter(_ h: OpaquePointer, _ filter: String) throws(LiveCaptureError) {
        var program = bpf_program()
        if pcap_compile(h, &program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            throw .invalidFilter(filter: filter, message: String(cString: pcap_geterr(h)))
        }
        let set = pcap_setfilter(h, &program)
        pcap_freecode(&program)
        if set != 0 { throw .openFailed(interface: "", message: String(cString: pcap_geterr(h))) }
    }

    /// Makes an open capture new for another user: `filter` replaces the old one, what the
    /// ring still holds is thrown away, and so is anything stamped before now (packets of
    /// the old filter in a block the kernel has not handed over yet); statistics start again.
    /// Swapping a filter costs nothing; closing and opening an AF_PACKET capture cost the
    /// kernel two RCU grace periods (some 40 ms).
    public func reuse(filter: String?) throws(LiveCaptureError) {
        guard let h = handle else { throw .readFailed(message: "the capture is closed") }
        try Self.setFilter(h, filter ?? "")
        configuration.filter = filter
        let now = CaptureTimestamp.now()
        _ = try drain { _ in }
        notBefore = now
        statisticsBase = kernelStatistics(h) ?? (0, 0, 0)
    }

    deinit { close() }

    /// The next packet, waiting at most `timeout`; nil when none arrived in time.
    public func next(timeout: Duration) throws(LiveCaptureError) -> CapturedPacket? {
        guard let h = handle else { return nil }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let rc = pcap_next_ex(h, &header, &data)
            if rc == 1, let header, let data {
                let packet = CapturedPacket(header.pointee, data, linkType: linkType, nanoseconds: hasNanosecondTimestamps)
                if let notBefore, packet.timestamp < notBefore { continue }
                return packet
            }
            if rc < 0 { throw .readFailed(message: String(cString: pcap_geterr(h))) }
            let now = ContinuousClock.now
            if now >= deadline { return nil }
            let left = now.duration(to: deadline)
            let ms = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 1000))
            var pfd = pollfd(fd: selectableFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, ms)
        }
    }

    /// Hands every packet already captured, at most `max`, to `body` without waiting, and
    /// returns how many it handed. Reads in batches (pcap_dispatch) straight from the kernel
    /// ring, so a busy prober can empty the ring between sends for one call.
    @discardableResult
    public func drain(max: Int = Int(Int32.max), _ body: (CapturedPacket) -> Void) throws(LiveCaptureError) -> Int {
        guard let h = handle, max > 0 else { return 0 }
        var total = 0
        var failed = false
        withoutActuallyEscaping(body) { escapable in
            var context = DrainContext(body: escapable, linkType: linkType, nanoseconds: hasNanosecondTimestamps, notBefore: notBefore)
            withUnsafeMutablePointer(to: &context) { pointer in
                let user = UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: UInt8.self)
                while total < max {
                    let n = pcap_dispatch(h, Int32(clamping: max - total), { user, header, data in
                        guard let user, let header, let data else { return }
                        let context = UnsafeMutableRawPointer(user).assumingMemoryBound(to: DrainContext.self)
                        let c = context.pointee
                        if let cutoff = c.notBefore, CaptureTimestamp(header.pointee, nanoseconds: c.nanoseconds) < cutoff { return }
                        c.body(CapturedPacket(header.pointee, data, linkType: c.linkType, nanoseconds: c.nanoseconds))
                    }, user)
                    if n < 0 { failed = n == -1; break }   // -2: pcap_breakloop, not an error
                    if n == 0 { break }
                    total += Int(n)
                }
            }
        }
        if failed { throw .readFailed(message: String(cString: pcap_geterr(h))) }
        return total
    }

    /// Waits until the capture has packets to read or `timeout` passes; true if it has.
    /// Call it only after `drain` emptied the capture (a partly read batch does not wake it).
    public func waitForPackets(timeout: Duration) -> Bool {
        guard handle != nil else { return false }
        var pfd = pollfd(fd: selectableFD, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, timeout.pollMilliseconds) > 0
    }

    /// Packets received and dropped by the kernel since the capture opened or was last reused.
    public var statistics: (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)? {
        guard let h = handle, let s = kernelStatistics(h) else { return nil }
        let base = statisticsBase
        return (s.received &- base.received, s.dropped &- base.dropped, s.interfaceDropped &- base.interfaceDropped)
    }

    /// `pcap_stats` as libpcap counts it, since the capture opened.
    private func kernelStatistics(_ h: OpaquePointer) -> (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)? {
        var s = pcap_stat()
        guard pcap_stats(h, &s) == 0 else { return nil }
        return (s.ps_recv, s.ps_drop, s.ps_ifdrop)
    }

    public func close() {
        if let h = handle { pcap_close(h) }
        handle = nil
    }
}

/// What `drain`'s C callback needs, passed through libpcap's user pointer.
private struct DrainContext {
    let body: (CapturedPacket) -> Void
    let linkType: LinkType
    let nanoseconds: Bool
    let notBefore: CaptureTimestamp?
}

extension CapturedPacket {
    /// Copies a packet out of libpcap's buffer (valid only during the callback or until the next read).
    init(_ header: pcap_pkthdr, _ data: UnsafePointer<UInt8>, linkType: LinkType, nanoseconds: Bool) {
        let bytes = Array(UnsafeBufferPointer(start: data, count: Int(header.caplen)))
        self.init(timestamp: CaptureTimestamp(header, nanoseconds: nanoseconds),
                  linkType: linkType, data: bytes[...], originalLength: Int(header.len))
    }
}

extension CaptureTimestamp {
    /// A libpcap header's stamp (its `tv_usec` holds nanoseconds when the capture asked for them).
    init(_ header: pcap_pkthdr, nanoseconds: Bool) {
        let sub = Int64(header.ts.tv_usec)
        self.init(seconds: Int64(header.ts.tv_sec),
                  nanoseconds: nanoseconds ? UInt32(truncatingIfNeeded: sub) : UInt32(truncatingIfNeeded: sub * 1000))
    }
}

extension Duration {
    /// A `poll(2)` timeout: whole milliseconds, from 0 to Int32.max.
    var pollMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        return Int32(max(0, min(seconds * 1000 + attoseconds / 1_000_000_000_000_000, Int64(Int32.max))))
    }
}
