/// A pcap LINKTYPE_ value (https://www.tcpdump.org/linktypes.html).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let null = LinkType(rawValue: 0)          // BSD loopback, host-order family
    public static let ethernet = LinkType(rawValue: 1)
    public static let raw = LinkType(rawValue: 101)         // raw IPv4/IPv6
    public static let loop = LinkType(rawValue: 108)        // OpenBSD loopback, network-order family
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    /// DLT_RAW's platform values (12, 14) appear in some files in place of 101.
    var isRawIP: Bool { self == .raw || self == .ipv4 || self == .ipv6 || rawValue == 12 || rawValue == 14 }

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .ethernet: return "EN10MB"
        case .loop: return "LOOP"
        case .linuxSLL: return "LINUX_SLL"
        case .linuxSLL2: return "LINUX_SLL2"
        case .ipv4: return "IPV4"
        case .ipv6: return "IPV6"
        default: return isRawIP ? "RAW" : "LINKTYPE_\(rawValue)"
        }
    }

    /// Names accepted on the command line.
    public init?(name: String) {
        switch name.lowercased() {
        case "ethernet", "en10mb", "eth": self = .ethernet
        case "raw", "ip": self = .raw
        case "sll", "linux_sll": self = .linuxSLL
        case "sll2", "linux_sll2": self = .linuxSLL2
        case "null", "bsd": self = .null
        case "loop": self = .loop
        default: return nil
        }
    }
}

/// The decoded link-layer header.
public enum LinkHeader: Hashable, Sendable {
    case ethernet(source: MACAddress, destination: MACAddress, vlanTags: [UInt16], etherType: UInt16)
    /// Linux cooked capture v1: packet type (0 to us, 4 outgoing, …), ARPHRD type, address, protocol.
    case linuxCooked(packetType: UInt16, hardwareType: UInt16, address: MACAddress, proto: UInt16)
    case linuxCooked2(packetType: UInt8, hardwareType: UInt16, interfaceIndex: UInt32, address: MACAddress, proto: UInt16)
    case loopback(family: UInt32)
    case raw

    /// Length of this header on the wire.
    var length: Int {
        switch self {
        case .ethernet(_, _, let tags, _): return 14 + 4 * tags.count
        case .linuxCooked: return 16
        case .linuxCooked2: return 20
        case .loopback: return 4
        case .raw: return 0
        }
    }
}

/// What a frame carries after its link header.
public enum FramePayload: Hashable, Sendable {
    case ip(IPPacket)
    /// Not IP (ARP, LLDP …): the EtherType or family.
    case notIP(protocolNumber: UInt32, bytes: ArraySlice<UInt8>)
    /// IP by the link header's word, but not decodable.
    indirect case undecodable(PacketError, bytes: ArraySlice<UInt8>)   // boxed: rare, and keeps the enum small
}

/// A captured frame: link header and payload.
public struct Frame: Hashable, Sendable {
    public var link: LinkHeader
    public var payload: FramePayload

    public var ip: IPPacket? { if case .ip(let p) = payload { return p }; return nil }

    /// Decodes a frame of the given link type. Throws only when the link header
    /// itself is cut short or the link type is unknown; IP errors land in `.undecodable`.
    public static func parse(_ bytes: ArraySlice<UInt8>, linkType: LinkType) throws(PacketError) -> Frame {
        let link: LinkHeader
        var isIP: Bool
        var proto: UInt32
        switch linkType {
        case .ethernet:
            guard bytes.count >= 14 else { throw .truncated(layer: "Ethernet header", needed: 14, available: bytes.count) }
            var type = bytes.u16(12)
            var tags: [UInt16] = []
            var off = 14
            while type == 0x8100 || type == 0x88A8 || type == 0x9100, tags.count < 4 {
                guard bytes.count >= off + 4 else { throw .truncated(layer: "802.1Q tag", needed: off + 4, available: bytes.count) }
                tags.append(bytes.u16(off))
                type = bytes.u16(off + 2)
                off += 4
            }
            link = .ethernet(source: MACAddress(value: bytes.u64(4) & 0xFFFF_FFFF_FFFF), destination: MACAddress(value: bytes.u64(0) >> 16),
                             vlanTags: tags, etherType: type)
            proto = UInt32(type)
            isIP = type == 0x0800 || type == 0x86DD
        case .linuxSLL:
            guard bytes.count >= 16 else { throw .truncated(layer: "Linux cooked header", needed: 16, available: bytes.count) }
            let alen = min(Int(bytes.u16(4)), 8)
            let p = bytes.u16(14)
            link = .linuxCooked(packetType: bytes.u16(0), hardwareType: bytes.u16(2), address: MACAddress(bytes.sub(6, alen)), proto: p)
            proto = UInt32(p)
            isIP = p == 0x0800 || p == 0x86DD
        case .linuxSLL2:
            guard bytes.count >= 20 else { throw .truncated(layer: "Linux cooked v2 header", needed: 20, available: bytes.count) }
            let p = bytes.u16(0)
            let alen = min(Int(bytes.u8(11)), 8)
            link = .linuxCooked2(packetType: bytes.u8(10), hardwareType: bytes.u16(8), interfaceIndex: bytes.u32(4),
                                 address: MACAddress(bytes.sub(12, alen)), proto: p)
            proto = UInt32(p)
            isIP = p == 0x0800 || p == 0x86DD
        case .null, .loop:
            guard bytes.count >= 4 else { throw .truncated(layer: "loopback header", needed: 4, available: bytes.count) }
            var family = bytes.u32(0)
            // NULL is in the capturing host's order: read both ways, keep the small one.
            if linkType == .null, family > 0xFFFF { family = family.byteSwapped }
            link = .loopback(family: family)
            proto = family
            isIP = [2, 10, 24, 28, 30].contains(family)
        default:
            guard linkType.isRawIP else {
                throw .invalid(layer: "link layer", reason: "link type \(linkType.rawValue) is not supported")
            }
            link = .raw
            proto = 0
            isIP = true
        }
        let rest = bytes.dropping(link.length)
        guard isIP else { return Frame(link: link, payload: .notIP(protocolNumber: proto, bytes: rest)) }
        do {
            return Frame(link: link, payload: .ip(try IPPacket.parse(rest)))
        } catch {
            return Frame(link: link, payload: .undecodable(error, bytes: rest))
        }
    }

    public static func parse(_ bytes: [UInt8], linkType: LinkType) throws(PacketError) -> Frame {
        try parse(bytes[...], linkType: linkType)
    }

    /// Frames an IP packet's bytes for a link type (the header's fields set to neutral values
    /// where the packet says nothing: zero MACs, packet type "outgoing").
    public static func encapsulate(_ ipBytes: [UInt8], linkType: LinkType) -> [UInt8] {
        let v6 = (ipBytes.first ?? 0) >> 4 == 6
        var out: [UInt8] = []
        switch linkType {
        case .ethernet:
            out = [UInt8](repeating: 0, count: 12)
            out.appendU16(v6 ? 0x86DD : 0x0800)
        case .linuxSLL:
            out.appendU16(4); out.appendU16(1); out.appendU16(6)
            out.append(contentsOf: [UInt8](repeating: 0, count: 8))
            out.appendU16(v6 ? 0x86DD : 0x0800)
        case .linuxSLL2:
            out.appendU16(v6 ? 0x86DD : 0x0800); out.appendU16(0); out.appendU32(1); out.appendU16(1)
            out.append(4); out.append(6)
            out.append(contentsOf: [UInt8](repeating: 0, count: 8))
        case .null:
            let fam: UInt32 = v6 ? 30 : 2   // little-endian host order, as written on most hosts
            out = [UInt8(fam & 0xFF), 0, 0, 0]
        case .loop:
            out.appendU32(v6 ? 30 : 2)
        default:
            break
        }
        out.append(contentsOf: ipBytes)
        return out
    }
}
