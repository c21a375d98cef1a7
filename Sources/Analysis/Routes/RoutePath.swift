import Packets

/// One TTL of a traced path: who answered it, and how fast.
public struct RouteHop: Hashable, Sendable {
    /// The probes' TTL (hop number), 1...255.
    public var ttl: Int
    /// The distinct responders in the order first seen; several when a load balancer
    /// spread the probes (ECMP). Empty when silent, or when the tool printed only a name.
    public var addresses: [IPAddress]
    /// Every round-trip time the file gives for this TTL, in milliseconds.
    public var rttMilliseconds: [Double]
    /// No probe at this TTL drew an answer (`*`).
    public var silent: Bool

    public init(ttl: Int, addresses: [IPAddress] = [], rttMilliseconds: [Double] = [], silent: Bool = false) {
        self.ttl = ttl
        self.addresses = addresses
        self.rttMilliseconds = rttMilliseconds
        self.silent = silent
    }

    /// The first responder, which names the hop.
    public var address: IPAddress? { addresses.first }
}

/// A traced path from one end towards the other, whatever tool measured it.
public struct RoutePath: Hashable, Sendable {
    /// Which format the path was read from (`RouteFormat.rawValue`), nil when built in code.
    public var source: String?
    /// The address the probes left from, when the file says.
    public var origin: IPAddress?
    /// The address traced towards, when the file says.
    public var destination: IPAddress?
    /// One per TTL, in increasing TTL order, silent TTLs included.
    public var hops: [RouteHop]
    /// Where the file places the censor (`investigate --json`'s `location.address`), if anywhere.
    public var censor: IPAddress?
    /// Sentences about what was chosen or left out while reading (one result of several…).
    public var notes: [String]

    public init(source: String? = nil, origin: IPAddress? = nil, destination: IPAddress? = nil, hops: [RouteHop],
                censor: IPAddress? = nil, notes: [String] = []) {
        self.source = source
        self.origin = origin
        self.destination = destination
        self.hops = hops
        self.censor = censor
        self.notes = notes
    }
}

/// The trace formats `RouteImport` reads.
public enum RouteFormat: String, Sendable, CaseIterable {
    /// `censorscope trace --json`, `trace --both --json`, or `investigate --json` (its `path`).
    case censorscope
    /// A RIPE Atlas traceroute result (fw ≥ 4400): one object or an array of them.
    case atlas
    /// scamper's JSON (`sc_warts2json`, or `scamper -O json`): JSON Lines, `"type":"trace"` objects.
    case scamper
    /// `mtr --json` (`report.mtr`, `report.hubs`).
    case mtr
    /// The classic `traceroute` text output (Linux or BSD), with or without names, `-n`, `-A`.
    case traceroute
}

/// Which half of a `trace --both --json` result to read.
public enum RouteDirection: String, Sendable, CaseIterable {
    /// Client to server.
    case forward
    /// Server back to client.
    case reverse
}

/// Why a file could not be read as a path: one sentence naming the file.
public struct RouteImportError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Path building shared by the importers: TTL bounds, merging repeated TTLs, filling gaps.
struct HopCollector {
    /// The largest TTL an IP header can carry; anything beyond is hostile or broken.
    static let maxTTL = 255
    /// Distinct responders kept per TTL: traceroute sends a handful of probes per TTL, so
    /// more is a hostile file, and it must not make the comparison quadratic in its size.
    static let maxResponders = 32

    private var byTTL: [Int: RouteHop] = [:]
    /// Entries skipped because their TTL was missing or outside 1...255.
    private(set) var skipped = 0

    /// Records one probe's outcome at `ttl`: a responder (nil address when only a name is
    /// known), or nothing (a lost probe) when `answered` is false.
    mutating func add(ttl: Int?, address: IPAddress?, rtt: Double?, answered: Bool) {
        guard let ttl, (1...Self.maxTTL).contains(ttl) else { skipped += 1; return }
        var hop = byTTL[ttl] ?? RouteHop(ttl: ttl, silent: true)
        if answered {
            hop.silent = false
            if let address, hop.addresses.count < Self.maxResponders, !hop.addresses.contains(address) {
                hop.addresses.append(address)
            }
            if let rtt, rtt.isFinite, rtt >= 0 { hop.rttMilliseconds.append(rtt) }
        }
        byTTL[ttl] = hop
    }

    /// The hops in TTL order, from `firstTTL` (else the first TTL seen) to the last one seen
    /// (or `through`); TTLs in between that the file does not mention are silent (scamper
    /// lists only answers).
    func hops(firstTTL: Int? = nil, through last: Int? = nil) -> [RouteHop] {
        let seenLast = byTTL.keys.max() ?? 0
        let end = min(max(seenLast, last ?? 0), Self.maxTTL)
        let seenFirst = byTTL.keys.min() ?? firstTTL ?? 1
        let start = max(1, min(firstTTL ?? seenFirst, seenFirst))
        guard start <= end else { return [] }
        return (start...end).map { byTTL[$0] ?? RouteHop(ttl: $0, silent: true) }
    }

    var isEmpty: Bool { byTTL.isEmpty }
}
