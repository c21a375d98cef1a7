import CampaignStore
import Foundation
import Measurement

/// The vantage names a session measures as.
public enum VantageName {
    /// The default `--vantage`: this machine's host name.
    public static var host: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    /// A name is 1 to 64 characters of letters, digits, `.`, `-`, `_`: it appears in reports,
    /// file names and JSON keys.
    public static func problem(_ name: String) -> String? {
        let ok = !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
        return ok ? nil : "--vantage must be 1 to 64 letters, digits, '.', '-' or '_'"
    }
}

/// Which vantage a later session measures as.
public enum VantageChoice: Sendable {
    /// `resume` without --vantage: the host name's vantage if the campaign has one, else its
    /// only vantage; a campaign with several asks for the name.
    case resumeDefault
    /// `resume --vantage NAME`: one the campaign has.
    case existing(String)
    /// `join --vantage NAME`: a new one.
    case join(String)

    func open(db: String, softwareVersion: String) throws(MeasurementError) -> CampaignStore {
        switch self {
        case .existing(let name):
            return try storeCall { try CampaignStore.open(at: db, vantage: name) }
        case .join(let name):
            return try storeCall {
                try CampaignStore.join(at: db, vantage: VantageInput(name: name, address: nil, asn: nil, asName: nil, softwareVersion: softwareVersion),
                                       at: Date())
            }
        case .resumeDefault:
            let store = try storeCall { try CampaignStore.open(at: db) }
            let all = try storeCall { try store.vantages() }
            if all.count == 1 { return store }
            let host = VantageName.host
            guard all.contains(where: { $0.name == host }) else {
                throw MeasurementError("\(store.path) has \(all.count) vantages (\(all.map(\.name).joined(separator: ", "))); "
                    + "say which one this is with --vantage NAME")
            }
            return try storeCall { try store.asVantage(host) }
        }
    }
}
