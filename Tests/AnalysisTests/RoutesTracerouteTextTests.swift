import Packets
import Testing
@testable import Analysis

/// traceroute's text as Linux and BSD print it, with and without names, -n, -A and marks.
@Suite struct RoutesTracerouteTextTests {
    @Test func namesSeveralRespondersLossesAndMarks() throws {
        let text = """
            traceroute to www.example.com (203.0.113.80), 30 hops max, 60 byte packets
             1  _gateway (192.0.2.1)  0.345 ms  0.311 ms  0.300 ms
             2  * * *
             3  edge-1.example.net (198.51.100.1)  5.101 ms edge-2.example.net (198.51.100.5)  5.202 ms *
             4  core.example.net (198.51.100.9) [AS64500/AS64501]  7.4 ms  7.3 ms  7.2 ms
             5  www.example.com (203.0.113.80)  9.9 ms !H  9.8 ms !X  9.7 ms
            """
        let path = try RouteImport.parse(text, name: "t.txt")
        #expect(path.source == "traceroute")
        #expect(path.destination == routeIP("203.0.113.80") && path.origin == nil)
        #expect(routeShape(path) == ["1 192.0.2.1", "2 *", "3 198.51.100.1,198.51.100.5", "4 198.51.100.9", "5 203.0.113.80"])
        #expect(path.hops[2].rttMilliseconds == [5.101, 5.202])
        #expect(path.hops[3].rttMilliseconds == [7.4, 7.3, 7.2], "the -A annotation is not a time")
        #expect(path.hops[4].rttMilliseconds == [9.9, 9.8, 9.7])
        #expect(path.notes.isEmpty)
    }

    @Test func numericAnnotatedOutputWithASAndMPLS() throws {
        let text = """
            traceroute to 203.0.113.80 (203.0.113.80) from 192.0.2.10, 30 hops max, 60 byte packets
             1  192.0.2.1 [*]  0.3 ms  0.2 ms  0.2 ms
             2  198.51.100.1 [AS64500 EXAMPLE-NET Example Networks]  5.1 ms <MPLS:L=24001,E=0,S=1,T=1>  5.0 ms  5.0 ms
             3  203.0.113.80 [AS64510]  9.0 ms  9.1 ms  9.2 ms
            """
        let path = try RouteImport.parse(text, name: "a.txt")
        #expect(path.origin == routeIP("192.0.2.10"))
        #expect(routeShape(path) == ["1 192.0.2.1", "2 198.51.100.1", "3 203.0.113.80"])
        #expect(path.hops[1].rttMilliseconds == [5.1, 5.0, 5.0])
    }

    @Test func bsdContinuationLinesAndIPv6() throws {
        let text = """
            traceroute6 to 2001:db8:9::2 (2001:db8:9::2) from 2001:db8:1::2, 64 hops max, 20 byte packets
             1  2001:db8:1::1  0.412 ms  0.301 ms  0.298 ms
             2  2001:db8:2::2  1.101 ms
                2001:db8:2::6  1.202 ms  1.190 ms
             3  2001:db8:9::2  2.001ms  2.010ms  1.998ms
            """
        let path = try RouteImport.parse(text, name: "b.txt")
        #expect(path.origin == routeIP("2001:db8:1::2") && path.destination == routeIP("2001:db8:9::2"))
        #expect(routeShape(path) == ["1 2001:db8:1::1", "2 2001:db8:2::2,2001:db8:2::6", "3 2001:db8:9::2"])
        #expect(path.hops[1].rttMilliseconds == [1.101, 1.202, 1.19])
        #expect(path.hops[2].rttMilliseconds == [2.001, 2.01, 1.998])
    }

    @Test func headerlessOutputAndSeveralTraceroutes() throws {
        // traceroute prints its header on stderr, so a redirected stdout often lacks it.
        let bare = " 1  192.0.2.1  0.3 ms  0.2 ms  0.2 ms\n 2  203.0.113.80  9.0 ms  9.1 ms  9.2 ms\n"
        let path = try RouteImport.parse(bare, name: "bare.txt")
        #expect(routeShape(path) == ["1 192.0.2.1", "2 203.0.113.80"])
        #expect(path.destination == nil)

        let two = """
            traceroute to 203.0.113.80 (203.0.113.80), 30 hops max, 60 byte packets
             1  192.0.2.1  0.3 ms
            traceroute to 203.0.113.81 (203.0.113.81), 30 hops max, 60 byte packets
             1  192.0.2.1  0.3 ms
             2  203.0.113.81  9.0 ms
            """
        let first = try RouteImport.parse(two, name: "two.txt")
        #expect(first.destination == routeIP("203.0.113.80"))
        #expect(first.notes == ["two.txt holds 2 traceroutes; the first is used (choose another with --index)."])
        let second = try RouteImport.parse(two, name: "two.txt", index: 1)
        #expect(routeShape(second) == ["1 192.0.2.1", "2 203.0.113.81"] && second.notes.isEmpty)
    }

    @Test func textThatIsNotTraceroute() {
        #expect(throws: RouteImportError("notes.txt is neither JSON nor traceroute text: it has no 'traceroute to' header and no numbered hop lines.")) {
            try RouteImport.parse("Dear diary,\n12 apples and 3 pears\n", name: "notes.txt")
        }
        #expect(throws: RouteImportError("h.txt holds a traceroute header but no hop lines, so there is no path.")) {
            try RouteImport.parse("traceroute to 192.0.2.1 (192.0.2.1), 30 hops max, 60 byte packets\n", name: "h.txt")
        }
    }

    @Test func hopNumbersOutsideTheTTLRangeAreLeftOut() throws {
        let text = " 0  192.0.2.9  0.1 ms\n 1  192.0.2.1  0.3 ms\n 1000  192.0.2.8  0.1 ms\n 256  192.0.2.7  0.2 ms\n"
        let path = try RouteImport.parse(text, name: "x.txt")
        #expect(routeShape(path) == ["1 192.0.2.1"])
        #expect(path.notes.contains("2 entries of x.txt had no TTL between 1 and 255 and were left out."))
        #expect(path.notes.contains("1 line of x.txt did not read as traceroute hops and was skipped."))
    }
}
