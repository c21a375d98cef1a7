import Dispatch
import Synchronization
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

    @Test("Reservations queue callers one slot apart: the n-th waits (n - burst) / rate")
    func reservationsQueue() {
        var pacer = Pacer(rate: 100, burst: 2, now: 0)
        let waits = (0..<6).map { _ in pacer.reserve(at: 0) }
        #expect(waits.map { ($0 * 1000).rounded() } == [0, 0, 10, 20, 30, 40])
        // Time passing pays the queue back.
        #expect(pacer.reserve(at: 1) == 0)
        #expect(Pacer(rate: nil, now: 0).rate == nil)
        var free = Pacer(rate: nil, now: 0)
        #expect(free.reserve(at: 0) == 0)
    }

    @Test("A shared pacer holds the total rate for 8 threads together")
    func sharedAcrossThreads() {
        let shared = SharedPacer(rate: 1000)
        let total = Mutex(0.0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            var mine = 0.0
            for _ in 0..<50 { mine = max(mine, shared.reserve()) }
            total.withLock { $0 = max($0, mine) }
        }
        // 400 slots at 1000/s: the last one is about 0.4 s out, whoever took it.
        let last = total.withLock { $0 }
        #expect(last > 0.35 && last < 0.41, "last slot \(last) s out")
    }
}

