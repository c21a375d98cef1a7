import Analysis
import JSONSupport
import Packets
import Probing
import Records

/// `probe icmp|udp` and `probe KIND` for every datagram kind of `ProbeKinds`: `count` probes
/// built alike, one result each with the kind's own fields.
public struct DatagramProbeJob {
    public var setup: ProbeRun
    /// The kind's name in the result (`icmp`, `udp`, `stun`, …).
    public var kind: String
    public var port: UInt16?
    public var count: Int
    public var ids: IdentifierSource
    /// The i-th probe.
    var build: (ProbeBuilder, Int, inout IdentifierSource) throws -> Probe
    /// The kind's own JSON fields of a result, from the probe and its first answer.
    var kindFields: (Probe, Answer?) -> [(key: String, value: JSONValue)] = { _, _ in [] }
    /// What an answer's text line adds (e.g. "mapped address 198.18.1.2:6000").
    var textDetail: (Answer) -> String? = { _ in nil }

    /// One probe and what answered it.
    public struct Result {
        public var probe: Probe
        public var answers: [Answer]
        /// Per answer, what its text line adds.
        public var details: [String?]
        public var record: ProbeResultRecord
    }

    /// ICMP (v6) echo requests with `size` payload bytes.
    public static func icmp(_ run: ProbeRun, size: Int, ttl: UInt8, count: Int, ids: IdentifierSource = .random()) -> DatagramProbeJob {
        var ids = ids
        let identifier: UInt16 = ids.next()
        return DatagramProbeJob(setup: run, kind: "icmp", port: nil, count: count, ids: ids) { builder, i, ids in
            try builder.icmpEcho(index: i, identifier: identifier, sequence: UInt16(truncatingIfNeeded: i + 1), payloadSize: size,
                                 ttl: ttl, ipID: ids.next(), label: "icmp echo ttl \(ttl) #\(i)")
        }
    }

    /// Datagrams carrying `payload`, each from its own source port (from `sourcePort`, else random).
    public static func udp(_ run: ProbeRun, port: UInt16, payload: [UInt8], ttl: UInt8, count: Int, sourcePort: UInt16?,
                           ids: IdentifierSource = .random()) -> DatagramProbeJob {
        var ids = ids
        let first = sourcePort ?? ids.sourcePort()
        var job = DatagramProbeJob(setup: run, kind: "udp", port: port, count: count, ids: ids) { builder, i, ids in
            try builder.udp(index: i, sourcePort: SourcePorts.port(first, i), destinationPort: port, payload: payload,
                            ttl: ttl, ipID: ids.next(), label: "udp port \(port) ttl \(ttl) #\(i)")
        }
        job.kindFields = { _, answer in
            [("response_payload", .optional(answer?.packet.transport.udp.map { Hex.encode($0.payload) }))]
        }
        return job
    }

    /// A datagram kind's requests for validated `arguments` (`ProbeKinds.arguments`).
    public static func kind<Kind: DatagramKind>(_ kind: Kind.Type, _ run: ProbeRun, arguments: KindArguments,
                                                ids: IdentifierSource = .random()) -> DatagramProbeJob {
        var ids = ids
        let firstPort = ids.sourcePort()
        var random = SplitMix64(seed: ids.childSeed())
        var job = DatagramProbeJob(setup: run, kind: Kind.name, port: arguments.port, count: arguments.count, ids: ids) { builder, i, ids in
            try ProbeKinds.datagramProbe(Kind.self, builder: builder, index: i, sourcePort: SourcePorts.port(firstPort, i),
                                         ipID: ids.next(), arguments: arguments, random: &random)
        }
        job.kindFields = { probe, answer in Kind.resultFields(probe: probe, answer: answer) }
        job.textDetail = { Kind.textDetail($0) }
        return job
    }

    public func run() throws(MeasurementError) -> [Result] {
        let builder = try setup.builder()
        var ids = self.ids
        var probes: [Probe] = []
        do { for i in 0..<count { probes.append(try build(builder, i, &ids)) } } catch let e as MeasurementError { throw e } catch {
            throw MeasurementError("\(error)")
        }
        let result = try setup.correlate(probes, expected: count)
        return probes.map { probe in
            let answers = result.answers(for: probe.index)
            let record = ProbeResultRecord.datagram(target: setup.target.address, kind: kind, port: port, probe: probe,
                                                    result: resultWord(answers.first), answers: answers,
                                                    kindFields: kindFields(probe, answers.first))
            return Result(probe: probe, answers: answers, details: answers.map(textDetail), record: record)
        }
    }
}
