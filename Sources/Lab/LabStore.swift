import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The state directories of labs: `<root>/<scenario>/state.json` and friends.
///
/// Layout of one lab's directory:
///   state.json            LabState (namespaces, nodes, processes)
///   scenario.yaml         the scenario text `lab up` was given
///   <node>.censor.yaml    the censor policy handed to `lab censor --policy`
///   <node>.censor.log     the censor's event log (`--log`); .out its stdout+stderr
///   <node>.serve.log      the services' event log (`--log`); .out its stdout+stderr
public struct LabStore: Sendable {
    public static let defaultRoot = "/run/censorscope/lab"
    public static let netnsDirectory = "/run/netns"

    public let root: String

    public init(root: String = LabStore.defaultRoot) { self.root = root }

    public func directory(of scenario: String) -> String { root + "/" + scenario }
    public func stateFile(of scenario: String) -> String { directory(of: scenario) + "/state.json" }

    public func load(_ scenario: String) throws -> LabState? {
        let path = stateFile(of: scenario)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(LabState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw LabError.corruptState(path: path, reason: "\(error)")
        }
    }

    /// Written to a temporary file and renamed, so a crash never leaves half a file.
    public func save(_ state: LabState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let path = stateFile(of: state.scenario)
        let temporary = path + ".tmp"
        do {
            try encoder.encode(state).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else { throw LabError.io(path: path, reason: String(cString: strerror(errno))) }
        } catch let e as LabError {
            throw e
        } catch {
            throw LabError.io(path: path, reason: "\(error)")
        }
    }

    /// Scenario names with a state directory.
    public func scenariosWithState() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return entries.filter(ScenarioParser.isScenarioName).sorted()
    }

    /// Lab namespaces present on the system, optionally of one scenario only.
    public static func namespaces(scenario: String? = nil) -> [String] {
        let prefix = scenario.map(LabPlan.namespacePrefix(scenario:)) ?? LabPlan.namespacePrefix
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: netnsDirectory)) ?? []
        return entries.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// Scenarios that are up or left over: a state directory or namespaces of theirs.
    public func activeScenarios() -> [String] {
        var names = Set(scenariosWithState())
        for ns in LabStore.namespaces() {
            let rest = ns.dropFirst(LabPlan.namespacePrefix.count)
            if let dot = rest.firstIndex(of: ".") { names.insert(String(rest[..<dot])) }
        }
        return names.sorted()
    }

    /// Serialises `up` and `down` (flock on `<root>/.lock`); released when the process exits.
    public func lock() throws -> LabLock {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let path = root + "/.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LabError.io(path: path, reason: String(cString: strerror(errno))) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR {
                close(fd)
                throw LabError.io(path: path, reason: String(cString: strerror(errno)))
            }
        }
        return LabLock(fd: fd)
    }
}

/// Holds the lab lock until `release()` (or process exit).
public final class LabLock {
    private var fd: Int32
    init(fd: Int32) { self.fd = fd }
    public func release() {
        if fd >= 0 { close(fd); fd = -1 }
    }
    deinit { release() }
}
