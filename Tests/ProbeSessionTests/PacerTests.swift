import ProbeSession
import Testing

@Suite struct PacerTests {
    @Test func spacesProbesAtTheRate() {
        var pacer = Pacer(rate: 100, burst: 1, now: 0)
        var now = 0.0
        var sendTimes: [Double] = []
        for _ in 0..<5 {
            now += pacer.delay(at: now)
            pacer.consume(at: now)
            sendTimes.append(now)
        }
        let gaps = zip(sendTimes.dropFirst(), sendTimes).map { $0 - $1 }
        #expect(sendTimes[0] == 0)
        #expect(gaps.allSatisfy { abs($0 - 0.01) < 1e-9 })
    }

    @Test func burstGoesAtOnceThenPaces() {
        var pacer = Pacer(rate: 10, burst: 3, now: 0)
        for _ in 0..<3 {
            #expect(pacer.delay(at: 0) == 0)
            pacer.consume(at: 0)
        }
        #expect(abs(pacer.delay(at: 0) - 0.1) < 1e-9)
    }

    @Test func unlimitedNeverWaits() {
        var pacer = Pacer(rate: nil, now: 0)
        for _ in 0..<1000 { pacer.consume(at: 0) }
        #expect(pacer.delay(at: 0) == 0)
        #expect(Pacer(rate: 0, now: 0).rate == nil)
    }
}
