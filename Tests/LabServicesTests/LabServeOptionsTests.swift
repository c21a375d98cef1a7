import LabServices
import Packets
import Testing

/// `lab serve`'s options as a configuration: each refusal is the sentence `lab up` shows.
@Suite struct LabServeOptionsTests {
    func configuration(addresses: [String] = [], http: Int? = 80, dns: Int? = nil, node: String = "server",
                       answers: [String] = [], answers6: [String] = []) throws(ServiceError) -> LabServiceConfiguration {
        try LabServiceConfiguration(addresses: addresses, http: http, tls: nil, echo: nil, stun: nil, dns: dns, quic: nil, node: node,
                                    dnsAnswers: answers, dnsAnswers6: answers6, logPath: nil, stateDirectory: nil)
    }

    @Test func refusals() {
        let cases: [(() throws(ServiceError) -> LabServiceConfiguration, String)] = [
            ({ () throws(ServiceError) in try configuration(http: nil) }, "give at least one service port: --http, --tls, --echo, --stun, --dns or --quic."),
            ({ () throws(ServiceError) in try configuration(http: 70000) }, "service ports must be between 1 and 65535."),
            ({ () throws(ServiceError) in try configuration(addresses: ["nope"]) }, "--address 'nope' is not an IPv4 or IPv6 address."),
            ({ () throws(ServiceError) in try configuration(dns: 53, answers: ["::1"]) }, "--dns-answer '::1' is not an IPv4 address."),
            ({ () throws(ServiceError) in try configuration(dns: 53, answers6: ["1.2.3.4"]) }, "--dns-answer6 '1.2.3.4' is not an IPv6 address."),
            ({ () throws(ServiceError) in try configuration(node: "") }, "--name must be 1 to 200 characters long."),
        ]
        for (make, sentence) in cases {
            let error = #expect(throws: ServiceError.self) { _ = try make() }
            #expect(error?.description == sentence)
        }
    }

    @Test func theConfigurationTheOptionsDescribe() throws {
        let c = try configuration(addresses: ["198.18.9.2", "2001:db8::2"], dns: 53, answers: ["198.18.9.2"], answers6: ["2001:db8::2"])
        #expect(c.httpPort == 80 && c.dnsPort == 53 && c.tlsPort == nil && c.quicPort == nil)
        #expect(c.addresses == [IPAddress("198.18.9.2")!, IPAddress("2001:db8::2")!])
        #expect(c.dnsAnswers.count == 1 && c.dnsAnswers6.count == 1 && c.node == "server")
    }
}
