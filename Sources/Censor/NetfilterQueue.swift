import CNetfilterQueue
#if canImport(Glibc)
import Glibc
#endif

public enum CensorDaemonError: Error, Hashable, Sendable, CustomStringConvertible {
    case queue(String)
    case firewall(String)
    case log(path: String, errno: Int32)
    case socket(String)

    public var description: String {
        switch self {
        case .queue(let s): return "NFQUEUE: \(s)"
        case .firewall(let s): return "cannot install the censor's iptables rules: \(s)"
        case .log(let path, let e): return "cannot open log file \(path): \(String(cString: strerror(e)))"
        case .socket(let s): return "cannot open a raw socket for forged packets: \(s)"
        }
    }
}

/// A packet the kernel handed us, waiting for its verdict.
struct QueuedPacket {
    var id: UInt32
    var bytes: [UInt8]
}

/// Where the libnetfilter_queue callback puts packets; the main loop takes them out,
/// so the engine never runs inside a C callback.
final class QueueInbox {
    var packets: [QueuedPacket] = []
}

/// One NFQUEUE queue bound in copy-packet mode (libnetfilter_queue's classic API).
final class NetfilterQueue {
    private let handle: OpaquePointer
    private var queue: OpaquePointer?
    private let inbox = QueueInbox()
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    private var isOpen = true
    let fd: Int32

    init(number: UInt16, maxLength: UInt32) throws(CensorDaemonError) {
        guard let h = nfq_open() else {
            throw .queue("nfq_open failed (\(String(cString: strerror(errno)))); is this root, with the nfnetlink_queue module?")
        }
        handle = h
        // Needed by kernels before 3.8, harmless after.
        _ = nfq_unbind_pf(h, UInt16(AF_INET))
        _ = nfq_bind_pf(h, UInt16(AF_INET))
        _ = nfq_bind_pf(h, UInt16(AF_INET6))
        let context = Unmanaged.passUnretained(inbox).toOpaque()
        queue = nfq_create_queue(h, number, { _, _, data, context in
            guard let data, let context else { return 0 }
            let inbox = Unmanaged<QueueInbox>.fromOpaque(context).takeUnretainedValue()
            var payload: UnsafeMutablePointer<UInt8>?
            let length = nfq_get_payload(data, &payload)
            let id = cnfq_packet_id(data)
            let bytes = length > 0 && payload != nil ? Array(UnsafeBufferPointer(start: payload, count: Int(length))) : []
            inbox.packets.append(QueuedPacket(id: id, bytes: bytes))
            return 0
        }, context)
        guard queue != nil else {
            let e = errno
            nfq_close(h)
            throw .queue("cannot bind queue \(number) (\(String(cString: strerror(e)))); is another censor using it?")
        }
        fd = nfq_fd(h)
        guard nfq_set_mode(queue, UInt8(NFQNL_COPY_PACKET.rawValue), 0xFFFF) >= 0 else {
            close()
            throw .queue("cannot set copy-packet mode")
        }
        _ = nfq_set_queue_maxlen(queue, maxLength)
        _ = nfnl_rcvbufsiz(nfq_nfnlh(h), 8 << 20)
    }

    deinit { close() }

    /// Reads what the kernel has queued, without blocking. Packets whose netlink messages
    /// were lost (ENOBUFS) stay unanswered in the kernel until the queue drops them.
    func receive() -> (packets: [QueuedPacket], overruns: Int) {
        var overruns = 0
        inbox.packets.removeAll(keepingCapacity: true)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    _ = nfq_handle_packet(handle, raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(n))
                }
                if inbox.packets.count >= 256 { break }
                continue
            }
            if n < 0, errno == ENOBUFS { overruns += 1; continue }
            break
        }
        return (inbox.packets, overruns)
    }

    func verdict(_ id: UInt32, accept: Bool) {
        _ = nfq_set_verdict(queue, id, UInt32(accept ? CNFQ_ACCEPT : CNFQ_DROP), 0, nil)
    }

    func close() {
        if let q = queue { nfq_destroy_queue(q) }
        queue = nil
        if isOpen { nfq_close(handle) }
        isOpen = false
    }
}
