import Records
import SystemSupport

/// `report RESULT --format F [--output FILE]` and `campaign report`: investigations as a
/// report, written to a file or returned for standard output.
public enum ReportJob {
    /// Renders `investigations`; pcapng needs `output`. Returns what to print: the report
    /// itself without `output`, else a line saying what was written (nil: nothing).
    /// Evidence frames a record names but its file lacks go to `warn`.
    public static func run(_ investigations: [InvestigationRecord], format: ReportFormat, output: String?,
                           warn: (String) -> Void) throws -> String? {
        if format == .pcapng, let output {
            let outcome = try EvidenceCapture.write(investigations, to: output)
            for missing in outcome.missingFrames {
                warn("the evidence of \(missing.endpoint) names packets "
                    + missing.frames.map(String.init).joined(separator: ", ") + ", which its evidence file does not hold")
            }
            return "wrote \(outcome.packetsWritten) packets (\(outcome.packetsAnnotated) annotated with the claim they prove) to \(output)"
        }
        return try deliver(try format.render(investigations), to: output)
    }

    /// Writes `text` to `output` when given (and returns nil); else returns it, without
    /// its last newline, for standard output (nil when empty).
    public static func deliver(_ text: String, to output: String?) throws(FileBytes.Failure) -> String? {
        if let output {
            try FileBytes.write(output, Array(text.utf8))
            return nil
        }
        guard !text.isEmpty else { return nil }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}
