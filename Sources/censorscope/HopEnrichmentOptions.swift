import ArgumentParser
import Measurement

/// `--asn-db` and `--rdns`, for every command that prints hops.
struct HopEnrichmentOptions: ParsableArguments {
    @Option(name: .customLong("asn-db"),
            help: ArgumentHelp("Annotate hops with their AS from this file: an iptoasn.com TSV (ip2asn-v4/v6/combined.tsv) or a CAIDA pfx2as file, uncompressed.",
                               valueName: "file"))
    var asnDatabase: String?

    @Flag(help: "Look up hop names by reverse DNS (at most ~2 s). Off by default: it tells your resolver every router the trace crossed.")
    var rdns = false

    /// The naming, its database loaded before anything is sent (a bad file stops the command).
    func naming() throws -> HopNaming {
        HopNaming(database: try asnDatabase.map { path throws(MeasurementError) in try ASNLoading.load(path, warn: printWarning) },
                  reverseDNS: rdns)
    }
}
