import JSONSupport
#if canImport(Glibc)
import Glibc
#endif

/// Buffered standard output, for the command line: decode can print millions of lines.
public struct StandardOutput {
    private var buffer: [UInt8] = []

    public init() { buffer.reserveCapacity(1 << 16) }

    public mutating func line(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    public mutating func lines(_ lines: [String]) { for l in lines { line(l) } }

    /// One JSON value as a line, serialised straight into the buffer.
    public mutating func json(_ value: JSONValue) {
        value.write(into: &buffer)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    public mutating func flush() {
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if n <= 0 { break }   // closed pipe: nothing more to do
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
