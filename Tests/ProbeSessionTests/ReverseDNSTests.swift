import Foundation
import Packets
import Synchronization
import Testing
@testable import ProbeSession

/// Reverse DNS under its time budget. The resolver is injected so slow lookups are
/// simulated without sending a query anywhere; the real getnameinfo is only asked about
/// loopback, which /etc/hosts answers.
@Suite struct ReverseDNSTests {
    final class Concurrency: Sendable {
        private let counts = Mutex((now: 0, peak: 0))
        var peak: Int { counts.withLock { $0.peak } }
        func enter() { counts.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) } }
        func leave() { counts.withLock { $0.now -= 1 } }
    }

    static func addresses(_ n: Int) -> [IPAddress] { (1...n).map { .v4(IPv4Address(198, 18, 0, UInt8($0))) } }

    @Test func loopbackHasAName() {
        #expect(ReverseDNS.getnameinfoName(.v4(IPv4Address(127, 0, 0, 1))) == "localhost")
        #expect(ReverseDNS.names(for: [.v4(IPv4Address(127, 0, 0, 1))]) == [.v4(IPv4Address(127, 0, 0, 1)): "localhost"])
    }

    @Test func boundedConcurrencyAndEveryAnswer() {
        let counter = Concurrency()
        let all = Self.addresses(20)
        let names = ReverseDNS.names(for: all + all, concurrency: 4) { address in
            counter.enter()
            defer { counter.leave() }
            usleep(20_000)
            return address.description.hasSuffix("7") ? nil : "r-\(address).example"
        }
        #expect(names.count == 18)
        #expect(names[.v4(IPv4Address(198, 18, 0, 3))] == "r-198.18.0.3.example")
        #expect(names[.v4(IPv4Address(198, 18, 0, 7))] == nil)
        #expect(counter.peak <= 4 && counter.peak >= 2)
    }

    @Test func aHangingResolverNeverHoldsTheCommand() {
        let started = ContinuousClock.now
        let names = ReverseDNS.names(for: Self.addresses(6), perLookup: .milliseconds(200), total: .seconds(2), concurrency: 2) { address in
            if address.description.hasSuffix(".1") || address.description.hasSuffix(".2") { sleep(6) }
            return "fast-\(address)"
        }
        let elapsed = ContinuousClock.now - started
        // .1 and .2 hang; after 200 ms their slots go to the others, which all answer.
        #expect(names.count == 4)
        #expect(names[.v4(IPv4Address(198, 18, 0, 6))] == "fast-198.18.0.6")
        #expect(elapsed < .seconds(1), "took \(elapsed)")
    }

    @Test func theTotalBudgetIsHard() {
        let started = ContinuousClock.now
        let names = ReverseDNS.names(for: Self.addresses(30), perLookup: .seconds(5), total: .milliseconds(500), concurrency: 3) { _ in
            sleep(4)
            return "never"
        }
        let elapsed = ContinuousClock.now - started
        #expect(names.isEmpty)
        #expect(elapsed < .milliseconds(900), "took \(elapsed)")
        #expect(ReverseDNS.names(for: []).isEmpty)
    }
}
