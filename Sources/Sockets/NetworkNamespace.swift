import CSystemShims
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

public enum NetworkNamespaceError: Error, Hashable, Sendable, CustomStringConvertible {
    case notFound(name: String)
    case enterFailed(name: String, errno: Int32)
    case threadFailed(errno: Int32)

    public var description: String {
        switch self {
        case .notFound(let n): return "network namespace \(n) does not exist (see `ip netns list`)"
        case .enterFailed(let n, let e): return "cannot enter network namespace \(n): \(String(cString: strerror(e)))"
        case .threadFailed(let e): return "cannot start a thread to enter a namespace: \(String(cString: strerror(e)))"
        }
    }
}

/// Runs code inside a named network namespace (`ip netns add NAME`).
///
/// setns(2) changes the namespace of the calling thread only, so the body runs on a
/// thread of its own and the caller's thread is never moved. Sockets and captures
/// opened in the body stay bound to that namespace after it returns.
public enum NetworkNamespace {
    public static func run<T: Sendable>(in name: String, _ body: @escaping @Sendable () throws -> T) throws -> T {
        let fd = open("/run/netns/" + name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetworkNamespaceError.notFound(name: name) }
        defer { close(fd) }
        let entered: Result<T, any Error>
        do {
            entered = try runOnNewThread(named: "netns " + name) { () -> Result<T, any Error> in
                guard cs_enter_network_namespace(fd) == 0 else {
                    return .failure(NetworkNamespaceError.enterFailed(name: name, errno: errno))
                }
                return Result { try body() }
            }
        } catch let error as ThreadStartError {
            throw NetworkNamespaceError.threadFailed(errno: error.errno)
        }
        return try entered.get()
    }
}
