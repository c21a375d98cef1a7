import Foundation
import Packets
import Testing
@testable import Analysis

/// Lines as iptoasn.com publishes them (ip2asn-combined.tsv) and as CAIDA's Routeviews
/// pfx2as files carry them.
enum ASNSamples {
    static let iptoasn = """
        # ip2asn-combined.tsv excerpt
        1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET
        1.0.1.0\t1.0.3.255\t0\tNone\tNot routed
        1.0.4.0\t1.0.7.255\t38803\tAU\tGTELECOM-AUSTRALIA Gtelecom Pty Ltd

        159.89.176.0\t159.89.191.255\t14061\tDE\tDIGITALOCEAN-ASN
        2001:200::\t2001:200:ffff:ffff:ffff:ffff:ffff:ffff\t2500\tJP\tWIDE-BB WIDE project
        2001:4860::\t2001:4860:ffff:ffff:ffff:ffff:ffff:ffff\t15169\tUS\tGOOGLE

        """
    static let pfx2as = """
        1.0.0.0\t24\t13335
        1.0.4.0\t22\t38803
        1.0.4.0\t24\t38803
        1.0.5.0\t24\t64500_64501
        1.0.6.0\t24\t64502,64503
        1.0.8.77\t24\t64504
        2001:200::\t32\t2500
        2001:200:900::\t40\t7660
        """
}

@Suite struct ASNDatabaseTests {
    func lookup(_ db: ASNDatabase, _ text: String) throws -> ASNRecord? {
        db.lookup(try #require(IPAddress(text)))
    }

    @Test func iptoasnIPv4RangesWithNamesAndCountries() throws {
        let db = try ASNDatabase(text: ASNSamples.iptoasn)
        #expect(db.format == .iptoasn)
        #expect(db.entryCount == 6 && db.malformedLineCount == 0 && db.firstMalformedLine == nil)
        let cf = try #require(try lookup(db, "1.0.0.1"))
        #expect(cf.asn == 13335 && cf.name == "CLOUDFLARENET" && cf.country == "US")
        #expect(cf.range == "1.0.0.0-1.0.0.255" && cf.prefixLength == nil && cf.label == "AS13335")
        #expect(try lookup(db, "1.0.0.0")?.asn == 13335)
        #expect(try lookup(db, "1.0.0.255")?.asn == 13335)
        #expect(try lookup(db, "1.0.7.255")?.name == "GTELECOM-AUSTRALIA Gtelecom Pty Ltd")
        // The founding story's server.
        #expect(try lookup(db, "159.89.184.10")?.asn == 14061)
        // AS 0 "Not routed" and addresses outside every range are unknown.
        #expect(try lookup(db, "1.0.2.9") == nil)
        #expect(try lookup(db, "0.255.255.255") == nil)
        #expect(try lookup(db, "1.0.8.0") == nil)
        #expect(try lookup(db, "255.255.255.255") == nil)
    }

    @Test func iptoasnIPv6RangesAndMappedAddresses() throws {
        let db = try ASNDatabase(text: ASNSamples.iptoasn)
        let wide = try #require(try lookup(db, "2001:200:1234::1"))
        #expect(wide.asn == 2500 && wide.country == "JP" && wide.name == "WIDE-BB WIDE project")
        #expect(wide.range == "2001:200::-2001:200:ffff:ffff:ffff:ffff:ffff:ffff")
        #expect(try lookup(db, "2001:4860:4860::8888")?.asn == 15169)
        #expect(try lookup(db, "2001:201::") == nil)
        #expect(try lookup(db, "::") == nil)
        #expect(try lookup(db, "::ffff:1.0.0.9")?.asn == 13335)
    }

    @Test func iptoasnDecimalVariant() throws {
        let db = try ASNDatabase(text: "16777216\t16777471\t13335\tUS\tCLOUDFLARENET\n")
        #expect(try lookup(db, "1.0.0.200")?.asn == 13335)
        #expect(try lookup(db, "1.0.1.0") == nil)
    }

    @Test func iptoasnDescriptionLosesControlCharacters() throws {
        let db = try ASNDatabase(text: "198.18.0.0\t198.19.255.255\t64500\tZZ\tLAB\tNET \u{1B}[31mred\u{85}\r\n198.20.0.0\t198.20.0.255\t64501\t\t\n")
        let r = try #require(try lookup(db, "198.18.3.4"))
        #expect(r.name == "LAB?NET ?[31mred?")   // tab, ESC and U+0085 alike
        #expect(r.country == "ZZ")
        let bare = try #require(try lookup(db, "198.20.0.1"))
        #expect(bare.name == nil && bare.country == nil && bare.asn == 64501)
    }

    @Test func pfx2asLongestPrefixAndMultipleOrigins() throws {
        let db = try ASNDatabase(text: ASNSamples.pfx2as)
        #expect(db.format == .pfx2as)
        #expect(db.entryCount == 8)
        let more = try #require(try lookup(db, "1.0.4.9"))
        #expect(more.asn == 38803 && more.range == "1.0.4.0/24" && more.prefixLength == 24 && more.name == nil && more.country == nil)
        #expect(try lookup(db, "1.0.7.1")?.range == "1.0.4.0/22")
        let multi = try #require(try lookup(db, "1.0.5.200"))
        #expect(multi.asn == 64500 && multi.origins == [64500, 64501] && multi.label == "AS64500_64501")
        #expect(try lookup(db, "1.0.6.1")?.origins == [64502, 64503])
        // Host bits in the file are ignored: 1.0.8.77/24 is 1.0.8.0/24.
        #expect(try lookup(db, "1.0.8.1")?.range == "1.0.8.0/24")
        #expect(try lookup(db, "1.0.3.255") == nil)
        #expect(try lookup(db, "2001:200:9ff:ffff::1")?.asn == 7660)
        #expect(try lookup(db, "2001:200:a00::1")?.asn == 2500)
        #expect(try lookup(db, "2001:200:a00::1")?.range == "2001:200::/32")
    }

    @Test func pfx2asSpaceSeparatedAndWholeSpacePrefixes() throws {
        let db = try ASNDatabase(text: "0.0.0.0  0  64496\n198.18.0.0 15 64500\n::   0  64497\n")
        #expect(try lookup(db, "8.8.8.8")?.asn == 64496)
        #expect(try lookup(db, "198.19.1.1")?.asn == 64500)
        #expect(try lookup(db, "255.255.255.255")?.asn == 64496)
        #expect(try lookup(db, "ffff::1")?.asn == 64497)
    }

    @Test func overlappingRangesTheNarrowestWins() throws {
        let db = try ASNDatabase(text: """
            10.0.0.0\t10.255.255.255\t1\tAA\twide
            10.1.0.0\t10.1.255.255\t2\tAA\tmiddle
            10.1.2.0\t10.1.2.255\t3\tAA\tnarrow
            10.1.255.0\t10.2.0.255\t4\tAA\tstraddling
            """)
        #expect(try lookup(db, "10.0.0.1")?.asn == 1)
        #expect(try lookup(db, "10.1.0.1")?.asn == 2)
        #expect(try lookup(db, "10.1.2.3")?.asn == 3)
        #expect(try lookup(db, "10.1.3.0")?.asn == 2)
        #expect(try lookup(db, "10.1.255.5")?.asn == 4)
        #expect(try lookup(db, "10.2.0.255")?.asn == 4)
        #expect(try lookup(db, "10.2.1.0")?.asn == 1)
        #expect(try lookup(db, "10.255.255.255")?.asn == 1)
        #expect(try lookup(db, "11.0.0.0") == nil)
    }

    @Test func malformedLinesAreCountedAndSkipped() throws {
        let text = """
            # comment
            1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET
            1.0.4.0\t1.0.7.255\tAS38803\tAU\tletters in the AS number
            1.0.9.0\t1.0.8.0\t64500\tUS\tend before start
            1.0.9.0\t2001:db8::\t64500\tUS\tmixed families
            300.0.0.0\t300.0.0.255\t64500\tUS\tbad octet
            1.0.10.0\t24\t64500
            1.0.11.0\t1.0.11.255\t4294967296\tUS\tAS number too large
               \t
            1.0.12.0\t1.0.12.255\t64501\tUS\tGOOD
            """
        let db = try ASNDatabase(text: text)
        #expect(db.format == .iptoasn)
        #expect(db.entryCount == 2)
        #expect(db.malformedLineCount == 6)
        #expect(db.firstMalformedLine == 3)
        #expect(try lookup(db, "1.0.12.1")?.asn == 64501)
        #expect(try lookup(db, "1.0.10.1") == nil)
    }

    @Test func pfx2asMalformedLines() throws {
        let db = try ASNDatabase(text: "1.0.0.0\t24\t13335\n1.0.1.0\t33\t1\n2001:db8::\t129\t1\n1.0.2.0\t24\t1__2\n1.0.3.0\t24\t\n1.0.4.0\t-1\t5\n1.0.5.0\t24\t7,\n")
        #expect(db.entryCount == 1 && db.malformedLineCount == 6 && db.firstMalformedLine == 2)
    }

    @Test func noValidLineIsOneSentence() throws {
        for (text, expected) in [
            ("", "the ASN database text holds no entries: expected iptoasn TSV lines"),
            ("# only a comment\n\n   \n", "the ASN database text holds no entries"),
            ("garbage\nmore garbage\n1.2.3.4\n", "the ASN database text has no valid line (3 malformed, the first at line 1): expected"),
        ] {
            let error = try #require(throws: ASNDatabase.Failure.self) { try ASNDatabase(text: text) }
            #expect(error.description.hasPrefix(expected), "\(error.description)")
            #expect(error.description.hasSuffix("."))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func fileErrorsNameTheFile() throws {
        let missing = try #require(throws: ASNDatabase.Failure.self) { try ASNDatabase(contentsOf: "/nonexistent/ip2asn.tsv") }
        #expect(missing.description == "cannot open ASN database '/nonexistent/ip2asn.tsv': No such file or directory.")
        let directory = try #require(throws: ASNDatabase.Failure.self) { try ASNDatabase(contentsOf: "/tmp") }
        #expect(directory.description == "ASN database '/tmp' is not a regular file.")
        let gz = FileManager.default.temporaryDirectory.appendingPathComponent("asn-test-\(getpid()).tsv.gz").path
        FileManager.default.createFile(atPath: gz, contents: Data([0x1F, 0x8B, 0x08, 0x00, 0x00]))
        defer { try? FileManager.default.removeItem(atPath: gz) }
        let gzip = try #require(throws: ASNDatabase.Failure.self) { try ASNDatabase(contentsOf: gz) }
        #expect(gzip.description.contains("is gzip-compressed"))
        #expect(gzip.description.contains(gz))
    }

    @Test func loadsAFileFromDisk() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("asn-test-\(getpid()).tsv").path
        FileManager.default.createFile(atPath: path, contents: Data(ASNSamples.iptoasn.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try ASNDatabase(contentsOf: path)
        #expect(db.lookup(.v4(IPv4Address(1, 0, 0, 1)))?.asn == 13335)
    }
}
