import Foundation
import TestSupport
import Testing

/// The real `censorscope serve` in a server namespace, checked from a client namespace with
/// independent clients (curl, dig, Python). Serialized: each test builds its own network,
/// and the machine has few cores.
@Suite(.serialized, .enabled(if: ServiceNetwork.canRun, "needs root and iproute2"))
struct ServeEndToEndTests {
    static let allServices = ["--http", "80", "--tls", "443", "--echo", "7", "--stun", "3478", "--dns", "53", "--quic", "443"]

    /// Runs `body` with a fresh network and a server started with `args`; always tears down.
    func withServer(_ args: [String], _ body: (ServiceNetwork, ServeProcess) throws -> Void) throws {
        let net = try ServiceNetwork()
        defer { net.tearDown() }
        let server = try ServeProcess(namespace: net.server, args)
        defer { server.stop() }
        try body(net, server)
        #expect(server.isRunning, "server exited: \(server.isRunning ? "" : server.stderr)")
    }

    @Test(.enabled(if: Tools.available(["curl"])))
    func httpPageEchoesHostAndServesBytes() throws {
        try withServer(["--http", "80", "--name", "server-1"]) { net, server in
            for address in [net.serverAddress, "[\(net.serverAddress6)]"] {
                let page = try net.inClient(["curl", "-sS", "-H", "Host: blocked.example", "http://\(address)/some/path"])
                #expect(page.status == 0, "\(page.stderr)")
                #expect(page.stdout.contains("server-1"))
                #expect(page.stdout.contains("<code>blocked.example</code>"))
                let bytes = try net.inClient(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                              "http://\(address)/bytes/1000000"])
                #expect(bytes.stdout == "200 1000000", "\(bytes.stderr)")
            }
            let tooMany = try net.inClient(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                            "http://\(net.serverAddress)/bytes/20000000"])
            #expect(tooMany.stdout == "400")
            let record = try server.waitForRecord { $0["host"] as? String == "blocked.example" }
            #expect(record?["service"] as? String == "http")
            #expect(record?["client"] as? String == net.clientAddress)
            #expect(record?["path"] as? String == "/some/path")
            #expect(record?["status"] as? Int == 200)
            #expect(record?["client_port"] is Int && record?["time"] is String)
            #expect(try server.waitForRecord { $0["client"] as? String == net.clientAddress6 } != nil)
        }
    }

    @Test(.enabled(if: Tools.available(["curl"])))
    func tlsTakesAnySNIAndSpeaksHTTPInside() throws {
        let state = NSTemporaryDirectory() + "cstest-state-\(Int.random(in: 0..<1_000_000))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        try withServer(["--tls", "443", "--name", "server-1", "--state-dir", state]) { net, server in
            for address in [net.serverAddress, "[\(net.serverAddress6)]"] {
                let bytes = try net.inClient(["curl", "-sSk", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                              "--resolve", "blocked.example:443:\(address)",
                                              "https://blocked.example/bytes/1000000"])
                #expect(bytes.stdout == "200 1000000", "\(bytes.stderr)")
            }
            let page = try net.inClient(["curl", "-sSk", "--tls-max", "1.2", "--resolve", "other.example:443:\(net.serverAddress)",
                                         "https://other.example/"])
            #expect(page.stdout.contains("other.example") && page.stdout.contains("server-1"), "\(page.stderr)")
            // Without -k the client refuses the certificate, but the SNI it sent is still logged.
            let refused = try net.inClient(["curl", "-sS", "--resolve", "strict.example:443:\(net.serverAddress)",
                                            "https://strict.example/"])
            #expect(refused.status != 0)

            let sni = try server.waitForRecord { $0["sni"] as? String == "blocked.example" }
            #expect(sni?["service"] as? String == "tls")
            #expect(sni?["tls_version"] as? String == "TLSv1.3")
            #expect(sni?["host"] as? String == "blocked.example")
            #expect(sni?["bytes"] as? Int == 1_000_000)
            let tls12 = try server.waitForRecord { $0["sni"] as? String == "other.example" }
            #expect(tls12?["tls_version"] as? String == "TLSv1.2")
            let strict = try server.waitForRecord { $0["sni"] as? String == "strict.example" }
            #expect(strict?["error"] is String)
        }
        // The certificate was kept and is reused on the next start.
        let cert = try String(contentsOfFile: state + "/tls-cert.pem", encoding: .utf8)
        #expect(cert.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let mode = try FileManager.default.attributesOfItem(atPath: state + "/tls-key.pem")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try withServer(["--tls", "443", "--state-dir", state]) { net, _ in
            let r = try net.inClient(["curl", "-sSk", "-o", "/dev/null", "-w", "%{http_code}", "https://\(net.serverAddress)/"])
            #expect(r.stdout == "200")
        }
        #expect(try String(contentsOfFile: state + "/tls-cert.pem", encoding: .utf8) == cert)
    }

    @Test func echoReturnsEveryByte() throws {
        try withServer(["--echo", "7"]) { net, server in
            for address in [net.serverAddress, net.serverAddress6] {
                let r = try net.python(PythonClients.echo, [address, "7", "300000"])
                #expect(r.stdout == "ok 300000\n", "\(r.stderr)")
            }
            let record = try server.waitForRecord { $0["service"] as? String == "echo" }
            #expect(record?["bytes"] as? Int == 300_000)
        }
    }

    @Test func stunMapsTheClientAddress() throws {
        try withServer(["--stun", "3478"]) { net, server in
            for (server4or6, client) in [(net.serverAddress, net.clientAddress), (net.serverAddress6, net.clientAddress6)] {
                let r = try net.python(PythonClients.stunBinding, [server4or6, "3478"])
                #expect(r.status == 0, "\(r.stderr)")
                let parts = r.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                #expect(parts.count == 3 && parts[0] == client && parts[1] == parts[2], "\(r.stdout)")
            }
            // Not STUN: no answer.
            let junk = try net.python(PythonClients.udpExchange, [net.serverAddress, "3478", "deadbeef"])
            #expect(junk.stdout == "timeout\n")
            let record = try server.waitForRecord { $0["service"] as? String == "stun" && $0["mapped"] != nil }
            #expect((record?["mapped"] as? String)?.hasPrefix(net.clientAddress + ":") == true)
            #expect((record?["transaction_id"] as? String)?.count == 24)
            #expect(try server.waitForRecord { $0["ignored"] as? String == "not a STUN message" } != nil)
        }
    }

    @Test func quicNegotiatesVersionsAndNothingElse() throws {
        try withServer(["--quic", "443"]) { net, server in
            for address in [net.serverAddress, net.serverAddress6] {
                let r = try net.python(PythonClients.quicVersionNegotiation, [address, "443", "1200", "1a2a3a4a"])
                #expect(r.stdout == "versions 00000001 6b3343cf\n", "\(r.stdout) \(r.stderr)")
                // Too short to answer (RFC 9000 §14.1), and a version the server lists.
                let short = try net.python(PythonClients.quicVersionNegotiation, [address, "443", "1199", "1a2a3a4a"])
                #expect(short.stdout == "timeout\n", "\(short.stderr)")
                let v1 = try net.python(PythonClients.quicVersionNegotiation, [address, "443", "1200", "00000001"])
                #expect(v1.stdout == "timeout\n", "\(v1.stderr)")
            }
            let answered = try server.waitForRecord { $0["service"] as? String == "quic" && $0["answer"] != nil }
            #expect(answered?["version"] as? String == "0x1a2a3a4a" && answered?["length"] as? Int == 1200)
            #expect(try server.waitForRecord { $0["ignored"] as? String == "shorter than 1200 bytes" } != nil)
        }
    }

    @Test(.enabled(if: Tools.available(["dig"])))
    func dnsAnswersOverUDPAndTCP() throws {
        let args = ["--dns", "53", "--dns-answer", "198.18.3.2", "--dns-answer", "198.18.3.3", "--dns-answer6", "2001:db8:3::2"]
        try withServer(args) { net, server in
            for address in [net.serverAddress, net.serverAddress6] {
                for transport in ["+notcp", "+tcp"] {
                    let a = try net.inClient(["dig", "+short", "+time=2", "+tries=1", transport, "@\(address)", "blocked.example", "A"])
                    #expect(a.stdout == "198.18.3.2\n198.18.3.3\n", "\(transport) \(a.stdout) \(a.stderr)")
                    let aaaa = try net.inClient(["dig", "+short", "+time=2", "+tries=1", transport, "@\(address)", "blocked.example", "AAAA"])
                    #expect(aaaa.stdout == "2001:db8:3::2\n")
                }
            }
            let nx = try net.inClient(["dig", "+time=2", "+tries=1", "@\(net.serverAddress)", "gone.invalid", "A"])
            #expect(nx.stdout.contains("status: NXDOMAIN"), "\(nx.stdout)")
            // A header that promises a question the message does not hold: FORMERR, same id.
            let formerr = try net.python(PythonClients.udpExchange, [net.serverAddress, "53", "abcd01000001000000000000ff"])
            #expect(formerr.stdout.hasPrefix("abcd8") && formerr.stdout.dropFirst(7).first == "1", "\(formerr.stdout)")
            let record = try server.waitForRecord { $0["name"] as? String == "blocked.example." && $0["transport"] as? String == "tcp" }
            #expect(record?["service"] as? String == "dns")
            #expect(try server.waitForRecord { $0["rcode"] as? String == "NXDOMAIN" }?["name"] as? String == "gone.invalid.")
        }
    }

    @Test(.enabled(if: Tools.available(["curl", "dig"])))
    func garbageOnEveryPortLeavesEveryServiceWorking() throws {
        try withServer(Self.allServices + ["--dns-answer", "198.18.9.9"]) { net, server in
            for address in [net.serverAddress, net.serverAddress6] {
                let r = try net.python(PythonClients.garbage, [address, "80,443,7,53", "3478,53,443"], timeout: 120)
                #expect(r.stdout == "sent\n", "\(r.stderr)")
            }
            #expect(server.isRunning)
            let http = try net.inClient(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://\(net.serverAddress)/"])
            #expect(http.stdout == "200")
            let tls = try net.inClient(["curl", "-sSk", "-o", "/dev/null", "-w", "%{http_code}", "https://[\(net.serverAddress6)]/"])
            #expect(tls.stdout == "200")
            #expect(try net.python(PythonClients.echo, [net.serverAddress, "7", "1000"]).stdout == "ok 1000\n")
            #expect(try net.python(PythonClients.stunBinding, [net.serverAddress, "3478"]).status == 0)
            let quic = try net.python(PythonClients.quicVersionNegotiation, [net.serverAddress, "443", "1200", "0a0a0a0a"])
            #expect(quic.stdout == "versions 00000001 6b3343cf\n", "\(quic.stderr)")
            let dns = try net.inClient(["dig", "+short", "+time=2", "+tries=1", "@\(net.serverAddress)", "x.example"])
            #expect(dns.stdout == "198.18.9.9\n")
            // Every log line is still one well-formed JSON object.
            #expect(try server.logRecords().count > 100)
        }
    }

    @Test func connectionsOverTheLimitAreClosedAndServiceContinues() throws {
        try withServer(["--echo", "7"]) { net, _ in
            let r = try net.python(PythonClients.holdConnections, [net.serverAddress, "7", "300"], timeout: 60)
            let counts = r.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(counts.count == 2, "\(r.stdout) \(r.stderr)")
            if counts.count == 2 {
                #expect(counts[1] <= 256 && counts[0] >= 300 - 256, "closed/open: \(counts)")
            }
            usleep(300_000)
            #expect(try net.python(PythonClients.echo, [net.serverAddress, "7", "10"]).stdout == "ok 10\n")
        }
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func stopsWithStatusZeroOnSignal(_ signal: Int32) throws {
        let net = try ServiceNetwork()
        defer { net.tearDown() }
        let server = try ServeProcess(namespace: net.server, Self.allServices)
        #expect(server.stop(signal) == 0)
    }
}

/// Start-up errors, on loopback: one sentence on stderr and exit status 1.
@Suite struct ServeErrorTests {
    @Test func portInUse() throws {
        let busy = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(busy) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(busy, $0, len) } }
        listen(busy, 1)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(busy, $0, &len) } }
        let port = UInt16(bigEndian: addr.sin_port)
        let r = try Command.run([CLI.binary, "lab", "serve", "--address", "127.0.0.1", "--http", String(port)])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "error: cannot listen on 127.0.0.1 port \(port)/tcp: Address already in use.\n")
    }

    @Test(arguments: [
        (["--address", "198.18.300.1", "--http", "8080"], "is not an IPv4 or IPv6 address"),
        (["--address", "127.0.0.1"], "give at least one service port"),
        (["--http", "70000"], "between 1 and 65535"),
        (["--dns", "5353", "--dns-answer", "2001:db8::1"], "is not an IPv4 address"),
    ])
    func badArguments(_ args: [String], _ message: String) throws {
        let r = try Command.run([CLI.binary, "lab", "serve"] + args)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains(message) && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)")
    }

    @Test(.enabled(if: Tools.isRoot))
    func addressNotOnThisNode() throws {
        // 198.18.255.254 is on no interface of the test host (the lab range lives in namespaces).
        let r = try Command.run([CLI.binary, "lab", "serve", "--address", "198.18.255.254", "--echo", "17007"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("is this address configured on this node?"), "\(r.stderr)")
    }

    @Test func servesOnLoopbackWithoutANamespace() throws {
        let port = String(Int.random(in: 20000..<60000))
        let server = try ServeProcess(namespace: nil, ["--address", "127.0.0.1", "--address", "::1", "--echo", port])
        defer { server.stop() }
        #expect(try Command.run(["python3", "-c", PythonClients.echo, "::1", port, "5000"]).stdout == "ok 5000\n")
    }
}
