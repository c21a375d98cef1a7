import Foundation

/// What a campaign is: the script that drives it, the target list, where and when it ran.
public struct CampaignMetadata: Sendable, Hashable {
    /// The experiment script's name.
    public var name: String
    public var scriptPath: String
    /// The script's full text, so the campaign can be understood without the original file.
    public var scriptText: String
    public var scriptSHA256: String
    public var targetsPath: String
    /// The CensorScope version that created the campaign.
    public var softwareVersion: String
    public var startedAt: Date
    /// Set once every item is done.
    public var endedAt: Date?
    public var vantageAddress: String?
    public var vantageASN: Int?
    public var vantageASName: String?
    /// Run options as given on the command line (rate, parallel, seed, allow_reserved…).
    public var options: [String: String]

    /// All fields.
    public init(name: String, scriptPath: String, scriptText: String, scriptSHA256: String, targetsPath: String,
                softwareVersion: String, startedAt: Date, endedAt: Date? = nil, vantageAddress: String? = nil,
                vantageASN: Int? = nil, vantageASName: String? = nil, options: [String: String] = [:]) {
        self.name = name
        self.scriptPath = scriptPath
        self.scriptText = scriptText
        self.scriptSHA256 = scriptSHA256
        self.targetsPath = targetsPath
        self.softwareVersion = softwareVersion
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.vantageAddress = vantageAddress
        self.vantageASN = vantageASN
        self.vantageASName = vantageASName
        self.options = options
    }
}

/// One unit of work as the plan makes it: an address and a port, from one target-list line.
public struct ItemInput: Sendable, Hashable {
    public var address: String
    /// The host name the address was resolved from, if the line named a host.
    public var name: String?
    /// `"443"` for TCP, `"3478/udp"` for UDP.
    public var port: String
    /// 1-based line of the target list.
    public var line: Int
    /// The target list's line as written.
    public var input: String

    /// All fields.
    public init(address: String, name: String?, port: String, line: Int, input: String) {
        self.address = address
        self.name = name
        self.port = port
        self.line = line
        self.input = input
    }
}

/// Where an item stands.
public enum ItemState: String, Sendable, Hashable, CaseIterable {
    /// Not tried yet.
    case pending
    /// Its verdict is recorded.
    case done
    /// Tried and failed; retried on resume.
    case failed
}

/// An item as stored, with its run position and progress.
public struct StoredItem: Sendable, Hashable {
    /// The item's index in the `items` given to `create`, plus one.
    public var id: Int64
    public var address: String
    public var name: String?
    public var port: String
    public var line: Int
    public var input: String
    /// The randomised run order: items run by increasing position.
    public var position: Int
    public var state: ItemState
    /// Tries that ended, failed or done.
    public var attempts: Int
    /// The last failure's message, kept after a later success.
    public var lastError: String?

    /// All fields.
    public init(id: Int64, address: String, name: String?, port: String, line: Int, input: String, position: Int,
                state: ItemState, attempts: Int, lastError: String?) {
        self.id = id
        self.address = address
        self.name = name
        self.port = port
        self.line = line
        self.input = input
        self.position = position
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
    }
}

/// A host name of the target list and what it resolved to when the campaign was created.
public struct ResolvedNameRecord: Sendable, Hashable {
    public var name: String
    public var addresses: [String]
    public var line: Int
    public var resolvedAt: Date

    /// All fields.
    public init(name: String, addresses: [String], line: Int, resolvedAt: Date) {
        self.name = name
        self.addresses = addresses
        self.line = line
        self.resolvedAt = resolvedAt
    }
}

/// One captured answer to one probe, as plain values.
public struct RecordedAnswer: Sendable, Hashable {
    /// The probe's index within the item's experiment.
    public var probeIndex: Int
    public var probeLabel: String
    /// The answer's kind (syn-ack, rst, icmp-time-exceeded…).
    public var kind: String
    /// The answering address.
    public var source: String
    public var ttl: Int
    public var ipID: Int?
    public var rttMilliseconds: Double?
    /// Capture time, epoch seconds.
    public var capturedAt: Double?
    /// The captured packet from its IP header on.
    public var bytes: [UInt8]

    /// All fields.
    public init(probeIndex: Int, probeLabel: String, kind: String, source: String, ttl: Int, ipID: Int?,
                rttMilliseconds: Double?, capturedAt: Double?, bytes: [UInt8]) {
        self.probeIndex = probeIndex
        self.probeLabel = probeLabel
        self.kind = kind
        self.source = source
        self.ttl = ttl
        self.ipID = ipID
        self.rttMilliseconds = rttMilliseconds
        self.capturedAt = capturedAt
        self.bytes = bytes
    }
}

/// An item's outcome: its verdict and the answers it rests on, recorded in one transaction.
public struct ItemResult: Sendable {
    public var itemID: Int64
    public var verdict: String
    public var trigger: String?
    public var confidence: String?
    /// The verdict object as JSON text, as `investigate --json` prints it.
    public var json: String
    public var answers: [RecordedAnswer]
    public var probesSent: Int
    public var startedAt: Date
    public var finishedAt: Date
    /// The pcapng evidence file, if one was written.
    public var evidenceFile: String?
    /// The session (run or resume) that produced the result.
    public var sessionID: Int64

    /// All fields.
    public init(itemID: Int64, verdict: String, trigger: String?, confidence: String?, json: String,
                answers: [RecordedAnswer], probesSent: Int, startedAt: Date, finishedAt: Date,
                evidenceFile: String?, sessionID: Int64) {
        self.itemID = itemID
        self.verdict = verdict
        self.trigger = trigger
        self.confidence = confidence
        self.json = json
        self.answers = answers
        self.probesSent = probesSent
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.evidenceFile = evidenceFile
        self.sessionID = sessionID
    }
}

/// A recorded verdict with the item it judges, for reports.
public struct StoredVerdict: Sendable, Hashable {
    public var itemID: Int64
    public var address: String
    public var name: String?
    public var port: String
    public var line: Int
    public var verdict: String
    public var trigger: String?
    public var confidence: String?
    /// The verdict object as JSON text.
    public var json: String
    public var probesSent: Int
    public var startedAt: Date
    public var finishedAt: Date
    public var evidenceFile: String?
    public var sessionID: Int64
    /// The vantage that measured it.
    public var vantage: String = "default"
    public var vantageID: Int64 = 1
}

/// Where a campaign is measured from, as given when the vantage starts or joins.
public struct VantageInput: Sendable, Hashable {
    /// Unique in the campaign (`--vantage`, default the host name).
    public var name: String
    public var address: String?
    public var asn: Int?
    public var asName: String?
    public var softwareVersion: String

    /// All fields.
    public init(name: String, address: String?, asn: Int?, asName: String?, softwareVersion: String) {
        self.name = name
        self.address = address
        self.asn = asn
        self.asName = asName
        self.softwareVersion = softwareVersion
    }
}

/// A vantage as stored.
public struct VantageRecord: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var address: String?
    public var asn: Int?
    public var asName: String?
    public var softwareVersion: String
    public var joinedAt: Date
}

/// One run or resume of a campaign.
public struct SessionRecord: Sendable, Hashable {
    public var id: Int64
    /// The command line that started it.
    public var command: String
    public var pid: Int32
    public var startedAt: Date
    /// Nil while running, or when the process died without ending it (kill -9, power loss).
    public var endedAt: Date?
    /// `finished`, `interrupted` or `error`; nil as for `endedAt`.
    public var outcome: String?
    public var vantageAddress: String?
    /// The vantage the session measured as.
    public var vantage: String = "default"
}

/// Why the store could not do what was asked, in one sentence.
public struct CampaignStoreError: Error, Sendable, CustomStringConvertible {
    public var description: String

    /// An error with this sentence.
    public init(_ description: String) {
        self.description = description
    }
}
