import Agent
import ArgumentParser
import Dashboard
import Dispatch
import Measurement
import Packets
import Synchronization
import SystemSupport

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "A read-only local dashboard over a campaign store: overview, devices, filters, a page per target, a JSON API.",
        discussion: """
            Pages: / (overview, charts, devices, filters by verdict, port, prefix, AS and vantage; \
            reloads itself while the campaign runs), /target/ID (diagram, payload sweep, evidence \
            pcapng). API: GET /api/campaign, GET /api/results?verdict=&port=&prefix=&as=&vantage=, \
            GET /api/results/ID. No external assets. Loopback only unless --token-file is given. \
            Stops on Ctrl-C. See Docs/reports.md.
            Example: censorscope serve --db telegram.db --listen 127.0.0.1:8080
            """)

    @Option(help: "The campaign's store: a SQLite file or a PostgreSQL URL.")
    var db: String

    @Option(help: "Address and port to listen on (port 0 picks a free one).")
    var listen = "127.0.0.1:8080"

    @Option(name: .customLong("token-file"), help: "Tokens (one a line) a request must present: needed to listen beyond loopback.")
    var tokenFile: String?

    @Option(name: .customLong("asn-db"), help: ArgumentHelp("Count and filter targets by AS from this file (iptoasn.com TSV or CAIDA pfx2as).",
                                                        valueName: "file"))
    var asnDatabase: String?

    func validate() throws {
        guard let (host, _) = Self.parse(listen) else {
            throw ValidationError("--listen must be ADDRESS:PORT, e.g. 127.0.0.1:8080 or [::1]:8080")
        }
        if !DashboardServer.isLoopback(host), tokenFile == nil {
            throw ValidationError("listening on \(host), beyond loopback, needs --token-file FILE")
        }
    }

    /// "127.0.0.1:8080" or "[::1]:8080" as an address and a port; nil otherwise.
    static func parse(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard IPAddress(host) != nil else { return nil }
        return (host, port)
    }

    func run() throws {
        try runReportingUserErrors { out in
            guard let (host, port) = Self.parse(listen) else { throw UserError("--listen must be ADDRESS:PORT") }
            var tokens: TokenFile?
            if let tokenFile {
                do {
                    let bytes = try BoundedFile.read(tokenFile, limit: BoundedFile.Limit.small, what: "token file")
                    tokens = try TokenFile(text: String(decoding: bytes, as: UTF8.self), name: tokenFile)
                } catch { throw UserError("\(error)") }
            }
            let database = try asnDatabase.map { path throws(MeasurementError) in try ASNLoading.load(path, warn: printWarning) }
            let server = DashboardServer(host: host, port: port, data: try DashboardData(db: db, asnDatabase: database), tokens: tokens)
            let failure = Failure()
            let done = DispatchSemaphore(value: 0)
            Task {
                do {
                    try await server.run { url in
                        var line = StandardOutput()
                        line.line("serving \(db) at \(url) (Ctrl-C stops)")
                        line.flush()
                    }
                } catch {
                    failure.sentence.withLock { $0 = "cannot serve on \(listen): \(error)" }
                }
                done.signal()
            }
            done.wait()
            if let sentence = failure.sentence.withLock({ $0 }) { throw UserError(sentence) }
            out.flush()
        }
    }
}

/// Why the server stopped, handed from its task to the command's thread.
private final class Failure: Sendable {
    let sentence = Mutex<String?>(nil)
}
