import Foundation
import SystemSupport

/// Agents whose certificates this client has seen, like SSH's known_hosts: one line per
/// agent, `HOST:PORT SHA256:HEX`; `#` comments and blank lines are kept out.
public struct KnownAgents: Hashable, Sendable {
    public private(set) var entries: [(endpoint: String, fingerprint: CertificateFingerprint)]

    public static func == (a: KnownAgents, b: KnownAgents) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.endpoint == $1.endpoint && $0.fingerprint == $1.fingerprint }
    }

    public func hash(into hasher: inout Hasher) {
        for e in entries { hasher.combine(e.endpoint); hasher.combine(e.fingerprint) }
    }

    public init() { entries = [] }

    /// Parses the file's text; `name` names it in errors. A damaged line is an error, not
    /// skipped: a pin that silently vanished would trust the next certificate blindly.
    public init(text: String, name: String) throws(AgentClientError) {
        entries = []
        for (offset, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }).enumerated() {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.isEmpty { continue }
            guard words.count == 2, let fingerprint = try? CertificateFingerprint(parsing: String(words[1])) else {
                throw AgentClientError("\(name) line \(offset + 1) is not 'HOST:PORT SHA256:HEX': fix or delete that line")
            }
            entries.append((String(words[0]).lowercased(), fingerprint))
        }
    }

    /// The fingerprint recorded for `endpoint` (`HOST:PORT`), if any.
    public func fingerprint(for endpoint: String) -> CertificateFingerprint? {
        entries.last { $0.endpoint == endpoint.lowercased() }?.fingerprint
    }

    /// Records `fingerprint` for `endpoint`, replacing an earlier one.
    public mutating func record(_ endpoint: String, _ fingerprint: CertificateFingerprint) {
        entries.removeAll { $0.endpoint == endpoint.lowercased() }
        entries.append((endpoint.lowercased(), fingerprint))
    }

    /// The file's text.
    public var text: String {
        "# Agents whose certificates censorscope has accepted (HOST:PORT SHA256:HEX).\n"
            + entries.map { "\($0.endpoint) \($0.fingerprint)\n" }.joined()
    }

    /// The file: $CENSORSCOPE_KNOWN_AGENTS, else ~/.censorscope/known_agents.
    public static func path(environment: [String: String]) -> String {
        if let p = environment["CENSORSCOPE_KNOWN_AGENTS"], !p.isEmpty { return p }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/root"
        return home + "/.censorscope/known_agents"
    }

    /// Reads the file; a missing file is an empty store.
    public static func load(path: String) throws(AgentClientError) -> KnownAgents {
        guard FileManager.default.fileExists(atPath: path) else { return KnownAgents() }
        let data: [UInt8]
        do { data = try BoundedFile.read(path, limit: BoundedFile.Limit.small, what: "known-agents file") } catch {
            throw AgentClientError("\(error)")
        }
        return try KnownAgents(text: String(decoding: data, as: UTF8.self), name: path)
    }

    /// Writes the file through a temporary file and a rename, mode 0600, creating its directory (0700).
    public func save(path: String) throws(AgentClientError) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            }
            let temporary = path + ".tmp\(ProcessInfo.processInfo.processIdentifier)"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw AgentClientError("cannot write \(temporary)")
            }
            if rename(temporary, path) != 0 {
                unlink(temporary)
                throw AgentClientError("cannot replace \(path): \(String(cString: strerror(errno)))")
            }
        } catch let e as AgentClientError {
            throw e
        } catch {
            throw AgentClientError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

/// What to do with the certificate an agent presented.
public enum PinDecision: Hashable, Sendable {
    /// It matches `--agent-pin`; `record` when known_agents should learn it.
    case pinned(record: Bool)
    /// It matches the fingerprint known_agents holds.
    case known
    /// First contact, no pin given: trust it and record it.
    case firstContact
    /// Refuse the connection; the sentence says why.
    case refused(String)

    /// Decides for the agent at `endpoint` presenting `presented`, with `known` from
    /// known_agents (at `file`) and `pin` from `--agent-pin`.
    public static func decide(endpoint: String, presented: CertificateFingerprint, known: CertificateFingerprint?,
                              pin: CertificateFingerprint?, file: String) -> PinDecision {
        if let pin {
            if presented == pin { return .pinned(record: known != presented) }
            return .refused("the agent at \(endpoint) presented the certificate \(presented), not the pinned \(pin): "
                + "someone may be intercepting the connection, or --agent-pin is wrong; nothing was sent")
        }
        guard let known else { return .firstContact }
        if presented == known { return .known }
        return .refused("WARNING: the certificate of the agent at \(endpoint) has CHANGED (known \(known), now \(presented)): "
            + "someone may be intercepting the connection; if the agent really has a new certificate, delete its line from \(file) "
            + "or give the new fingerprint with --agent-pin; nothing was sent")
    }
}
