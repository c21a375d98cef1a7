import Packets

/// Why a probe run could not start or its evidence could not be written. Problems with
/// single probes on the wire (a firewall's EPERM, ENETUNREACH) are counted, not thrown.
public enum ProbeSessionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No CAP_NET_RAW: raw sockets and the capture are refused.
    case noPrivilege
    /// The kernel has no route to the destination (the reason as the system gave it).
    case noRoute(IPAddress, String)
    /// The run's capture could not be opened or read.
    case capture(String)
    /// The probes could not be sent at all (a socket failed, or a packet is not IP).
    case send(String)
    /// The evidence file could not be written.
    case evidence(String)

    public var description: String {
        switch self {
        case .noPrivilege:
            return "sending raw packets needs root or CAP_NET_RAW: run the command with sudo"
        case .noRoute(let address, let why):
            return "there is no route to \(address) (\(why)): check the address and `ip route get \(address)`"
        case .capture(let why):
            return "cannot capture the answers: \(why)"
        case .send(let why):
            return "cannot send the probes: \(why)"
        case .evidence(let why):
            return "cannot write the evidence file: \(why)"
        }
    }
}
