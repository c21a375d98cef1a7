import Capture
import Foundation
import Packets
import Probing
import Testing

/// The classifier on real CenTrace captures (/work/shared/centrace-sample: one connection
/// per TTL from 1, a payload at that TTL; the README there gives the expected findings).
@Suite(.enabled(if: FileManager.default.fileExists(atPath: CenTraceCapture.directory), "needs the CenTrace sample captures"))
struct CenTracePayloadTests {
    @Test func niftyInjectedResetBehind134_0_217_233() throws {
        let test = try CenTraceCapture("188.65.24.82_www.nifty.org_www.nifty.org.pcap").observations()
        let control = try CenTraceCapture("188.65.24.82_www.nifty.org_example.com.pcap").observations()
        let end = try #require(test.firstIndex { ![.timeExceeded, .timeout, .notConnected].contains($0.outcome) })
        #expect(test[end].outcome == .rst)
        #expect(test[end].from == IPAddress("188.65.24.82"))
        #expect(test[end].inWindow == true)
        #expect(test[..<end].contains { $0.outcome == .timeExceeded })
        try #require(end < control.count)
        #expect(control[end].outcome == .timeExceeded)
        #expect(control[end].from == IPAddress("134.0.217.233"))
        // The control goes on past the device and reaches the server.
        #expect(control.contains { $0.outcome == .data && $0.from == IPAddress("188.65.24.82") })
    }

    @Test func bisexualInjectedBlockpageBehind149_14_125_90() throws {
        let test = try CenTraceCapture("103.93.208.20_bisexual.org_bisexual.org.pcap").observations()
        let control = try CenTraceCapture("103.93.208.20_bisexual.org_example.com.pcap").observations()
        let end = try #require(test.firstIndex { ![.timeExceeded, .timeout, .notConnected].contains($0.outcome) })
        #expect(test[end].outcome == .data)
        #expect(test[end].fingerprint?.flags?.contains(.fin) == true)
        #expect(test[end].firstBytes?.hasPrefix("<html><head><title>Surf Safely</title>") == true)   // no status line: forged
        try #require(end < control.count)
        #expect(control[end].outcome == .timeExceeded)
        #expect(control[end].from == IPAddress("149.14.125.90"))
    }

    @Test func archiveOnPathDeviceDrawsResetAndTimeExceeded() throws {
        let test = try CenTraceCapture("222.138.4.221_archive.org_archive.org.pcap").observations()
        let end = try #require(test.firstIndex { ![.timeExceeded, .timeout, .notConnected].contains($0.outcome) })
        #expect(test[end].outcome == .rst)
        #expect(test[end].timeExceededFrom != nil)   // the probe went on past the injector
        #expect(test[end].timeExceededFrom != test[end].from)
    }

    /// Unrelated ICMP in the capture (quotes of other flows) never becomes an answer.
    @Test func everyTimeExceededQuotesItsOwnConnection() throws {
        for name in ["103.93.208.20_bisexual.org_bisexual.org.pcap", "188.65.24.82_www.nifty.org_example.com.pcap"] {
            let capture = try CenTraceCapture(name)
            for connection in capture.connections() {
                let o = connection.observation
                guard o.outcome == .timeExceeded, let router = o.from else { continue }
                let quotedPorts = connection.packets.compactMap { p -> UInt16? in
                    guard p.packet.source == router, let q = p.packet.transport.icmp?.quotedPacket else { return nil }
                    switch q.transport {
                    case .tcpPrefix(let t): return t.sourcePort
                    case .tcp(let t): return t.sourcePort
                    default: return nil
                    }
                }
                #expect(quotedPorts.contains(connection.flow.localPort),
                        "\(name): \(router) answered port \(connection.flow.localPort) but quoted \(quotedPorts)")
            }
        }
    }
}

/// A CenTrace capture cut into its connections: each begins with our SYN and lasts until
/// the next one.
struct CenTraceCapture {
    static let directory = "/work/shared/centrace-sample"
    let packets: [PayloadPacket]

    init(_ name: String) throws {
        let (captured, error) = CaptureFileReader.readAll(path: Self.directory + "/" + name)
        if let error { throw error }
        packets = captured.compactMap { c in
            (try? c.decode())?.ip.map { PayloadPacket(packet: $0, timestamp: c.timestamp) }
        }
    }

    struct Connection {
        var flow: PayloadFlow
        var packets: [PayloadPacket]
        var observation: PayloadObservation
    }

    func connections() -> [Connection] {
        let syns = packets.enumerated().filter {
            guard let t = $0.element.packet.transport.tcp else { return false }
            return t.flags == .syn
        }
        return syns.enumerated().compactMap { n, syn -> Connection? in
            guard let t = syn.element.packet.transport.tcp else { return nil }
            let flow = PayloadFlow(local: syn.element.packet.source, localPort: t.sourcePort,
                                   remote: syn.element.packet.destination, remotePort: t.destinationPort)
            let end = n + 1 < syns.count ? syns[n + 1].offset : packets.count
            let window = Array(packets[syn.offset..<end])
            guard let data = window.lazy.compactMap({ flow.outgoing($0.packet) }).first(where: { !$0.payload.isEmpty }) else {
                return Connection(flow: flow, packets: window, observation: .notConnected("no payload sent"))
            }
            let observation = PayloadObservation.classify(flow: flow, dataSequence: data.sequenceNumber,
                                                          dataLength: data.payload.count, packets: window)
            return Connection(flow: flow, packets: window, observation: observation)
        }
    }

    func observations() -> [PayloadObservation] { connections().map(\.observation) }
}
