import Packets
import Probing
import Testing

/// The `fin` outcome, and answers to our own close being left out.
@Suite struct PayloadFinTests {
    @Test func bareFINIsItsOwnOutcome() {
        var c = SyntheticConnection()
        c.add(3, c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataEnd, flags: [.fin, .ack], ttl: 50, ipID: 9))
        let o = c.classify()
        #expect(o.outcome == .fin)
        #expect(o.from == .v4(SyntheticConnection.server))
        #expect(o.fingerprint?.flags == [.fin, .ack])
        #expect(o.responseBytes == 0)
    }

    @Test func answersToOurCloseAreNotAnswersToThePayload() {
        var c = SyntheticConnection()
        c.add(3, c.tcp(out: true, seq: c.dataSequence, ack: c.serverISN + 1, flags: [.fin, .ack]))
        c.add(4, c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataSequence &+ 1, flags: .rst))
        #expect(c.classify().outcome == .timeout)
    }

    @Test func aFINCarryingDataStaysData() {
        var c = SyntheticConnection()
        c.add(3, c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataEnd, flags: [.fin, .psh, .ack], payload: Array("<html>".utf8)))
        #expect(c.classify().outcome == .data)
    }
}
