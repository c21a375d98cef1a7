import ChildProcess
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `agent serve`, `agent request` and the client options, on loopback: start-up refusals,
/// the API's errors, a reverse connection to a port we listen on.
@Suite(.serialized) struct AgentCLITests {
    static let token = "cli-test-token-0123456789abcdef"

    struct Workspace {
        let directory = NSTemporaryDirectory() + "cstest-agentcli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var tokens: String { directory + "/tokens" }
        var known: String { directory + "/known_agents" }
        var log: String { directory + "/agent.log" }

        init(tokens text: String = AgentCLITests.token + "\n", mode: Int = 0o600) throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: tokens, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func serveRefusesUnsafeOrBrokenTokenFiles() throws {
        let open = try Workspace(mode: 0o644)
        defer { open.remove() }
        let r = try CLI.run(["agent", "serve", "--listen", "127.0.0.1:1", "--token-file", open.tokens, "--state-dir", open.directory + "/s"])
        #expect(r.status == 1)
        #expect(r.stderr == "error: the token file \(open.tokens) can be read by other users (mode 644): restrict it with `chmod 600 \(open.tokens)`.\n")
        let short = try Workspace(tokens: "# one\nabc\n")
        defer { short.remove() }
        let s = try CLI.run(["agent", "serve", "--listen", "127.0.0.1:1", "--token-file", short.tokens, "--state-dir", short.directory + "/s"])
        #expect(s.status == 1 && s.stderr.contains("\(short.tokens) line 2: a token must be at least 16 characters long"), "\(s.stderr)")
        let missing = try CLI.run(["agent", "serve", "--listen", "127.0.0.1:1", "--token-file", "/nonexistent/tokens"])
        #expect(missing.status == 1 && missing.stderr.contains("cannot read the token file /nonexistent/tokens"))
    }

    @Test(arguments: [
        (["agent", "serve", "--listen", "localhost:8443", "--token-file", "t"], "--listen must be an IP address and port"),
        (["agent", "serve", "--listen", "127.0.0.1:8443", "--token-file", "t", "--rate-limit", "10"], "--rate-limit must be BURST/SECONDS"),
        (["trace", "127.0.0.1", "--both"], "--both needs --agent URL"),
        (["trace", "--agent", "https://127.0.0.1:8443"], "--agent needs --token TOKEN"),
        (["trace", "127.0.0.1", "--agent", "http://127.0.0.1:8443", "--token", "x"], "--agent must be an https:// URL"),
        (["trace", "127.0.0.1", "--agent", "https://127.0.0.1:8443", "--token", "x", "--agent-pin", "SHA256:12"], "is not a certificate fingerprint"),
        (["trace", "--both", "--agent", "https://127.0.0.1:8443", "--token", "x"], "give the target HOST to trace"),
        (["trace", "127.0.0.1", "--token", "x"], "--token, --agent-pin and --reverse-pcap go with --agent URL"),
        (["trace", "127.0.0.1", "--agent", "https://127.0.0.1:8443", "--token", "x"], "add --both to trace HOST as well"),
        (["investigate", "127.0.0.1", "--agent", "https://127.0.0.1:8443", "--token", "x"], "add --both"),
    ])
    func optionErrors(args: [String], expected: String) throws {
        let r = try CLI.run(args)
        #expect(r.status != 0)
        #expect(r.stderr.contains(expected), "\(args): \(r.stderr)")
    }

    /// A free TCP port on loopback, and optionally a socket listening on it (never accepting:
    /// the kernel completes handshakes and acknowledges data all the same).
    /// A plain TCP connection to 127.0.0.1:`port` (the descriptor, or -1).
    static func connectTCP(_ port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let r = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        return r == 0 ? fd : -1
    }

    static func port(listening: Bool) -> (port: UInt16, fd: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        if listening { listen(fd, 4) } else { close(fd) }
        return (UInt16(bigEndian: addr.sin_port), listening ? fd : -1)
    }

    @Test func theAPIOnLoopback() throws {
        let w = try Workspace()
        defer { w.remove() }
        let port = Self.port(listening: false).port
        let pid = try #require(Subprocess.start([CLI.binary, "agent", "serve", "--listen", "127.0.0.1:\(port)", "--token-file", w.tokens,
                                                 "--state-dir", w.directory + "/state", "--allow-reserved"], outputFile: w.log))
        var stopped = false
        defer { if !stopped { Subprocess.stop(pid) } }
        var output = ""
        for _ in 0..<100 where !output.contains("listening on") {
            usleep(100_000)
            output = (try? String(contentsOfFile: w.log, encoding: .utf8)) ?? ""
        }
        let url = "https://127.0.0.1:\(port)"
        #expect(output.contains("made a new certificate in \(w.directory)/state/agent.crt\nfingerprint SHA256:"))
        #expect(output.contains("listening on \(url)\n"), "\(output)")
        let fingerprint = try #require(output.split(separator: "\n").first { $0.hasPrefix("fingerprint ") }?.dropFirst(12))
        func request(_ args: [String]) throws -> CLIResult {
            try CLI.run(["agent", "request", url, "--token", Self.token, "--agent-pin", String(fingerprint)] + args)
        }

        let info = try request([])
        #expect(info.status == 0, "\(info.stderr)")

        // Eight connections per client at most: a ninth is closed at once, before TLS.
        var held: [Int32] = []
        defer { held.forEach { close($0) } }
        for _ in 0..<8 { held.append(Self.connectTCP(port)) }
        #expect(held.allSatisfy { $0 >= 0 })
        usleep(200_000)
        let ninth = Self.connectTCP(port)
        defer { close(ninth) }
        var byte: UInt8 = 0
        var poller = pollfd(fd: ninth, events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 2000) == 1 && recv(ninth, &byte, 1, 0) == 0, "the ninth connection is closed by the agent")
        held.forEach { close($0) }
        held = []
        usleep(300_000)
        #expect(try request([]).status == 0, "closed connections free their places")
        #expect(try CLI.json(info.stdout)["requester"] as? String == "127.0.0.1")
        let cases: [([String], String)] = [
            (["--path", "/v1/trace", "--body", #"{"method":"tcp","port":"80"}"#], "(400 Bad Request): field 'port' must be a whole number"),
            (["--path", "/v1/trace", "--body", #"{"method":"tcp","extra":1}"#], "(400 Bad Request): unknown field 'extra'"),
            (["--path", "/v1/reverse", "--body", #"{"sport":80,"dport":80,"payload":{"http_host":"a b"}}"#], "(400 Bad Request): field 'payload.http_host' may hold only"),
            (["--path", "/v1/nowhere"], "(404 Not Found): there is no /v1/nowhere here"),
            (["--path", "/v1/trace"], "(405 Method Not Allowed): /v1/trace takes POST, not GET"),
            (["--path", "/v1/trace", "--body", #"{"method":"icmp","pad":""# + String(repeating: "x", count: 20_000) + #""}"#], "(413 Content Too Large)"),
        ]
        for (args, expected) in cases {
            let r = try request(args)
            #expect(r.status == 1 && r.stderr.contains(expected), "\(args.prefix(2)): \(r.stderr)")
        }

        // Hostile bytes instead of TLS, and a half-open connection: the agent drops them and serves on.
        for garbage in [Array("GET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n".utf8), [UInt8](repeating: 0x16, count: 5) + [UInt8](repeating: 0xFF, count: 3000), []] {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(connected == 0)
            if !garbage.isEmpty { _ = garbage.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            close(fd)
        }
        #expect(try request([]).status == 0, "the agent still answers")

        // A reverse connection to a port we listen on: the handshake completes and the
        // payload is acknowledged, nothing interferes.
        let listener = Self.port(listening: true)
        defer { close(listener.fd) }
        let sport = Self.port(listening: false).port
        let reverse = try request(["--path", "/v1/reverse", "--evidence", w.directory + "/r.pcapng",
                                   "--body", #"{"sport":\#(sport),"dport":\#(listener.port),"payload":{"http_host":"example.com"}}"#])
        #expect(reverse.status == 0, "\(reverse.stderr)")
        let r = try CLI.json(reverse.stdout)
        #expect(r["connected"] as? Bool == true && r["payload_sent"] as? Bool == true, "\(r)")
        #expect(r["outcome"] as? String == "ack" && r["blocked"] as? Bool == false && r["reset_by"] is NSNull, "\(r)")
        #expect(r["evidence_pcapng"] == nil)
        #expect(FileManager.default.contents(atPath: w.directory + "/r.pcapng")?.prefix(4) == Data([0x0A, 0x0D, 0x0D, 0x0A]))
        // A closed port: no connection, nothing decided.
        let closed = Self.port(listening: false).port
        let refused = try request(["--path", "/v1/reverse", "--body", #"{"sport":\#(sport),"dport":\#(closed),"payload":{"hex":"00ff"}}"#])
        let n = try CLI.json(refused.stdout)
        #expect(n["connected"] as? Bool == false && n["outcome"] as? String == "not-connected" && n["blocked"] is NSNull, "\(n)")
        stopped = true
        #expect(Subprocess.stop(pid) == 0)
        #expect(((try? String(contentsOfFile: w.log, encoding: .utf8)) ?? "").contains("stopping (signal 15)"))
    }
}
