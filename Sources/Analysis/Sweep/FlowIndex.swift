import Packets
import Probing

/// A capture's packets indexed by TCP connection, so each connection is classified on its
/// own packets (linear in the capture, however many connections it holds).
struct FlowIndex {
    /// Flows (client to server) on which a client sent a SYN, in order of their first SYN.
    private(set) var synFlows: [PayloadFlow] = []
    /// Per flow as sent: indices of its TCP packets, and of ICMP errors quoting them.
    private var byFlow: [PayloadFlow: [Int]] = [:]
    private let packets: [SweepImport.Decoded]

    init(_ decoded: [SweepImport.Decoded]) {
        packets = decoded
        var seen = Set<PayloadFlow>()
        for (i, d) in decoded.enumerated() {
            let p = d.packet.packet
            if let t = p.transport.tcp {
                let flow = PayloadFlow(local: p.source, localPort: t.sourcePort, remote: p.destination, remotePort: t.destinationPort)
                byFlow[flow, default: []].append(i)
                if Self.isClientSYN(t), seen.insert(flow).inserted { synFlows.append(flow) }
            } else if let icmp = p.transport.icmp, icmp.isError, let q = icmp.quotedPacket, let ports = Self.ports(q) {
                let flow = PayloadFlow(local: q.source, localPort: ports.0, remote: q.destination, remotePort: ports.1)
                byFlow[flow, default: []].append(i)
            }
        }
    }

    static func isClientSYN(_ t: TCPSegment) -> Bool { t.flags.contains(.syn) && !t.flags.contains(.ack) }

    private static func ports(_ q: IPPacket) -> (UInt16, UInt16)? {
        switch q.transport {
        case .tcp(let t): return (t.sourcePort, t.destinationPort)
        case .tcpPrefix(let t):
            guard let s = t.sourcePort, let d = t.destinationPort else { return nil }
            return (s, d)
        default: return nil
        }
    }

    /// The connections made on `flow`, each its packets' indices in capture order: a new
    /// one begins at each client SYN with a new initial sequence number (a retransmitted
    /// SYN stays in its connection). Packets before the first SYN are left out.
    func connections(of flow: PayloadFlow) -> [[Int]] {
        let reverse = PayloadFlow(local: flow.remote, localPort: flow.remotePort, remote: flow.local, remotePort: flow.localPort)
        let members = merge(byFlow[flow] ?? [], flow == reverse ? [] : byFlow[reverse] ?? [])
        var result: [[Int]] = []
        var current: [Int] = []
        var isn: UInt32?
        for i in members {
            if let t = flow.outgoing(packets[i].packet.packet), Self.isClientSYN(t), t.sequenceNumber != isn {
                if !current.isEmpty { result.append(current) }
                current = []
                isn = t.sequenceNumber
            }
            if isn != nil { current.append(i) }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Two ascending index lists as one.
    private func merge(_ a: [Int], _ b: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j >= b.count || (i < a.count && a[i] <= b[j]) { out.append(a[i]); i += 1 } else { out.append(b[j]); j += 1 }
        }
        return out
    }
}
