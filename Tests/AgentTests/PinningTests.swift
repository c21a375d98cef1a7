import Agent
import Foundation
import Packets
import Testing

@Suite struct PinningTests {
    static let hex = "3f1c" + String(repeating: "ab", count: 30)
    let a = try! CertificateFingerprint(parsing: "SHA256:" + PinningTests.hex)
    let b = CertificateFingerprint(digest: [UInt8](repeating: 7, count: 32))!

    /// A self-signed P-256 certificate (DER) and its fingerprint as
    /// `openssl x509 -noout -fingerprint -sha256` prints it.
    static let certificateDER =
        "3082017f30820125a003020102021442739903e92da31b6c6f40494e48ba14e88f4445300a06082a8648ce3d04030230" +
        "153113301106035504030c0a3139382e31382e392e32301e170d3236313230323034303633305a170d32363132303330" +
        "34303633305a30153113301106035504030c0a3139382e31382e392e323059301306072a8648ce3d020106082a8648ce" +
        "3d030107034200044acb74a8d3493dfda5420e57713809c5737c1dfb69d569bf6c719c1d79dd7237da4f0e51ae091c9e" +
        "04c5a9a19a46b21efc6ece4f3eff33e880308d47c91f41d7a3533051301d0603551d0e0416041474268772686dd059fa" +
        "8a7e1cac2e41f95a6ca3e9301f0603551d2304183016801474268772686dd059fa8a7e1cac2e41f95a6ca3e9300f0603" +
        "551d130101ff040530030101ff300a06082a8648ce3d0403020348003045022100d20891a301e0f313893d396f215893" +
        "aa8b887d35cdb0c72515f10597d9f2d480022020e798834e7fb25e454c480e91db25b127afcfbd40f12323c82c5a0df9" +
        "bb7771"
    static let opensslFingerprint = "30:0D:46:23:FB:77:B8:2C:84:F3:42:9B:A6:95:46:DD:67:23:71:80:70:2E:A9:71:17:A0:48:D6:44:02:19:48"

    @Test func fingerprintOfDERBytesIsOpenSSLs() throws {
        let der = try Hex.decode(Self.certificateDER)
        let fingerprint = CertificateFingerprint(der: der)
        #expect(fingerprint == (try CertificateFingerprint(parsing: Self.opensslFingerprint)))
        #expect(fingerprint.description == "SHA256:" + Self.opensslFingerprint.replacingOccurrences(of: ":", with: "").lowercased())
        #expect(CertificateFingerprint(der: Array(der.dropLast())) != fingerprint)
    }

    @Test func fingerprintFormats() throws {
        #expect(a.description == "SHA256:" + Self.hex)
        #expect(try CertificateFingerprint(parsing: Self.hex.uppercased()) == a)
        #expect(try CertificateFingerprint(parsing: "sha256=" + Self.hex) == a)
        let colons = stride(from: 0, to: 64, by: 2).map { i -> String in
            let s = Self.hex.index(Self.hex.startIndex, offsetBy: i)
            return String(Self.hex[s..<Self.hex.index(s, offsetBy: 2)])
        }.joined(separator: ":")
        #expect(try CertificateFingerprint(parsing: "SHA256:" + colons.uppercased()) == a)
        #expect(CertificateFingerprint(digest: [1, 2, 3]) == nil)
        for bad in ["", "SHA256:", "SHA256:abcd", "MD5:" + Self.hex, Self.hex + "00", String(repeating: "z", count: 64), String(repeating: "a", count: 10_000)] {
            #expect(throws: AgentClientError.self, "\(bad.prefix(20))") { try CertificateFingerprint(parsing: bad) }
        }
    }

    @Test func knownAgentsFile() throws {
        var known = try KnownAgents(text: "# comment\n198.18.9.2:8443 \(a)\n\n[2001:db8::2]:443 \(b)  # v6\n", name: "k")
        #expect(known.fingerprint(for: "198.18.9.2:8443") == a)
        #expect(known.fingerprint(for: "[2001:DB8::2]:443") == b)
        #expect(known.fingerprint(for: "198.18.9.2:8444") == nil)
        known.record("198.18.9.2:8443", b)
        #expect(known.fingerprint(for: "198.18.9.2:8443") == b)
        #expect(known.entries.count == 2)
        #expect(try KnownAgents(text: known.text, name: "k") == known)
        #expect(throws: AgentClientError("k line 2 is not 'HOST:PORT SHA256:HEX': fix or delete that line")) {
            try KnownAgents(text: "198.18.9.2:8443 \(a)\n198.18.9.2:8444 SHA256:beef\n", name: "k")
        }
        #expect(throws: AgentClientError.self) { try KnownAgents(text: "onlyone\n", name: "k") }
    }

    @Test func trustOnFirstUseAndChanges() {
        let e = "198.18.9.2:8443"
        #expect(PinDecision.decide(endpoint: e, presented: a, known: nil, pin: nil, file: "f") == .firstContact)
        #expect(PinDecision.decide(endpoint: e, presented: a, known: a, pin: nil, file: "f") == .known)
        #expect(PinDecision.decide(endpoint: e, presented: a, known: nil, pin: a, file: "f") == .pinned(record: true))
        #expect(PinDecision.decide(endpoint: e, presented: a, known: a, pin: a, file: "f") == .pinned(record: false))
        #expect(PinDecision.decide(endpoint: e, presented: a, known: b, pin: a, file: "f") == .pinned(record: true))
        guard case .refused(let changed) = PinDecision.decide(endpoint: e, presented: a, known: b, pin: nil, file: "/k") else {
            Issue.record("a changed certificate was accepted"); return
        }
        #expect(changed.hasPrefix("WARNING: the certificate of the agent at 198.18.9.2:8443 has CHANGED (known \(b), now \(a))"))
        #expect(changed.contains("delete its line from /k"))
        guard case .refused(let wrongPin) = PinDecision.decide(endpoint: e, presented: a, known: a, pin: b, file: "f") else {
            Issue.record("a wrong pin was accepted"); return
        }
        #expect(wrongPin.contains("presented the certificate \(a), not the pinned \(b)"))
    }

    @Test func theStoreOnDisk() throws {
        let dir = NSTemporaryDirectory() + "cstest-known-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sub/known_agents"
        #expect(try KnownAgents.load(path: path) == KnownAgents())
        var known = KnownAgents()
        known.record("198.18.9.2:8443", a)
        try known.save(path: path)
        #expect(try KnownAgents.load(path: path) == known)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(KnownAgents.path(environment: ["CENSORSCOPE_KNOWN_AGENTS": "/x/y", "HOME": "/h"]) == "/x/y")
        #expect(KnownAgents.path(environment: ["HOME": "/h"]) == "/h/.censorscope/known_agents")
    }

    @Test func agentURLsAndListenAddresses() throws {
        let u = try AgentURL(parsing: "https://198.18.9.2:8443")
        #expect(u.host == "198.18.9.2" && u.port == 8443 && u.endpoint == "198.18.9.2:8443" && u.address != nil)
        #expect(try AgentURL(parsing: "HTTPS://Agent.Example/").endpoint == "agent.example:443")
        let v6 = try AgentURL(parsing: "https://[2001:db8::2]:8443/")
        #expect(v6.host == "2001:db8::2" && v6.endpoint == "[2001:db8::2]:8443" && v6.description == "https://[2001:db8::2]:8443")
        for bad in ["http://198.18.9.2:8443", "198.18.9.2:8443", "https://", "https://h:0", "https://h:65536", "https://h:x",
                    "https://u@h:1", "https://h:1/v1/trace", "https://2001:db8::2:8443", "https://[2001:db8::2", "https://[zz]:1",
                    "https://h_h:1", "https://h:1?x", "https://" + String(repeating: "a", count: 300)] {
            #expect(throws: AgentClientError.self, "\(bad)") { try AgentURL(parsing: bad) }
        }
        let l = try ListenAddress(parsing: "198.18.9.2:8443")
        #expect(l.port == 8443 && l.description == "198.18.9.2:8443")
        #expect(try ListenAddress(parsing: "[::]:8443").description == "[::]:8443")
        for bad in ["198.18.9.2", "agent.example:8443", ":8443", "198.18.9.2:99999", ""] {
            #expect(throws: AgentClientError.self, "\(bad)") { try ListenAddress(parsing: bad) }
        }
    }
}
