import Packets
import Probing
import Testing
@testable import Analysis

/// Trigger isolation on the standard trial set: each censor rule must be told by the pattern
/// of blocked trials it produces, whatever else the trials vary.
@Suite struct TriggerIsolationTests {
    static let source = IPAddress("198.18.1.2")!
    static let target = IPAddress("198.18.9.2")!

    /// The standard trials on port 80 and the natural variants on 443, blocked by `rule`.
    func results(_ rule: (SYNTrial) -> Bool) throws -> [SYNTrialResult] {
        let builder = try ProbeBuilder(source: Self.source, destination: Self.target)
        let standard = SYNTrialShape.standard(ipv6: false)
        let plan = standard.map { ($0, UInt16(80)) } + standard.filter { !$0.padded }.map { ($0, UInt16(443)) }
        return try plan.enumerated().map { i, item in
            let probe = try builder.tcp(index: i, shape: item.0.shape, sourcePort: UInt16(61000 + i), destinationPort: item.1,
                                        sequence: UInt32(i * 1000), ttl: 64, ipID: UInt16(i))
            let trial = SYNTrial(shape: item.0, probe: probe, answers: [])
            let blocked = rule(trial)
            return SYNTrialResult(trial: trial, outcome: blocked ? .forged(alsoGenuine: false) : .genuine(.synAck),
                                  forged: [], forgeryReasons: [], blocked: blocked)
        }
    }

    @Test func sizeTriggerIsToldFromOptions() throws {
        let r = try results { $0.size >= 60 && $0.port == 80 }
        let trigger = SYNAnalysis.trigger(r, port: 80)
        #expect(trigger.kind == "syn-size")
        #expect(trigger.detail.hasPrefix("SYNs of 60 bytes or more are blocked whatever their options; SYNs of 52 bytes or less pass"))
        #expect(trigger.dimensions == ["port: the same SYNs to port 443 pass, so the rule names port 80"])
        #expect(trigger.blocked.contains("mss padded to 60 (60 bytes)") && trigger.passed.contains("windows (52 bytes)"))
    }

    @Test func optionsTriggerIsToldFromSize() throws {
        let r = try results { $0.optionNames.contains("wscale") }
        let trigger = SYNAnalysis.trigger(r, port: 80)
        #expect(trigger.kind == "syn-options")
        #expect(trigger.detail.contains("wscale"))
        #expect(trigger.dimensions == ["port: SYNs to port 443 are blocked too"])
    }

    @Test func portAndAddressTriggers() throws {
        #expect(SYNAnalysis.trigger(try results { $0.port == 80 }, port: 80).kind == "port")
        #expect(SYNAnalysis.trigger(try results { _ in true }, port: 80).kind == "address")
        #expect(SYNAnalysis.trigger(try results { _ in false }, port: 80).kind == "none")
    }

    @Test func sizeAndOptionsTogetherAreASYNShape() throws {
        // Blocked only when big AND carrying an MSS: neither alone explains it (bare padded to
        // 60 passes, mss passes, mss padded to 60 is blocked).
        let r = try results { $0.size >= 60 && $0.optionNames.contains("mss") && $0.port == 80 }
        #expect(SYNAnalysis.trigger(r, port: 80).kind == "syn-shape")
    }

    @Test func optionsOnlyTheBigVariantsCarryAreOptions() throws {
        // Timestamps ride only on linux (60) and macos (64), yet mss padded to 60 passes: options.
        let r = try results { $0.optionNames.contains("TS") && $0.port == 80 }
        #expect(SYNAnalysis.trigger(r, port: 80).kind == "syn-options")
    }

    @Test func theStandardTrialsSeparateSizeFromOptions() {
        let shapes = SYNTrialShape.standard(ipv6: false)
        #expect(shapes.map { $0.shape.packetLength(ipv6: false) } == [40, 44, 60, 52, 64, 44, 52, 60, 64, 52, 60, 64])
        #expect(SYNTrialShape.standard(ipv6: true).map { $0.shape.packetLength(ipv6: true) }.prefix(5) == [60, 64, 80, 72, 84])
    }
}
