import Packets

extension ExperimentScript {
    /// Whether some step probes this transport: syn or payload for TCP, a datagram kind (stun, dns, quic…) for UDP.
    public func probes(_ transport: ServicePort.Transport) -> Bool {
        steps.contains { step in
            switch (step, transport) {
            case (.syn, .tcp), (.payload, .tcp), (.datagram, .udp): return true
            default: return false
            }
        }
    }

    /// Refuses a target list whose lines name ports no step of this script probes,
    /// naming the target file (`source`) and line.
    public func check(_ targets: TargetList, source: String) throws(CampaignError) {
        for target in targets.targets {
            for port in target.ports ?? [] where !probes(port.transport) {
                let (kind, steps) = port.transport == .tcp ? ("TCP", "syn or payload") : ("UDP", ScriptReader.words(StepBuilder.datagramKinds, last: "or"))
                throw CampaignError(file: source, line: target.line,
                                    message: "'\(target.input)' names \(kind) port \(port), but script '\(name)' has no \(steps) step to probe it; add one to the script or drop the port")
            }
        }
    }

    /// Each target with its own ports, or the script's when its line names none; the same
    /// address, name and port once, in list order.
    public func items(for targets: TargetList) -> [(target: CampaignTarget, port: ServicePort)] {
        struct Key: Hashable {
            var address: IPAddress
            var name: String?
            var port: ServicePort
        }
        var seen = Set<Key>()
        var out: [(target: CampaignTarget, port: ServicePort)] = []
        for target in targets.targets {
            for port in target.ports ?? ports where seen.insert(Key(address: target.address, name: target.name, port: port)).inserted {
                out.append((target, port))
            }
        }
        return out
    }
}
