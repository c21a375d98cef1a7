import Capture
import Packets
import Probing

/// Why a capture could not be turned into a payload sweep: one sentence for a person.
public struct SweepImportError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The sweeps found in one capture file, and what a reader should know about it.
public struct SweepCapture: Hashable, Sendable {
    /// One per target, port and label (or domain): a capture of ours holds test and
    /// control interleaved. Labelled "test" first, then "control", then by first probe.
    public var sweeps: [PayloadSweep]
    /// Sentences about what was skipped or damaged (a cut-off file, connections without payload).
    public var notes: [String]
}

/// Builds payload sweeps from a pcap/pcapng file of any tool doing CenTrace's method:
/// connections are found by the client's SYN (the client is whoever sent SYNs), each
/// connection's TTL is the IP TTL of the first data segment the client sent, and
/// `PayloadObservation.classify` decides what that payload drew.
public enum SweepImport {
    /// Reads and analyses the file at `path`.
    public static func read(path: String) throws(SweepImportError) -> SweepCapture {
        let (packets, error) = CaptureFileReader.readAll(path: path)
        return try sweeps(packets: packets, readError: error, name: path)
    }

    /// Reads and analyses an in-memory capture file.
    public static func read(bytes: [UInt8], name: String = "<memory>") throws(SweepImportError) -> SweepCapture {
        let (packets, error) = CaptureFileReader.readAll(bytes: bytes, name: name)
        return try sweeps(packets: packets, readError: error, name: name)
    }

    /// Analyses captured packets (frame numbers are their 1-based positions).
    public static func sweeps(packets captured: [CapturedPacket], readError: CaptureFileError? = nil,
                              name: String) throws(SweepImportError) -> SweepCapture {
        var notes: [String] = []
        if let readError {
            if captured.isEmpty { throw SweepImportError(sentence(readError.description)) }
            notes.append(sentence(readError.description) + " The analysis uses the packets before the damage.")
        }
        let decoded = captured.enumerated().compactMap { i, c -> Decoded? in
            guard let ip = (try? c.decode())?.ip else { return nil }
            return Decoded(frame: i + 1, packet: PayloadPacket(packet: ip, timestamp: c.timestamp), comment: c.comment)
        }
        if decoded.isEmpty {
            throw SweepImportError(captured.isEmpty ? "\(name) holds no packets, so there is no probing to analyse."
                : "\(name) holds no IPv4 or IPv6 packets, so there is no probing to analyse.")
        }
        let index = FlowIndex(decoded)
        guard !index.synFlows.isEmpty else {
            throw SweepImportError("\(name) holds no TCP connection attempts (no SYN from a client), so it is not a record of payload probing.")
        }

        var found: [Found] = []
        var withoutPayload = 0
        for flow in index.synFlows {
            for connection in index.connections(of: flow) {
                if let f = probe(connection, flow: flow, decoded: decoded) { found.append(f) } else { withoutPayload += 1 }
            }
        }
        guard !found.isEmpty else {
            throw SweepImportError("\(name) holds \(withoutPayload) TCP connection attempt\(withoutPayload == 1 ? "" : "s") but no payload sent on any of them, so it is not a record of payload probing.")
        }
        if withoutPayload > 0 {
            notes.append("\(withoutPayload) connection\(withoutPayload == 1 ? "" : "s") sent no payload and carried no TTL label, so \(withoutPayload == 1 ? "it is" : "they are") left out.")
        }
        return SweepCapture(sweeps: group(found), notes: notes)
    }

    // MARK: - Connections

    struct Decoded {
        var frame: Int
        var packet: PayloadPacket
        var comment: String?
    }

    /// A probe found in the capture, before grouping into sweeps.
    struct Found {
        var flow: PayloadFlow
        var probe: PayloadSweep.Probe
        var domain: String?
        var label: String?
        var firstFrame: Int
    }

    /// The probe one connection (indices into `decoded`, in capture order) holds; nil if it
    /// sent no payload and no label says which TTL it was for.
    static func probe(_ connection: [Int], flow: PayloadFlow, decoded: [Decoded]) -> Found? {
        guard let first = connection.first else { return nil }
        let label = connection.lazy.compactMap { ProbeLabel(decoded[$0].comment) }.first
        let dataIndices = connection.filter {
            flow.outgoing(decoded[$0].packet.packet).map { !$0.payload.isEmpty } ?? false
        }
        guard let firstData = dataIndices.first, let segment = flow.outgoing(decoded[firstData].packet.packet) else {
            guard let label else { return nil }
            var failed = PayloadObservation.notConnected("no payload was sent on this connection")
            failed.sentAt = decoded[first].packet.timestamp
            let probe = PayloadSweep.Probe(ttl: label.ttl, observation: failed, frames: [decoded[first].frame])
            return Found(flow: flow, probe: probe, domain: nil, label: label.role, firstFrame: decoded[first].frame)
        }
        let dataSequence = segment.sequenceNumber
        // The payload may span segments: cover every byte sent within 64 KiB of the first.
        var length = segment.payload.count
        var payload: [UInt32: ArraySlice<UInt8>] = [:]
        for i in dataIndices {
            guard let t = flow.outgoing(decoded[i].packet.packet),
                  let offset = PayloadObservation.offsetFromData(t.sequenceNumber, dataSequence), offset < 65_536 else { continue }
            length = max(length, offset + t.payload.count)
            if (payload[t.sequenceNumber]?.count ?? 0) < t.payload.count { payload[t.sequenceNumber] = t.payload }
        }
        let bytes = payload.sorted { $0.key &- dataSequence < $1.key &- dataSequence }.flatMap { Array($0.value.prefix(16_384)) }
        let packets = connection.map { decoded[$0].packet }
        let observation = PayloadObservation.classify(flow: flow, dataSequence: dataSequence, dataLength: length, packets: packets)
        let ttl = Int(decoded[firstData].packet.packet.header.ttl)
        let frames = decidingFrames(observation, connection: connection, firstData: firstData, flow: flow, decoded: decoded)
        return Found(flow: flow, probe: PayloadSweep.Probe(ttl: ttl, observation: observation, frames: frames),
                     domain: PayloadDomain.name(in: bytes[...]), label: label?.role, firstFrame: decoded[first].frame)
    }

    /// The payload's frame, the deciding answer's, and a time exceeded's that came as well.
    static func decidingFrames(_ o: PayloadObservation, connection: [Int], firstData: Int, flow: PayloadFlow,
                               decoded: [Decoded]) -> [Int] {
        var frames = [decoded[firstData].frame]
        let after = connection.filter { $0 > firstData }
        if let fingerprint = o.fingerprint,
           let answer = after.first(where: { PayloadObservation.fingerprint(decoded[$0].packet.packet) == fingerprint }) {
            frames.append(decoded[answer].frame)
        }
        if o.outcome != .timeExceeded, let router = o.timeExceededFrom,
           let te = after.first(where: {
               let p = decoded[$0].packet.packet
               return p.source == router && p.transport.icmp?.isTimeExceeded == true
           }) {
            frames.append(decoded[te].frame)
        }
        return Array(Set(frames)).sorted()
    }

    // MARK: - Grouping

    struct GroupKey: Hashable {
        var target: IPAddress
        var port: UInt16
        var name: String
    }

    /// One sweep per target, port and label (else domain); the domain of a labelled sweep
    /// is the one most of its payloads named.
    static func group(_ found: [Found]) -> [PayloadSweep] {
        var groups: [GroupKey: [Found]] = [:]
        var order: [GroupKey] = []
        for f in found.sorted(by: { $0.firstFrame < $1.firstFrame }) {
            let key = GroupKey(target: f.flow.remote, port: f.flow.remotePort,
                               name: f.label.map { "label:" + $0 } ?? "domain:" + (f.domain ?? ""))
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(f)
        }
        let rank: (GroupKey) -> Int = { $0.name == "label:test" ? 0 : $0.name == "label:control" ? 1 : 2 }
        let sorted = order.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
        return sorted.compactMap { key in
            guard let members = groups[key], let first = members.first else { return nil }
            var counts: [String: Int] = [:]
            for m in members { if let d = m.domain { counts[d, default: 0] += 1 } }
            let domain = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
            return PayloadSweep(target: key.target, port: key.port, domain: domain, label: first.label,
                                probes: members.map(\.probe))
        }
    }

    private static func sentence(_ s: String) -> String { s.hasSuffix(".") ? s : s + "." }
}

/// "test ttl 5" / "control ttl 5": how `probe payload --pcap` comments its packets.
struct ProbeLabel {
    var role: String
    var ttl: Int

    init?(_ comment: String?) {
        guard let words = comment?.split(separator: " "), words.count == 3, words[1] == "ttl",
              words[0] == "test" || words[0] == "control", let ttl = Int(words[2]), (0...255).contains(ttl) else { return nil }
        role = String(words[0])
        self.ttl = ttl
    }
}

extension PayloadObservation {
    /// `seq - base` when seq is at or after base (mod 2^32, less than 2^31 ahead), as an Int.
    static func offsetFromData(_ seq: UInt32, _ base: UInt32) -> Int? {
        let d = seq &- base
        return d < 0x8000_0000 ? Int(d) : nil
    }
}
