import CampaignStore
import Dispatch
import Foundation
import Synchronization

// Results per second into a campaign store (scripts/bench-store.sh runs it side by side):
//   censorscope-store-bench create DB ITEMS          a campaign of ITEMS items, vantage v1
//   censorscope-store-bench write DB VANTAGE THREADS  records every item as VANTAGE (joining
//                                                     first unless it is v1), THREADS at once
// Each result is what the campaign runner records: a verdict and 20 answers, one transaction.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

let args = CommandLine.arguments
guard args.count >= 4 else { fail("usage: censorscope-store-bench create DB ITEMS | write DB VANTAGE THREADS") }
let db = args[2]
let start = Date(timeIntervalSince1970: 1_700_000_000)

/// 20 answers of 40 to 59 bytes, as a SYN-variants item records.
@Sendable func answers(_ seed: Int) -> [RecordedAnswer] {
    var out: [RecordedAnswer] = []
    for k in 0..<20 {
        let bytes: [UInt8] = (0..<(40 + k)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
        let ipID: Int? = k % 5 == 0 ? nil : (seed + k) & 0xFFFF
        out.append(RecordedAnswer(probeIndex: k / 2, probeLabel: "syn-\(k / 2)", kind: k % 3 == 0 ? "rst" : "syn-ack",
                                  source: "198.18.1.\(k + 1)", ttl: 64 - k, ipID: ipID, rttMilliseconds: Double(k) * 1.5,
                                  capturedAt: 1_700_000_100 + Double(k) / 8, bytes: bytes))
    }
    return out
}

do {
    switch args[1] {
    case "create":
        guard let count = Int(args[3]), count > 0 else { fail("ITEMS must be a positive number") }
        let items = (0..<count).map { i in
            ItemInput(address: "198.18.\(i / 250 % 250).\(i % 250 + 1)", name: nil, port: String(80 + i / 62_500), line: i + 1, input: "x")
        }
        let metadata = CampaignMetadata(name: "bench", scriptPath: "bench.yaml", scriptText: "name: bench\n", scriptSHA256: String(repeating: "0", count: 64),
                                        targetsPath: "bench.txt", softwareVersion: "bench", startedAt: start)
        _ = try CampaignStore.create(at: db, metadata: metadata, items: items, order: Array(0..<count), resolved: [], vantage: "v1")
    case "write":
        guard args.count == 5, let threads = Int(args[4]), threads > 0 else { fail("usage: write DB VANTAGE THREADS") }
        let name = args[3]
        let store = name == "v1" ? try CampaignStore.open(at: db, vantage: name)
            : try CampaignStore.join(at: db, vantage: VantageInput(name: name, address: nil, asn: nil, asName: nil, softwareVersion: "bench"), at: Date())
        let session = try store.beginSession(command: "bench", pid: getpid(), at: Date(), vantageAddress: nil)
        let items = try store.unfinishedItems().map(\.id)
        let failures = Atomic<Int>(0)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                for index in stride(from: t, to: items.count, by: threads) {
                    let id = items[index]
                    let result = ItemResult(itemID: id, verdict: id % 5 == 0 ? "rst-injection" : "reachable", trigger: nil, confidence: nil,
                                            json: #"{"target":"198.18.0.1","verdict":"reachable"}"#, answers: answers(Int(id)), probesSent: 12,
                                            startedAt: start, finishedAt: start, evidenceFile: nil, sessionID: session)
                    if (try? store.record(result)) != true { failures.add(1, ordering: .relaxed) }
                }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard failures.load(ordering: .relaxed) == 0 else { fail("\(failures.load(ordering: .relaxed)) results were not recorded") }
        print(String(format: "%@ %d results in %.2f s: %.0f results/s", name, items.count, seconds, Double(items.count) / seconds))
    default:
        fail("unknown mode \(args[1])")
    }
} catch {
    fail("\(error)")
}
