import ArgumentParser
import JSONSupport
import Measurement
#if canImport(Glibc)
import Glibc
#endif

/// Buffered standard output: decode can print millions of lines.
struct StandardOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func line(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// One JSON value as a line, serialised straight into the buffer.
    mutating func json(_ value: JSONValue) {
        value.write(into: &buffer)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if n <= 0 { break }   // closed pipe: nothing more to do
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A user-facing failure: one sentence on stderr and a non-zero exit.
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func printError(_ message: String) {
    let line = Array(("error: " + message + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// Runs a command body with buffered output: a `UserError` becomes one `error:` line on
/// stderr and exit status 1, after whatever was already printed.
func runReportingUserErrors(_ body: (inout StandardOutput) throws -> Void) throws {
    var out = StandardOutput()
    defer { out.flush() }
    do {
        try body(&out)
    } catch let e as UserError {
        out.flush()
        printError(e.description)
        throw ExitCode.failure
    } catch let e as MeasurementError {
        out.flush()
        printError(e.description)
        throw ExitCode.failure
    }
}
