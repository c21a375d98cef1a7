/// A UDP datagram (RFC 768).
public struct UDPDatagram: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The length field as received; filled from the payload when building.
    public var length: UInt16
    public var checksum: UInt16
    public var payload: ArraySlice<UInt8>

    public init(sourcePort: UInt16, destinationPort: UInt16, length: UInt16 = 0,
                checksum: UInt16 = 0, payload: ArraySlice<UInt8> = []) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.length = length
        self.checksum = checksum
        self.payload = payload
    }

    /// `jumbogram`: a length of 0 means "see the IPv6 jumbo payload" (RFC 2675); IPv4 has no such thing.
    public static func parse(_ bytes: ArraySlice<UInt8>, jumbogram: Bool = true) throws(PacketError) -> UDPDatagram {
        guard bytes.count >= 8 else { throw .truncated(layer: "UDP header", needed: 8, available: bytes.count) }
        let len = bytes.u16(4)
        guard len >= 8 || (len == 0 && jumbogram) else {
            throw .invalid(layer: "UDP header", reason: "length \(len) is below the minimum of 8")
        }
        let end = len == 0 ? bytes.count : min(Int(len), bytes.count)
        return UDPDatagram(sourcePort: bytes.u16(0), destinationPort: bytes.u16(2), length: len,
                           checksum: bytes.u16(6), payload: bytes.sub(8, end - 8))
    }

    public func write(into out: inout [UInt8]) {
        out.appendU16(sourcePort)
        out.appendU16(destinationPort)
        out.appendU16(length)
        out.appendU16(checksum)
        out.append(contentsOf: payload)
    }
}
