import Analysis
import ArgumentParser
import Censor
import Decoding
import JSONSupport
import Lab
import LabServices
import Measurement
import Reports
import SystemSupport
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

    mutating func lines(_ lines: [String]) { for l in lines { line(l) } }

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

func printError(_ message: String) { printToStandardError("error: " + message) }

func printWarning(_ message: String) { printToStandardError("warning: " + message) }

func printToStandardError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// The libraries' failures whose description is the sentence the user reads.
private func userSentence(_ error: Error) -> String? {
    switch error {
    case let e as UserError: return e.description
    case let e as MeasurementError: return e.description
    case let e as FileBytes.Failure: return e.description
    case let e as ReportError: return e.description
    case let e as RouteImportError: return e.description
    case let e as SweepImportError: return e.description
    case let e as DecodeJob.Failure: return e.description
    case let e as LabError: return e.description
    case let e as ScenarioError: return e.description
    case let e as ServiceError: return e.description
    case let e as CensorCommand.Failure: return e.description
    default: return nil
    }
}

/// Runs a command body with buffered output: a failure with a sentence becomes one
/// `error:` line on stderr and exit status 1, after whatever was already printed.
func runReportingUserErrors(_ body: (inout StandardOutput) throws -> Void) throws {
    var out = StandardOutput()
    defer { out.flush() }
    do {
        try body(&out)
    } catch {
        guard let sentence = userSentence(error) else { throw error }
        out.flush()
        printError(sentence)
        throw ExitCode.failure
    }
}
