import Foundation
import Lab
import Packets
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The lab as a user runs it: the real binary builds each built-in scenario in network
/// namespaces, packets cross it, and `lab down` leaves nothing behind. Serialized: every
/// test owns the `cslab-` namespaces while it runs.
@Suite("Lab end to end (root)", .serialized,
       .enabled(if: LabHarness.canRun, "needs root, iproute2 and the censorscope binary (swift build)"))
struct LabEndToEndTests {
    @Test("lab up, status, ping, traceroute, down for each built-in scenario",
          .enabled(if: LabHarness.hasTools, "needs ping and traceroute (scripts/setup.sh installs them)"),
          arguments: BuiltinScenarios.names)
    func scenario(_ name: String) throws {
        LabHarness.down(name)
        defer { LabHarness.down(name) }
        let scenario = try builtin(name)
        let plan = LabPlan(scenario)

        let up = try LabHarness.run(["lab", "up", name])
        try #require(up.status == 0, "lab up failed: \(up.stderr)")
        #expect(up.stdout.contains("lab \(name) is up"))

        // status --json: DESIGN.md's shape.
        let status = try LabHarness.run(["lab", "status", name, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let object = try LabHarness.json(status.stdout)
        #expect(object["scenario"] as? String == name)
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(nodes.compactMap { $0["name"] as? String } == scenario.nodes.map(\.name))
        #expect(nodes.compactMap { $0["role"] as? String } == scenario.nodes.map(\.role.rawValue))
        #expect(nodes.compactMap { $0["addresses"] as? [String] } == plan.nodes.map(\.addresses))
        let processes = nodes.flatMap { ($0["processes"] as? [[String: Any]]) ?? [] }
        let pids = processes.compactMap { ($0["pid"] as? NSNumber)?.int32Value }
        let censorRunning = processes.contains { $0["kind"] as? String == "censor" && $0["running"] as? Bool == true }
        for node in plan.nodes { #expect(LabHarness.namespaces(name).contains(node.namespace)) }

        // Every node answers ping from the client, except a blackholed server.
        let blackholed = name == "ip-blackhole" && censorRunning
        for node in plan.nodes where node.name != "client" {
            for address in node.addresses {
                let ping = try LabHarness.exec("client", ["ping", "-c1", "-W1", address], scenario: name)
                // The blackhole drops the server's whole prefix, its gateway's address on it included.
                if blackholed && (address.hasPrefix("198.18.9.") || address.hasPrefix("2001:db8:9:")) {
                    #expect(ping.status != 0, "blackholed \(address) answered")
                } else {
                    #expect(ping.status == 0, "ping \(node.name) \(address): \(ping.stdout)\(ping.stderr)")
                }
            }
        }

        // traceroute shows the hops the routes say, silent hops as `*`.
        if !blackholed {
            // chaos holds answers 0-20 ms: parallel probes would overtake each other, so a
            // burst of them runs into the hosts' ICMP error rate limit out of TTL order and
            // traceroute stops waiting for a hop once a later one answered. One at a time.
            let pacing = name == "chaos" ? ["-N", "1"] : []
            try expectTrace(scenario, plan, from: "client", to: "198.18.9.2", pacing: pacing)
            // The vantages scenario is IPv4 only.
            if plan.nodes.contains(where: { $0.addresses.contains { $0.contains(":") } }) {
                try expectTrace(scenario, plan, from: "client", to: "2001:db8:9::2", pacing: pacing)
            }
            try expectTrace(scenario, plan, from: "server", to: "198.18.1.2", pacing: pacing)
        }
        if name == "telegram-2018" {
            let forward = try LabHarness.traceroute(from: "client", to: "198.18.9.2", scenario: name).compactMap { $0 }
            let back = try LabHarness.traceroute(from: "server", to: "198.18.1.2", scenario: name).compactMap { $0 }
            let a = Set(plan.node(named: "transit-a")!.addresses), b = Set(plan.node(named: "transit-b")!.addresses)
            #expect(forward.contains(where: a.contains) && !forward.contains(where: b.contains), "forward \(forward)")
            #expect(back.contains(where: b.contains) && !back.contains(where: a.contains), "back \(back)")
        }
        if name == "ecmp" {
            try expectBothPaths(plan, scenario: name)
        }

        let down = try LabHarness.run(["lab", "down", name])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stdout.contains("removed \(name)"))
        LabHarness.expectNothingLeft(name, processes: pids)
    }

    /// Each traceroute hop is an address of a node the routes allow at that TTL.
    func expectTrace(_ scenario: Scenario, _ plan: LabPlan, from: String, to address: String, pacing: [String] = [],
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let destination = try #require(IPAddress(address))
        let expected = try #require(ScenarioPaths.hops(in: scenario, from: from, to: destination))
        let extra = (address.contains(":") ? ["-6"] : []) + pacing
        let hops = try LabHarness.traceroute(from: from, to: address, scenario: scenario.name, extra: extra)
        #expect(hops.count == expected.count, "hops \(hops) for \(expected)", sourceLocation: sourceLocation)
        for (hop, candidates) in zip(hops, expected) {
            let silent = candidates.allSatisfy { scenario.node(named: $0)?.icmp == false }
            if silent {
                #expect(hop == nil, "\(candidates) should be silent, answered \(hop ?? "")", sourceLocation: sourceLocation)
            } else {
                let addresses = Set(candidates.flatMap { plan.node(named: $0)!.addresses })
                #expect(hop.map(addresses.contains) == true, "hop \(hop ?? "*") is not one of \(candidates)", sourceLocation: sourceLocation)
            }
        }
    }

    /// Classic traceroute changes the UDP port per probe, so per-flow ECMP spreads its
    /// probes over both carriers.
    func expectBothPaths(_ plan: LabPlan, scenario: String) throws {
        let a = Set(plan.node(named: "transit-a")!.addresses), b = Set(plan.node(named: "transit-b")!.addresses)
        var seen = Set<String>()
        for _ in 0..<3 {
            let r = try LabHarness.exec("client", ["traceroute", "-n", "-f", "3", "-m", "3", "-q", "10", "-w", "1", "198.18.9.2"], scenario: scenario)
            for token in r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }) where IPv4Address(String(token)) != nil {
                seen.insert(String(token))
            }
            if seen.contains(where: a.contains) && seen.contains(where: b.contains) { break }
        }
        #expect(seen.contains(where: a.contains) && seen.contains(where: b.contains), "third hop only via \(seen)")
    }

    @Test("lab up of a lab that is up is refused and says to run lab down; lab down alone removes every lab")
    func upTwiceAndDownAll() throws {
        LabHarness.down("clean")
        LabHarness.down("ecmp")
        defer { LabHarness.down("clean"); LabHarness.down("ecmp") }
        try #require(try LabHarness.run(["lab", "up", "clean"]).status == 0)
        let again = try LabHarness.run(["lab", "up", "clean"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("lab clean is already up") && again.stderr.contains("censorscope lab down clean"), "\(again.stderr)")
        #expect(!LabHarness.namespaces("clean").isEmpty, "the refused up must not touch the running lab")
        try #require(try LabHarness.run(["lab", "up", "ecmp"]).status == 0)

        let list = try LabHarness.json(try LabHarness.run(["lab", "list", "--json"]).stdout)
        let up = (list["scenarios"] as? [[String: Any]] ?? []).filter { $0["up"] as? Bool == true }.compactMap { $0["name"] as? String }
        #expect(up == ["clean", "ecmp"])
        let ambiguous = try LabHarness.run(["lab", "status"])
        #expect(ambiguous.status != 0 && ambiguous.stderr.contains("several labs are up"))

        let down = try LabHarness.run(["lab", "down"])
        #expect(down.status == 0, "\(down.stderr)")
        LabHarness.expectNothingLeft("clean")
        LabHarness.expectNothingLeft("ecmp")
        #expect(LabHarness.namespaces().isEmpty)
        let nothing = try LabHarness.run(["lab", "down"])
        #expect(nothing.status == 0 && nothing.stdout.contains("nothing to remove"))
        let status = try LabHarness.run(["lab", "status", "--json"])
        #expect(status.status != 0 && status.stderr.contains("no lab is up"))
    }

    @Test("lab exec passes stdin, stdout and the exit status; unknown nodes are errors")
    func exec() throws {
        LabHarness.down("clean")
        defer { LabHarness.down("clean") }
        try #require(try LabHarness.run(["lab", "up", "clean"]).status == 0)
        #expect(try LabHarness.exec("server", ["sh", "-c", "exit 7"]).status == 7)
        let echo = try LabHarness.run(["lab", "exec", "client", "--", "cat"], stdin: "through the namespace\n")
        #expect(echo.status == 0 && echo.stdout == "through the namespace\n")
        let env = try LabHarness.exec("client", ["sh", "-c", "echo $CENSORSCOPE_LAB $CENSORSCOPE_LAB_NODE $CENSORSCOPE_ALLOW_RESERVED"])
        #expect(env.stdout == "clean client 1\n")
        let address = try LabHarness.exec("server", ["ip", "-4", "-o", "addr", "show", "dev", "to-transit"])
        #expect(address.stdout.contains("198.18.9.2/24"))
        let unknown = try LabHarness.exec("nosuch", ["true"])
        #expect(unknown.status != 0 && unknown.stderr.contains("has no node `nosuch`") && unknown.stderr.contains("client"))
        LabHarness.down("clean")
        let none = try LabHarness.exec("client", ["true"])
        #expect(none.status != 0 && none.stderr.contains("no lab is up"))
    }

    @Test("SIGTERM during lab up: it stops, removes what it built and says so")
    func interruptedUp() throws {
        LabHarness.down("telegram-2018")
        defer { LabHarness.down("telegram-2018") }
        let stderr = Pipe()
        let p = try startUpAndWaitForFirstNamespace("telegram-2018", stderr: stderr)
        p.terminate()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        #expect(message.contains("interrupted by signal 15") && message.contains("everything built so far was removed"), "\(message)")
        LabHarness.expectNothingLeft("telegram-2018")
    }

    @Test("kill -9 during lab up leaves a half-built lab that lab down removes")
    func killedUp() throws {
        LabHarness.down("telegram-2018")
        defer { LabHarness.down("telegram-2018") }
        let p = try startUpAndWaitForFirstNamespace("telegram-2018")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: LabStore().stateFile(of: "telegram-2018")), "state is written before building")
        let down = try LabHarness.run(["lab", "down"])
        #expect(down.status == 0, "\(down.stderr)")
        LabHarness.expectNothingLeft("telegram-2018")
    }

    func startUpAndWaitForFirstNamespace(_ name: String, stderr: Pipe? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: LabHarness.binary)
        p.arguments = ["lab", "up", name]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = stderr ?? FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(20)
        while LabHarness.namespaces(name).isEmpty && p.isRunning && Date() < deadline { usleep(500) }
        try #require(p.isRunning, "lab up finished before it could be interrupted")
        return p
    }

    @Test("a step failing late rolls the whole build back")
    func lateFailureRollsBack() throws {
        LabHarness.down("telegram-2018")
        defer { LabHarness.down("telegram-2018") }
        let plan = LabPlan(try builtin("telegram-2018"))
        let lastRoute = try #require(plan.steps.lastIndex { $0.arguments.contains("route") })
        let runner = FailingRunner(failing: plan.steps[lastRoute].arguments)
        let network = LabNetwork(runner: runner, executable: nil)
        do {
            try network.up(try builtin("telegram-2018"), source: "test", text: "")
            Issue.record("up succeeded despite the failing step")
        } catch let LabError.upFailed(cause, rollback) {
            guard case .stepFailed(let step, _, _) = cause else { Issue.record("cause \(cause)"); return }
            #expect(step.hasPrefix("route on"))
            #expect(rollback == nil)
        }
        LabHarness.expectNothingLeft("telegram-2018")
    }
}

/// The real runner, except that one chosen command fails as if the kernel refused it.
struct FailingRunner: CommandRunner {
    let failing: [String]
    func run(_ arguments: [String]) -> CommandResult {
        if arguments == failing { return CommandResult(status: 2, output: "RTNETLINK answers: Network is unreachable (injected by the test)") }
        return SystemCommandRunner().run(arguments)
    }
}
