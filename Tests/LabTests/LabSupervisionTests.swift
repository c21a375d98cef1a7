import Foundation
import JSONSupport
import Lab
import Synchronization
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Process supervision, with a stand-in for the `censorscope` binary (the real `lab serve`
/// and `lab censor` live in other modules): its `lab serve` binds the requested ports, its
/// `lab censor` binds the NFQUEUE queue and accepts every packet. In the end-to-end
/// suite, so it never runs beside another test that builds labs.
extension LabEndToEndTests {
    static let hasPython = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")

    static let superviseScenario = """
        name: supervise
        nodes:
          - {name: client, role: client}
          - {name: dpi, role: censor, censor: {clients: [198.18.1.0/24], rules: []}}
          - {name: server, role: server, services: [http, echo, dns]}
        links:
          - {between: [dpi, client], subnet: 198.18.1.0/24, subnet6: "2001:db8:1::/64"}
          - {between: [dpi, server], subnet: 198.18.2.0/24, subnet6: "2001:db8:2::/64"}
        routes:
          client: [{to: default, via: dpi}]
          server: [{to: default, via: dpi}]
        """

    /// A script answering `lab serve --help` with a usage line and then, for `lab serve`,
    /// running `serve` (sh); likewise `lab censor` when `censor` is given.
    static func standIn(serve: String, censor: String? = nil) throws -> String {
        let path = NSTemporaryDirectory() + "censorscope-stand-in-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        let censorPart = censor.map { body in """
            if [ "$1" = lab ] && [ "$2" = censor ]; then
              if [ "$3" = --help ]; then echo "USAGE: censorscope lab censor --policy <policy> --queue <queue> --log <log>"; exit 0; fi
              shift 2
            \(body)
            fi
            """ } ?? ""
        let script = """
            #!/bin/sh
            if [ "$1" = lab ] && [ "$2" = serve ]; then
              if [ "$3" = --help ]; then echo "USAGE: censorscope lab serve [--http <port>] [--echo <port>] [--dns <port>]"; exit 0; fi
              shift 2
            \(serve)
            fi
            \(censorPart)
            echo "Error: Unexpected argument '$2'" >&2
            exit 64

            """
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        return path
    }

    static let binder = """
          exec python3 -c '
        import socket, sys, time
        args, ports, i = sys.argv[1:], [], 0
        while i < len(args):
            if args[i] in ("--http", "--tls", "--echo", "--stun", "--dns"): ports.append(int(args[i + 1]))
            i += 2 if args[i].startswith("--") else 1
        keep = []
        for p in ports:
            t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); t.bind(("::", p)); t.listen(8); keep.append(t)
            u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::", p)); keep.append(u)
        print("serving", ports, flush=True)
        while True: time.sleep(60)
        ' "$@"
        """

    /// Binds the queue given by --queue over netlink and accepts every packet.
    static let passThroughCensor = """
          exec python3 -c '
        import socket, struct, sys
        args = sys.argv[1:]
        queue = int(args[args.index("--queue") + 1])
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
        s.bind((0, 0))
        def attr(t, payload):
            n = 4 + len(payload)
            return struct.pack("=HH", n, t) + payload + bytes((4 - n % 4) % 4)
        def msg(kind, flags, body):  # nfnetlink subsystem 3: the queue
            return struct.pack("=IHHII", 16 + len(body), (3 << 8) | kind, flags, 0, 0) + body
        nfgen = struct.pack("=BBH", 0, 0, socket.htons(queue))
        s.send(msg(2, 5, nfgen + attr(1, struct.pack("=BBH", 1, 0, 0)))); s.recv(4096)     # bind
        s.send(msg(2, 5, nfgen + attr(2, struct.pack(">IB", 0xffff, 1)))); s.recv(4096)    # copy metadata
        import subprocess  # as the real censor does: queue traffic once bound, fail open
        for tool in ("iptables", "ip6tables"):
            subprocess.run([tool, "-t", "raw", "-I", "PREROUTING", "-j", "NFQUEUE", "--queue-num", str(queue), "--queue-bypass"], check=True)
        print("queue", queue, "bound", flush=True)
        while True:
            data, off = s.recv(65536), 0
            while off + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, off)
                if length < 16: break
                a = off + 20
                while kind == (3 << 8) and a + 4 <= off + length:
                    alen, atype = struct.unpack_from("=HH", data, a)
                    if alen < 4: break
                    if atype & 0x7fff == 1:  # packet header: id, then accept it
                        s.send(msg(1, 1, nfgen + attr(2, struct.pack(">II", 1, struct.unpack_from(">I", data, a + 4)[0]))))
                    a += (alen + 3) & ~3
                off += (length + 3) & ~3
        ' "$@"
        """

    @Test("services start in the server's namespace and are ready when up returns; down stops them and any stray process",
          .enabled(if: hasPython, "needs python3 for the stand-in service"))
    func supervision() throws {
        LabHarness.down("supervise")
        defer { LabHarness.down("supervise") }
        let fixture = try Self.standIn(serve: Self.binder)
        defer { try? FileManager.default.removeItem(atPath: fixture) }
        let warnings = Warnings()
        let network = LabNetwork(executable: fixture, warn: { warnings.add($0) })
        let scenario = try ScenarioParser.parse(Self.superviseScenario, file: "supervise.yaml")
        let state = try network.up(scenario, source: "test", text: Self.superviseScenario)

        #expect(warnings.all.contains { $0.contains("no `lab censor`") && $0.contains("dpi") })
        #expect(state.warnings == warnings.all)
        let serve = try #require(state.processes.first)
        #expect(state.processes.count == 1 && serve.kind == .serve && serve.node == "server" && serve.isRunning)
        let args = serve.command.joined(separator: " ")
        #expect(args.hasPrefix("ip netns exec cslab-supervise.server \(fixture) lab serve --http 80 --echo 7 --dns 53 --address 198.18.2.2 --address 2001:db8:2::2 --dns-answer 198.18.2.2 --dns-answer6 2001:db8:2::2 --name server --state-dir "))
        #expect(serve.log.hasSuffix("/supervise/server.serve.log") && serve.output.hasSuffix("/supervise/server.serve.out"))
        // Ready means reachable: the ports accept connections from the client right away.
        for target in ["198.18.2.2/80", "198.18.2.2/7", "2001:db8:2::2/53"] {
            let connect = Spawn(["ip", "netns", "exec", "cslab-supervise.client", "bash", "-c", "exec 3<>/dev/tcp/\(target)"])
            #expect(connect.status == 0, "connect \(target): \(connect.output)")
        }
        let output = try String(contentsOfFile: serve.output, encoding: .utf8)
        #expect(output.contains("serving [80, 7, 53]"))

        // A process started by hand in a node is stopped by down too.
        let stray = Process()
        stray.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        stray.arguments = ["netns", "exec", "cslab-supervise.client", "sleep", "300"]
        try stray.run()
        let strayPid = stray.processIdentifier
        let deadline = Date().addingTimeInterval(5)
        while (ProcessTable.processes(inNamespaces: ["cslab-supervise.client"])["cslab-supervise.client"] ?? []).isEmpty && Date() < deadline { usleep(10_000) }

        // kill -9 of the service shows in status; down still cleans up.
        kill(serve.pid, SIGKILL)
        while serve.isRunning && Date() < deadline { usleep(10_000) }
        let reloaded = try #require(try network.store.load("supervise"))
        let json = LabStatus.json(reloaded, store: network.store)
        let processes = json["nodes"].flatMap { nodes -> JSONArray? in if case .array(let a) = nodes { return a } else { return nil } }?
            .compactMap { $0["processes"] }
        #expect(processes?.contains(.array([["kind": "serve", "pid": .number(serve.pid), "running": false,
                                             "log": .string(serve.log), "output": .string(serve.output)]])) == true)

        let report = try network.down("supervise")
        #expect(report.processes.contains(strayPid))
        stray.waitUntilExit()
        LabHarness.expectNothingLeft("supervise", processes: [serve.pid, strayPid])
    }

    @Test("the censor binds its queue, forwarded traffic goes through it, and fails open if it dies",
          .enabled(if: hasPython, "needs python3 for the stand-in censor"))
    func censorQueue() throws {
        LabHarness.down("supervise")
        defer { LabHarness.down("supervise") }
        let fixture = try Self.standIn(serve: Self.binder, censor: Self.passThroughCensor)
        defer { try? FileManager.default.removeItem(atPath: fixture) }
        let warnings = Warnings()
        let network = LabNetwork(executable: fixture, warn: { warnings.add($0) })
        let scenario = try ScenarioParser.parse(Self.superviseScenario, file: "supervise.yaml")
        let state = try network.up(scenario, source: "test", text: Self.superviseScenario)
        #expect(warnings.all.isEmpty)
        let dir = network.store.directory(of: "supervise")
        let censor = try #require(state.processes.first { $0.kind == .censor })
        #expect(censor.node == "dpi" && censor.isRunning)
        #expect(censor.command.suffix(8) == ["lab", "censor", "--policy", dir + "/dpi.censor.yaml", "--queue", "0", "--log", dir + "/dpi.censor.log"])
        let policy = try String(contentsOfFile: dir + "/dpi.censor.yaml", encoding: .utf8)
        #expect(policy.contains("clients:") && policy.contains("198.18.1.0/24") && policy.contains("rules: []"))
        for tool in ["iptables", "ip6tables"] {
            let rules = Spawn(["ip", "netns", "exec", "cslab-supervise.dpi", tool, "-t", "raw", "-S", "PREROUTING"]).output
            #expect(rules.contains("-j NFQUEUE --queue-num 0 --queue-bypass"), "\(tool): \(rules)")
        }
        func passed() -> Int {
            let text = (try? String(contentsOfFile: "/proc/\(censor.pid)/net/netfilter/nfnetlink_queue", encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line -> Int? in
                let f = line.split(separator: " ")
                return f.first == "0" && f.count > 7 ? Int(f[7]) : nil
            }.first ?? 0
        }
        for target in ["198.18.2.2", "2001:db8:2::2"] {
            let ping = Spawn(["ip", "netns", "exec", "cslab-supervise.client", "ping", "-c1", "-W2", target])
            #expect(ping.status == 0, "\(ping.output)")
        }
        #expect(passed() >= 4, "echo requests and replies of both families went through the censor")

        kill(censor.pid, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while censor.isRunning && Date() < deadline { usleep(10_000) }
        let ping = Spawn(["ip", "netns", "exec", "cslab-supervise.client", "ping", "-c1", "-W2", "198.18.2.2"])
        #expect(ping.status == 0, "with the censor gone, --queue-bypass lets traffic through: \(ping.output)")
        _ = try network.down("supervise")
        LabHarness.expectNothingLeft("supervise", processes: state.processes.map(\.pid))
    }

    @Test("a service that dies at start fails lab up, with its output, and nothing is left",
          .enabled(if: hasPython, "needs python3 for the stand-in service"))
    func serviceFailsAtStart() throws {
        LabHarness.down("supervise")
        defer { LabHarness.down("supervise") }
        let fixture = try Self.standIn(serve: "  echo 'bind: Address already in use' >&2; exit 1")
        defer { try? FileManager.default.removeItem(atPath: fixture) }
        let network = LabNetwork(executable: fixture)
        let scenario = try ScenarioParser.parse(Self.superviseScenario, file: "supervise.yaml")
        do {
            try network.up(scenario, source: "test", text: Self.superviseScenario)
            Issue.record("up succeeded with a dead service")
        } catch let LabError.upFailed(cause, rollback) {
            #expect("\(cause)".contains("the serve process on server exited at start"))
            #expect("\(cause)".contains("Address already in use"))
            #expect(rollback == nil)
        }
        LabHarness.expectNothingLeft("supervise")
    }
}

typealias JSONArray = [JSONValue]

final class Warnings: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ s: String) { list.withLock { $0.append(s) } }
    var all: [String] { list.withLock { $0 } }
}

/// Runs a command to completion (the real runner the lab uses).
func Spawn(_ arguments: [String]) -> CommandResult { SystemCommandRunner().run(arguments) }
