import Agent
#if canImport(Glibc)
import Glibc
#endif
import Capture
import JSONSupport
import Packets
import Probing
import Records

/// The harnesses that check more than "does not trap".
enum Parsers {
    /// Text the way the tools read files: invalid UTF-8 repaired, as `String(decoding:)` does.
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// A packet that parses serialises again, and that serialisation parses.
    static func packet(_ bytes: [UInt8]) {
        guard let packet = try? IPPacket.parse(bytes) else { return }
        let again = packet.serialized(fillLengths: false, fillChecksums: false)
        _ = try? IPPacket.parse(again)
        _ = Fingerprint(of: packet)
    }

    /// The first byte picks the link type, the rest is the frame.
    static func frames(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let types: [LinkType] = [.ethernet, .raw, .null, .loop, .linuxSLL, .linuxSLL2, .ipv4, .ipv6]
        _ = try? Frame.parse(Array(bytes.dropFirst()), linkType: types[Int(first) % types.count])
    }

    /// An unlinked file for the streamed reading, reopened through /proc/self/fd.
    nonisolated(unsafe) static let scratchFile: Int32 = {
        let path = "/tmp/censorscope-fuzz-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        unlink(path)
        return fd
    }()

    /// Every packet a capture file yields decodes or is refused, and the reader stops; read
    /// as a stream (from a memory file) it yields the same packets and the same error.
    static func captureFile(_ bytes: [UInt8]) {
        let (packets, error) = CaptureFileReader.readAll(bytes: bytes, name: "fuzz.pcap")
        for p in packets.prefix(10_000) { _ = try? p.decode() }
        let fd = scratchFile
        guard fd >= 0, ftruncate(fd, 0) == 0 else { return }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else { return }
        let (streamed, streamError) = CaptureFileReader.readAll(path: "/proc/self/fd/\(fd)")
        precondition(streamed.map { $0.data }.elementsEqual(packets.map { $0.data }), "streamed packets differ from those in memory")
        precondition((streamError == nil) == (error == nil), "streamed reading ends differently: \(String(describing: streamError)) / \(String(describing: error))")
    }

    /// What parses prints to text that parses and prints the same.
    static func json(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes: bytes) else {
            _ = try? JSONParser.parseLines(bytes: bytes)
            return
        }
        // Compared as text: `1e1` parses as a double and prints as `10`, which reads back as
        // an integer; what must hold is that printing is stable.
        let text = value.serialized()
        let again = try? JSONParser.parse(text)
        precondition(again?.serialized() == text, "JSON does not survive its own serialisation")
    }

    static func dns(_ bytes: [UInt8]) {
        guard let message = try? DNSMessage(decoding: bytes) else { return }
        _ = message.answers.map(\.address)
    }

    static func stun(_ bytes: [UInt8]) {
        guard let message = try? STUNMessage(decoding: bytes) else { return }
        _ = message.encoded()
        _ = STUNKind.responseTransaction(bytes[...])
    }

    static func quic(_ bytes: [UInt8]) {
        _ = QUICLongHeader(parsing: bytes[...])
        _ = QUICVersionNegotiation(decoding: bytes)
        _ = QUICKind.responseTransaction(bytes[...])
    }

    /// The bytes as the data a server (or a censor) sends on a payload probe's connection,
    /// after our request: the observation reads its first line and counts it.
    static func httpResponse(_ bytes: [UInt8]) {
        let c = IPv4Address(198, 18, 1, 2), s = IPv4Address(198, 18, 9, 2)
        let client = IPAddress.v4(c), server = IPAddress.v4(s)
        let flow = PayloadFlow(local: client, localPort: 40000, remote: server, remotePort: 80)
        let request = TCPSegment(sourcePort: 40000, destinationPort: 80, sequenceNumber: 1000, acknowledgmentNumber: 5000,
                                 flags: [.ack, .psh], window: 502, payload: Array("GET / HTTP/1.1\r\n\r\n".utf8)[...])
        let answer = TCPSegment(sourcePort: 80, destinationPort: 40000, sequenceNumber: 5000, acknowledgmentNumber: 1018,
                                flags: [.ack, .psh], window: 502, payload: bytes[...])
        let packets = [
            IPPacket(header: .v4(IPv4Header(ttl: 64, proto: 6, source: c, destination: s)), transport: .tcp(request)),
            IPPacket(header: .v4(IPv4Header(ttl: 60, proto: 6, source: s, destination: c)), transport: .tcp(answer)),
        ].enumerated().map { i, p in PayloadPacket(packet: p, timestamp: CaptureTimestamp(seconds: 1, nanoseconds: UInt32(i * 1000))) }
        _ = PayloadObservation.classify(flow: flow, dataSequence: 1000, dataLength: 18, packets: packets)
    }

    static func agentRequest(_ bytes: [UInt8]) {
        _ = try? AgentTraceRequest(body: bytes)
        _ = try? AgentReverseRequest(body: bytes)
    }

    static func agentResponse(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes: bytes) else { return }
        _ = try? TraceRecord(json: value)
        _ = try? ReverseRecord(json: value)
    }
}
