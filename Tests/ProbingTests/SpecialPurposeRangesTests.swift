import Packets
import Probing
import Testing

@Suite struct SpecialPurposeRangesTests {
    @Test(arguments: ["198.18.9.2", "10.1.2.3", "127.0.0.1", "224.0.0.251", "2001:db8:9::2", "fe80::1", "::1", "100.64.0.1"])
    func refusesSpecialPurpose(_ text: String) throws {
        let address = try #require(IPAddress(text))
        let refusal = try #require(SpecialPurposeRanges.refusal(for: address, allowReserved: false))
        #expect(refusal.contains("--allow-reserved"))
        #expect(SpecialPurposeRanges.refusal(for: address, allowReserved: true) == nil)
    }

    @Test(arguments: ["8.8.8.8", "149.154.167.99", "2a00:1450:4001:82b::200e", "198.20.0.1", "11.0.0.1"])
    func allowsGlobal(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(SpecialPurposeRanges.refusal(for: address, allowReserved: false) == nil)
    }

    @Test func mostSpecificEntryNamesTheRange() throws {
        let entry = try #require(SpecialPurposeRanges.entry(covering: IPAddress("2001:db8::1")!))
        #expect(entry.prefix.description == "2001:db8::/32")
    }
}
