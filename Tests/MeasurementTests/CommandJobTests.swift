import Analysis
import Campaigns
import Foundation
import Measurement
import Packets
import ProbeSession
import Probing
import Records
import Testing

/// The commands' jobs up to the network: what they refuse, and what they build, in-process.
@Suite struct CommandJobTests {
    @Test func payloadJobChecksItsTargetAndPicksTheControl() throws {
        func job(_ target: String = "198.18.9.2", reserved: Bool = true, port: Int? = nil, host: String? = nil, sni: String? = nil,
                 raw: String? = nil, controlHost: String? = nil) throws -> PayloadProbeJob {
            try PayloadProbeJob(target: target, allowReserved: reserved, port: port, host: host, sni: sni, raw: raw,
                                controlHost: controlHost, controlSNI: nil, ttls: 1...30, wait: 1.5, pcap: nil)
        }
        // Names resolve as for every probe; one that does not is one sentence.
        let name = #expect(throws: MeasurementError.self) { try job("no-such-name.invalid", host: "x") }
        #expect(name?.description == "cannot resolve 'no-such-name.invalid': give an IPv4 or IPv6 address or a name the resolver knows")
        #expect(throws: MeasurementError.self) { try job(reserved: false, host: "x") }
        let hex = #expect(throws: MeasurementError.self) { try job(port: 9, raw: "zz") }
        #expect(hex?.description.hasPrefix("--raw is not valid hex: ") == true)
        #expect(try job(host: "blocked.example").port == 80 && job(sni: "blocked.example").port == 443)
        #expect(try job(sni: "a.example").control == .tls(sni: "example.com"))
        #expect(try job(port: 443, raw: "0102").control == .tls(sni: "example.com"))
        #expect(try job(port: 8080, raw: "0102").control == .http(host: "example.com"))
        #expect(try job(host: "a.example", controlHost: "c.example").control == .http(host: "c.example"))
        // The record names both payloads the documented way, even before any step.
        let record = try job(port: 9, raw: "0102").record([])
        #expect(record.json.serialized()
            == #"{"target":"198.18.9.2","port":9,"payload":{"kind":"raw","hex":"0102"},"control":{"kind":"http","host":"example.com"},"ttls":[]}"#)
    }

    @Test func synShapesFromTheOptions() throws {
        let shape = try SYNProbeJob.shape(variant: .mss, ipv6: false, options: "mss=1400,sackOK", flags: "SE", window: 1024,
                                          payloadHex: "00ff", size: 80, tos: 0x20)
        #expect(shape.window == 1024 && shape.payload == [0, 255] && shape.size == 80 && shape.tos == 0x20)
        let options = #expect(throws: MeasurementError.self) {
            try SYNProbeJob.shape(variant: .mss, ipv6: false, options: "nonsense=", flags: "S", window: nil, payloadHex: nil, size: nil, tos: 0)
        }
        #expect(options?.description.isEmpty == false)
        let payload = #expect(throws: MeasurementError.self) {
            try SYNProbeJob.shape(variant: .linux, ipv6: true, options: nil, flags: "S", window: nil, payloadHex: "q", size: nil, tos: 0)
        }
        #expect(payload?.description.hasPrefix("--payload-hex: ") == true)
    }

    @Test func hopNamesAsTracerouteDashA() throws {
        let a = IPAddress("198.18.2.2")!, b = IPAddress("198.18.9.2")!
        let plain = HopNaming(database: nil, reverseDNS: false)
        #expect(!plain.isActive && plain.lookUp([a]).annotations.isEmpty && plain.lookUp([a]).text(a) == "198.18.2.2")
        let database = try ASNDatabase(text: "198.18.0.0\t198.18.3.255\t64500\tZZ\tLAB-ACCESS\n")
        let names = HopNames(naming: HopNaming(database: database, reverseDNS: true),
                             annotations: [a: HopAnnotation(asn: 64500, asName: "LAB-ACCESS", asLabel: "AS64500", hostname: "r2.lab")])
        #expect(names.text(a) == "r2.lab (198.18.2.2) [AS64500 LAB-ACCESS]")
        #expect(names.text(b) == "198.18.9.2 [*]")
        #expect(names.text("not an address") == "not an address")
        let trace = TraceRecord(target: "198.18.9.2", source: nil, method: "icmp", port: nil, sourcePort: nil, variant: nil, probeSize: 84,
                                hops: [HopRecord(ttl: 2, address: "198.18.2.2", rttMilliseconds: 1, kind: "time-exceeded", annotation: .none,
                                                 responses: [])],
                                reached: false, destinationTTL: nil, stopReason: "gap", probesSent: 2, answers: 1, durationMilliseconds: 3)
        #expect(names.annotating(trace).hops[0].json.serialized()
            == #"{"ttl":2,"address":"198.18.2.2","asn":64500,"as_name":"LAB-ACCESS","hostname":"r2.lab","rtt_ms":1,"kind":"time-exceeded","responses":[]}"#)
        #expect(plain.lookUp([]).annotating(trace) == trace)
    }

    @Test func investigationPlanTakesTheExperimentsPort() throws {
        let plan = try InvestigationPlan(experiment: nil, port: nil)
        #expect(plan.port == plan.script.ports.first)
        #expect(try InvestigationPlan(experiment: nil, port: ServicePort(3478, .udp)).port.description == "3478/udp")
        let missing = #expect(throws: MeasurementError.self) { try InvestigationPlan(experiment: "/nonexistent.yaml", port: nil) }
        #expect(missing?.description.contains("/nonexistent.yaml") == true)
        let settings = plan.settings(rate: 0, timeout: 1.5, interface: "eth9")
        #expect(settings.rate == nil && settings.timeout == .milliseconds(1500) && settings.interface == "eth9")
        #expect(plan.settings(rate: nil, timeout: nil, interface: nil).rate == plan.script.pacing.rate)
    }
}
