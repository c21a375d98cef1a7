import Foundation
import TestSupport
import Testing

/// Loss is not a block: a shape's SYN that drew nothing while the host answered others is
/// sent once more, with the whole timeout, before its silence may count as a `drop`.
extension NetworkVerdictLabTests {
    @Test("one lost SYN is loss, not a block: mid drops only the first SYN to port 80 (iptables statistic nth)")
    func oneLostSYNIsNotABlock() throws {
        try Self.everywhere { f, label in
            // The first SYN to port 80 that mid forwards is dropped, every later one passes.
            try Self.node("mid", [f.iptables, "-A", "FORWARD", "-p", "tcp", "--syn", "--dport", "80",
                                  "-m", "statistic", "--mode", "nth", "--every", "1000000", "--packet", "0", "-j", "DROP"])
            let v = try Self.investigate(f.server)
            let counters = try LabHarness.exec("mid", [f.iptables, "-L", "FORWARD", "-v", "-n", "-x"], scenario: Self.scenario).stdout
            try Self.node("mid", [f.iptables, "-F", "FORWARD"])
            #expect(counters.contains(" DROP "), "\(label): the rule was not in place: \(counters)")
            #expect(v["verdict"] as? String == "reachable" && v["blocked"] as? Bool == false, "\(label): \(v["summary"] ?? "")")
        }
    }
}
