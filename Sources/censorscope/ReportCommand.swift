import ArgumentParser
import Records
import Reports
#if canImport(Glibc)
import Glibc
#endif

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Turn investigation results (JSON) into a report: json, ooni, csv, md, html or pcapng.",
        discussion: """
            RESULT is a file holding one result object of `censorscope investigate --json`, a \
            JSON array of them, or JSON Lines (one per line); `-` reads standard input. The \
            report goes to standard output unless --output is given; pcapng (the evidence \
            packets, each annotated with the claim it proves) needs --output. See Docs/reports.md.
            """
    )

    @Argument(help: "The results file, or - for standard input.")
    var result: String

    @Option(help: "json, ooni, csv, md, html or pcapng.")
    var format: String

    @Option(help: "Write the report to this file instead of standard output.")
    var output: String?

    func validate() throws {
        guard let f = ReportFormat(rawValue: format) else {
            throw ValidationError("unknown format '\(format)'; use json, ooni, csv, md, html or pcapng")
        }
        if f == .pcapng, output == nil { throw ValidationError("the pcapng format is binary: give --output FILE") }
    }

    func run() throws {
        try runReportingUserErrors { try report(&$0) }
    }

    private func report(_ out: inout StandardOutput) throws {
        guard let format = ReportFormat(rawValue: format) else { throw UserError("unknown format '\(self.format)'") }
        let name = result == "-" ? "standard input" : result
        let bytes = try readInput(result)
        let investigations: [InvestigationRecord]
        do { investigations = try InvestigationReader.read(bytes: bytes, name: name) } catch {
            throw UserError(error.description)
        }
        if format == .pcapng, let output {
            let outcome: EvidenceCapture.Outcome
            do { outcome = try EvidenceCapture.write(investigations, to: output) } catch {
                throw UserError(error.description)
            }
            for missing in outcome.missingFrames {
                printWarning("the evidence of \(missing.endpoint) names packets "
                    + missing.frames.map(String.init).joined(separator: ", ") + ", which its evidence file does not hold")
            }
            out.line("wrote \(outcome.packetsWritten) packets (\(outcome.packetsAnnotated) annotated with the claim they prove) to \(output)")
            return
        }
        let text: String
        do { text = try format.render(investigations) } catch { throw UserError(error.description) }
        if let output {
            try writeFile(output, Array(text.utf8))
        } else {
            out.line(text.hasSuffix("\n") ? String(text.dropLast()) : text)
        }
    }


}

/// Writes `bytes` to `path` (created or truncated); errors are one sentence.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw UserError("cannot write \(path): \(String(cString: strerror(errno)))") }
    var done = 0
    var failure: Int32 = 0
    bytes.withUnsafeBytes { raw in
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            if n >= 0 { done += n } else if errno != EINTR { failure = errno; return }
        }
    }
    if close(fd) != 0, failure == 0 { failure = errno }
    if failure != 0 { throw UserError("cannot write \(path): \(String(cString: strerror(failure)))") }
}

/// The whole input, from a file or standard input.
func readInput(_ path: String) throws -> [UInt8] {
    let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw UserError("cannot open \(path): \(String(cString: strerror(errno))).") }
    defer { if fd != 0 { _ = close(fd) } }
    var info = stat()
    if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { throw UserError("\(path) is a directory, not a file.") }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            bytes.append(contentsOf: chunk[..<n])
        } else if n == 0 {
            return bytes
        } else if errno != EINTR {
            throw UserError("cannot read \(path == "-" ? "standard input" : path): \(String(cString: strerror(errno))).")
        }
    }
}
