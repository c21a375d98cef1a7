import Packets
import Probing
import PropertyBased
import Testing

/// Generated inputs: every valid request builds a packet that parses back with correct
/// checksums and exactly the requested length / checksum, and every plan keeps the Paris
/// invariants.
@Suite struct ProbeModulePropertyTests {
    @Test func paddedSYNsHaveTheRequestedSizeAndParse() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...4), Gen.bool, Gen.int(in: 0...200), Gen.uint32()) {
            variantIndex, ipv6, extra, sequence in
            let variant = SYNVariant.allCases[variantIndex]
            var shape = TCPProbeShape.variant(variant, ipv6: ipv6)
            shape.size = shape.naturalLength(ipv6: ipv6) + extra
            let probe = try ModulesFixture.builder(ipv6: ipv6).tcp(index: 0, shape: shape, sourcePort: 1234, destinationPort: 80,
                                                                   sequence: sequence, ttl: 64, ipID: 1)
            #expect(probe.bytes.count == shape.size)
            ModulesFixture.expectWellFormed(probe)
            let options = ModulesFixture.tcpOptionBytes(probe)
            #expect(options.count <= 40 && options.count % 4 == 0)
            let room = 40 - (shape.optionLength + 3) / 4 * 4
            // Options grow first: payload appears only once the option space is full or the
            // remainder is under 4 bytes.
            let payload = probe.packet.transport.tcp?.payload.count ?? -1
            #expect(payload == 0 || options.count == 40 || payload < 4)
            #expect(payload == extra - min(room, extra / 4 * 4))
        }
    }

    @Test func icmpChecksumIsHeldAtAnyReachableValue() async {
        await propertyCheck(count: 400, input: Gen.bool, Gen.uint16(), Gen.uint16(), Gen.uint16(in: 0...0xFFFE),
                            Gen.int(in: 2...80)) { ipv6, identifier, sequence, target, size in
            let probe = try ModulesFixture.builder(ipv6: ipv6).icmpEcho(index: 0, identifier: identifier, sequence: sequence,
                                                                        payloadSize: size, ttl: 9, ipID: sequence,
                                                                        constantChecksum: target)
            ModulesFixture.expectWellFormed(probe)
            #expect(probe.packet.transport.icmp?.checksum == target)
        }
    }

    @Test func udpChecksumIsTheRequestedNonZeroValue() async {
        await propertyCheck(count: 400, input: Gen.bool, Gen.uint16(), Gen.uint16(in: 1...0xFFFF),
                            Gen.uint8().array(of: 0...40)) { ipv6, port, target, payload in
            let probe = try ModulesFixture.builder(ipv6: ipv6).udp(index: 0, sourcePort: port, destinationPort: 33434,
                                                                   payload: payload, ttl: 3, ipID: 1, checksum: target)
            ModulesFixture.expectWellFormed(probe)
            #expect(probe.packet.transport.udp?.checksum == target)
        }
    }

    @Test func tracePlansKeepParisInvariants() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...2), Gen.bool, Gen.uint32(), Gen.int(in: 1...255),
                            Gen.int(in: 0...20), Gen.int(in: 1...10)) { methodIndex, ipv6, seed, first, span, queries in
            let method = TraceMethod.allCases[methodIndex]
            let plan = try TracePlanTests.plan(method, ipv6: ipv6, firstTTL: first, maxTTL: min(255, first + span),
                                               queries: queries, seed: seed)
            TracePlanTests.expectParisInvariants(plan, try plan.probes(startIndex: Int(seed % 1000)),
                                                 startIndex: Int(seed % 1000))
        }
    }
}
