import JSONSupport
import Packets

/// The STUN probe kind ("stun"): a Binding Request (RFC 5389), as a call setup sends first
/// (Telegram and Skype calls, WebRTC). The transaction is the 12-byte transaction ID, which
/// every response carries back.
public enum STUNKind: DatagramKind {
    public static let name = "stun"
    public static let summary = "Send a STUN binding request (RFC 5389) and report the mapped address."
    public static let defaultPort: UInt16 = 3478
    public static let responseKind = AnswerKind.stunResponse
    public static let parameters: [KindParameter] = []

    public static func request(_ arguments: KindArguments, random: inout some RandomNumberGenerator) throws(ProbeBuildError) -> DatagramRequest {
        let transaction = (0..<12).map { _ in UInt8.random(in: 0...255, using: &random) }
        return DatagramRequest(payload: STUNMessage(type: STUNMessage.bindingRequest, transactionID: transaction).encoded(),
                               label: "stun binding")
    }

    /// A request's header: class request, the magic cookie, then the transaction ID.
    public static func requestTransaction(_ payload: ArraySlice<UInt8>) -> TransactionID? {
        guard payload.count >= STUNMessage.headerLength, payload.bigEndian16(at: 0) & 0xC110 == 0,
              payload.bigEndian32(at: 4) == STUNMessage.magicCookie else { return nil }
        return TransactionID(payload.bytes(at: 8, count: 12))
    }

    /// Only a well-formed success or error response answers a request.
    public static func responseTransaction(_ payload: ArraySlice<UInt8>) -> TransactionID? {
        guard payload.count >= STUNMessage.headerLength, payload.bigEndian32(at: 4) == STUNMessage.magicCookie,
              let message = try? STUNMessage(decoding: Array(payload)),
              message.messageClass == .successResponse || message.messageClass == .errorResponse else { return nil }
        return TransactionID(message.transactionID)
    }

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
        guard UDPKind.isOnReversedFlow(answer, of: probe), let id = transactionID(of: probe),
              let payload = answer.transport.udp?.payload,
              let response = try? STUNMessage(decoding: Array(payload)) else { return false }
        let isResponse = response.messageClass == .successResponse || response.messageClass == .errorResponse
        return isResponse && response.method == 0x001 && response.transactionID == id
    }

    /// The address the server saw us from (XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS).
    public static func mappedAddress(_ answer: Answer?) -> String? {
        guard let payload = payload(of: answer), let message = try? STUNMessage(decoding: Array(payload)) else { return nil }
        return (message.xorMappedAddress ?? message.mappedAddress)?.description
    }

    public static func resultFields(probe: Probe, answer: Answer?) -> [(key: String, value: JSONValue)] {
        [("mapped_address", .optional(mappedAddress(answer)))]
    }

    public static func textDetail(_ answer: Answer) -> String? { mappedAddress(answer).map { "mapped address \($0)" } }
}

extension AnswerKind {
    /// A STUN success or error response to a binding request.
    public static let stunResponse = AnswerKind(rawValue: "stun-response")
}

extension ProbeBuilder {
    /// A Binding Request with `transactionID` (12 bytes) and no attributes: the 20-byte
    /// message a plain RFC 5389 client sends. Default label "stun binding ttl 64 #2".
    public func stunBinding(index: Int, sourcePort: UInt16, destinationPort: UInt16, transactionID: [UInt8],
                            ttl: UInt8, ipID: UInt16, label: String? = nil) throws(ProbeBuildError) -> Probe {
        guard transactionID.count == 12 else { throw .transactionIDLength(transactionID.count) }
        let request = STUNMessage(type: STUNMessage.bindingRequest, transactionID: transactionID)
        return try udpProbe(index: index, module: STUNKind.name, label: label ?? "stun binding ttl \(ttl) #\(index)",
                            sourcePort: sourcePort, destinationPort: destinationPort, payload: request.encoded(),
                            ttl: ttl, ipID: ipID, checksum: nil)
    }
}
