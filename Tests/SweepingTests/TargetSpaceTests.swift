import Campaigns
import Packets
import Testing

@Suite struct TargetSpaceTests {
    func space(_ text: String) throws -> TargetSpace {
        try TargetSpace.parse(text, source: "t", maxAddresses: 1 << 24) { _ in [] }
    }

    @Test func blocksMergeAndNumberInAddressOrder() throws {
        let s = try space("198.18.0.4/30\n198.18.0.0/30\n198.18.0.2\n2001:db8::1\n198.18.1.9\n")
        #expect(s.count == 10)
        #expect(s.blocks.count == 3)   // .0–.7 merged, .1.9, the IPv6 one
        #expect(s.address(at: 0) == IPAddress("198.18.0.0"))
        #expect(s.address(at: 7) == IPAddress("198.18.0.7"))
        #expect(s.address(at: 8) == IPAddress("198.18.1.9"))
        #expect(s.address(at: 9) == IPAddress("2001:db8::1"))
        for i in 0..<s.count { #expect(s.index(of: s.address(at: i)) == i) }
        #expect(s.index(of: IPAddress("198.18.0.8")!) == nil)
        #expect(s.index(of: IPAddress("2001:db8::2")!) == nil)
    }

    @Test func familiesSplitAndRenumber() throws {
        let s = try space("198.18.0.0/31\n2001:db8::/127\n2001:db8::10\n")
        let v4 = s.family(ipv4: true), v6 = s.family(ipv4: false)
        #expect(v4.count == 2 && v6.count == 3)
        #expect(v6.address(at: 0) == IPAddress("2001:db8::"))
        #expect(v6.index(of: IPAddress("2001:db8::10")!) == 2)
        #expect(v4.hasIPv4 && !v4.hasIPv6 && v6.hasIPv6 && !v6.hasIPv4)
    }

    @Test func overlapsFindsSpecialRanges() throws {
        let s = try space("198.18.3.0/24\n")
        #expect(s.overlaps(IPPrefix("198.18.0.0/15")!))
        #expect(!s.overlaps(IPPrefix("10.0.0.0/8")!))
        #expect(!s.overlaps(IPPrefix("2001:db8::/32")!))
    }

    @Test func hostileListsAreOneSentence() throws {
        #expect(throws: CampaignError.self) { try space("198.18.0.1:80\n") }
        #expect(throws: CampaignError.self) { try space("# only a comment\n") }
        #expect(throws: CampaignError.self) { try space("::5\n") }
        #expect(throws: CampaignError.self) { try TargetSpace.parse("198.18.0.0/15", source: "t", maxAddresses: 1000) { _ in [] } }
        #expect(throws: CampaignError.self) { try space("2001:db8::/64\n") }
        #expect(throws: CampaignError.self) { try space("not a target!\n") }
    }

    @Test func largeSpacesCostOneBlock() throws {
        let s = try TargetSpace.parse("198.18.0.0/15\n2001:db8::/104\n", source: "t", maxAddresses: 1 << 25) { _ in [] }
        #expect(s.count == 131_072 + 16_777_216)
        #expect(s.blocks.count == 2)
        #expect(s.address(at: s.count - 1) == IPAddress("2001:db8::ff:ffff"))
    }
}
