import Capture
import Foundation
import Packets
import ProbeSession
import Sockets
import Testing

/// ICMP echo requests built with Packets: identifier + index / 65536 and sequence = index % 65536
/// (so the pair names the probe), IP ID = index % 65535 + 1 (never 0, which the kernel replaces).
func echoRequests(from source: IPAddress, to destination: IPAddress, count: Int, identifier: UInt16) -> [[UInt8]] {
    let payload = Array("censorscope probe session".utf8)[...]
    return (0..<count).map { i in
        let rest = UInt32(identifier &+ UInt16(truncatingIfNeeded: i >> 16)) << 16 | UInt32(UInt16(truncatingIfNeeded: i))
        switch (source, destination) {
        case (.v4(let s), .v4(let d)):
            return IPPacket(IPv4Header(identification: UInt16(i % 65535 + 1), ttl: 64, proto: 1,
                                       source: s, destination: d),
                            .icmp(ICMPMessage(family: .v4, type: 8, code: 0, restOfHeader: rest, body: payload))).serialized()
        case (.v6(let s), .v6(let d)):
            return IPPacket(IPv6Header(flowLabel: 0x5E55, nextHeader: 58, hopLimit: 64, source: s, destination: d),
                            .icmp(ICMPMessage(family: .v6, type: 128, code: 0, restOfHeader: rest, body: payload))).serialized()
        default:
            return []
        }
    }
}

/// What a run of echo requests saw, probe by probe.
struct EchoObservation: Sendable {
    var stats: RunStatistics
    /// onSent's clock, per probe.
    var sentAt: [CaptureTimestamp?]
    /// The capture's timestamp of the probe leaving, when its bytes were seen exactly as built.
    var leftAt: [CaptureTimestamp?]
    var replied: [Bool]
    /// Captured packets that were neither one of our probes nor an echo reply to one.
    var unrelated: Int
    var wallSeconds: Double

    var leftCount: Int { leftAt.compactMap { $0 }.count }
    var repliedCount: Int { replied.filter { $0 }.count }
}

/// Runs `probes` (from `echoRequests` with `identifier`) in namespace `ns`;
/// settles once every probe has its reply when `settle` is true.
func observeEchoRun(in ns: String, probes: [[UInt8]], identifier: UInt16, configuration: RunConfiguration,
                    settle: Bool = true) throws -> EchoObservation {
    try NetworkNamespace.run(in: ns) {
        var observation = EchoObservation(stats: RunStatistics(), sentAt: Array(repeating: nil, count: probes.count),
                                          leftAt: Array(repeating: nil, count: probes.count),
                                          replied: Array(repeating: false, count: probes.count), unrelated: 0,
                                          wallSeconds: 0)
        var replies = 0
        let started = ContinuousClock.now
        observation.stats = try ProbeRun.run(packets: probes, configuration: configuration, onSent: { index, time in
            observation.sentAt[index] = time
        }, onPacket: { packet in
            guard let ip = try? packet.decode().ip, let icmp = ip.transport.icmp,
                  let id = icmp.identifier, let sequence = icmp.sequence,
                  case let index = Int(id &- identifier) << 16 | Int(sequence), index < probes.count
            else {
                observation.unrelated += 1
                return false
            }
            if icmp.isEchoReply {
                if !observation.replied[index] { replies += 1 }
                observation.replied[index] = true
            } else if ip.serialized(fillLengths: false, fillChecksums: false) == probes[index] {
                observation.leftAt[index] = packet.timestamp
            } else {
                observation.unrelated += 1
            }
            return settle && replies == probes.count
        })
        let elapsed = started.duration(to: .now).components
        observation.wallSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        return observation
    }
}
