import CampaignStore
import Campaigns
import Foundation
import Measurement
import Packets
import ProbeSession
import Synchronization
import SystemSupport

/// A campaign's shared openings. The first run of most scripts (echoes, SYN shapes,
/// datagrams) is the same few probes to every target; one thread builds each item's
/// opening (`Engine.opening`) and sends the openings of up to `chunk` items with the same
/// route as one run (`SharedOpening`), at most `concurrentRuns` runs at a time; each item's
/// part is queued for the workers as soon as it is final, and they measure the rest of the
/// item as before. Only items whose address and port no other item has go this way: items
/// sharing one are spaced by `ItemSpacing` (residual blocking), which a shared run cannot do.
final class CampaignOpenings: Sendable {
    enum Take {
        /// An item to measure, with its opening (nil: it makes its own first run) and the
        /// route it was built for.
        case item(Int, OpeningRun?, RouteInfo?)
        /// None ready yet; more will come.
        case wait
        case finished

        var isWait: Bool { if case .wait = self { return true } else { return false } }
    }

    private struct State {
        var ready: [(index: Int, run: OpeningRun?, route: RouteInfo?)] = []
        var head = 0
        var done = false
    }
    private let state = Mutex(State())
    /// Items in a shared run at once.
    let chunk: Int
    /// Shared runs at once: a run whose last items wait out a late unreachable holds no CPU,
    /// and the next chunk must not wait behind it.
    static let concurrentRuns = 8

    init(chunk: Int) { self.chunk = chunk }

    /// Items per shared run: unpaced, 1024 (one capture and one late-unreachable wait spread
    /// over many items); paced, about 2 s of sending at a few probes per item, at least 64,
    /// so that later chunks are built knowing the round trips of earlier ones.
    static func chunk(rate: Double?) -> Int {
        guard let rate else { return 1024 }
        return min(1024, max(64, Int(min(rate, 1e6) / 2)))
    }

    func take() -> Take {
        state.withLock { s in
            if s.head < s.ready.count {
                let next = s.ready[s.head]
                s.head += 1
                if s.head > 4096 {   // drop the taken ones now and then
                    s.ready.removeFirst(s.head)
                    s.head = 0
                }
                return .item(next.index, next.run, next.route)
            }
            return s.done ? .finished : .wait
        }
    }

    /// Returns once the thread that builds and sends the openings has ended.
    func waitUntilDone() {
        while !state.withLock({ $0.done }) { Thread.sleep(forTimeInterval: 0.005) }
    }

    /// No item shares its opening: workers take none from here.
    func finishEmpty() { state.withLock { $0.done = true } }

    private func push(_ index: Int, _ run: OpeningRun?, route: RouteInfo? = nil) { state.withLock { $0.ready.append((index, run, route)) } }
    private var queued: Int { state.withLock { $0.ready.count - $0.head } }

    /// The items that can share their opening: their address and port is theirs alone.
    static func shareable(_ keys: [String]) -> [Bool] {
        var count: [String: Int] = [:]
        for k in keys { count[k, default: 0] += 1 }
        return keys.map { count[$0] == 1 }
    }

    /// Builds and sends the openings of `indices` (in that order) on a thread of its own.
    func start(_ indices: [Int], items: [StoredItem], context: CampaignRunner.ItemContext) throws(MeasurementError) {
        do {
            try startThread(named: "campaign-open", stackSize: 4 << 20) { [self] in
                self.open(indices, items: items, context: context)
                self.state.withLock { $0.done = true }
            }
        } catch {
            throw MeasurementError(error.description)
        }
    }

    private func open(_ indices: [Int], items: [StoredItem], context c: CampaignRunner.ItemContext) {
        var groups: [String: (route: RouteInfo, members: [(index: Int, opening: Opening)])] = [:]
        var order: [String] = []
        let runs = DispatchGroup()
        let slots = DispatchSemaphore(value: Self.concurrentRuns)
        func launch(_ key: String) {
            guard let group = groups.removeValue(forKey: key), !group.members.isEmpty else { return }
            slots.wait()
            runs.enter()
            let configuration = CampaignRunner.settings(c).configuration(route: group.route, destinations: group.members.map(\.opening.item.address))
            // The next chunk is built once this one's probes are out: by then the workers have
            // learnt round trips from its earlier answers (at a paced rate, from most of them),
            // so a later silent item is given up as its own run would be (`Engine.runWait`)
            // instead of waiting for a late unreachable. The pacer is shared: overlapping two
            // chunks' sending would not send faster.
            let sent = DispatchSemaphore(value: 0)
            do {
                try startThread(named: "campaign-run", stackSize: 4 << 20) { [self] in
                    defer { slots.signal(); runs.leave() }
                    self.shared(group.members, route: group.route, configuration: configuration, context: c, sent: { sent.signal() })
                }
                sent.wait()
            } catch {
                slots.signal()
                runs.leave()
                for m in group.members { push(m.index, nil) }   // measured alone
            }
        }
        for index in indices {
            if c.interrupted() { break }
            // Not far ahead of the workers: what waits in the queue holds its packets.
            while queued > 2 * chunk && !c.interrupted() { Thread.sleep(forTimeInterval: 0.002) }
            guard let (route, opening) = Self.opening(items[index], context: c) else {
                push(index, nil)
                continue
            }
            let key = "\(route.source) \(route.interface)"
            if groups[key] == nil {
                groups[key] = (route, [])
                order.append(key)
            }
            groups[key]?.members.append((index, opening))
            if groups[key]?.members.count ?? 0 >= chunk { launch(key) }
        }
        for key in order where groups[key] != nil { launch(key) }
        runs.wait()
    }

    /// One shared run; a part never handed on (the run failed) is measured alone.
    private func shared(_ members: [(index: Int, opening: Opening)], route: RouteInfo, configuration: RunConfiguration,
                        context c: CampaignRunner.ItemContext, sent: @escaping @Sendable () -> Void) {
        var configuration = configuration
        configuration.sharedPacer = c.pacer
        configuration.shouldStop = c.interrupted
        // A ring of its own size, taken from and given back to the pool: setting up 32 MiB
        // for every chunk would cost more than its run.
        configuration.reuseCapture = true
        configuration.captureBufferBytes = 32 << 20
        let handed = Mutex(Set<Int>())
        do {
            try SharedOpening.run(members.map(\.opening), configuration: configuration, sendingDone: sent) { [self] k, run in
                handed.withLock { _ = $0.insert(k) }
                push(members[k].index, run, route: route)
            }
        } catch {
            let done = handed.withLock { $0 }
            for (k, m) in members.enumerated() where !done.contains(k) { push(m.index, nil) }
        }
    }

    /// The item's route and opening, as `CampaignRunner.measure` will build them; nil when it has none.
    static func opening(_ stored: StoredItem, context c: CampaignRunner.ItemContext) -> (RouteInfo, Opening)? {
        guard let address = IPAddress(stored.address), let port = ServicePort(stored.port),
              let route = try? Routing.route(to: address) else { return nil }
        let item = MeasurementItem(id: stored.id, address: address, name: stored.name, port: port)
        let engine = CampaignRunner.engine(route: route, network: LiveNetwork(route: route, settings: CampaignRunner.settings(c)), context: c)
        guard let opening = try? engine.opening(item, ids: IdentifierSource(seed: CampaignRunner.itemSeed(c.seed, stored.id))) else { return nil }
        return (route, opening)
    }
}
