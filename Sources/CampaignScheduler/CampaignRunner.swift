import Capture
import Analysis
import CampaignStore
import Campaigns
import Foundation
import Lab
import Measurement
import Packets
import ProbeSession
import Probing
import Synchronization
import SystemSupport

/// Runs a campaign's unfinished items: `parallel` worker threads take items in their stored
/// (shuffled) order, all pacing their sends through one shared pacer; each finished item is
/// one store transaction, so an interruption of any kind loses at most the items in flight.
/// Items to the same address and port never run at once, and after one ends blocked (or
/// with residual blocking) the next waits `holdoffSeconds` (`ItemSpacing`): a censor that
/// keeps blocking a client for a while after a trigger would otherwise fall on it.
struct CampaignRunner {
    let store: CampaignStore
    let script: ExperimentScript
    let pacing: Pacing
    let sessionID: Int64
    let evidenceDirectory: String?
    /// Hop ASNs for the `asn` analysis.
    let asn: ASNDatabase?
    let progress: ProgressDisplay
    let softwareVersion: String
    /// The campaign's seed: each item's identifiers are drawn from it and the item's id.
    let seed: UInt64
    /// Items' first runs go out together (`CampaignOpenings`).
    var sharedOpenings = true

    struct Summary {
        var finished: Int
        var failed: Int
        var interrupted: Bool
        var firstFailure: String?
        /// The first write the store refused (disk full, read-only, I/O error): the run stopped there.
        var storeFailure: String?
    }

    /// The first write the store refused. Every worker stops at once: an item measured now
    /// could not be kept, and stays unfinished for `resume` to measure again.
    final class StoreHealth: Sendable {
        let failure = Mutex<String?>(nil)
        func fail(_ message: String) { failure.withLock { f in if f == nil { f = message } } }
        var failed: Bool { failure.withLock { $0 != nil } }
    }

    private final class Shared: Sendable {
        struct State {
            var spacing: ItemSpacing
            var done: Int
            var failed = 0
            var verdicts: [String: Int]
            var firstFailure: String?
        }
        let state: Mutex<State>
        init(spacing: ItemSpacing, done: Int, verdicts: [String: Int]) {
            state = Mutex(State(spacing: spacing, done: done, verdicts: verdicts))
        }
    }

    func run(_ items: [StoredItem]) throws(MeasurementError) -> Summary {
        // Items' runs reuse each other's captures (RunSettings.reuseCaptures); at the end
        // they are closed together, not one grace period after another at exit.
        defer { CapturePool.shared.closeAll() }
        let status = try storeCall { try self.store.status() }
        // Progress is this vantage's: other vantages of the campaign measure the same items.
        let mine = status.vantages.first { $0.vantage.id == store.vantage.id }
        let doneBefore = mine?.done ?? status.done
        let keys = items.map { "\($0.address) \($0.port)" }
        let shareable = sharedOpenings ? CampaignOpenings.shareable(keys) : keys.map { _ in false }
        let spacing = ItemSpacing(keys: keys, holdoff: .seconds(pacing.holdoffSeconds), pending: items.indices.filter { !shareable[$0] })
        let shared = Shared(spacing: spacing, done: doneBefore, verdicts: mine?.verdictCounts ?? status.verdictCounts)
        let pacer = SharedPacer(rate: pacing.rate)
        let start = ContinuousClock.now
        let health = StoreHealth()
        let interrupted: @Sendable () -> Bool = { LabInterrupts.pending != 0 || health.failed }
        let workers = max(1, min(pacing.parallel, items.count))
        let group = DispatchGroup()
        let context = ItemContext(store: store, script: script, sessionID: sessionID, pacer: pacer,
                                  evidenceDirectory: evidenceDirectory, asn: asn, interrupted: interrupted,
                                  softwareVersion: softwareVersion, seed: seed, health: health)
        let openings = CampaignOpenings(chunk: CampaignOpenings.chunk(rate: pacing.rate))
        let sharedIndices = items.indices.filter { shareable[$0] }
        if sharedIndices.isEmpty { openings.finishEmpty() } else { try openings.start(sharedIndices, items: items, context: context) }
        for n in 0..<workers {
            group.enter()
            do {
                try startThread(named: "campaign-\(n)", stackSize: 4 << 20) {
                    defer { group.leave() }
                    while !interrupted() {
                        let index: Int
                        var opening: OpeningRun?
                        var route: RouteInfo?
                        let ready = openings.take()
                        if case .item(let i, let run, let r) = ready {
                            index = i
                            opening = run
                            route = r
                        } else {
                            let pick = shared.state.withLock { s in s.spacing.take(at: .now) }
                            switch pick {
                            case .finished:
                                if case .finished = ready { return }
                                Thread.sleep(forTimeInterval: 0.001)   // the next opening comes soon
                                continue
                            case .wait(let d):
                                let c = min(d, ready.isWait ? .milliseconds(2) : .milliseconds(200)).components
                                Thread.sleep(forTimeInterval: Double(c.seconds) + Double(c.attoseconds) / 1e18)
                                continue
                            case .item(let i): index = i
                            }
                        }
                        let outcome = Self.measure(items[index], context, opening: opening, route: route)
                        shared.state.withLock { s in
                            var holdOff = false
                            if case .recorded(_, let blocked) = outcome { holdOff = blocked }
                            s.spacing.finish(index, holdOff: holdOff, at: .now)
                            switch outcome {
                            case .recorded(let verdict, _):
                                s.done += 1
                                s.verdicts[verdict, default: 0] += 1
                            case .failed(let message):
                                s.failed += 1
                                if s.firstFailure == nil { s.firstFailure = message }
                            case .abandoned:
                                break
                            }
                        }
                    }
                }
            } catch {
                group.leave()
                // Fewer workers than asked: the others take the items; none at all is an error.
                if n == 0 { throw MeasurementError(error.description) }
                break
            }
        }
        let total = mine.map { $0.done + $0.failed + $0.pending } ?? status.total
        func snapshot() -> CampaignProgress {
            shared.state.withLock { s in
                let elapsed = (ContinuousClock.now - start).components
                return CampaignProgress(total: total, done: s.done, doneBefore: doneBefore, failed: s.failed,
                                        elapsed: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, verdicts: s.verdicts)
            }
        }
        while group.wait(timeout: .now() + progress.interval) == .timedOut {
            progress.show(snapshot())
        }
        progress.finish(snapshot())
        // After an interrupt the workers leave at once; the shared runs stop sending at once
        // too, and their threads are waited for, so nothing of them outlives the session.
        openings.waitUntilDone()
        return shared.state.withLock { s in
            Summary(finished: s.done - doneBefore, failed: s.failed, interrupted: LabInterrupts.pending != 0, firstFailure: s.firstFailure,
                    storeFailure: health.failure.withLock { $0 })
        }
    }

    /// `recorded` carries the verdict, and whether the item was blocked or saw residual blocking.
    enum ItemOutcome { case recorded(String, blocked: Bool), failed(String), abandoned }

    /// What every worker shares.
    struct ItemContext: Sendable {
        let store: CampaignStore
        let script: ExperimentScript
        let sessionID: Int64
        let pacer: SharedPacer
        let evidenceDirectory: String?
        let asn: ASNDatabase?
        let interrupted: @Sendable () -> Bool
        let softwareVersion: String
        let seed: UInt64
        /// The routers the session's traces have seen (Doubletree's stop set), shared by every item.
        let knowledge = PathKnowledge()
        /// The round trips the session's runs measured, per prefix: how long later runs wait.
        let timing = PathTiming()
        let health: StoreHealth
    }

    /// One item, start to store. Never throws: a failure is recorded and the item stays unfinished.
    /// How every run of the campaign's items sends and waits. One ring per item in flight:
    /// 4 MiB each keeps 256 parallel items at 1 GiB.
    static func settings(_ c: ItemContext) -> RunSettings {
        var settings = RunSettings(rate: nil, timeout: .milliseconds(c.script.pacing.timeoutMilliseconds))
        settings.reuseCaptures = true
        return settings
    }

    /// An item's engine, sharing what the campaign learns.
    static func engine(route: RouteInfo, network: any ProbeNetwork, context c: ItemContext, evidence: String? = nil) -> Engine {
        var engine = Engine(script: c.script, network: network, source: route.source, evidence: evidence != nil,
                            evidencePath: evidence, softwareVersion: c.softwareVersion)
        engine.knowledge = c.knowledge
        engine.timing = c.timing
        return engine
    }

    /// `route`: the one the item's opening was built for (nil: looked up now).
    private static func measure(_ stored: StoredItem, _ c: ItemContext, opening: OpeningRun?, route known: RouteInfo?) -> ItemOutcome {
        let (store, sessionID) = (c.store, c.sessionID)
        let started = Date()
        func fail(_ message: String) -> ItemOutcome {
            do { try store.recordFailure(itemID: stored.id, message: message, sessionID: sessionID) } catch {
                c.health.fail("\(error)")
                return .abandoned
            }
            return .failed("\(stored.address) port \(stored.port): \(message)")
        }
        guard let address = IPAddress(stored.address), let port = ServicePort(stored.port) else {
            return fail("the store holds a malformed item (\(stored.address) \(stored.port))")
        }
        let route: RouteInfo
        if let known { route = known } else {
            do { route = try Routing.route(to: address) } catch { return fail(error.description) }
        }
        let item = MeasurementItem(id: stored.id, address: address, name: stored.name, port: port)
        let evidence = c.evidenceDirectory.map { $0 + "/" + Self.fileName(stored.id, address, port) }
        let live = LiveNetwork(route: route, settings: settings(c), sharedPacer: c.pacer, captureBufferBytes: 4 << 20, shouldStop: c.interrupted)
        let network: any ProbeNetwork = opening.map { OpeningNetwork(base: live, opening: $0) } ?? live
        let engine = engine(route: route, network: network, context: c, evidence: evidence)
        let outcome: Engine.Outcome
        do { outcome = try engine.measure(item, ids: IdentifierSource(seed: itemSeed(c.seed, stored.id))) } catch is Engine.Interrupted {
            return .abandoned
        } catch {
            return fail("\(error)")
        }
        if c.interrupted() && outcome.probesSent == 0 { return .abandoned }
        let r = outcome.result
        let record = HopNaming(database: c.asn, reverseDNS: false).lookUp(r.pathAddresses).annotating(outcome.record)
        let result = ItemResult(
            itemID: stored.id, record: record,
            answers: outcome.answers.map { probe, a in
                RecordedAnswer(probeIndex: probe.index, probeLabel: probe.label, kind: a.kind.rawValue,
                               source: a.fingerprint.source.description, ttl: Int(a.fingerprint.ttl),
                               ipID: a.fingerprint.ipID.map(Int.init), rttMilliseconds: a.rttMilliseconds,
                               capturedAt: Double(a.timestamp.seconds) + Double(a.timestamp.nanoseconds) / 1e9,
                               bytes: a.packet.serialized(fillLengths: false, fillChecksums: false))
            },
            probesSent: outcome.probesSent, startedAt: started, finishedAt: Date(), evidenceFile: evidence, sessionID: sessionID)
        do {
            // false: already done (another session got there first); nothing was written.
            guard try store.record(result) else { return .abandoned }
        } catch {
            c.health.fail("\(error)")
            return .abandoned
        }
        return .recorded(r.verdict.rawValue, blocked: r.verdict.isBlocking || r.residual != nil)
    }

    /// An item's seed: the campaign's, mixed with the item id, so a resumed item repeats its probes.
    static func itemSeed(_ seed: UInt64, _ id: Int64) -> UInt64 {
        var g = SplitMix64(seed: seed ^ (UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15))
        return g.next() & (1 << 53 - 1)   // exact as a JSON number
    }

    /// `ADDRESS-PORT-ID.pcapng`: the item id keeps apart two names on one address.
    static func fileName(_ id: Int64, _ address: IPAddress, _ port: ServicePort) -> String {
        address.description.replacingOccurrences(of: ":", with: "_") + "-" + port.description.replacingOccurrences(of: "/", with: "-")
            + "-\(id).pcapng"
    }
}

/// Store errors as the user's one sentence.
public func storeCall<T>(_ body: () throws -> T) throws(MeasurementError) -> T {
    do { return try body() } catch { throw MeasurementError("\(error)") }
}

/// The progress bar on a terminal (redrawn in place on stderr), plain lines otherwise.
public struct ProgressDisplay: Sendable {
    let terminal: Bool
    let quiet: Bool
    var interval: DispatchTimeInterval { terminal ? .milliseconds(200) : .seconds(5) }

    public init(quiet: Bool) {
        self.quiet = quiet
        terminal = isatty(2) == 1
    }

    func show(_ p: CampaignProgress) {
        guard !quiet else { return }
        if terminal {
            var size = winsize()
            let width = ioctl(2, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
            emit("\r" + p.bar(width: width - 1) + "\u{1B}[K")
        } else {
            emit(p.line + "\n")
        }
    }

    func finish(_ p: CampaignProgress) {
        guard !quiet else { return }
        show(p)
        if terminal { emit("\n") }
    }

    private func emit(_ s: String) {
        let bytes = Array(s.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
