import Yams

/// The steps that make whole connections at full TTL: `fetch` (the page a device serves in
/// the host's name) and `transfer` (goodput of a bulk download, test against control).
extension StepBuilder {
    static let maximumPathBytes = 1024

    func fetch(_ fields: Fields, earlierSYN: Bool) throws(CampaignError) -> FetchStep {
        var step = FetchStep()
        if let name = try testName(fields) { step.name = name }
        if let n = fields["path"] { step.path = try path(n) }
        if let n = fields["max_bytes"] { step.maxBytes = try reader.int(n, "max_bytes", 1...(1 << 20)) }
        if let n = fields["max_ms"] { step.maxMilliseconds = try reader.int(n, "max_ms", 100...10_000) }
        step.when = try condition(fields, ["intercepted", "always"], default: .intercepted, earlierSYN: earlierSYN, earlierLinuxSYN: false)
        return step
    }

    func transfer(_ fields: Fields, earlierSYN: Bool, earlierLinuxSYN: Bool) throws(CampaignError) -> TransferStep {
        var step = TransferStep(kind: try payloadKind(fields))
        if let name = try testName(fields) { step.name = name }
        if let control = try controlName(fields) { step.control = control }
        if let n = fields["path"] { step.path = try path(n) }
        if let n = fields["max_bytes"] { step.maxBytes = try reader.int(n, "max_bytes", (64 << 10)...(16 << 20)) }
        if let n = fields["max_ms"] { step.maxMilliseconds = try reader.int(n, "max_ms", 200...30_000) }
        if let n = fields["min_bytes"] {
            step.minBytes = try reader.int(n, "min_bytes", 1024...(16 << 20))
            guard step.minBytes <= step.maxBytes else {
                throw reader.fail(n, "`min_bytes` (\(step.minBytes)) is more than `max_bytes` (\(step.maxBytes)): a transfer stops at max_bytes, so it could never be judged; lower it")
            }
        } else if step.minBytes > step.maxBytes {
            step.minBytes = step.maxBytes
        }
        if let n = fields["ratio"] { step.ratio = try ratio(n) }
        step.when = try condition(fields, ["passed", "always"], default: .passed, earlierSYN: earlierSYN, earlierLinuxSYN: earlierLinuxSYN)
        return step
    }

    /// An HTTP path: `/` then printable ASCII without spaces, at most 1024 bytes.
    private func path(_ node: Node) throws(CampaignError) -> String {
        let text = try reader.scalar(node, "path")
        let bytes = text.utf8
        guard text.hasPrefix("/"), bytes.count <= Self.maximumPathBytes, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw reader.fail(node, "`path` must start with / and be at most \(Self.maximumPathBytes) bytes of printable ASCII without spaces, like /bytes/1048576, not '\(ScriptReader.clip(text))'")
        }
        return text
    }

    /// How many times slower the test must be than the slower control: 1.5 to 1000.
    private func ratio(_ node: Node) throws(CampaignError) -> Double {
        let problem = "`ratio` must be a number from 1.5 to 1000 (how many times slower the test must be), like 4"
        guard case .scalar(let s) = node else { throw reader.fail(node, "\(problem), not \(ScriptReader.kind(node))") }
        let text = s.string
        let plain = !text.isEmpty && text.utf8.count <= 16 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }
        guard plain, let value = Double(text), (1.5...1000).contains(value) else {
            throw reader.fail(node, "\(problem), not '\(ScriptReader.clip(text))'")
        }
        return value
    }
}
