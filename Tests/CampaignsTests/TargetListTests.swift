import Campaigns
import Packets
import Testing

/// A resolver for tests: names map to addresses in 198.18.0.0/16, no DNS; it records each call.
final class FakeResolver: @unchecked Sendable {
    struct NoSuchName: Error, CustomStringConvertible {
        var name: String
        var description: String { "no address for \(name) (NXDOMAIN)" }
    }
    var table: [String: [IPAddress]]
    var calls: [String] = []

    init(_ table: [String: [String]]) {
        self.table = table.mapValues { $0.compactMap(IPAddress.init) }
    }

    func resolve(_ name: String) throws -> [IPAddress] {
        calls.append(name)
        guard let addresses = table[name] else { throw NoSuchName(name: name) }
        return addresses
    }
}

func targets(_ text: String, max: Int = 65536, resolver: FakeResolver = FakeResolver([:])) throws(CampaignError) -> TargetList {
    try TargetList.parse(text, source: "list.txt", maxAddresses: max, resolve: resolver.resolve)
}

func targetError(_ text: String, max: Int = 65536, resolver: FakeResolver = FakeResolver([:])) -> CampaignError? {
    do {
        _ = try targets(text, max: max, resolver: resolver)
        return nil
    } catch {
        return error
    }
}

@Suite struct TargetListTests {
    @Test func everyForm() throws {
        let resolver = FakeResolver(["chat.example": ["198.18.5.1", "198.18.5.2"], "stun.example": ["198.18.6.1"]])
        let list = try targets("""
            # a comment line

            198.18.9.2
            198.18.9.3:443          # trailing comment
            2001:db8::1
            [2001:db8::2]:443,80
            198.18.20.0/30
            2001:db8::/126
            Chat.Example.:6697
            stun.example:3478/udp
            [2001:db8::100/127]:443
            """, resolver: resolver)
        let rows = list.targets.map { "\($0.address) \($0.name ?? "-") \($0.ports?.map(\.description).joined(separator: ",") ?? "*") @\($0.line)" }
        #expect(rows == [
            "198.18.9.2 - * @3",
            "198.18.9.3 - 443 @4",
            "2001:db8::1 - * @5",
            "2001:db8::2 - 443,80 @6",
            "198.18.20.0 - * @7", "198.18.20.1 - * @7", "198.18.20.2 - * @7", "198.18.20.3 - * @7",
            // 2001:db8::1 came on line 5 already: the expansion skips it.
            "2001:db8:: - * @8", "2001:db8::2 - * @8", "2001:db8::3 - * @8",
            "198.18.5.1 chat.example 6697 @9", "198.18.5.2 chat.example 6697 @9",
            "198.18.6.1 stun.example 3478/udp @10",
            "2001:db8::100 - 443 @11", "2001:db8::101 - 443 @11",
        ])
        #expect(list.targets[1].input == "198.18.9.3:443")
        #expect(list.targets[3].ports == [ServicePort(443), ServicePort(80)])
        #expect(list.resolved == [
            ResolvedName(name: "chat.example", addresses: [IPAddress("198.18.5.1")!, IPAddress("198.18.5.2")!], line: 9),
            ResolvedName(name: "stun.example", addresses: [IPAddress("198.18.6.1")!], line: 10),
        ])
    }

    @Test(arguments: [(30, 4), (32, 1), (24, 256), (16, 65536)])
    func prefixSizes(_ length: Int, _ count: Int) throws {
        let list = try targets("198.18.0.0/\(length)\n")
        #expect(list.targets.count == count)
        #expect(Set(list.targets.map(\.address)).count == count)
    }

    @Test func namesResolveOncePerDistinctName() throws {
        let resolver = FakeResolver(["a.example": ["198.18.1.1", "198.18.1.1", "198.18.1.2"]])
        let list = try targets("a.example:443\nA.EXAMPLE:80\na.example:443\n", resolver: resolver)
        #expect(resolver.calls == ["a.example"])
        #expect(list.resolved.count == 1)
        #expect(list.resolved[0].addresses.count == 2)
        // Line 3 repeats line 1 (address, name, ports): kept once.
        #expect(list.targets.map(\.line) == [1, 1, 2, 2])
    }

    @Test func duplicatesKeepTheFirstLine() throws {
        let list = try targets("""
            198.18.0.1
            198.18.0.0/30
            198.18.0.1:443
            198.18.0.1 # again
            198.18.0.1:443
            """)
        #expect(list.targets.map { "\($0.address)@\($0.line)" } == [
            "198.18.0.1@1", "198.18.0.0@2", "198.18.0.2@2", "198.18.0.3@2", "198.18.0.1@3",
        ])
    }

    @Test func repeatedPortsInALineAreKeptOnce() throws {
        let list = try targets("198.18.0.1:443,80,443/tcp\n")
        #expect(list.targets[0].ports == [ServicePort(443), ServicePort(80)])
    }

    @Test func whitespaceAndLineEndings() throws {
        let list = try targets("\u{FEFF}  198.18.0.1\t\r\n\t198.18.0.2:443  # x\r\n   # only comment\r\n")
        #expect(list.targets.map(\.input) == ["198.18.0.1", "198.18.0.2:443"])
        #expect(list.targets.map(\.line) == [1, 2])
    }

    @Test func capIsCheckedBeforeExpanding() throws {
        let resolver = FakeResolver(["never.example": ["198.18.0.1"]])
        let clock = ContinuousClock()
        let start = clock.now
        let huge = try #require(targetError("198.18.0.1\n2000::/8\nnever.example\n", resolver: resolver))
        #expect(clock.now - start < .seconds(1))
        #expect(huge.line == 2)
        #expect(huge.message == "the list expands to at least 2^120 addresses, more than the limit of 65536; list single addresses or smaller prefixes")
        // Refused before any name was looked up.
        #expect(resolver.calls.isEmpty)
        let documentation = try #require(targetError("2001:db8::/32\n"))
        #expect(documentation.message.hasPrefix("the list expands to at least 2^96 addresses"))
        // Even with no cap to speak of, what cannot be counted is refused, never allocated.
        #expect(targetError("::/0\n", max: Int.max)?.message.hasPrefix("the list expands to at least 2^128 addresses") == true)

        let counted = try #require(targetError("198.18.0.0/24\n198.18.1.0/24\n198.18.2.0/24\n", max: 600))
        #expect(counted.line == 3)
        #expect(counted.description == "list.txt:3: the list expands to 768 addresses, more than the limit of 600; raise it with --max-targets")

        #expect(try targets("198.18.0.0/24\n198.18.1.0/24\n", max: 512).targets.count == 512)
    }

    @Test func resolvedAddressesCountTowardsTheCap() throws {
        let resolver = FakeResolver(["many.example": (1...10).map { "198.18.7.\($0)" }])
        let error = try #require(targetError("198.18.0.0/29\nmany.example\n", max: 12, resolver: resolver))
        #expect(error.line == 2)
        #expect(error.message.hasPrefix("the list expands to 18 addresses, more than the limit of 12"))
    }

    @Test func resolverErrorsNameTheLine() throws {
        let error = try #require(targetError("198.18.0.1\n\nmissing.example:443\n"))
        #expect(error.description == "list.txt:3: cannot resolve 'missing.example': no address for missing.example (NXDOMAIN)")
        let empty = try #require(targetError("empty.example\n", resolver: FakeResolver(["empty.example": []])))
        #expect(empty.line == 1)
        #expect(empty.message.contains("'empty.example' resolves to no addresses"))
    }

    @Test(arguments: [
        ("198.18.0.0/33", "malformed CIDR '198.18.0.0/33'"),
        ("2001:db8::/129", "malformed CIDR '2001:db8::/129'"),
        ("198.18.0.0/", "malformed CIDR '198.18.0.0/'"),
        ("198.18.0.5/24", "CIDR '198.18.0.5/24' has bits set past its length; the prefix is 198.18.0.0/24"),
        ("198.18.0.256", "malformed address '198.18.0.256'"),
        ("198.18.0", "malformed address '198.18.0'"),
        ("2001:db8:::1", "malformed address '2001:db8:::1'"),
        ("198.18.0.1:0", "bad port '0' in '198.18.0.1:0'"),
        ("198.18.0.1:65536", "bad port '65536'"),
        ("198.18.0.1:", "bad port '' in '198.18.0.1:'"),
        ("name.example:443/sctp", "bad port '443/sctp'"),
        ("name.example:80,,443", "bad port ''"),
        ("[2001:db8::1", "opens '[' without closing it"),
        ("[2001:db8::1]443", "has '443' after ']'"),
        ("[198.18.0.1]:443", "brackets hold an IPv6 address"),
        ("-bad-.example", "'-bad-.example' is not an address, CIDR prefix or host name"),
        ("under_score.example", "is not an address, CIDR prefix or host name"),
        ("198.18.0.1 443", "has spaces inside"),
    ])
    func malformedLines(_ line: String, _ fragment: String) throws {
        let error = try #require(targetError("# header\n\(line)\n"))
        #expect(error.file == "list.txt")
        #expect(error.line == 2)
        #expect(error.message.contains(fragment), "\(error)")
    }

    @Test func noTargets() throws {
        for text in ["", "\n", "# nothing\n   \n\t# still nothing\n"] {
            let error = try #require(targetError(text))
            #expect(error.line == nil)
            #expect(error.description == "list.txt: the file has no targets, only comments and blank lines; write one address, CIDR prefix or host name per line")
        }
    }

    @Test func nulAndInvalidUTF8AreRefused() throws {
        let nul = try #require(targetError("198.18.0.1\n198.18.0.2\u{0}\n"))
        #expect(nul.line == 2)
        #expect(nul.message.contains("NUL byte"))

        let replaced = try #require(targetError("198.18.0.1\n# caf\u{FFFD}\n"))
        #expect(replaced.line == 2)
        #expect(replaced.message.contains("not UTF-8"))

        do {
            _ = try TargetList.parse(bytes: Array("198.18.0.1\n198.18.0.2\n".utf8) + [0xC3, 0x28, 0x0A], source: "raw.txt", resolve: { _ in [] })
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.description == "raw.txt:3: the line is not UTF-8 text; a target list is plain text, one target per line")
        }
        let fine = try TargetList.parse(bytes: Array("198.18.0.1 # café\n".utf8), source: "raw.txt", resolve: { _ in [] })
        #expect(fine.targets.count == 1)
    }

    @Test func longLinesAreRefusedNotTrapped() throws {
        let name = String(repeating: "a", count: 5000) + ".example"
        let error = try #require(targetError(name + "\n"))
        #expect(error.line == 1)
        #expect(error.message.contains("the target is 5008 bytes long"))
        let ports = "198.18.0.1:" + (1...200).map(String.init).joined(separator: ",")
        let list = try targets(ports + "\n")
        #expect(list.targets[0].ports?.count == 200)
        let longLabel = String(repeating: "b", count: 64) + ".example"
        #expect(targetError(longLabel)?.message.contains("is not an address, CIDR prefix or host name") == true)
    }
}
