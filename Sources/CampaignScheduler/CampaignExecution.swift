import Analysis
import CampaignStore
import Campaigns
import Foundation
import Lab
import Measurement
import Packets
import ProbeSession

/// A session of a campaign (run or resume): measure what is unfinished, record the session.
public struct CampaignExecution {
    public let store: CampaignStore
    public let script: ExperimentScript
    public let pacing: Pacing
    public let overrides: PacingOverrides
    public let database: ASNDatabase?
    public let dbPath: String
    public let seed: UInt64
    /// Targets in special-purpose ranges are allowed (the resume hint repeats the flag).
    public var allowReserved = false
    public var command: String
    public var softwareVersion: String
    /// No progress bar or lines.
    public var quiet = false

    /// How a session ended.
    public struct Result: Sendable {
        public var status: CampaignStatus
        public var interrupted: Bool
        /// Items finished in this session, and left unfinished after it.
        public var finished: Int
        public var left: Int
        public var firstFailure: String?
        /// How to continue: `campaign resume --db FILE`, with --allow-reserved when it was given.
        public var resumeCommand = ""

        /// The sentence for an interrupted or incomplete session (nil when every item is done).
        public func problem(dbPath: String) -> String? {
            let resume = resumeCommand.isEmpty ? "censorscope campaign resume --db \(dbPath)" : resumeCommand
            if interrupted {
                return "interrupted: \(finished) targets and ports finished in this session, \(left) left; continue with `\(resume)`"
            }
            if left > 0 {
                return "\(left) targets and ports failed (first: \(firstFailure ?? "unknown")); `\(resume)` retries them"
            }
            return nil
        }
    }

    /// A new campaign's first session.
    public init(setup: CampaignSetup, request: CampaignRequest) {
        store = setup.store
        script = setup.script
        pacing = request.overrides.pacing(setup.script.pacing)
        overrides = request.overrides
        database = setup.asn
        dbPath = request.db
        seed = setup.seed
        allowReserved = ReservedRanges.allowed(flag: request.allowReserved)
        command = request.command
        softwareVersion = request.softwareVersion
    }

    /// A later session of the campaign in `db` (`resume`), or a new vantage's first (`join`):
    /// the stored script, pacing and seed. The unfinished items are checked first
    /// (`ResumeCheck`); `allowReserved` is what the user passes now.
    public static func resume(db: String, vantage: VantageChoice, overrides: PacingOverrides, asnDatabase: String?, allowReserved: Bool,
                              command: String, softwareVersion: String,
                              warn: (String) -> Void) throws(MeasurementError) -> CampaignExecution {
        let store = try vantage.open(db: db, softwareVersion: softwareVersion)
        let meta = try storeCall { try store.metadata() }
        let script: ExperimentScript
        do { script = try ExperimentScript.parse(meta.scriptText, source: meta.scriptPath) } catch {
            throw MeasurementError("the script stored in \(db) no longer parses: \(error)")
        }
        let allowed = ReservedRanges.allowed(flag: allowReserved)
        let refusals = ResumeCheck.refusals(try storeCall { try store.unfinishedItems() }, script: script,
                                            resolved: try storeCall { try store.resolvedNames() }, allowReserved: allowed,
                                            maxAddresses: meta.options["max_targets"].flatMap(Int.init) ?? TargetList.defaultMaximumAddresses)
        if !refusals.isEmpty {
            throw MeasurementError(ResumeCheck.sentence(db: db, refusals: refusals, storedAllowReserved: meta.options["allow_reserved"] == "true",
                                                        allowReserved: allowed))
        }
        // Only the asn analysis needs the database; a stored path that moved is then an error.
        let path = asnDatabase ?? meta.options["asn_db"]
        let asn = script.analyses.contains(.asn) ? try path.map { p throws(MeasurementError) in try ASNLoading.load(p, warn: warn) } : nil
        var execution = CampaignExecution(store: store, script: script, pacing: overrides.pacing(script.pacing, stored: meta.options),
                                          overrides: overrides, database: asn, dbPath: db,
                                          seed: meta.options["seed"].flatMap { UInt64($0) } ?? 0, command: command,
                                          softwareVersion: softwareVersion)
        execution.allowReserved = allowed
        return execution
    }

    init(store: CampaignStore, script: ExperimentScript, pacing: Pacing, overrides: PacingOverrides, database: ASNDatabase?,
         dbPath: String, seed: UInt64, command: String, softwareVersion: String) {
        self.store = store
        self.script = script
        self.pacing = pacing
        self.overrides = overrides
        self.database = database
        self.dbPath = dbPath
        self.seed = seed
        self.command = command
        self.softwareVersion = softwareVersion
    }

    /// What continues this campaign, with --vantage when the store has more than one and
    /// --allow-reserved when this session had it.
    var resumeCommand: String {
        let vantages = (try? store.vantages().count) ?? 1
        return "censorscope campaign resume --db \(dbPath)" + (vantages > 1 || store.vantage.name != VantageName.host ? " --vantage \(store.vantage.name)" : "")
            + (allowReserved ? " --allow-reserved" : "")
    }

    public func execute() throws(MeasurementError) -> Result {
        if let dir = overrides.evidenceDirectory { try CampaignSetup.makeEvidenceDirectory(dir) }
        let lock = try storeCall { try store.lockSession() }
        defer { lock.release() }
        let unfinished = try storeCall { try store.unfinishedItems() }
        LabInterrupts.catchSignals()
        defer { LabInterrupts.release() }
        let vantage = try? unfinished.first.flatMap { IPAddress($0.address) }.map { try Routing.route(to: $0).source }
        let session = try storeCall {
            try store.beginSession(command: command, pid: getpid(), at: Date(), vantageAddress: vantage?.description)
        }
        // A vantage that joined has no address yet: its first session's route gives it.
        if let vantage, store.vantage.address == nil {
            let record = database.flatMap { $0.lookup(vantage) }
            try storeCall { try store.updateVantage(address: vantage.description, asn: record.map { Int($0.asn) }, asName: record?.name) }
        }
        let runner = CampaignRunner(store: store, script: script, pacing: pacing, sessionID: session,
                                    evidenceDirectory: overrides.evidenceDirectory, asn: script.analyses.contains(.asn) ? database : nil,
                                    progress: ProgressDisplay(quiet: quiet), softwareVersion: softwareVersion, seed: seed,
                                    sharedOpenings: overrides.sharedOpenings)
        let summary = try runner.run(unfinished)
        if let failure = summary.storeFailure {
            try? store.endSession(session, outcome: "store-failed", at: Date())
            let left = (try? store.unfinishedItems().count).map { "\($0) targets and ports are left" } ?? "the rest are left"
            throw MeasurementError("the store \(dbPath) refused a write, so the campaign stopped there: \(failure) "
                + "\(summary.finished) results were stored in this session and \(left); the results being written were not kept "
                + "and are measured again by `\(resumeCommand)` once the store can be written")
        }
        let left = try storeCall { try store.unfinishedItems().count }
        let outcome = summary.interrupted ? "interrupted" : left == 0 ? "finished" : "incomplete"
        try storeCall { try store.endSession(session, outcome: outcome, at: Date()) }
        if left == 0 { _ = try storeCall { try store.finish(at: Date()) } }
        let status = try storeCall { try store.status() }
        var result = Result(status: status, interrupted: summary.interrupted, finished: summary.finished, left: left,
                            firstFailure: summary.firstFailure)
        result.resumeCommand = resumeCommand
        return result
    }
}
