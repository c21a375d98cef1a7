import Analysis
import Capture
import Packets
import ProbeSession
import Probing

extension LiveNetwork {
    public func exchange(_ configuration: ConnectionExchange.Configuration) throws(MeasurementError) -> ExchangeObservation {
        var c = configuration
        c.sharedPacer = sharedPacer
        if let interface = settings.interface { c.interface = interface }
        let result: ConnectionExchange.Result
        do { result = try ConnectionExchange.run(c) } catch { throw MeasurementError("\(error)") }
        guard let flow = result.flow else {
            return ExchangeObservation(outcome: .notConnected, refusal: .silence, note: result.note)
        }
        return ExchangeObservation.read(result.packets, flow: flow, note: result.note)
    }
}

extension RecordedNetwork {
    /// The next part of the recording holds the connection: it is found by its SYN.
    public func exchange(_ configuration: ConnectionExchange.Configuration) throws(MeasurementError) -> ExchangeObservation {
        let packets = try nextPart("connection to \(configuration.target) port \(configuration.port)")
        let syn = packets.lazy.compactMap { c -> PayloadFlow? in
            guard let ip = (try? c.decode())?.ip, ip.destination == configuration.target, let t = ip.transport.tcp,
                  t.destinationPort == configuration.port, t.flags.contains(.syn), !t.flags.contains(.ack) else { return nil }
            return PayloadFlow(local: ip.source, localPort: t.sourcePort, remote: ip.destination, remotePort: t.destinationPort)
        }.first
        guard let flow = syn else {
            return ExchangeObservation(outcome: .notConnected, refusal: .silence, note: "the recording holds no connection attempt here")
        }
        return ExchangeObservation.read(packets, flow: flow)
    }
}
