import Analysis
import ArgumentParser
import Censor
import Decoding
import Lab
import LabServices
import Measurement
import Reports
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

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
