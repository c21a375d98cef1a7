import Campaigns
import Testing

@Suite struct SHA256Tests {
    @Test("FIPS 180-4 vectors: empty, abc, the two-block message, a million a")
    func vectors() {
        #expect(SHA256.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("Lengths around the padding boundary (55, 56, 63, 64 bytes) differ and are 32 bytes")
    func boundaries() {
        let digests = [55, 56, 63, 64, 65].map { SHA256.digest([UInt8](repeating: 0x61, count: $0)) }
        #expect(Set(digests.map { $0.description }).count == 5)
        #expect(digests.allSatisfy { $0.count == 32 })
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 56)) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
    }
}

@Suite struct CampaignProgressTests {
    @Test("Rate, ETA and bar from counts: only this session's items set the pace")
    func estimate() {
        let p = CampaignProgress(total: 500, done: 150, doneBefore: 50, elapsed: 60, verdicts: ["reachable": 140, "drop": 10])
        #expect(p.perMinute == 100)
        #expect(p.remainingSeconds == 210)
        #expect(p.fraction == 0.3)
        #expect(p.line == "campaign: 150/500 done (30%), 100/min, about 3:30 left")
        let bar = p.bar(width: 100)
        #expect(bar.hasPrefix("[") && bar.contains("150/500 30%") && bar.contains("ETA 3:30") && bar.contains("drop 10 · reachable 140"))
        #expect(bar.count <= 100)
        #expect(p.bar(width: 30).count <= 30)
        #expect(p.bar(width: 80).contains("drop 10 · reachable 140") && p.bar(width: 80).count <= 80, "verdicts before bar width")
    }

    @Test("Before any item of this session: no pace, ETA unknown; all done: ETA 0")
    func edges() {
        #expect(CampaignProgress(total: 10, done: 3, doneBefore: 3, elapsed: 5).remainingSeconds == nil)
        #expect(CampaignProgress(total: 10, done: 3, doneBefore: 3, elapsed: 5).bar(width: 80).contains("ETA ?"))
        #expect(CampaignProgress(total: 10, done: 10, doneBefore: 10, elapsed: 0).remainingSeconds == 0)
        #expect(CampaignProgress(total: 0, done: 0, elapsed: 0).fraction == 1)
        #expect(CampaignProgress.duration(3723) == "1:02:03")
        #expect(CampaignProgress.duration(-.infinity) == "0:00")
    }
}
