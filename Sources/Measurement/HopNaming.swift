import Analysis
import Packets
import ProbeSession
import Records

/// What hop addresses are annotated with (`--asn-db`, `--rdns`): the AS from a database
/// and, when asked, the name by reverse DNS, which tells the resolver every router crossed.
public struct HopNaming {
    public var database: ASNDatabase?
    public var reverseDNS: Bool

    public init(database: ASNDatabase?, reverseDNS: Bool) {
        self.database = database
        self.reverseDNS = reverseDNS
    }

    /// Whether hops get annotated at all.
    public var isActive: Bool { database != nil || reverseDNS }

    /// Annotations for `addresses` (names looked up on the network when `reverseDNS`);
    /// nothing is looked up when inactive.
    public func lookUp(_ addresses: [IPAddress]) -> HopNames {
        guard isActive else { return HopNames(naming: self, annotations: [:]) }
        let names = reverseDNS ? ReverseDNS.names(for: addresses) : [:]
        return HopNames(naming: self, annotations: HopEnrichment.annotate(addresses, database: database, hostnames: names))
    }
}

/// The annotations of one run's hop addresses, applied to its records and text.
public struct HopNames {
    public var naming: HopNaming
    public var annotations: [IPAddress: HopAnnotation]

    public init(naming: HopNaming, annotations: [IPAddress: HopAnnotation]) {
        self.naming = naming
        self.annotations = annotations
    }

    /// The trace with `asn`, `as_name` (and `hostname`) on every hop; unchanged when inactive.
    public func annotating(_ trace: TraceRecord) -> TraceRecord {
        naming.isActive ? HopEnrichment.annotating(trace, with: annotations, includeHostname: naming.reverseDNS) : trace
    }

    /// Both paths of the investigation annotated; unchanged when inactive.
    public func annotating(_ investigation: InvestigationRecord) -> InvestigationRecord {
        naming.isActive ? HopEnrichment.annotating(investigation, with: annotations, includeHostname: naming.reverseDNS) : investigation
    }

    /// A hop address as traceroute -A prints it: `name (addr) [AS64500 NAME]`.
    public func text(_ address: IPAddress) -> String {
        let annotation = annotations[address]
        var text = address.description
        if naming.reverseDNS, let name = annotation?.hostname { text = "\(name) (\(address))" }
        if naming.database != nil { text += " " + (annotation ?? HopAnnotation()).bracket }
        return text
    }

    /// The same for an address a record holds as text; other text is shown as it is.
    public func text(_ address: String) -> String {
        guard naming.isActive, let a = IPAddress(address) else { return address }
        return text(a)
    }
}
