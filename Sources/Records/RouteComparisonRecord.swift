import JSONSupport

/// `routes compare --json` (Docs/routes.md): both paths, how they align, the AS paths, the
/// censor's place in each direction, where each path came from and the reading notes.
public struct RouteComparisonRecord: JSONRecord, Equatable {
    public static let schema = "censorscope.route-comparison/1"

    /// {ttl, address, asn, as_name, addresses, rtt_ms, silent, match}.
    public struct Hop: Sendable, Equatable {
        public var ttl: Int?
        public var address: String?
        public var asn: Int?
        public var asName: String?
        public var addresses: [String]
        public var rttMilliseconds: Double?
        public var silent: Bool?
        public var match: String?

        public init(ttl: Int?, address: String?, asn: Int?, asName: String?, addresses: [String], rttMilliseconds: Double?,
                    silent: Bool?, match: String?) {
            self.ttl = ttl
            self.address = address
            self.asn = asn
            self.asName = asName
            self.addresses = addresses
            self.rttMilliseconds = rttMilliseconds
            self.silent = silent
            self.match = match
        }

        public var json: JSONValue {
            .object([("ttl", .integer(ttl)), ("address", .optional(address)), ("asn", .integer(asn)), ("as_name", .optional(asName)),
                     ("addresses", .strings(addresses)), ("rtt_ms", .real(rttMilliseconds)), ("silent", .optional(silent)),
                     ("match", .optional(match))])
        }

        init(json: JSONValue) {
            self.init(ttl: json.int("ttl"), address: json.string("address"), asn: json.int("asn"), asName: json.string("as_name"),
                      addresses: json.strings("addresses"), rttMilliseconds: json.double("rtt_ms"), silent: json.bool("silent"),
                      match: json.string("match"))
        }
    }

    /// Addresses of one /24 or /64 both directions cross.
    public struct SharedSubnet: Sendable, Equatable {
        public var subnet: String?
        public var forward: [String], reverse: [String], ends: [String]

        public init(subnet: String?, forward: [String], reverse: [String], ends: [String]) {
            self.subnet = subnet
            self.forward = forward
            self.reverse = reverse
            self.ends = ends
        }

        public var json: JSONValue {
            .object([("subnet", .optional(subnet)), ("forward", .strings(forward)), ("reverse", .strings(reverse)), ("ends", .strings(ends))])
        }
    }

    /// Where the censor's address is met in each direction.
    public struct Censor: Sendable, Equatable {
        public var address: String?
        public var forwardTTL: Int?, reverseTTL: Int?
        public var forwardAddress: String?, reverseAddress: String?
        public var forwardMatch: String?, reverseMatch: String?

        public init(address: String?, forwardTTL: Int?, reverseTTL: Int?, forwardAddress: String?, reverseAddress: String?,
                    forwardMatch: String?, reverseMatch: String?) {
            self.address = address
            self.forwardTTL = forwardTTL
            self.reverseTTL = reverseTTL
            self.forwardAddress = forwardAddress
            self.reverseAddress = reverseAddress
            self.forwardMatch = forwardMatch
            self.reverseMatch = reverseMatch
        }

        public var json: JSONValue {
            .object([("address", .optional(address)), ("forward_ttl", .integer(forwardTTL)), ("reverse_ttl", .integer(reverseTTL)),
                     ("forward_address", .optional(forwardAddress)), ("reverse_address", .optional(reverseAddress)),
                     ("forward_match", .optional(forwardMatch)), ("reverse_match", .optional(reverseMatch))])
        }
    }

    /// One row of the alignment: a forward TTL, a reverse TTL, how they match.
    public struct Row: Sendable, Equatable {
        public var forwardTTL: Int?
        public var reverseTTL: Int?
        public var match: String?

        public init(forwardTTL: Int?, reverseTTL: Int?, match: String?) {
            self.forwardTTL = forwardTTL
            self.reverseTTL = reverseTTL
            self.match = match
        }

        public var json: JSONValue {
            .object([("forward_ttl", .integer(forwardTTL)), ("reverse_ttl", .integer(reverseTTL)), ("match", .optional(match))])
        }
    }

    /// Where one path came from: the file, its format, and its two ends.
    public struct Source: Sendable, Equatable {
        public var file: String?
        public var format: String?
        public var origin: String?
        public var destination: String?

        public init(file: String?, format: String?, origin: String?, destination: String?) {
            self.file = file
            self.format = format
            self.origin = origin
            self.destination = destination
        }

        public var json: JSONValue {
            .object([("file", .optional(file)), ("format", .optional(format)), ("origin", .optional(origin)),
                     ("destination", .optional(destination))])
        }

        init(json: JSONValue) {
            self.init(file: json.string("file"), format: json.string("format"), origin: json.string("origin"),
                      destination: json.string("destination"))
        }
    }

    public var asymmetric: Bool?
    public var summary: String?
    public var client: String?, server: String?
    public var forward: [Hop], reverse: [Hop]
    public var forwardASPath: [Int], reverseASPath: [Int]
    /// "AS64500" → name, in the order of the AS paths.
    public var asNames: [(key: String, value: String)]
    public var sharedHops: [String], forwardOnlyHops: [String], reverseOnlyHops: [String]
    public var sharedSubnets: [SharedSubnet]
    public var sharedASes: [Int], forwardOnlyASes: [Int], reverseOnlyASes: [Int]
    public var routerCount: Int?, sharedRouterCount: Int?
    public var censor: Censor?
    public var aligned: [Row]
    public var forwardSource: Source?, reverseSource: Source?
    public var notes: [String]

    public init(asymmetric: Bool?, summary: String?, client: String?, server: String?, forward: [Hop], reverse: [Hop],
                forwardASPath: [Int], reverseASPath: [Int], asNames: [(key: String, value: String)], sharedHops: [String],
                forwardOnlyHops: [String], reverseOnlyHops: [String], sharedSubnets: [SharedSubnet], sharedASes: [Int],
                forwardOnlyASes: [Int], reverseOnlyASes: [Int], routerCount: Int?, sharedRouterCount: Int?, censor: Censor?,
                aligned: [Row], forwardSource: Source? = nil, reverseSource: Source? = nil, notes: [String] = []) {
        self.asymmetric = asymmetric
        self.summary = summary
        self.client = client
        self.server = server
        self.forward = forward
        self.reverse = reverse
        self.forwardASPath = forwardASPath
        self.reverseASPath = reverseASPath
        self.asNames = asNames
        self.sharedHops = sharedHops
        self.forwardOnlyHops = forwardOnlyHops
        self.reverseOnlyHops = reverseOnlyHops
        self.sharedSubnets = sharedSubnets
        self.sharedASes = sharedASes
        self.forwardOnlyASes = forwardOnlyASes
        self.reverseOnlyASes = reverseOnlyASes
        self.routerCount = routerCount
        self.sharedRouterCount = sharedRouterCount
        self.censor = censor
        self.aligned = aligned
        self.forwardSource = forwardSource
        self.reverseSource = reverseSource
        self.notes = notes
    }

    public static func == (a: RouteComparisonRecord, b: RouteComparisonRecord) -> Bool { a.json == b.json }

    /// The AS name for `asn`, if the comparison has one.
    public func asName(_ asn: Int) -> String? { asNames.first { $0.key == "AS\(asn)" }?.value }

    public var json: JSONValue {
        .object([
            ("asymmetric", .optional(asymmetric)),
            ("summary", .optional(summary)),
            ("client", .optional(client)),
            ("server", .optional(server)),
            ("forward", .array(forward.map(\.json))),
            ("reverse", .array(reverse.map(\.json))),
            ("forward_as_path", .ints(forwardASPath)),
            ("reverse_as_path", .ints(reverseASPath)),
            ("as_names", .object(asNames.map { (key: $0.key, value: .string($0.value)) })),
            ("shared_hops", .strings(sharedHops)),
            ("forward_only_hops", .strings(forwardOnlyHops)),
            ("reverse_only_hops", .strings(reverseOnlyHops)),
            ("shared_subnets", .array(sharedSubnets.map(\.json))),
            ("shared_ases", .ints(sharedASes)),
            ("forward_only_ases", .ints(forwardOnlyASes)),
            ("reverse_only_ases", .ints(reverseOnlyASes)),
            ("routers", .object([("total", .integer(routerCount)), ("shared", .integer(sharedRouterCount))])),
            ("censor", censor?.json ?? .null),
            ("aligned", .array(aligned.map(\.json))),
            ("sources", .object([("forward", forwardSource?.json ?? .null), ("reverse", reverseSource?.json ?? .null)])),
            ("notes", .strings(notes)),
        ])
    }

    public init(json: JSONValue) throws(RecordError) {
        guard json.isObject else { throw RecordError("a route comparison is a JSON object") }
        let routers = json.object("routers")
        let sources = json.object("sources")
        self.init(
            asymmetric: json.bool("asymmetric"), summary: json.string("summary"), client: json.string("client"),
            server: json.string("server"), forward: json.objects("forward").map(Hop.init), reverse: json.objects("reverse").map(Hop.init),
            forwardASPath: json.ints("forward_as_path"), reverseASPath: json.ints("reverse_as_path"),
            asNames: (json.object("as_names")?.objectFields ?? []).compactMap { f in f.value.stringValue.map { (key: f.key, value: $0) } },
            sharedHops: json.strings("shared_hops"), forwardOnlyHops: json.strings("forward_only_hops"),
            reverseOnlyHops: json.strings("reverse_only_hops"),
            sharedSubnets: json.objects("shared_subnets").map {
                SharedSubnet(subnet: $0.string("subnet"), forward: $0.strings("forward"), reverse: $0.strings("reverse"), ends: $0.strings("ends"))
            },
            sharedASes: json.ints("shared_ases"), forwardOnlyASes: json.ints("forward_only_ases"),
            reverseOnlyASes: json.ints("reverse_only_ases"), routerCount: routers?.int("total"), sharedRouterCount: routers?.int("shared"),
            censor: json.object("censor").map {
                Censor(address: $0.string("address"), forwardTTL: $0.int("forward_ttl"), reverseTTL: $0.int("reverse_ttl"),
                       forwardAddress: $0.string("forward_address"), reverseAddress: $0.string("reverse_address"),
                       forwardMatch: $0.string("forward_match"), reverseMatch: $0.string("reverse_match"))
            },
            aligned: json.objects("aligned").map {
                Row(forwardTTL: $0.int("forward_ttl"), reverseTTL: $0.int("reverse_ttl"), match: $0.string("match"))
            },
            forwardSource: sources?.object("forward").map(Source.init), reverseSource: sources?.object("reverse").map(Source.init),
            notes: json.strings("notes"))
    }
}
