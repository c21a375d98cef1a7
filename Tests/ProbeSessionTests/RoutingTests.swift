import Capture
import Packets
import ProbeSession
import Sockets
import TestSupport
import Testing

@Suite(.serialized, .enabled(if: TwoHostNetwork.canRun, "needs root and iproute2 to build network namespaces"))
struct RoutingTests {
    @Test func findsTheSourceAndInterfaceTowardsThePeer() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let (b, b6) = (try #require(IPAddress(net.addressB)), try #require(IPAddress(net.address6B)))
        let routes = try NetworkNamespace.run(in: net.a) { [try Routing.route(to: b), try Routing.route(to: b6)] }
        #expect(routes[0] == RouteInfo(source: try #require(IPAddress(net.addressA)), interface: net.interfaceA))
        #expect(routes[1] == RouteInfo(source: try #require(IPAddress(net.address6A)), interface: net.interfaceA))
    }

    @Test func loopbackAndOwnAddressesGoThroughLo() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let a = try #require(IPAddress(net.addressA))
        let targets = [IPAddress("127.0.0.1")!, IPAddress("::1")!, a]
        let routes = try NetworkNamespace.run(in: net.a) { try targets.map { target throws(ProbeSessionError) in try Routing.route(to: target) } }
        #expect(routes[0] == RouteInfo(source: IPAddress("127.0.0.1")!, interface: "lo"))
        #expect(routes[1] == RouteInfo(source: IPAddress("::1")!, interface: "lo"))
        // Our own veth address is reached through lo, though veth-a holds it.
        #expect(routes[2] == RouteInfo(source: a, interface: "lo"))
    }

    @Test func noRouteIsAClearError() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        // The namespace knows only its /24 and /64: nothing else is routable.
        let elsewhere = IPAddress("198.18.\(net.subnet == 251 ? 252 : 251).9")!
        let message = try NetworkNamespace.run(in: net.a) { () -> String? in
            do { _ = try Routing.route(to: elsewhere); return nil } catch { return "\(error)" }
        }
        #expect(message == "there is no route to \(elsewhere) (Network is unreachable): "
            + "check the address and `ip route get \(elsewhere)`")
    }
}
