import CSystemShims
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
        let box = NamespaceJob(body, fd, name)
        let unmanaged = Unmanaged.passRetained(box)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let box = Unmanaged<AnyNamespaceJob>.fromOpaque(arg!).takeUnretainedValue()
            box.runInside()
            return nil
        }, unmanaged.toOpaque())
        guard rc == 0 else {
            unmanaged.release()
            throw NetworkNamespaceError.threadFailed(errno: rc)
        }
        pthread_join(thread, nil)
        unmanaged.release()
        return try box.result!.get()
    }
}

/// The thread entry point sees the job through this non-generic base class.
class AnyNamespaceJob: @unchecked Sendable {
    func runInside() {}
}

final class NamespaceJob<T: Sendable>: AnyNamespaceJob, @unchecked Sendable {
    var result: Result<T, Error>?
    let body: @Sendable () throws -> T
    let fd: Int32
    let name: String

    init(_ body: @escaping @Sendable () throws -> T, _ fd: Int32, _ name: String) {
        self.body = body
        self.fd = fd
        self.name = name
    }

    override func runInside() {
        if cs_enter_network_namespace(fd) != 0 {
            result = .failure(NetworkNamespaceError.enterFailed(name: name, errno: errno))
        } else {
            result = Result { try body() }
        }
    }
}
