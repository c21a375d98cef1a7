import Records

/// The records of the engine's full-TTL connections (`residual`, `page`, `transfer`).
extension Investigation {
    static func residualRecord(_ r: ResidualFinding) -> InvestigationRecord.Residual {
        InvestigationRecord.Residual(secondsObserved: r.secondsObserved, scope: r.scope.rawValue, how: r.how, triggerTTL: r.triggerTTL)
    }

    static func pageRecord(_ p: PageInput) -> InvestigationRecord.Page {
        let o = p.observation
        return InvestigationRecord.Page(host: p.host, firstLine: o.firstLine, bytes: o.bytes, ttl: o.firstData.map { Int($0.ttl) },
                                        outcome: o.outcome.rawValue)
    }

    static func transferRecord(_ t: ThrottleFinding) -> InvestigationRecord.Transfer {
        func side(_ o: ExchangeObservation?) -> InvestigationRecord.Transfer.Side? {
            o.map { InvestigationRecord.Transfer.Side(bytes: $0.bytes, seconds: $0.seconds.map { ($0 * 1000).rounded() / 1000 },
                                                      bytesPerSecond: $0.bytesPerSecond.map { $0.rounded() }) }
        }
        return InvestigationRecord.Transfer(object: t.object, test: side(t.test), control: side(t.control), ratio: t.ratio,
                                            threshold: t.threshold, minBytes: t.minBytes, judged: t.judged)
    }
}
