import Foundation

/// From `--db` to a backend: a PostgreSQL URL, or a SQLite file path; what is there is
/// looked at first, and anything but a campaign store of a known schema is refused in one sentence.
enum StoreOpening {
    static func forCreation(_ location: String) throws(CampaignStoreError) -> any StoreBackend {
        guard PostgresLocation.isURL(location) else {
            switch try Schema.inspect(location) {
            case .missing, .empty, .store(campaign: nil):
                break
            case .store(campaign: let name?):
                throw CampaignStoreError("\(location) already holds campaign \(name); continue it with "
                    + "`censorscope campaign resume --db \(location)`, or choose another --db.")
            case .directory:
                throw CampaignStoreError("\(location) is a directory; give --db a file name.")
            case .notSQLite, .foreign:
                throw CampaignStoreError("\(location) exists and is not a campaign store; choose another --db.")
            case .newer(let version):
                throw CampaignStoreError("\(location) is a campaign store of a newer CensorScope (schema \(version)); choose another --db.")
            }
            return SQLiteBackend(path: location, pool: try Schema.openPool(location))
        }
        let backend = try PostgresBackend(try PostgresLocation(location))
        let state = try backend.read { tx throws(CampaignStoreError) in try PostgresSchema.inspect(tx) }
        switch state {
        case .empty, .store(campaign: nil):
            try backend.write { tx throws(CampaignStoreError) in try PostgresSchema.migrate(tx) }
            return backend
        case .store(campaign: let name?):
            throw CampaignStoreError(holdsCampaign(backend, name))
        case .newer(let version):
            throw CampaignStoreError("\(backend.location) holds a campaign store of a newer CensorScope (schema \(version)); choose another database.")
        default:
            throw CampaignStoreError("\(backend.location) holds tables that are not a campaign store; give --db an empty database.")
        }
    }

    static func holdsCampaign(_ backend: any StoreBackend, _ name: String) -> String {
        guard backend is PostgresBackend else {
            return "\(backend.location) already holds campaign \(name); continue it with `censorscope campaign resume --db \(backend.location)`, or choose another --db."
        }
        return "\(backend.location) already holds campaign \(name); add a vantage with `censorscope campaign join --db \(backend.location) --vantage NAME`, "
            + "continue one with `campaign resume`, or choose another database."
    }

    static func existing(_ location: String) throws(CampaignStoreError) -> any StoreBackend {
        guard PostgresLocation.isURL(location) else {
            switch try Schema.inspect(location) {
            case .missing:
                throw CampaignStoreError("\(location) does not exist; start a campaign with "
                    + "`censorscope campaign run SCRIPT --targets FILE --db \(location)`.")
            case .directory:
                throw CampaignStoreError("\(location) is a directory, not a campaign store; give --db the file campaign run wrote.")
            case .empty, .notSQLite:
                throw CampaignStoreError("\(location) is not a SQLite database, so not a campaign store; give --db the file campaign run wrote.")
            case .foreign:
                throw CampaignStoreError("\(location) is a SQLite database but not a CensorScope campaign store; give --db the file campaign run wrote.")
            case .newer(let version):
                throw CampaignStoreError("\(location) was written by a newer CensorScope (store schema \(version), this one reads up to "
                    + "\(Schema.currentVersion)); upgrade censorscope to open it.")
            case .store(campaign: nil):
                throw CampaignStoreError("\(location) holds no campaign yet: its creation is under way, or was interrupted (then remove it and run the campaign again).")
            case .store(campaign: .some):
                return SQLiteBackend(path: location, pool: try Schema.openPool(location))
            }
        }
        let backend = try PostgresBackend(try PostgresLocation(location))
        switch try backend.read({ tx throws(CampaignStoreError) in try PostgresSchema.inspect(tx) }) {
        case .store(campaign: .some):
            // An older schema is brought up to date, as SQLite files are on open.
            try backend.write { tx throws(CampaignStoreError) in try PostgresSchema.migrate(tx) }
            return backend
        case .newer(let version):
            throw CampaignStoreError("\(backend.location) was written by a newer CensorScope (store schema \(version), this one reads up to "
                + "\(PostgresSchema.currentVersion)); upgrade censorscope to open it.")
        case .empty, .store(campaign: nil):
            throw CampaignStoreError("\(backend.location) holds no campaign; start one with "
                + "`censorscope campaign run SCRIPT --targets FILE --db \(backend.location)`.")
        default:
            throw CampaignStoreError("\(backend.location) is a PostgreSQL database but not a CensorScope campaign store; give --db the database campaign run wrote.")
        }
    }
}
