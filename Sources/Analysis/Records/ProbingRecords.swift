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

extension Answer {
    /// One answer; `injection` is given by callers that assessed it (`probe syn`).
    public func record(injection: InjectionAssessment? = nil) -> ProbeAnswerRecord {
        ProbeAnswerRecord(probe: probeIndex, kind: kind.rawValue, from: fingerprint.source.description,
                          rttMilliseconds: roundedMilliseconds(rttMilliseconds), match: basis.rawValue, duplicates: duplicates,
                          fingerprint: fingerprint.record(), quotedTTL: quotedTTL.map(Int.init),
                          quoteDifferences: quotedTTL == nil ? [] : quoteDifferences,
                          injected: injection?.injected, injectionReasons: injection?.reasons ?? [])
    }
}

extension HopResponse {
    public var record: HopResponseRecord {
        HopResponseRecord(address: address.description, kind: kind.rawValue, rttMilliseconds: roundedMilliseconds(rttMilliseconds),
                          probe: probeIndex, fingerprint: fingerprint.record(), quoteDifferences: quoteDifferences,
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
                                 quoteDifferences: quoteDifferences, firstLine: firstBytes,
                                 responseBytes: responseBytes, inWindow: inWindow, timeExceededFrom: timeExceededFrom?.description,
                                 socketError: socketError)
    }
}

extension PayloadStep {
    public var record: PayloadStepRecord { PayloadStepRecord(ttl: ttl, test: test.record, control: control.record) }
}

extension ProbeResultRecord {
    /// `probe syn --json` for one SYN: `result` is the first answer's word (`timeout` when
    /// none), `assessments` go with `answers` one for one, `reference` is the echo reply's.
    public static func syn(target: IPAddress, port: UInt16, variant: String, probe: Probe, result: String, answers: [Answer],
                           assessments: [InjectionAssessment], reference: Fingerprint?) -> ProbeResultRecord {
        let tcp = probe.packet.transport.tcp
        let first = answers.first
        return ProbeResultRecord(
            target: target.description, port: Int(port), variant: variant, size: probe.bytes.count,
            probe: .syn(source: probe.source.description, sourcePort: tcp.map { Int($0.sourcePort) },
                        sequence: tcp.map { Int($0.sequenceNumber) }, ttl: Int(probe.ttl), flags: tcp?.flags.letters,
                        window: tcp.map { Int($0.window) }, options: (tcp?.options ?? []).map(\.name),
                        payloadLength: tcp?.payload.count, length: probe.bytes.count),
            result: result, injected: assessments.first?.injected ?? false, injectionReasons: assessments.first?.reasons ?? [],
            response: first?.fingerprint.record(), rttMilliseconds: roundedMilliseconds(first?.rttMilliseconds),
            icmp: ICMPDetailRecord(first), answers: zip(answers, assessments).map { $0.record(injection: $1) },
            reference: reference?.record())
    }

    /// `probe icmp|udp|stun|dns --json` for one probe; `kindFields` are the kind's own
    /// (e.g. `mapped_address`), written before `answers`.
    public static func datagram(target: IPAddress, kind: String, port: UInt16?, probe: Probe, result: String, answers: [Answer],
                                kindFields: [(key: String, value: JSONValue)] = []) -> ProbeResultRecord {
        let first = answers.first
        return ProbeResultRecord(
            target: target.description, kind: kind, port: port.map(Int.init),
            probe: .datagram(index: probe.index, ttl: Int(probe.ttl), length: probe.bytes.count, label: probe.label),
            result: result, response: first?.fingerprint.record(), rttMilliseconds: roundedMilliseconds(first?.rttMilliseconds),
            icmp: ICMPDetailRecord(first), kindFields: kindFields, answers: answers.map { $0.record() })
    }
}

extension ICMPDetailRecord {
    /// The `icmp` object of a result whose answer is an ICMP error; nil otherwise.
    public init?(_ answer: Answer?) {
        guard let answer, let type = answer.fingerprint.icmpType else { return nil }
        self.init(type: Int(type), code: answer.fingerprint.icmpCode.map(Int.init), kind: answer.kind.rawValue,
                  from: answer.fingerprint.source.description)
    }
}
