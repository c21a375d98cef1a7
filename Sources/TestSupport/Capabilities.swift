import CSystemShims
import SystemSupport

/// Runs `body` on a new thread stripped of all capabilities (root's uid stays, but
/// CAP_NET_RAW is gone), as a user without sudo would run it.
public func withoutCapabilities<T: Sendable>(_ body: @escaping @Sendable () -> T) throws -> T {
    try runOnNewThread(named: "no capabilities") { () throws -> T in
        let dropped = cs_drop_thread_capabilities()
        guard dropped == 0 else { throw TestFailure("capset failed (\(dropped))") }
        return body()
    }
}
