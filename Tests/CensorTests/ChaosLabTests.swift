import Foundation
import Lab
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The built-in `chaos` lab, brought up by the real binary: answers and ICMP errors come
/// back duplicated and out of order, and TCP still works through it.
@Suite(.serialized, .enabled(if: ChaosLab.canRun, "needs root, iproute2, ping, curl and the censorscope binary (swift build)"))
struct ChaosLabTests {
    @Test func answersArriveDuplicatedAndReorderedAndTCPSurvives() throws {
        ChaosLab.down()
        defer { ChaosLab.down() }
        let up = try LabHarness.run(["lab", "up", "chaos"])
        try #require(up.status == 0, "lab up chaos failed: \(up.stderr)")

        // Echo replies from the server: DUP! lines, and first arrivals out of sequence.
        let ping = try ChaosLab.exec("client", ["ping", "-n", "-c", "200", "-i", "0.005", "-W", "2", "198.18.9.2"])
        let replies = ChaosLab.sequences(ping.stdout, from: "198.18.9.2")
        #expect(ping.stdout.contains("200 packets transmitted, 200 received"), "\(ping.stdout.suffix(300))")
        let dups = ping.stdout.split(separator: "\n").filter { $0.contains("DUP!") }.count
        // 30 % of 200: about 60 (σ ≈ 6.5).
        #expect(dups >= 25 && dups <= 100, "\(dups) duplicates")
        #expect(ping.stdout.contains("+\(dups) duplicates"))
        #expect(ChaosLab.overtaken(replies) >= 5, "replies in order: \(replies.prefix(40))")

        // Time-exceeded from transit (hop 3, beyond the censor) is forwarded through the
        // censor's queue and disturbed too. Lab routers rate-limit ICMP errors like any
        // Linux host; lifted here so that every probe is answered.
        _ = try ChaosLab.exec("transit", ["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0"])
        let expired = try ChaosLab.exec("client", ["ping", "-n", "-c", "100", "-i", "0.01", "-W", "1", "-t", "3", "198.18.9.2"])
        let errors = ChaosLab.sequences(expired.stdout, from: "198.18.3.2")
        #expect(errors.count >= 60, "\(expired.stdout.suffix(300))")
        #expect(errors.count - Set(errors).count >= 3, "time-exceeded never came twice: \(errors)")
        #expect(ChaosLab.overtaken(errors) >= 1, "time-exceeded in order: \(errors)")

        // TCP takes duplicated and reordered segments in its stride.
        let page = try ChaosLab.exec("client", ["curl", "-sS", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", "http://198.18.9.2/"])
        #expect(page.stdout == "200", "\(page)")
        let bulk = try ChaosLab.exec("client", ["curl", "-sS", "-m", "30", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                                "http://198.18.9.2/bytes/1000000"])
        #expect(bulk.stdout == "200 1000000", "\(bulk)")

        // The log: sampled decision lines, and summaries that count every packet.
        let log = LabStore().directory(of: "chaos") + "/dpi.censor.log"
        // Summaries come when a window of about a second is over: wait for the last one.
        var summaries: [[String: Any]] = [], decisions: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(5)
        repeat {
            usleep(200_000)
            let lines = ChaosLab.jsonLines(log)
            summaries = lines.filter { $0["event"] as? String == "disturb-summary" }
            decisions = lines.filter { $0["event"] as? String == "decision" }
        } while Date() < deadline && decisions.count != ChaosLab.sum(summaries, "logged")
        #expect(decisions.count == ChaosLab.sum(summaries, "logged"), "every decision line is counted in a summary")
        #expect(ChaosLab.sum(summaries, "packets") >= 300)
        #expect(ChaosLab.sum(summaries, "duplicated") >= 50)
        #expect(ChaosLab.sum(summaries, "packets") > decisions.count, "sampled, not one line per packet")
        #expect(decisions.allSatisfy { $0["rule"] as? String == "chaos" && $0["direction"] as? String == "server-to-client" })
        #expect(decisions.contains { $0["duplicates_ms"] != nil })

        let down = try LabHarness.run(["lab", "down", "chaos"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(LabStore.namespaces(scenario: "chaos").isEmpty)
    }
}

enum ChaosLab {
    static var canRun: Bool { LabHarness.canRun && Tools.available(["ping", "curl", "sysctl"]) }

    /// Always-run cleanup for `defer`, also after a run that died half way.
    static func down() { LabHarness.down("chaos") }

    static func exec(_ node: String, _ command: [String]) throws -> CLIResult {
        try LabHarness.exec(node, command, scenario: "chaos")
    }

    /// The icmp_seq of each ping line from `source`, in the order printed (duplicates included).
    static func sequences(_ output: String, from source: String) -> [Int] {
        output.split(separator: "\n").compactMap { line in
            guard line.contains("from \(source)") || line.contains("From \(source)"),
                  let field = line.split(separator: " ").first(where: { $0.hasPrefix("icmp_seq=") }) else { return nil }
            return Int(field.dropFirst("icmp_seq=".count))
        }
    }

    /// How many first arrivals came after a later sequence number had already arrived.
    static func overtaken(_ sequences: [Int]) -> Int {
        var seen = Set<Int>(), highest = Int.min, count = 0
        for s in sequences where seen.insert(s).inserted {
            if s < highest { count += 1 }
            highest = max(highest, s)
        }
        return count
    }

    static func jsonLines(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func sum(_ lines: [[String: Any]], _ key: String) -> Int {
        lines.reduce(0) { $0 + (($1[key] as? NSNumber)?.intValue ?? 0) }
    }
}
