import CSystemShims
import Capture
import Foundation
import Sockets
import Testing

/// Runs `body` on a new thread stripped of all capabilities (root's uid stays, but
/// CAP_NET_RAW is gone), as a user without sudo would run it.
func withoutCapabilities<T: Sendable>(_ body: @escaping @Sendable () -> T) throws -> T {
    let slot = ResultSlot<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        slot.dropped = cs_drop_thread_capabilities()
        if slot.dropped == 0 { slot.value = body() }
        done.signal()
    }
    thread.start()
    done.wait()
    try #require(slot.dropped == 0, "capset failed")
    return slot.value!
}

final class ResultSlot<T>: @unchecked Sendable {
    var value: T?
    var dropped: Int32 = -1
}

@Suite(.enabled(if: geteuid() == 0, "needs root to have capabilities to drop"))
struct PrivilegeTests {
    @Test func rawSocketsSayTheyNeedRoot() throws {
        let v4 = try withoutCapabilities { () -> String? in
            do { _ = try RawIPv4Socket(); return nil } catch { return "\(error)" }
        }
        #expect(v4 == "sending raw packets needs root or CAP_NET_RAW: run the command with sudo")
        let v6 = try withoutCapabilities { () -> String? in
            do { _ = try RawIPv6Socket(); return nil } catch { return "\(error)" }
        }
        #expect(v6 == v4)
    }

    @Test func liveCaptureSaysItNeedsRoot() throws {
        let message = try withoutCapabilities { () -> String? in
            do { _ = try LiveCapture(LiveCaptureConfiguration(interface: "lo")); return nil } catch { return "\(error)" }
        }
        #expect(message == "capturing on lo needs root or CAP_NET_RAW: run the command with sudo")
    }
}
