import Packets
import ProbeSession
import Records

extension PayloadTrace.Payload {
    /// The request as an investigation's `test`/`control` and `probe payload`'s
    /// `payload`/`control` write it.
    public var record: PayloadRequestRecord {
        switch self {
        case .http(let host): return .http(host)
        case .tls(let sni): return .tls(sni)
        case .raw(let bytes): return .raw(hex: Hex.encode(bytes))
        }
    }
}
