import Capture
import Foundation
import Sockets
import TestSupport
import Testing

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
