import ChildProcess
import Foundation
import Testing
import TestSupport

/// UDP sweeps against servers we did not write: dnsmasq (DNS), coturn (STUN) and aioquic
/// (QUIC, from PyPI; `scripts/setup.sh` installs it). Each echoes the probe's hash field (the
/// DNS message ID, the STUN transaction ID, the QUIC connection ID), so every reply is
/// matched by hash, not by port alone. The servers listen on the far host's own addresses
/// (aioquic answers from the address the route picks, not the one probed).
extension SweepLabTests {
    static let aioquic = "/opt/censorscope-test/pyenv/bin/python"
    static var hasAioquic: Bool { Subprocess.run([aioquic, "-c", "import aioquic"], timeout: 20).status == 0 }

    static let quicServer = """
        import asyncio, sys
        from aioquic.asyncio import serve
        from aioquic.quic.configuration import QuicConfiguration
        async def main():
            c = QuicConfiguration(is_client=False, alpn_protocols=["h3"])
            c.load_cert_chain(sys.argv[1], sys.argv[2])
            await serve("::", int(sys.argv[3]), configuration=c)
            await asyncio.Future()
        asyncio.run(main())
        """

    /// Starts `argv` in the far namespace and waits until `port` is bound there.
    func server(_ n: Network, _ argv: [String], port: Int, log: String) throws -> pid_t {
        guard let pid = Subprocess.start(["ip", "netns", "exec", n.net.b] + argv, outputFile: log) else {
            throw TestFailure("\(argv[0]) did not start")
        }
        for _ in 0..<100 {
            if try n.net.run("ip", ["netns", "exec", n.net.b, "ss", "-lunH"]).contains(":\(port) ") { return pid }
            usleep(100_000)
        }
        _ = Subprocess.stop(pid)
        throw TestFailure("\(argv[0]) did not bind port \(port): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    func sweepsServedBy(_ servers: [(argv: [String], port: Int, variant: String)]) throws {
        let n = try build()
        defer { tearDown(n) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-servers-\(n.s)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var pids: [pid_t] = []
        defer { for pid in pids { _ = Subprocess.stop(pid) } }
        for (argv, port, variant) in servers {
            let argv = argv.map { $0.replacingOccurrences(of: "DIR", with: dir) }
            pids.append(try server(n, argv, port: port, log: "\(dir)/\(variant).log"))
            let targets = [n.net.addressB, n.net.address6B]
            let (r, t) = try sweep(n, targets + ["--protocol", "udp", "--variant", variant, "--repeat", "2"], port: ["--port", "\(port)"])
            #expect(r.status == 0, "\(variant): \(r.stderr)")
            for target in targets {
                let probes = t[target]?["probes"] as? [[String: Any]] ?? []
                #expect(t[target]?["answer"] as? String == "udp-reply", "\(variant) \(target): \(t[target] ?? [:])")
                #expect(probes.count == 2 && probes.allSatisfy { $0["answer"] as? String == "udp-reply" && $0["match"] as? String == "hash" },
                        "\(variant) \(target): \(probes)")
            }
        }
    }

    @Test(.enabled(if: Tools.available(["dnsmasq", "turnserver"]), "needs dnsmasq and coturn (scripts/setup.sh installs them)"))
    func dnsAndSTUNServersEchoTheHash() throws {
        try sweepsServedBy([
            (["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--pid-file=", "--port=5353",
              "--log-facility=-"], 5353, "dns"),
            (["turnserver", "-n", "--stun-only", "--listening-port", "3478", "--no-cli", "--no-tls", "--no-dtls", "--log-file", "stdout",
              "--simple-log"], 3478, "stun"),
        ])
    }

    @Test(.enabled(if: SweepLabTests.hasAioquic, "needs aioquic in /opt/censorscope-test/pyenv (scripts/setup.sh installs it from PyPI)"))
    func aQUICServerAnswersTheInitial() throws {
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-quic-\(getpid())").path
        defer { unlink(key + ".key"); unlink(key + ".crt"); unlink(key + ".py") }
        try Tools.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=lab",
                       "-keyout", key + ".key", "-out", key + ".crt", "-days", "1"])
        try Self.quicServer.write(toFile: key + ".py", atomically: true, encoding: .utf8)
        try sweepsServedBy([([Self.aioquic, key + ".py", key + ".crt", key + ".key", "4433"], 4433, "quic")])
    }
}
