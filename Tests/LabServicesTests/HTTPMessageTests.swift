import LabServices
import Testing

@Suite struct HTTPMessageTests {
    func parse(_ text: String) throws -> HTTPRequestHead {
        let bytes = Array(text.utf8)
        let length = try #require(HTTPRequestParser.headLength(bytes))
        return try HTTPRequestParser.parse(bytes[..<length])
    }

    @Test func parsesARequestHead() throws {
        let head = try parse("GET /a/b?q=1 HTTP/1.1\r\nHost: blocked.example\r\nUser-Agent:  curl/8 \r\n\r\nbody")
        #expect(head.method == "GET")
        #expect(head.target == "/a/b?q=1")
        #expect(head.path == "/a/b")
        #expect(head.version == "HTTP/1.1")
        #expect(head.header("host") == "blocked.example")
        #expect(head.header("User-Agent") == "curl/8")
    }

    @Test func acceptsBareLineFeedsAndAbsoluteTargets() throws {
        let head = try parse("GET http://x.example/bytes/5 HTTP/1.0\nHost: x\n\n")
        #expect(head.path == "/bytes/5")
        #expect(HTTPRequestParser.headLength(Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)) == nil)
    }

    @Test func rejectsMalformedHeads() {
        for text in ["GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "G@T / HTTP/1.1\r\n\r\n",
                     "GET / HTTP/1.1\r\nNo colon\r\n\r\n", "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
                     "GET / HTTP/1.1\r\nA: \u{1}\r\n\r\n", "\r\n\r\n"] {
            let bytes = Array(text.utf8)
            let length = HTTPRequestParser.headLength(bytes) ?? bytes.count
            #expect(throws: HTTPParseError.self, "\(text.debugDescription)") { try HTTPRequestParser.parse(bytes[..<length]) }
        }
    }

    @Test func pageNamesTheNodeAndEscapesTheHost() throws {
        let head = try parse("GET / HTTP/1.1\r\nHost: <script>x</script>\r\n\r\n")
        let reply = HTTPRouter.reply(to: head, .init(node: "server-1", scheme: "https", sni: "blocked.example"))
        let page = String(decoding: reply.body, as: UTF8.self)
        #expect(reply.status == 200)
        #expect(page.contains("server-1"))
        #expect(page.contains("&lt;script&gt;x&lt;/script&gt;"))
        #expect(!page.contains("<script>"))
        #expect(page.contains("blocked.example"))
        let head2 = String(decoding: reply.head(node: "n\r\nX: y"), as: UTF8.self)
        #expect(head2.contains("Content-Length: \(reply.body.count)\r\n"))
        #expect(head2.contains("X-Lab-Node: n??X: y\r\n"))
    }

    @Test func bytesRoute() throws {
        let ok = HTTPRouter.reply(to: try parse("GET /bytes/1000000 HTTP/1.1\r\n\r\n"), .init(node: "s", scheme: "http"))
        #expect(ok.status == 200 && ok.contentLength == 1_000_000 && ok.body.isEmpty)
        let zero = HTTPRouter.reply(to: try parse("GET /bytes/0 HTTP/1.1\r\n\r\n"), .init(node: "s", scheme: "http"))
        #expect(zero.status == 200 && zero.contentLength == 0)
        for bad in ["/bytes/", "/bytes/-1", "/bytes/1e3", "/bytes/99999999", "/bytes/\(HTTPRouter.maxBytes + 1)"] {
            let r = HTTPRouter.reply(to: try parse("GET \(bad) HTTP/1.1\r\n\r\n"), .init(node: "s", scheme: "http"))
            #expect(r.status == 400, "\(bad)")
        }
        let max = HTTPRouter.reply(to: try parse("GET /bytes/\(HTTPRouter.maxBytes) HTTP/1.1\r\n\r\n"), .init(node: "s", scheme: "http"))
        #expect(max.status == 200)
    }
}
