/// Why a sequence of bytes is not the packet it claims to be.
/// Parsers return these instead of trapping, whatever the input.
public enum PacketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the layer needs.
    case truncated(layer: String, needed: Int, available: Int)
    /// A field holds a value the layer cannot accept.
    case invalid(layer: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(layer, needed, available):
            return "\(layer) is truncated: it needs \(needed) bytes but only \(available) are present"
        case let .invalid(layer, reason):
            return "\(layer) is malformed: \(reason)"
        }
    }
}
