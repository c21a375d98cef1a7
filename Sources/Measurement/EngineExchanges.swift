import Analysis
import Campaigns
import Packets
import ProbeSession
import Probing

extension Engine {
    /// The page at full TTL, over HTTP (ports that speak TLS from the first byte are skipped:
    /// the page would be behind the interceptor's certificate).
    func fetch(_ step: FetchStep, state: inout EngineState, bundle: inout EvidenceBundle?) throws {
        let item = state.item
        guard !MeasurementItem.tlsPorts.contains(item.port.number) else { return }
        let host: String
        switch step.name {
        case .fixed(let name): host = name
        case .target: host = item.testNames[.http] ?? Self.hostHeader(item.address)
        }
        var c = ConnectionExchange.Configuration(target: item.address, port: item.port.number,
                                                 request: .bytes(HTTPRequestPayload(host: host, path: step.path).bytes))
        c.maxBytes = step.maxBytes
        c.maxTime = .milliseconds(Int64(step.maxMilliseconds))
        c.label = "fetch"
        c.pcapPath = bundle?.part("fetch")
        state.page = PageInput(host: host, observation: try network.exchange(c))
        state.sent += 2
    }

    /// Bulk downloads of the step's object: control, test, and the test and the control again
    /// when the test looks throttled, each bounded in bytes and time. Only while nothing is blocked: a blocked request would not download. On TLS the
    /// Host inside the session is the test name for both (the network sees only the SNI), so
    /// both download the same object.
    func transfer(_ step: TransferStep, state: inout EngineState, bundle: inout EvidenceBundle?) throws {
        let item = state.item
        guard !state.analyse().verdict.isBlocking,
              let (kind, name) = item.payload(for: PayloadSpec(kind: step.kind, name: step.name)) else { return }
        let controlName = control ?? step.control
        let path = object ?? step.path
        func download(_ label: String, as sent: String) throws -> ExchangeObservation {
            let request: ConnectionExchange.Request = kind == .tls
                ? .tls(serverName: sent, request: HTTPRequestPayload(host: name, path: path).bytes)
                : .bytes(HTTPRequestPayload(host: sent, path: path).bytes)
            var c = ConnectionExchange.Configuration(target: item.address, port: item.port.number, request: request)
            c.maxBytes = step.maxBytes
            c.maxTime = .milliseconds(Int64(step.maxMilliseconds))
            c.snapLength = 256   // headers and the first line: the rate is read from them
            c.label = label
            c.pcapPath = bundle?.part(label.replacingOccurrences(of: " ", with: "-"))
            state.sent += 2
            return try network.exchange(c)
        }
        let first = try download("transfer control 1", as: controlName)
        let test = try download("transfer test", as: name)
        var input = TransferInput(object: path, controls: [first], test: test, minBytes: step.minBytes, ratio: step.ratio,
                                  testName: Self.describe(kind, name), controlName: Self.describe(kind, controlName))
        // A test that looks throttled is downloaded again, then checked against a second
        // control after both: the faster test and the slower control are compared, so neither
        // a test slowed by a passing stall nor a control that happened to be fast makes a
        // throttle.
        if Throttling.judge(input).throttled {
            try checkInterrupt()
            input.retests.append(try download("transfer test 2", as: name))
            try checkInterrupt()
            input.controls.append(try download("transfer control 2", as: controlName))
        }
        state.transfer = input
    }

    /// The Host header for a bare address: IPv6 in brackets.
    static func hostHeader(_ address: IPAddress) -> String {
        if case .v6 = address { return "[\(address)]" }
        return address.description
    }
}
