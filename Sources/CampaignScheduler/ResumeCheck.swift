import CampaignStore
import Campaigns
import Measurement
import Packets
import Probing

/// `campaign resume` treats the store as data someone may have edited: campaign files are
/// shared, and a store is read, not trusted. Every unfinished item must be what its own
/// target line gives under the stored script (addresses and prefixes as written, names as
/// resolved when the campaign was made), and must pass the special-purpose refusal as the
/// user allows it now, not as the store says it was allowed.
enum ResumeCheck {
    /// One line per refused item; empty when every item holds.
    static func refusals(_ items: [StoredItem], script: ExperimentScript, resolved: [ResolvedNameRecord],
                         allowReserved: Bool, maxAddresses: Int) -> [String] {
        var addressesOfName: [String: [IPAddress]] = [:]
        for r in resolved { addressesOfName[r.name.lowercased(), default: []] += r.addresses.compactMap(IPAddress.init) }
        // What each distinct target line gives, derived once (a prefix line is shared by many items).
        var derived: [String: Set<String>?] = [:]
        var out: [String] = []
        for item in items {
            let label = "item \(item.id) (\(item.address) port \(item.port), line \(item.line) '\(item.input)')"
            guard let address = IPAddress(item.address), let port = ServicePort(item.port) else {
                out.append("\(label): not an address and port")
                continue
            }
            if derived[item.input] == nil {
                let list = try? TargetList.parse(item.input, source: "the store", maxAddresses: maxAddresses) { name in
                    addressesOfName[name.lowercased()] ?? []
                }
                derived[item.input] = list.map { l in Set(script.items(for: l).map { "\($0.target.address) \($0.port)" }) }
            }
            guard let given = derived[item.input] ?? nil else {
                out.append("\(label): its target line no longer parses")
                continue
            }
            if !given.contains("\(address) \(port)") {
                out.append("\(label): not what that target line gives under the stored script")
            } else if let refusal = SpecialPurposeRanges.refusal(for: address, allowReserved: allowReserved) {
                out.append("\(label): \(refusal)")
            }
        }
        return out
    }

    /// The sentence that refuses the session, naming the first items.
    static func sentence(db: String, refusals: [String], storedAllowReserved: Bool, allowReserved: Bool) -> String {
        let shown = refusals.prefix(5).joined(separator: "; ")
        let more = refusals.count > 5 ? "; and \(refusals.count - 5) more" : ""
        var s = "\(db) holds \(refusals.count) item\(refusals.count == 1 ? "" : "s") that will not be probed, so nothing was: \(shown)\(more)"
        if storedAllowReserved && !allowReserved {
            s += ". The campaign was made with --allow-reserved; pass it to resume only if you trust this store"
        }
        return s
    }
}
