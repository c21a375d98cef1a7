import Packets

/// The STUN probe kind ("stun"): a Binding Request (RFC 5389), as a call setup sends first
/// (Telegram and Skype calls, WebRTC). The identifier is the 12-byte transaction ID, which
/// every response carries back.
public enum STUNModule: ProbeModule {
    public static let moduleNames = ["stun"]

    /// The transaction ID a STUN probe carries, nil when the probe is not a STUN request.
    public static func transactionID(of probe: Probe) -> [UInt8]? {
        guard let udp = probe.packet.transport.udp,
              let request = try? STUNMessage(decoding: Array(udp.payload)),
              request.messageClass == .request else { return nil }
        return request.transactionID
    }

    /// A Binding success or error response with the probe's transaction ID, on the probe's
    /// flow reversed.
    public static func recognises(_ answer: IPPacket, for probe: Probe) -> Bool {
        guard UDPModule.isOnReversedFlow(answer, of: probe), let id = transactionID(of: probe),
              let payload = answer.transport.udp?.payload,
              let response = try? STUNMessage(decoding: Array(payload)) else { return false }
        let isResponse = response.messageClass == .successResponse || response.messageClass == .errorResponse
        return isResponse && response.method == 0x001 && response.transactionID == id
    }
}

extension ProbeBuilder {
    /// A Binding Request with `transactionID` (12 bytes) and no attributes: the 20-byte
    /// message a plain RFC 5389 client sends. Default label "stun binding ttl 64 #2".
    public func stunBinding(index: Int, sourcePort: UInt16, destinationPort: UInt16, transactionID: [UInt8],
                            ttl: UInt8, ipID: UInt16, label: String? = nil) throws(ProbeBuildError) -> Probe {
        guard transactionID.count == 12 else { throw .transactionIDLength(transactionID.count) }
        let request = STUNMessage(type: STUNMessage.bindingRequest, transactionID: transactionID)
        return try udpProbe(index: index, module: "stun", label: label ?? "stun binding ttl \(ttl) #\(index)",
                            sourcePort: sourcePort, destinationPort: destinationPort, payload: request.encoded(),
                            ttl: ttl, ipID: ipID, checksum: nil)
    }
}
