import Packets
import Probing
import Sweeping

extension Parsers {
    /// A frame read the way the sweep's receiver reads it (in place, no decoder), for a sweep
    /// whose source is the frame's own destination, so every check up to the hash runs.
    static func sweepAnswer(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let types: [UInt32] = [1, 101, 0, 108, 113, 276, 228, 229]
        let linkType = types[Int(first) % types.count]
        let frame = Array(bytes.dropFirst())
        frame.withUnsafeBytes { b in
            guard let ip = SweepProbe.ipStart(b, linkType: linkType), ip < b.count else { return }
            let source: IPAddress?
            switch b[ip] >> 4 {
            case 4 where b.count >= ip + 20: source = .v4(IPv4Address(b[ip + 16], b[ip + 17], b[ip + 18], b[ip + 19]))
            case 6 where b.count >= ip + 40: source = IPv6Address(bytes: b[(ip + 24)..<(ip + 40)]).map { .v6($0) }
            default: source = nil
            }
            guard let source else { return }
            // Every protocol's classifier reads the same frame.
            for kind in SweepProtocol.allCases {
                let names = SweepProbe.Variant.names(kind)
                guard let variant = SweepProbe.Variant.named(kind == .tcp ? "mss" : names[0], protocol: kind, ipv6: source.isIPv6Address),
                      let module = try? SweepProbe(source: source, port: kind == .udp ? 53 : 80, variants: [variant], repeats: 2,
                                                   key: SipHashKey(k0: 1, k1: 2)) else { continue }
                if let m = module.classify(b, ip: ip) {
                    precondition(m.probe >= 0 && m.probe < module.probesPerTarget, "a match names probe \(m.probe) of \(module.probesPerTarget)")
                }
            }
        }
    }
}

extension IPAddress {
    fileprivate var isIPv6Address: Bool {
        if case .v6 = self { return true }
        return false
    }
}
