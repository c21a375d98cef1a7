import Agent
import Analysis
import Campaigns
import Capture
import Censor
import JSONSupport
import Lab
import LabServices
import Packets
import Probing
import Records
import Reports
import Sweeping

/// Every parser that reads bytes from outside the process, as one entry point each: what
/// the coverage-guided fuzzer (`Fuzz/`, `scripts/fuzz.sh`) drives, and what the tests feed
/// the seed corpora and their mutations. A harness may reject its input in any way it
/// likes; it must never trap, and what it accepts must hold together.
public enum Harness: String, CaseIterable, Sendable {
    /// IP packets (and the ICMP quotes, options and extensions inside them).
    case packets
    /// Link-layer frames of every link type we read.
    case frames
    /// Frames as the sweep's receiver reads them (the SYN module's answer checks).
    case sweepAnswer = "sweep-answer"
    /// pcap and pcapng files.
    case captureFile = "capture-file"
    /// A capture turned into payload sweeps (`analyze`).
    case sweepImport = "sweep-import"
    case json
    /// Experiment scripts (`investigate --experiment`, `campaign run`).
    case experiment
    /// Lab scenario files (`lab up FILE`).
    case scenario
    /// Censor policies (`lab censor --check --policy`).
    case censorPolicy = "censor-policy"
    /// Campaign target lists (names resolved to nothing).
    case targets
    case dns
    case stun
    case quic
    /// An HTTP response (or any data) read by a payload probe on its connection.
    case httpResponse = "http-response"
    /// The agent's request bodies (trace and reverse requests).
    case agentRequest = "agent-request"
    /// The agent's answers, as a client reads them (trace and reverse records).
    case agentResponse = "agent-response"
    /// Traced paths handed to `routes compare` (our JSON, Atlas, scamper, mtr, traceroute text).
    case routes
    /// Investigation records handed to `report`.
    case investigations
    /// ASN databases (`--asn-db`).
    case asnDatabase = "asn-database"

    /// Runs the harness on one input. Violations of the harness's own checks trap on
    /// purpose (`precondition`), so the fuzzer reports them like a crash.
    public func run(_ bytes: [UInt8]) {
        switch self {
        case .packets: Parsers.packet(bytes)
        case .frames: Parsers.frames(bytes)
        case .sweepAnswer: Parsers.sweepAnswer(bytes)
        case .captureFile: Parsers.captureFile(bytes)
        case .sweepImport: _ = try? SweepImport.read(bytes: bytes)
        case .json: Parsers.json(bytes)
        case .experiment: _ = try? ExperimentScript.parse(Parsers.text(bytes), source: "fuzz.yaml")
        case .scenario: _ = try? ScenarioParser.parse(Parsers.text(bytes), file: "fuzz.yaml")
        case .censorPolicy: _ = try? CensorPolicy.parse(yaml: Parsers.text(bytes), file: "fuzz.yaml")
        case .targets: _ = try? TargetList.parse(bytes: bytes, source: "fuzz.txt", maxAddresses: 4096) { _ in [] }
        case .dns: Parsers.dns(bytes)
        case .stun: Parsers.stun(bytes)
        case .quic: Parsers.quic(bytes)
        case .httpResponse: Parsers.httpResponse(bytes)
        case .agentRequest: Parsers.agentRequest(bytes)
        case .agentResponse: Parsers.agentResponse(bytes)
        case .routes: _ = try? RouteImport.parse(bytes, name: "fuzz")
        case .investigations: _ = try? InvestigationReader.read(bytes: bytes, name: "fuzz.json")
        case .asnDatabase: _ = try? ASNDatabase(bytes: bytes, source: "fuzz.tsv")
        }
    }
}
