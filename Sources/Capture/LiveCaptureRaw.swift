import CPcap
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// A packet as libpcap holds it during a raw drain: valid only inside the callback.
public struct RawCapturedPacket {
    public var timestamp: CaptureTimestamp
    /// The captured bytes, link header first (`LiveCapture.linkType`).
    public var bytes: UnsafeRawBufferPointer
    public var originalLength: Int
}

extension LiveCapture {
    /// Like `drain`, without copying: `body` sees libpcap's buffer in place (the bulk path,
    /// where a copy per answer would cost more than the matching). Every packet handed over
    /// is first written to `dump` when one is open.
    @discardableResult
    public func drainRaw(max: Int = Int(Int32.max), dump: CaptureDump? = nil,
                         _ body: (RawCapturedPacket) -> Void) throws(LiveCaptureError) -> Int {
        guard let h = handle, max > 0 else { return 0 }
        var total = 0
        var failed = false
        withoutActuallyEscaping(body) { escapable in
            var context = RawDrainContext(body: escapable, nanoseconds: hasNanosecondTimestamps, dumper: dump?.dumper)
            withUnsafeMutablePointer(to: &context) { pointer in
                let user = UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: UInt8.self)
                while total < max {
                    let n = pcap_dispatch(h, Int32(clamping: max - total), { user, header, data in
                        guard let user, let header, let data else { return }
                        let c = UnsafeMutableRawPointer(user).assumingMemoryBound(to: RawDrainContext.self).pointee
                        if let dumper = c.dumper { pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), header, data) }
                        let h = header.pointee
                        c.body(RawCapturedPacket(timestamp: CaptureTimestamp(h, nanoseconds: c.nanoseconds),
                                                 bytes: UnsafeRawBufferPointer(start: data, count: Int(h.caplen)),
                                                 originalLength: Int(h.len)))
                    }, user)
                    if n < 0 { failed = n == -1; break }
                    if n == 0 { break }
                    total += Int(n)
                }
            }
        }
        if failed { throw .readFailed(message: String(cString: pcap_geterr(h))) }
        return total
    }

    /// Opens a pcap file that receives every packet `drainRaw(dump:)` hands over, with this
    /// capture's link type and timestamp precision.
    public func openDump(path: String) throws(LiveCaptureError) -> CaptureDump {
        guard let h = handle else { throw .readFailed(message: "the capture is closed") }
        guard let d = pcap_dump_open(h, path) else {
            throw .openFailed(interface: interface, message: "cannot write \(path): \(String(cString: pcap_geterr(h)))")
        }
        return CaptureDump(d)
    }
}

/// A pcap file being written from a live capture; `close` flushes it.
public final class CaptureDump: @unchecked Sendable {
    fileprivate var dumper: OpaquePointer?

    init(_ dumper: OpaquePointer) { self.dumper = dumper }
    deinit { close() }

    /// Flushes and closes; false when the data could not all be written (disk full).
    @discardableResult
    public func close() -> Bool {
        guard let d = dumper else { return true }
        dumper = nil
        let flushed = pcap_dump_flush(d) == 0
        pcap_dump_close(d)
        return flushed
    }
}

private struct RawDrainContext {
    let body: (RawCapturedPacket) -> Void
    let nanoseconds: Bool
    let dumper: OpaquePointer?
}
