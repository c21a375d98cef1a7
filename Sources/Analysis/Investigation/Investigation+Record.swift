import JSONSupport
import Packets
import Probing
import Records

/// The investigation as its record, `censorscope.investigation/1` (Docs/verdicts.md).
extension Investigation {
    /// Context the analysis does not know: the payloads tried, the run's metadata, and how
    /// to name an evidence item's packets (1-based frames of the evidence file).
    public struct ReportContext {
        /// The test and control requests, when the investigation sent a payload.
        public var testRequest: PayloadRequestRecord?
        public var controlRequest: PayloadRequestRecord?
        public var evidenceFile: String?
        public var frames: (EvidenceItem) -> [Int] = { _ in [] }
        public var measurementStartTime: String = ""
        public var runtimeSeconds: Double = 0
        public var vantage: IPAddress?
        public var softwareVersion: String = ""
        /// The item's transport and name, the script's name, the identifiers' seed.
        public var run: InvestigationRecord.RunKeys?
        /// Whether a payload sweep was asked for: its key is written (null when it did not run).
        public var payloadSweepRequested = false

        public init() {}
    }

    /// The record; the datagram analysis's result gives the same record.
    public func record(_ context: ReportContext) -> InvestigationRecord {
        let mainResults = results.filter { $0.trial.port == port }
        var sweep = InvestigationRecord.PayloadSweep.absent
        if context.payloadSweepRequested { sweep = payloadSteps.map { .steps($0.map(\.record)) } ?? .notRun }
        return InvestigationRecord(
            target: target.description,
            port: Int(port),
            test: context.testRequest,
            control: context.controlRequest,
            verdict: verdict.rawValue,
            blocked: verdict.isBlocking,
            summary: summary,
            trigger: InvestigationRecord.Trigger(kind: trigger.kind, detail: trigger.detail, blocked: trigger.blocked,
                                                 passed: trigger.passed, dimensions: trigger.dimensions),
            synVariants: mainResults.map(Self.variantRecord),
            otherPort: results.filter { $0.trial.port != port }.map(Self.variantRecord),
            location: location.map(Self.locationRecord),
            injector: injector.map(Self.injectorRecord),
            genuine: genuine.ttl.map { InvestigationRecord.Genuine(ttl: Int($0), source: genuine.source) },
            path: path.map(Self.pathRecord),
            testPath: testPath.map(Self.pathRecord),
            answers: answers.map { InvestigationRecord.ObservedAnswer(probe: $0.probe, from: $0.from.description, ttl: Int($0.ttl),
                                                                       kind: $0.kind, forged: $0.forged) },
            evidence: evidence.map { InvestigationRecord.EvidenceClaim(claim: $0.claim, packets: context.frames($0)) },
            evidenceFile: context.evidenceFile,
            measurementStartTime: context.measurementStartTime,
            runtimeSeconds: (context.runtimeSeconds * 1000).rounded() / 1000,
            vantage: InvestigationRecord.Vantage(address: context.vantage?.description),
            softwareName: "censorscope",
            softwareVersion: context.softwareVersion,
            run: context.run,
            payloadSweep: sweep,
            layersTested: layersTested.isEmpty ? nil : layersTested,
            residual: residual.map(Self.residualRecord),
            page: interception?.page.map(Self.pageRecord),
            transfer: throttle.map(Self.transferRecord))
    }

    static func variantRecord(_ r: SYNTrialResult) -> InvestigationRecord.SYNVariant {
        InvestigationRecord.SYNVariant(
            variant: r.trial.shape.name, size: r.trial.size, port: Int(r.trial.port), padded: r.trial.shape.padded,
            options: r.trial.optionNames, result: r.answerWord, injected: !r.forged.isEmpty, blocked: r.blocked,
            response: r.response?.fingerprint.record(.synResponse),
            rttMilliseconds: roundedMilliseconds(r.response?.rttMilliseconds))
    }

    static func locationRecord(_ l: Location) -> InvestigationRecord.Location {
        InvestigationRecord.Location(ttl: l.ttl, address: l.address?.description, before: l.before?.description, onPath: l.onPath,
                                     confidence: l.confidence.rawValue, reason: l.reason)
    }

    static func injectorRecord(_ i: InjectorProfile) -> InvestigationRecord.Injector {
        InvestigationRecord.Injector(ttl: Int(i.ttl), ipID: i.ipID.map(Int.init), df: i.dontFragment, window: i.window.map(Int.init),
                                     flags: i.flags, copies: i.copies, ttlCopiesProbe: i.ttlCopiesProbe, reasons: i.reasons)
    }

    /// Hop by hop: ttl, address (null if silent), rtt_ms, kind; asn and as_name for enrichment.
    /// The hops as traced; a hop the trace missed but other traces of the campaign saw is
    /// given with kind `known` (no RTT).
    public static func pathRecord(_ t: TraceRun) -> [HopRecord] {
        // A campaign's trace that started at a known hop: the routers below it, as known.
        let first = t.trace.hops.first?.ttl ?? 1
        let below = t.known.keys.filter { $0 < first }.sorted().map { ttl in
            HopRecord(ttl: ttl, address: t.known[ttl]?.description, rttMilliseconds: nil, kind: "known", annotation: .trailing)
        }
        return below + t.trace.hops.map { hop in
            guard hop.responses.isEmpty, let known = t.known[hop.ttl] else { return hop.pathRecord }
            return HopRecord(ttl: hop.ttl, address: known.description, rttMilliseconds: nil, kind: "known", annotation: .trailing)
        }
    }
}

extension Investigation {
    /// Every address that answered on the control and test paths, once each: what hop
    /// enrichment looks up.
    public var pathAddresses: [IPAddress] {
        Array(Set([path, testPath].compactMap { $0 }.flatMap { $0.trace.hops.flatMap { $0.responses.map(\.address) } }))
    }
}
