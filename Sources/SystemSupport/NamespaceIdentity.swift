#if canImport(Glibc)
import Glibc
#endif

/// A network namespace as the kernel identifies it: the (device, inode) of its file
/// (/run/netns/NAME, /proc/PID/ns/net, /proc/thread-self/ns/net).
public struct NamespaceIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    public init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    /// The calling thread's (setns(2) changes one thread's namespace, not the process's).
    public static var currentThread: NamespaceIdentity? { NamespaceIdentity(path: "/proc/thread-self/ns/net") }
}
