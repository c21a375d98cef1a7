// Real captures (CenTrace, /work/shared/centrace-sample): every packet the client sent is
// taken as a probe, and the whole capture is correlated. Whatever is attributed must belong
// to the probe's flow; a quote naming several probes (a bare ACK and the data segment after
// it share their seq, and ICMP quotes only 8 bytes) is ambiguous, never guessed.
import Capture
import Foundation
import Packets
import Probing
import Testing

@Suite struct CorrelatorCaptureTests {
    static let directory = "/work/shared/centrace-sample"

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".pcap") }.sorted()
    }

    /// (remote, remote port, local port) of a TCP probe, or of the packet an answer quotes or answers.
    struct Flow: Hashable {
        var remote: IPAddress
        var remotePort: UInt16
        var localPort: UInt16
    }

    @Test func centraceCapturesCorrelateWithinTheirFlows() throws {
        let files = Self.files
        try #require(!files.isEmpty, "no captures in \(Self.directory)")
        var attributedQuotes = 0, ambiguousQuotes = 0, synAcks = 0
        for file in files {
            let (packets, error) = CaptureFileReader.readAll(path: "\(Self.directory)/\(file)")
            #expect(error == nil, "\(file)")
            let decoded = packets.compactMap { p in (try? p.decode())?.ip.map { (p, $0) } }
            // The client is the source of the first SYN.
            let client = try #require(decoded.first { $0.1.transport.tcp?.flags == .syn }?.1.source)
            var probes: [Probe] = []
            for (captured, ip) in decoded where ip.source == client && ip.transport.tcp != nil {
                probes.append(Probe(index: probes.count, module: "syn", label: "\(file) #\(probes.count)",
                                    packet: ip, bytes: ip.serialized(fillLengths: false, fillChecksums: false)))
                _ = captured
            }
            var correlator = Correlator(probes: probes)
            func flow(ofProbe i: Int) -> Flow? {
                guard let t = probes[i].packet.transport.tcp else { return nil }
                return Flow(remote: probes[i].destination, remotePort: t.destinationPort, localPort: t.sourcePort)
            }
            for (captured, ip) in decoded {
                let seen = correlator.observe(captured)
                if ip.source == client, ip.transport.tcp != nil {
                    guard case .sent(let i) = seen else {
                        Issue.record("\(file): our packet not recognised: \(seen)")
                        continue
                    }
                    #expect(probes[i].bytes == ip.serialized(fillLengths: false, fillChecksums: false))
                    continue
                }
                // What the packet says about the flow it belongs to.
                var answered: Flow?
                if let t = ip.transport.tcp {
                    answered = Flow(remote: ip.source, remotePort: t.sourcePort, localPort: t.destinationPort)
                } else if let q = ip.transport.icmp?.quotedPacket {
                    let ports: (UInt16, UInt16)? = q.transport.tcp.map { ($0.sourcePort, $0.destinationPort) }
                        ?? { if case .tcpPrefix(let p) = q.transport, let s = p.sourcePort, let d = p.destinationPort { return (s, d) }; return nil }()
                    answered = ports.map { Flow(remote: q.destination, remotePort: $0.1, localPort: $0.0) }
                }
                switch seen {
                case .answer(let a):
                    #expect(answered != nil && flow(ofProbe: a.probeIndex) == answered, "\(file): \(a.kind) attributed across flows")
                    if a.basis == .quote { attributedQuotes += 1 }
                case .duplicate(let i):
                    #expect(answered != nil && flow(ofProbe: i) == answered)
                case .ambiguous(let candidates):
                    #expect(candidates.count > 1 && candidates.allSatisfy { flow(ofProbe: $0) == answered })
                    if ip.transport.icmp != nil { ambiguousQuotes += 1 }
                case .sent:
                    Issue.record("\(file): a packet from \(ip.source) taken for ours")
                case .unrelated:
                    break
                }
            }
            // Every SYN-ACK in these captures answers a SYN of the run.
            for (_, ip) in decoded where ip.source != client && ip.transport.tcp?.flags == [.syn, .ack] {
                let ack = ip.transport.tcp?.acknowledgmentNumber ?? 0
                let syn = probes.first { p in
                    guard let t = p.packet.transport.tcp else { return false }
                    return t.flags == .syn && t.sequenceNumber &+ 1 == ack && t.destinationPort == ip.transport.tcp?.sourcePort
                }
                #expect(syn.map { correlator.answers(for: $0.index).contains { $0.kind == .synAck && $0.basis == .acknowledgment } } == true,
                        "\(file): SYN-ACK acking \(ack) not attributed")
                synAcks += 1
            }
        }
        #expect(synAcks > 0)
        // CenTrace's TTL-limited GET shares its seq with the bare ACK before it: its IP ID,
        // length and flags in the quote tell them apart (a router remarks the DSCP on the way).
        #expect(attributedQuotes > 10 * ambiguousQuotes)
    }
}
