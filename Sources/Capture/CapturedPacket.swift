import Packets
#if canImport(Glibc)
import Glibc
#endif

/// When a packet was captured: seconds since the Unix epoch and nanoseconds.
public struct CaptureTimestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: UInt32

    public init(seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds + Int64(nanoseconds / 1_000_000_000)
        self.nanoseconds = nanoseconds % 1_000_000_000
    }

    /// CLOCK_REALTIME now: the clock the kernel stamps captured packets with.
    public static func now() -> CaptureTimestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return CaptureTimestamp(seconds: Int64(ts.tv_sec), nanoseconds: UInt32(truncatingIfNeeded: ts.tv_nsec))
    }

    /// Total nanoseconds since the epoch.
    public var totalNanoseconds: Int64 { seconds &* 1_000_000_000 &+ Int64(nanoseconds) }

    /// Seconds as a floating-point number (for JSON).
    public var secondsSinceEpoch: Double { Double(seconds) + Double(nanoseconds) / 1e9 }

    public static func < (a: Self, b: Self) -> Bool { (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds) }

    /// "seconds.nanoseconds".
    public var description: String {
        let ns = String(nanoseconds)
        return "\(seconds)." + String(repeating: "0", count: 9 - ns.count) + ns
    }
}

/// One packet as captured, live or from a file.
public struct CapturedPacket: Hashable, Sendable {
    public var timestamp: CaptureTimestamp
    public var linkType: LinkType
    /// The captured bytes (may be fewer than `originalLength` with a snap length).
    public var data: ArraySlice<UInt8>
    /// The length of the packet on the wire.
    public var originalLength: Int
    /// pcapng interface index (0 for pcap and live captures).
    public var interfaceIndex: Int
    /// pcapng `opt_comment`, if any.
    public var comment: String?

    public init(timestamp: CaptureTimestamp, linkType: LinkType, data: ArraySlice<UInt8>,
                originalLength: Int? = nil, interfaceIndex: Int = 0, comment: String? = nil) {
        self.timestamp = timestamp
        self.linkType = linkType
        self.data = data
        self.originalLength = originalLength ?? data.count
        self.interfaceIndex = interfaceIndex
        self.comment = comment
    }

    /// Decodes the link layer and everything above it.
    public func decode() throws(PacketError) -> Frame {
        try Frame.parse(data, linkType: linkType)
    }
}
