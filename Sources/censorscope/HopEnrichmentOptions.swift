import Analysis
import ArgumentParser
import JSONSupport
import Measurement
import Packets
import ProbeSession

/// `--asn-db` and `--rdns`, for every command that prints hops (trace now, investigate later).
struct HopEnrichmentOptions: ParsableArguments {
    @Option(name: .customLong("asn-db"),
            help: ArgumentHelp("Annotate hops with their AS from this file: an iptoasn.com TSV (ip2asn-v4/v6/combined.tsv) or a CAIDA pfx2as file, uncompressed.",
                               valueName: "file"))
    var asnDatabase: String?

    @Flag(help: "Look up hop names by reverse DNS (at most ~2 s). Off by default: it tells your resolver every router the trace crossed.")
    var rdns = false

    /// The database, loaded before anything is sent; a bad file is a `UserError`, and
    /// skipped malformed lines are reported on stderr.
    func loadDatabase() throws -> ASNDatabase? {
        try asnDatabase.map(loadASNDatabase)
    }

    /// Whether hops get annotated at all.
    var isActive: Bool { asnDatabase != nil || rdns }

    /// Annotations for the hop addresses: AS from `database`, names when --rdns.
    func annotations(for addresses: [IPAddress], database: ASNDatabase?) -> [IPAddress: HopAnnotation] {
        let names = rdns ? ReverseDNS.names(for: addresses) : [:]
        return HopEnrichment.annotate(addresses, database: database, hostnames: names)
    }

    /// A trace's JSON fields with each hop (and hop response) annotated.
    func annotating(_ fields: [(key: String, value: JSONValue)], _ annotations: [IPAddress: HopAnnotation]) -> [(key: String, value: JSONValue)] {
        guard isActive else { return fields }
        return fields.map { field in
            guard field.key == "hops" else { return field }
            return (field.key, HopEnrichment.annotatingHops(field.value, with: annotations, includeHostname: rdns))
        }
    }

    /// A hop address as traceroute -A prints it: `name (addr) [AS64500 NAME]`.
    func text(for address: IPAddress, _ annotations: [IPAddress: HopAnnotation]) -> String {
        let annotation = annotations[address]
        var text = address.description
        if rdns, let name = annotation?.hostname { text = "\(name) (\(address))" }
        if asnDatabase != nil { text += " " + (annotation ?? HopAnnotation()).bracket }
        return text
    }
}

/// An ASN database, loaded before anything is sent; skipped malformed lines are reported on stderr.
func loadASNDatabase(_ path: String) throws -> ASNDatabase {
    try ASNLoading.load(path, warn: printWarning)
}
