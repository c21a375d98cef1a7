import Campaigns
import Testing

/// The script digest a campaign records (swift-crypto's SHA-256, as hex).
@Suite struct SHA256Tests {
    @Test("FIPS 180-4 vectors: empty, abc, the two-block message, a million a")
    func vectors() {
        #expect(ExperimentScript.sha256(of: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ExperimentScript.sha256(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ExperimentScript.sha256(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(ExperimentScript.sha256(of: String(repeating: "a", count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("Lengths around the padding boundary (55, 56, 63, 64 bytes) differ and are 64 hex digits; non-ASCII text is hashed as UTF-8")
    func boundaries() {
        let digests = [55, 56, 63, 64, 65].map { ExperimentScript.sha256(of: String(repeating: "a", count: $0)) }
        #expect(Set(digests).count == 5)
        #expect(digests.allSatisfy { $0.utf8.count == 64 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
        #expect(ExperimentScript.sha256(of: String(repeating: "a", count: 56)) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(ExperimentScript.sha256(of: "é") == "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c")
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
