import Analysis
import CampaignStore
import Campaigns
import Foundation
import JSONSupport
import Lab
import Measurement
import Packets
import ProbeSession
import Probing

/// What `campaign run` was asked: the files, and the options that shape the run.
public struct CampaignRequest: Sendable {
    public var script: String
    public var targets: String
    public var db: String
    /// The vantage's name in the store (`--vantage`, default the host name).
    public var vantage: String = VantageName.host
    public var maxTargets = 65536
    public var seed: UInt64?
    public var resolver: IPAddress?
    public var asnDatabase: String?
    public var allowReserved = false
    public var overrides = PacingOverrides()
    /// The command line, recorded with each session.
    public var command: String = ""
    public var softwareVersion: String = ""

    public init(script: String, targets: String, db: String, maxTargets: Int = 65536, seed: UInt64? = nil,
                resolver: IPAddress? = nil, asnDatabase: String? = nil, allowReserved: Bool = false,
                overrides: PacingOverrides = PacingOverrides(), command: String = "", softwareVersion: String = "") {
        self.script = script
        self.targets = targets
        self.db = db
        self.maxTargets = maxTargets
        self.seed = seed
        self.resolver = resolver
        self.asnDatabase = asnDatabase
        self.allowReserved = allowReserved
        self.overrides = overrides
        self.command = command
        self.softwareVersion = softwareVersion
    }
}

/// How fast, as given on the command line (over the script's `pacing:`).
public struct PacingOverrides: Sendable {
    /// Probes per second, or "max".
    public var rate: String?
    public var parallel: Int?
    public var evidenceDirectory: String?
    /// Items' first runs go out together (`CampaignOpenings`); false: each item makes its own.
    public var sharedOpenings = true

    public init(rate: String? = nil, parallel: Int? = nil, evidenceDirectory: String? = nil) {
        self.rate = rate
        self.parallel = parallel
        self.evidenceDirectory = evidenceDirectory
    }

    /// The script's pacing with these overrides; `stored` are the options a run recorded.
    public func pacing(_ base: Pacing, stored: [String: String] = [:]) -> Pacing {
        var p = base
        let rateText = rate ?? stored["rate"]
        if let rateText { p.rate = rateText == "max" ? nil : Double(rateText) ?? p.rate }
        if let n = parallel ?? stored["parallel"].flatMap(Int.init) { p.parallel = n }
        return p
    }

    var recorded: [String: String] {
        var o: [String: String] = [:]
        if let rate { o["rate"] = rate }
        if let parallel { o["parallel"] = String(parallel) }
        return o
    }
}

/// Everything `campaign run` checks before a packet goes: script, targets, names, ranges;
/// then the store is created with the items in a random order.
public struct CampaignSetup {
    public var store: CampaignStore
    public var script: ExperimentScript
    public var asn: ASNDatabase?
    public var seed: UInt64

    public static func prepare(_ command: CampaignRequest, warn: (String) -> Void) throws(MeasurementError) -> CampaignSetup {
        let scriptText = try TextFiles.read(command.script, what: "script")
        let script: ExperimentScript
        do { script = try ExperimentScript.parse(scriptText, source: command.script) } catch { throw MeasurementError("\(error)") }
        let targetText = try TextFiles.read(command.targets, what: "target list", allowStandardInput: true)
        let resolver = command.resolver
        let list: TargetList
        do {
            list = try TargetList.parse(targetText, source: command.targets, maxAddresses: command.maxTargets) { name in
                try resolver.map { try NameResolution.dns(name, server: $0) } ?? NameResolution.system(name)
            }
            try script.check(list, source: command.targets)
        } catch { throw MeasurementError("\(error)") }
        let allowReserved = ReservedRanges.allowed(flag: command.allowReserved)
        for t in list.targets {
            if let refusal = SpecialPurposeRanges.refusal(for: t.address, allowReserved: allowReserved) {
                throw MeasurementError("\(command.targets):\(t.line): \(refusal)")
            }
        }
        let items = script.items(for: list)
        guard let first = items.first else { throw MeasurementError("\(command.targets) gives no target and port to measure") }
        let asn = try command.asnDatabase.map { path throws(MeasurementError) in try ASNLoading.load(path, warn: warn) }
        if let dir = command.overrides.evidenceDirectory { try makeEvidenceDirectory(dir) }
        let route = try? Routing.route(to: first.target.address)
        let vantage = route?.source
        let record = vantage.flatMap { asn?.lookup($0) }

        let seed = command.seed ?? UInt64.random(in: 0...UInt64.max)
        var generator = SplitMix64(seed: seed)
        let order = Array(items.indices).shuffled(using: &generator)
        var options = command.overrides.recorded
        options["seed"] = String(seed)
        options["allow_reserved"] = allowReserved ? "true" : "false"
        options["max_targets"] = String(command.maxTargets)
        if let r = command.resolver { options["resolver"] = r.description }
        if let a = command.asnDatabase { options["asn_db"] = a }
        let metadata = CampaignMetadata(
            name: script.name, scriptPath: command.script, scriptText: scriptText, scriptSHA256: ExperimentScript.sha256(of: scriptText),
            targetsPath: command.targets, softwareVersion: command.softwareVersion, startedAt: Date(), endedAt: nil,
            vantageAddress: vantage?.description, vantageASN: record.map { Int($0.asn) }, vantageASName: record?.name, options: options)
        let inputs = items.map { i in
            ItemInput(address: i.target.address.description, name: i.target.name, port: i.port.description,
                      line: i.target.line, input: i.target.input)
        }
        let now = Date()
        let resolved = list.resolved.map { r in
            ResolvedNameRecord(name: r.name, addresses: r.addresses.map(\.description), line: r.line, resolvedAt: now)
        }
        let store = try storeCall {
            try CampaignStore.create(at: command.db, metadata: metadata, items: inputs, order: order, resolved: resolved, vantage: command.vantage)
        }
        return CampaignSetup(store: store, script: script, asn: asn, seed: seed)
    }

    static func makeEvidenceDirectory(_ dir: String) throws(MeasurementError) {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw MeasurementError("cannot create the evidence directory \(dir): \(error.localizedDescription)")
        }
        guard access(dir, W_OK) == 0 else { throw MeasurementError("cannot write into the evidence directory \(dir)") }
    }

}
