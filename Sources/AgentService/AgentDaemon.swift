import Agent
import Foundation
import Measurement
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// `agent serve`: the agent's HTTPS API on `listen` until SIGINT or SIGTERM.
public enum AgentDaemon {
    public struct Configuration: Sendable {
        public var listen: ListenAddress
        public var tokenFile: String
        /// Where the certificate and key live.
        public var stateDirectory: String
        public var rateLimit: RateLimit
        public var allowReserved: Bool
        public var version: String

        public init(listen: ListenAddress, tokenFile: String, stateDirectory: String, rateLimit: RateLimit, allowReserved: Bool, version: String) {
            self.listen = listen
            self.tokenFile = tokenFile
            self.stateDirectory = stateDirectory
            self.rateLimit = rateLimit
            self.allowReserved = allowReserved
            self.version = version
        }

        /// As `agent serve`'s options give it: the listen address and rate limit parsed, the
        /// state directory ~/.censorscope/agent unless given.
        public init(listen: String, tokenFile: String, stateDirectory: String?, rateLimit: String, allowReserved: Bool,
                    version: String) throws(MeasurementError) {
            let address: ListenAddress
            do { address = try ListenAddress(parsing: listen) } catch { throw MeasurementError("\(error)") }
            let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/root"
            self.init(listen: address, tokenFile: tokenFile, stateDirectory: stateDirectory ?? home + "/.censorscope/agent",
                      rateLimit: RateLimit(parsing: rateLimit) ?? .standard, allowReserved: allowReserved, version: version)
        }
    }

    /// Each request as a line `agent: …` on standard error.
    public static let logToStandardError: @Sendable (String) -> Void = { line in
        let text = Array(("agent: " + line + "\n").utf8)
        _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// Serves until a signal; `say` prints the start-up lines (fingerprint, address), `log`
    /// each request.
    public static func run(_ c: Configuration, say: (String) -> Void, log: @escaping @Sendable (String) -> Void) throws(MeasurementError) {
        let tokens = try readTokens(c.tokenFile)
        let certificate = try AgentCertificate(directory: c.stateDirectory, name: c.listen.address.description)
        let router = AgentRouter(tokens: tokens, limit: c.rateLimit, allowReserved: c.allowReserved, version: c.version)
        // SIGINT and SIGTERM are taken by sigwait below; blocked before any thread starts,
        // so every thread inherits the mask and none is interrupted.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let server = try AgentServer(listen: c.listen, router: router, certificate: certificate, version: c.version, log: log)
        try server.run(ready: {
            if certificate.generated { say("made a new certificate in \(certificate.certificatePath)") }
            say("fingerprint \(certificate.fingerprint)")
            say("listening on https://\(c.listen)")
        }, stop: {
            var signal: Int32 = 0
            sigwait(&signals, &signal)
            say("stopping (signal \(signal))")
        })
    }

    /// Reads and parses the token file, refusing one other users can read.
    public static func readTokens(_ path: String) throws(MeasurementError) -> TokenFile {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw MeasurementError("cannot read the token file \(path): \(String(cString: strerror(errno)))")
        }
        if let problem = TokenFile.permissionProblem(mode: UInt32(info.st_mode), path: path) {
            throw MeasurementError("the token file " + problem)
        }
        let data: [UInt8]
        do { data = try BoundedFile.read(path, limit: BoundedFile.Limit.small, what: "token file") } catch { throw MeasurementError("\(error)") }
        do { return try TokenFile(text: String(decoding: data, as: UTF8.self), name: path) } catch {
            throw MeasurementError(error.description)
        }
    }
}
