import Analysis
import ArgumentParser
import CampaignStore
import Campaigns
import Foundation
import JSONSupport
import Lab
import Packets
import ProbeSession
import Probing

/// Everything `campaign run` checks before a packet goes: script, targets, names, ranges;
/// then the store is created with the items in a random order.
struct CampaignSetup {
    var store: CampaignStore
    var script: ExperimentScript
    var asn: ASNDatabase?

    static func prepare(_ command: CampaignRunCommand) throws -> CampaignSetup {
        let scriptText = try readText(command.script, what: "script")
        let script: ExperimentScript
        do { script = try ExperimentScript.parse(scriptText, source: command.script) } catch { throw UserError("\(error)") }
        let targetText = try readText(command.targets, what: "target list")
        let resolver = command.resolver.flatMap(IPAddress.init)
        let list: TargetList
        do {
            list = try TargetList.parse(targetText, source: command.targets, maxAddresses: command.maxTargets) { name in
                try resolver.map { try NameResolution.dns(name, server: $0) } ?? NameResolution.system(name)
            }
            try script.check(list, source: command.targets)
        } catch { throw UserError("\(error)") }
        let allowReserved = reservedRangesAllowed(flag: command.allowReserved)
        for t in list.targets {
            if let refusal = SpecialPurposeRanges.refusal(for: t.address, allowReserved: allowReserved) {
                throw UserError("\(command.targets):\(t.line): \(refusal)")
            }
        }
        let items = script.items(for: list)
        guard let first = items.first else { throw UserError("\(command.targets) gives no target and port to measure") }
        let asn = try loadASN(command.asnDatabase)
        if let dir = command.pacing.evidenceDirectory { try makeEvidenceDirectory(dir) }
        let route = try? Routing.route(to: first.target.address)
        let vantage = route?.source
        let record = vantage.flatMap { asn?.lookup($0) }

        let seed = command.seed ?? UInt64.random(in: 0...UInt64.max)
        var generator = SplitMix64(seed: seed)
        let order = Array(items.indices).shuffled(using: &generator)
        var options = command.pacing.recorded
        options["seed"] = String(seed)
        options["allow_reserved"] = allowReserved ? "true" : "false"
        options["max_targets"] = String(command.maxTargets)
        if let r = command.resolver { options["resolver"] = r }
        if let a = command.asnDatabase { options["asn_db"] = a }
        let metadata = CampaignMetadata(
            name: script.name, scriptPath: command.script, scriptText: scriptText, scriptSHA256: ExperimentScript.sha256(of: scriptText),
            targetsPath: command.targets, softwareVersion: CensorScope.version, startedAt: Date(), endedAt: nil,
            vantageAddress: vantage?.description, vantageASN: record.map { Int($0.asn) }, vantageASName: record?.name, options: options)
        let inputs = items.map { i in
            ItemInput(address: i.target.address.description, name: i.target.name, port: i.port.description,
                      line: i.target.line, input: i.target.input)
        }
        let now = Date()
        let resolved = list.resolved.map { r in
            ResolvedNameRecord(name: r.name, addresses: r.addresses.map(\.description), line: r.line, resolvedAt: now)
        }
        let store = try storeCall { try CampaignStore.create(at: command.db, metadata: metadata, items: inputs, order: order, resolved: resolved) }
        return CampaignSetup(store: store, script: script, asn: asn)
    }

    static func makeEvidenceDirectory(_ dir: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw UserError("cannot create the evidence directory \(dir): \(error.localizedDescription)")
        }
        guard access(dir, W_OK) == 0 else { throw UserError("cannot write into the evidence directory \(dir)") }
    }

    static func loadASN(_ path: String?) throws -> ASNDatabase? {
        try path.map(loadASNDatabase)
    }

    static func readText(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserError("cannot read the \(what) \(path): " + (FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file"))
        }
        guard let text = String(data: data, encoding: .utf8) else { throw UserError("the \(what) \(path) is not UTF-8 text") }
        return text
    }
}

/// A session of a campaign (run or resume): measure what is unfinished, record the session.
struct CampaignExecution {
    let store: CampaignStore
    let script: ExperimentScript
    let pacing: Pacing
    let options: CampaignPacingOptions
    let database: ASNDatabase?
    let dbPath: String

    func execute(_ out: inout StandardOutput) throws {
        if let dir = options.evidenceDirectory { try CampaignSetup.makeEvidenceDirectory(dir) }
        let lock = try CampaignLock(dbPath)
        defer { lock.release() }
        let unfinished = try storeCall { try store.unfinishedItems() }
        LabInterrupts.catchSignals()
        defer { LabInterrupts.release() }
        let vantage = try? unfinished.first.flatMap { IPAddress($0.address) }.map { try Routing.route(to: $0).source }
        let session = try storeCall {
            try store.beginSession(command: CommandLine.arguments.joined(separator: " "), pid: getpid(), at: Date(),
                                   vantageAddress: vantage?.description)
        }
        let runner = CampaignRunner(store: store, script: script, pacing: pacing, sessionID: session,
                                    evidenceDirectory: options.evidenceDirectory, asn: script.analyses.contains(.asn) ? database : nil,
                                    progress: ProgressDisplay(quiet: options.quiet || options.json))
        let summary = try runner.run(unfinished)
        let left = try storeCall { try store.unfinishedItems().count }
        let outcome = summary.interrupted ? "interrupted" : left == 0 ? "finished" : "incomplete"
        try storeCall { try store.endSession(session, outcome: outcome, at: Date()) }
        if left == 0 { _ = try storeCall { try store.finish(at: Date()) } }
        let status = try storeCall { try store.status() }
        if options.json { out.json(status.json) } else { for line in status.textLines { out.line(line) } }
        out.flush()
        if summary.interrupted {
            printError("interrupted: \(summary.finished) targets and ports finished in this session, \(left) left; continue with `censorscope campaign resume --db \(dbPath)`")
            throw ExitCode(130)
        }
        if left > 0 {
            throw UserError("\(left) targets and ports failed (first: \(summary.firstFailure ?? "unknown")); `censorscope campaign resume --db \(dbPath)` retries them")
        }
    }
}

/// One session per store at a time: an exclusive flock on the database file (SQLite's own
/// locks are fcntl locks, which flock does not touch), held for the session.
struct CampaignLock {
    let fd: Int32

    init(_ path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UserError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw UserError("another censorscope is running the campaign in \(path); wait for it to end or stop it first")
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

