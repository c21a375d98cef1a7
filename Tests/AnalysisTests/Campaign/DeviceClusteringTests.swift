import Analysis
import Records
import Testing

/// Results shaped like the lab's campaign scenario: one censor at hop 2 (198.18.2.2) with
/// three rules, clean and down prefixes.
enum CampaignRecords {
    static func rst(_ target: String, port: Int, flags: String, ttl: Int, ipID: Int, df: Bool, trigger: String,
                    at address: String? = "198.18.2.2", hop: Int? = 2) -> InvestigationRecord {
        InvestigationRecord(
            target: target, port: port, verdict: "rst-injection", blocked: true, summary: "\(target):\(port) reset",
            trigger: .init(kind: trigger, detail: nil, blocked: [], passed: []),
            location: hop.map { .init(ttl: $0, address: address, before: "198.18.1.1", onPath: false, confidence: "high", reason: nil) },
            injector: .init(ttl: ttl, ipID: ipID, df: df, window: nil, flags: flags, copies: 1, ttlCopiesProbe: false, reasons: []))
    }

    static func plain(_ target: String, port: Int = 80, verdict: String, blocked: Bool?) -> InvestigationRecord {
        InvestigationRecord(target: target, port: port, verdict: verdict, blocked: blocked, summary: nil, trigger: nil)
    }

    /// 20 reachable, 10 SYN-size RSTs, 3 port-443 RSTs (another fingerprint, same hop),
    /// 4 drops located at hop 2, 2 host-down, 1 RST nobody located.
    static var lab: [InvestigationRecord] {
        var out: [InvestigationRecord] = []
        for i in 0..<20 { out.append(plain("198.18.20.\(i)", verdict: "reachable", blocked: false)) }
        for i in 0..<10 { out.append(rst("198.18.21.\(i)", port: 80, flags: "R", ttl: 59, ipID: 1, df: false, trigger: "syn-size")) }
        for i in 1...3 { out.append(rst("198.18.23.\(i)", port: 443, flags: "RA", ttl: 60, ipID: 0, df: true, trigger: "port")) }
        for i in 0..<4 {
            var drop = plain("198.18.22.\(i)", verdict: "drop", blocked: true)
            drop.location = .init(ttl: 2, address: "198.18.2.2", before: "198.18.1.1", onPath: false, confidence: "medium", reason: nil)
            out.append(drop)
        }
        for i in 0..<2 { out.append(plain("198.18.29.\(i)", verdict: "host-down", blocked: false)) }
        out.append(rst("2001:db8:21::5", port: 80, flags: "R", ttl: 59, ipID: 1, df: false, trigger: "syn-size", at: nil, hop: nil))
        return out
    }
}

@Suite struct DeviceClusteringTests {
    @Test("One hop, three behaviours: one cluster, its behaviours kept apart, most targets first")
    func oneDeviceThreeBehaviours() throws {
        let records = CampaignRecords.lab
        let clusters = DeviceClustering.clusters(records)
        #expect(clusters.count == 2)
        let device = clusters[0]
        #expect(device.place == DevicePlace(address: "198.18.2.2", ttl: 2, before: "198.18.1.1"))
        #expect(device.place.text == "198.18.2.2 (hop 2)")
        #expect(device.targetCount == 17)
        #expect(device.behaviours.map(\.members.count) == [10, 4, 3])
        #expect(device.behaviours[0].behaviour.text == "rst-injection: forged RST TTL 59, IP ID 1, no DF, 1 copy, in-path")
        #expect(device.behaviours[0].triggers == ["syn-size"])
        #expect(device.behaviours[0].ports == [80])
        #expect(device.behaviours[1].behaviour.text == "drop")
        #expect(device.behaviours[2].behaviour.text == "rst-injection: forged RST (RA) TTL 60, IP ID 0, DF, 1 copy, in-path")
        #expect(device.behaviours[2].ports == [443])
        // Members are record indices, in record order.
        #expect(device.behaviours[2].members.map { records[$0].target } == ["198.18.23.1", "198.18.23.2", "198.18.23.3"])
        // The unlocated one comes last, alone.
        #expect(!clusters[1].place.isLocated)
        #expect(clusters[1].place.text == "not located")
        #expect(clusters[1].behaviours.first?.members == [records.count - 1])
    }

    @Test("Reachable, host-down and unknown results are never clustered as blocked")
    func onlyBlockedResults() {
        let records = [CampaignRecords.plain("198.18.20.1", verdict: "reachable", blocked: false),
                       CampaignRecords.plain("198.18.29.1", verdict: "host-down", blocked: false),
                       CampaignRecords.plain("198.18.30.1", verdict: "inconclusive", blocked: nil)]
        #expect(DeviceClustering.clusters(records).isEmpty)
    }

    @Test("A fingerprint that differs in one field makes another behaviour; a TTL copied from the probe is one behaviour")
    func fingerprintsSplit() {
        var a = CampaignRecords.rst("198.18.21.1", port: 80, flags: "R", ttl: 59, ipID: 1, df: false, trigger: "syn-size")
        var b = CampaignRecords.rst("198.18.21.2", port: 80, flags: "R", ttl: 59, ipID: 2, df: false, trigger: "syn-size")
        #expect(DeviceClustering.clusters([a, b])[0].behaviours.count == 2)
        a.injector?.ttlCopiesProbe = true
        a.injector?.ttl = 3
        b.injector?.ttlCopiesProbe = true
        b.injector?.ttl = 4
        b.injector?.ipID = 1
        let clusters = DeviceClustering.clusters([a, b])
        #expect(clusters[0].behaviours.count == 1)
        #expect(clusters[0].behaviours[0].behaviour.text.contains("TTL copied from the probe"))
    }

    @Test("A hop interval without an address is a place of its own")
    func hopInterval() {
        var r = CampaignRecords.plain("198.18.22.1", verdict: "drop", blocked: true)
        r.location = .init(ttl: 3, address: nil, before: "198.18.2.2", onPath: nil, confidence: "low", reason: nil)
        let clusters = DeviceClustering.clusters([r])
        #expect(clusters[0].place.text == "hop 3, after 198.18.2.2")
    }

    @Test("Breakdowns: verdict totals, blocked by port, by /24 and /48, by AS")
    func breakdowns() {
        let records = CampaignRecords.lab
        let totals = CampaignBreakdown.verdictTotals(records)
        #expect(totals.map(\.verdict) == ["reachable", "rst-injection", "drop", "host-down"])
        #expect(totals.map(\.count) == [20, 14, 4, 2])
        #expect(CampaignBreakdown.byPort(records) == [BreakdownRow(key: "80", blocked: 15, total: 37),
                                                      BreakdownRow(key: "443", blocked: 3, total: 3)])
        let prefixes = CampaignBreakdown.byPrefix(records)
        #expect(prefixes.map(\.key) == ["198.18.21.0/24", "198.18.22.0/24", "198.18.23.0/24", "2001:db8:21::/48"])
        #expect(prefixes.map(\.blocked) == [10, 4, 3, 1])
        #expect(CampaignBreakdown.prefix(of: "not an address") == nil)
        let byAS = CampaignBreakdown.byAS(records) { $0.hasPrefix("198.18.21.") ? "AS64502 Lab Hosting" : nil }
        #expect(byAS == [BreakdownRow(key: "AS64502 Lab Hosting", blocked: 10, total: 10),
                         BreakdownRow(key: "unknown AS", blocked: 8, total: 30)])
    }
}
