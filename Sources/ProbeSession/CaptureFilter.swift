import Packets

/// BPF filters (tcpdump syntax) that keep a run's capture to the packets that can matter.
public enum CaptureFilter {
    /// Above this many destinations the filter stops naming them: each name costs a few BPF
    /// instructions and the kernel refuses programs of more than 4096.
    public static let maxNamedDestinations = 64

    /// A tight BPF filter for a run from `source` to `destinations`: our probes leaving (for send timestamps), TCP/UDP from the destinations to us, and ICMP/ICMPv6 errors and echo replies to us (from any router). Must compile with libpcap (test it).
    public static func forRun(source: IPAddress, destinations: [IPAddress]) -> String {
        let proto = source.isV4 ? "ip" : "ip6"
        // Only destinations a packet from `source` can reach: those of its family, once each.
        var seen = Set<IPAddress>()
        let named = destinations.filter { $0.isV4 == source.isV4 && seen.insert($0).inserted }
        let nameThem = !named.isEmpty && named.count <= maxNamedDestinations
        func any(_ direction: String) -> String {
            let terms = named.map { "\(proto) \(direction) host \($0)" }
            return terms.count == 1 ? terms[0] : "(" + terms.joined(separator: " or ") + ")"
        }
        let leaving = nameThem ? "(\(proto) src host \(source) and \(any("dst")))" : "(\(proto) src host \(source))"
        let fromTargets = nameThem
            ? "(\(proto) dst host \(source) and \(any("src")) and (tcp or udp))"
            : "(\(proto) dst host \(source) and (tcp or udp))"
        // Echo reply, destination unreachable, time exceeded, parameter problem; ICMPv6 adds
        // packet too big. ICMPv6's type is read at ip6[40]: libpcap does not walk extension
        // headers, and routers send ICMPv6 errors without them.
        let icmp = source.isV4
            ? "(ip dst host \(source) and icmp and (icmp[icmptype] == icmp-echoreply or icmp[icmptype] == icmp-unreach"
                + " or icmp[icmptype] == icmp-timxceed or icmp[icmptype] == icmp-paramprob))"
            : "(ip6 dst host \(source) and icmp6 and (ip6[40] == 129 or ip6[40] == 1 or ip6[40] == 2"
                + " or ip6[40] == 3 or ip6[40] == 4))"
        return [leaving, fromTargets, icmp].joined(separator: " or ")
    }
}
