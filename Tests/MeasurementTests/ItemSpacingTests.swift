import Testing
@testable import CampaignScheduler

/// Campaign items to one address and port: never at once, and held off after a block.
@Suite struct ItemSpacingTests {
    @Test func sameAddressAndPortWaitsForTheItemInFlight() {
        var s = ItemSpacing(keys: ["198.18.9.2 80", "198.18.9.2 80", "198.18.9.2 443"], holdoff: .seconds(120))
        let t0 = ContinuousClock.now
        #expect(s.take(at: t0) == .item(0))
        #expect(s.take(at: t0) == .item(2))   // item 1 shares 198.18.9.2 80 with item 0, in flight
        #expect(s.take(at: t0) == .wait(.milliseconds(200)))
        s.finish(0, holdOff: false, at: t0)
        #expect(s.take(at: t0) == .item(1))
        s.finish(1, holdOff: false, at: t0)
        s.finish(2, holdOff: false, at: t0)
        #expect(s.take(at: t0) == .finished)
    }

    @Test func aBlockedItemHoldsItsAddressAndPortOff() {
        var s = ItemSpacing(keys: ["a 80", "a 80", "b 80"], holdoff: .seconds(120))
        let t0 = ContinuousClock.now
        #expect(s.take(at: t0) == .item(0))
        s.finish(0, holdOff: true, at: t0)
        #expect(s.take(at: t0) == .item(2))   // another address goes first
        s.finish(2, holdOff: true, at: t0)
        #expect(s.take(at: t0.advanced(by: .seconds(119.5))) == .wait(.milliseconds(200)))
        #expect(s.take(at: t0.advanced(by: .seconds(120))) == .item(1))
        // A hold-off of 0 keeps only the one-at-a-time rule.
        var none = ItemSpacing(keys: ["a 80", "a 80"], holdoff: .zero)
        #expect(none.take(at: t0) == .item(0))
        none.finish(0, holdOff: true, at: t0)
        #expect(none.take(at: t0) == .item(1))
    }

    @Test("items sharing an address and port keep the spacing; only the others share their openings")
    func sharedOpeningsLeaveRepeatedKeysToTheSpacing() {
        let keys = ["198.18.9.2 80", "198.18.9.3 80", "198.18.9.2 80", "198.18.9.2 443"]
        let shareable = CampaignOpenings.shareable(keys)
        #expect(shareable == [false, true, false, true])
        var s = ItemSpacing(keys: keys, holdoff: .seconds(120), pending: keys.indices.filter { !shareable[$0] })
        let t0 = ContinuousClock.now
        #expect(s.take(at: t0) == .item(0))
        #expect(s.take(at: t0) == .wait(.milliseconds(200)))   // item 2 waits for item 0, and 1 and 3 are not its to give
        s.finish(0, holdOff: true, at: t0)
        #expect(s.take(at: t0.advanced(by: .seconds(121))) == .item(2))
        #expect(s.take(at: t0) == .finished)
    }
}
