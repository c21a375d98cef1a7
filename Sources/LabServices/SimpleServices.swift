import JSONSupport
import Packets

/// TCP echo (RFC 862): sends back whatever arrives until the client closes or goes idle.
struct EchoService: Sendable {
    let log: RequestLog
    let idleMs: Int32

    func serve(_ connection: Connection) {
        var total = 0
        var ending = "closed by client"
        loop: while true {
            switch connection.read(max: 65536, timeoutMs: idleMs) {
            case .data(let bytes):
                guard connection.write(bytes) else { ending = "client stopped reading"; break loop }
                total += bytes.count
            case .closed: break loop
            case .timedOut: ending = "idle timeout"; break loop
            case .failed: ending = "connection error"; break loop
            }
        }
        log.record("echo", client: connection.peer, local: connection.local,
                   [("bytes", .int(Int64(total))), ("end", .string(ending))])
    }
}

/// STUN Binding responder (RFC 5389): answers each Binding Request with the source address
/// it came from; everything else is ignored (but logged, so a test can see it arrived).
struct STUNService: Sendable {
    let log: RequestLog

    func answer(_ datagram: [UInt8], from peer: Endpoint, to local: Endpoint) -> [UInt8]? {
        let request: STUNMessage
        do {
            request = try STUNMessage(decoding: datagram)
        } catch {
            log.record("stun", client: peer, local: local,
                       [("ignored", .string("not a STUN message")), ("length", .int(Int64(datagram.count)))])
            return nil
        }
        guard request.type == STUNMessage.bindingRequest else {
            log.record("stun", client: peer, local: local,
                       [("ignored", .string("STUN type 0x" + String(request.type, radix: 16))),
                        ("transaction_id", .string(hex(request.transactionID)))])
            return nil
        }
        let mapped = STUNAddress(address: peer.address, port: peer.port)
        let response = STUNMessage.bindingResponse(to: request, source: mapped, software: "censorscope-lab")
        log.record("stun", client: peer, local: local,
                   [("transaction_id", .string(hex(request.transactionID))),
                    ("software", request.software.map { .string($0) } ?? .null),
                    ("mapped", .string(mapped.description))])
        return response.encoded(fingerprint: true)
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// DNS over UDP and over TCP (two-byte length prefix, several queries per connection).
struct DNSService: Sendable {
    let log: RequestLog
    let responder: DNSResponder
    let idleMs: Int32

    func answer(_ datagram: [UInt8], from peer: Endpoint, to local: Endpoint) -> [UInt8]? {
        let outcome = responder.respond(to: datagram, udp: true)
        record(outcome, transport: "udp", peer: peer, local: local)
        return outcome.response
    }

    func serve(_ connection: Connection) {
        var buffer: [UInt8] = []
        while true {
            while buffer.count >= 2 {
                let length = Int(buffer[0]) << 8 | Int(buffer[1])
                guard buffer.count >= 2 + length else { break }
                let query = Array(buffer[2..<(2 + length)])
                buffer.removeFirst(2 + length)
                let outcome = responder.respond(to: query, udp: false)
                record(outcome, transport: "tcp", peer: connection.peer, local: connection.local)
                guard let response = outcome.response else { return }   // garbage: hang up
                let framed = [UInt8(truncatingIfNeeded: response.count >> 8), UInt8(truncatingIfNeeded: response.count)] + response
                guard connection.write(framed) else { return }
            }
            guard case .data(let bytes) = connection.read(max: 65536, timeoutMs: idleMs) else { return }
            buffer += bytes
        }
    }

    private func record(_ outcome: DNSResponder.Outcome, transport: String, peer: Endpoint?, local: Endpoint?) {
        var fields: [(String, JSONValue)] = [("transport", .string(transport))]
        if let q = outcome.question {
            fields += [("name", .string(q.name.description)), ("type", .string(DNSType.name(q.type)))]
        }
        if let rcode = outcome.rcode { fields.append(("rcode", .string(rcode.description))) }
        fields.append(("answers", .array(outcome.answers.map { .string($0.description) })))
        if let note = outcome.note { fields.append((outcome.response == nil ? "ignored" : "note", .string(note))) }
        log.record("dns", client: peer, local: local, fields)
    }
}
