import Packets
import Probing

extension SweepAnalysis {
    /// Compares a test sweep with a control sweep over the same path. A verdict of
    /// censorship always rests on an answer (or silence) of the test that differs from
    /// what the control drew at the same TTL; see Docs/analyze.md for the rules.
    public static func compare(test: PayloadSweep, control: PayloadSweep) -> SweepComparison {
        let tT = terminatingTTL(test), tC = terminatingTTL(control)
        let ttl = SweepComparison.TerminatingTTL(test: tT, control: tC)
        var reasons: [String] = []
        if test.target != control.target || test.port != control.port {
            reasons.append("The test probes \(test.target) port \(test.port) but the control \(control.target) port \(control.port): they may not share a path.")
        }
        guard let tT, let tC else {
            if tT == nil { reasons.append(cutShort(test, "test")) }
            if tC == nil { reasons.append(cutShort(control, "control")) }
            return SweepComparison(outcome: .inconclusive, terminatingTTL: ttl, confidence: .low, reasons: reasons)
        }
        let aT = test.answer(at: tT), aC = control.answer(at: tC)
        let testAnswered = aT?.outcome.isDeciding == true, controlAnswered = aC?.outcome.isDeciding == true
        reasons.append(describe(test, "test", at: tT))
        reasons.append(describe(control, "control", at: tC))
        let copies = testAnswered && injectorCopiesTTL(test, from: tT)
        let onPath = testAnswered ? test.probes(at: tT).contains { $0.observation.outcome.isDeciding && $0.observation.timeExceededFrom != nil } : nil
        if copies {
            reasons.append("The test's answers arrive with no more TTL than the probe had, at a fixed distance below it: the sender copies the probe's TTL, which a host's own stack does not do.")
        }
        if onPath == true {
            reasons.append("The same TTL-limited test probe drew a time exceeded as well as the answer: the device answered a copy and let the payload go on, so it is on-path, not in-line.")
        }

        func verdict(_ outcome: SweepComparison.Outcome, _ mechanism: String?, middlebox: SweepComparison.Middlebox? = nil,
                     confidence: Confidence, _ why: String) -> SweepComparison {
            SweepComparison(outcome: outcome, mechanism: mechanism, terminatingTTL: ttl, middlebox: middlebox,
                            onPath: outcome == .censored ? onPath : nil, injectorCopiesTTL: copies,
                            confidence: confidence, reasons: reasons + [why])
        }

        // The test stops first: whatever stopped it sits where the control still went on.
        if tT < tC {
            guard test.ttls.contains(where: { $0 >= tC }) || testAnswered else {
                return verdict(.inconclusive, nil, confidence: .low,
                               "The test goes silent at TTL \(tT) but was not probed as far as TTL \(tC), where the control reached its end, so its silence cannot be set against an answer.")
            }
            let here = control.hop(at: tT)
            if here == control.target {
                return verdict(.endpointBlocking, mechanism(testAnswered ? aT : nil), confidence: .medium,
                               "At TTL \(tT) the control shows the endpoint itself, so the blocking happens at the endpoint.")
            }
            let box = SweepComparison.Middlebox(address: here, before: control.hop(at: tT - 1), after: control.hop(at: tT + 1))
            let middlebox = [box.address, box.before, box.after].contains { $0 != nil } ? box : nil
            let control = control.answer(at: tT).map(answerPhrase) ?? "no probe"
            if testAnswered {
                let at = here.map { "; the control shows \($0) at that TTL" } ?? ""
                return verdict(.censored, mechanism(aT), middlebox: middlebox, confidence: here == nil ? .medium : .high,
                               "At TTL \(tT) the test drew \(aT.map(answerPhrase) ?? "an answer") where the control drew \(control)\(at): a device there answers for the server.")
            }
            return verdict(.censored, "drop", middlebox: middlebox, confidence: .medium,
                           "From TTL \(tT) the test's payloads go unanswered while the control's drew \(control) there and an answer at TTL \(tC): a device drops the test's payload (silence can also be loss, hence medium confidence).")
        }

        // Both stop at the same TTL: the same hop answers both, or silences both.
        if tT == tC {
            switch (testAnswered, controlAnswered) {
            case (true, true):
                if let aT, let aC, answerKind(aT) == answerKind(aC) {
                    return verdict(.notCensored, nil, confidence: .high,
                                   "Both end at TTL \(tT) with the same kind of answer (\(answerKind(aT))): the domain makes no difference.")
                }
                if copies {
                    return verdict(.censored, mechanism(aT), confidence: .medium,
                                   "Both end at TTL \(tT) but are answered differently, and the test's answer copies the probe's TTL: an injector at the endpoint's distance.")
                }
                return verdict(.endpointBlocking, mechanism(aT), confidence: .high,
                               "Both end at TTL \(tT), the hop the control shows as the endpoint, but are answered differently: the endpoint (or a device at it) treats the test domain differently.")
            case (false, true):
                return verdict(.endpointBlocking, "drop", confidence: .medium,
                               "The test goes silent at TTL \(tT), exactly where the control reached the endpoint: the endpoint (or a device at it) drops the test's payload.")
            case (true, false):
                return verdict(.inconclusive, mechanism(aT), confidence: .low,
                               "The control goes silent at TTL \(tC) and never reached the server, so there is no baseline for the test's answer.")
            case (false, false):
                return verdict(.notCensored, nil, confidence: .low,
                               "Both go silent at TTL \(tT): what stops them does not depend on the domain. Neither reached the server.")
            }
        }

        // The control stops first: the test went further than the control's path.
        guard controlAnswered else {
            return verdict(.inconclusive, nil, confidence: .low,
                           "The control goes silent at TTL \(tC), yet the test drew time exceeded beyond it: the paths differ, so the sweeps cannot be compared.")
        }
        if testAnswered, let aT, let aC, answerKind(aT) == answerKind(aC) {
            return verdict(.notCensored, nil, confidence: .medium,
                           "Both are answered alike; the test's answer just came at a higher TTL (\(tT) against \(tC)), a longer or changed path.")
        }
        let between = control.answer(at: tC).map(answerPhrase) ?? "an answer"
        let testThere = test.answer(at: tC).map(answerPhrase) ?? "nothing probed"
        if testAnswered, copies {
            return verdict(.censored, mechanism(aT), confidence: .medium,
                           "At TTL \(tC) the control drew \(between) but the test drew \(testThere); the test is answered only from TTL \(tT), beyond the control's path, by a sender that copies the probe's TTL: an injector, located beyond the last router the control shows, so no middlebox address.")
        }
        return verdict(.endpointBlocking, testAnswered ? mechanism(aT) : "drop", confidence: .medium,
                       "At TTL \(tC) the control reached the endpoint and drew \(between), but the test drew \(testThere) there; the test's own end lies at or beyond the endpoint, so the blocking happens at the endpoint.")
    }
}
