import JSONSupport
import Packets
import Probing
import Records

// Probing's values as records: the one conversion each, so every output that shows a
// fingerprint, an answer or a hop shows it the same way.

extension Fingerprint {
    /// The fingerprint as a record, in `form` (see `FingerprintRecord`).
    public func record(_ form: FingerprintRecord.Form = .probe) -> FingerprintRecord {
        FingerprintRecord(form: form, source: source.description, ttl: Int(ttl), ipID: ipID.map(Int.init), dontFragment: dontFragment,
                          tos: Int(tos), length: Int(length), flags: flags?.letters, window: window.map(Int.init),
                          sequence: sequenceNumber.map(Int.init), acknowledgment: acknowledgmentNumber.map(Int.init),
                          options: flags == nil ? nil : (options ?? []), payloadLength: payloadLength.map { Int($0) },
                          icmpType: icmpType.map(Int.init), icmpCode: icmpCode.map(Int.init))
    }
}

extension QuoteDifference {
    public var record: QuoteDifferenceRecord { QuoteDifferenceRecord(field: field, sent: sent, quoted: quoted) }
}

extension Answer {
    /// One answer; `injection` is given by callers that assessed it (`probe syn`).
    public func record(injection: InjectionAssessment? = nil) -> ProbeAnswerRecord {
        ProbeAnswerRecord(probe: probeIndex, kind: kind.rawValue, from: fingerprint.source.description,
                          rttMilliseconds: roundedMilliseconds(rttMilliseconds), match: basis.rawValue, duplicates: duplicates,
                          fingerprint: fingerprint.record(), quotedTTL: quotedTTL.map(Int.init),
                          quoteDifferences: quotedTTL == nil ? [] : quoteDifferences.map(\.record),
                          injected: injection?.injected, injectionReasons: injection?.reasons ?? [])
    }
}

extension HopResponse {
    public var record: HopResponseRecord {
        HopResponseRecord(address: address.description, kind: kind.rawValue, rttMilliseconds: roundedMilliseconds(rttMilliseconds),
                          probe: probeIndex, fingerprint: fingerprint.record(), quoteDifferences: quoteDifferences.map(\.record),
                          mplsLabels: mplsLabels.map { Int($0) })
    }
}

extension TraceHop {
    /// The `trace --json` hop: the first answer's address, RTT and kind, then every answer.
    public var record: HopRecord {
        let first = responses.first
        return HopRecord(ttl: ttl, address: address?.description, rttMilliseconds: roundedMilliseconds(first?.rttMilliseconds),
                         kind: first?.kind.rawValue ?? "silent", annotation: .none, responses: responses.map(\.record))
    }

    /// An investigation's path hop: ttl, address (null if silent), rtt_ms, kind.
    public var pathRecord: HopRecord {
        let first = responses.first
        return HopRecord(ttl: ttl, address: address?.description ?? first?.address.description,
                         rttMilliseconds: roundedMilliseconds(first?.rttMilliseconds), kind: first?.kind.rawValue,
                         annotation: .trailing)
    }
}

extension Trace {
    /// The trace as a record, with the run's metadata the caller knows.
    public func record(target: IPAddress, source: IPAddress, method: String, port: UInt16?, sourcePort: UInt16?,
                       variant: String?, probeSize: Int?, probesSent: Int, answers: Int, durationMilliseconds: Double) -> TraceRecord {
        TraceRecord(target: target.description, source: source.description, method: method, port: port.map(Int.init),
                    sourcePort: sourcePort.map(Int.init), variant: variant, probeSize: probeSize, hops: hops.map(\.record),
                    reached: reached, destinationTTL: destinationTTL.map { Int($0) }, stopReason: stopReason,
                    probesSent: probesSent, answers: answers, durationMilliseconds: durationMilliseconds)
    }
}

extension PayloadObservation {
    public var record: PayloadObservationRecord {
        PayloadObservationRecord(outcome: outcome.rawValue, from: from?.description,
                                 rttMilliseconds: roundedMilliseconds(rttMilliseconds), fingerprint: fingerprint?.record(.payload),
                                 quoteDifferences: quoteDifferences.map(\.record), firstLine: firstBytes,
                                 responseBytes: responseBytes, inWindow: inWindow, timeExceededFrom: timeExceededFrom?.description,
                                 socketError: socketError)
    }
}

extension PayloadStep {
    public var record: PayloadStepRecord { PayloadStepRecord(ttl: ttl, test: test.record, control: control.record) }
}
