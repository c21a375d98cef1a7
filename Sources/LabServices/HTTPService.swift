import JSONSupport

/// Serves one HTTP request on a connection (plain, or TLS after the handshake), then closes.
struct HTTPService: Sendable {
    let node: String
    let log: RequestLog
    /// The whole head must arrive within this time.
    let headTimeoutMs: Int64 = 15_000

    /// `extra` fields (SNI, TLS version) go into the log record.
    func serve(_ connection: Connection, service: String, sni: String? = nil, extra: [(String, JSONValue)] = []) {
        let context = HTTPRouter.Context(node: node, scheme: service == "tls" ? "https" : "http", sni: sni,
                                         client: connection.peer?.description)
        var fields = extra
        let reply: HTTPReply
        var headOnly = false
        switch readHead(connection) {
        case .head(let head):
            reply = HTTPRouter.reply(to: head, context)
            headOnly = head.method == "HEAD"
            fields += [
                ("method", .string(head.method)),
                ("path", .string(head.target)),
                ("host", head.header("Host").map { .string($0) } ?? .null),
                ("user_agent", head.header("User-Agent").map { .string($0) } ?? .null),
            ]
        case .malformed(let why):
            reply = HTTPRouter.error(400, "Bad Request", why, context)
            fields.append(("error", .string(why)))
        case .tooLarge:
            reply = HTTPRouter.error(431, "Request Header Fields Too Large", "The request head is over 16 KiB.", context)
            fields.append(("error", .string("request head too large")))
        case .ended(let why):
            fields.append(("error", .string(why)))
            log.record(service, client: connection.peer, local: connection.local, fields)
            return
        }
        let sent = send(reply, on: connection, headOnly: headOnly)
        fields += [("status", .int(Int64(reply.status))), ("bytes", .int(Int64(reply.contentLength)))]
        if !sent { fields.append(("error", .string("client went away during the response"))) }
        log.record(service, client: connection.peer, local: connection.local, fields)
    }

    enum HeadOutcome {
        case head(HTTPRequestHead)
        case malformed(String)
        case tooLarge
        case ended(String)
    }

    private func readHead(_ connection: Connection) -> HeadOutcome {
        var buffer: [UInt8] = []
        let deadline = monotonicMs() + headTimeoutMs
        while true {
            if let length = HTTPRequestParser.headLength(buffer) {
                do {
                    return .head(try HTTPRequestParser.parse(buffer[..<length]))
                } catch {
                    return .malformed(describe(error))
                }
            }
            if buffer.count > HTTPRequestParser.maxHeadLength { return .tooLarge }
            let left = deadline - monotonicMs()
            guard left > 0 else { return timedOut(buffer) }
            switch connection.read(max: 8192, timeoutMs: Int32(left)) {
            case .data(let bytes): buffer += bytes
            case .timedOut:
                return timedOut(buffer)
            case .closed, .failed:
                return .ended(buffer.isEmpty ? "closed without a request" : "closed in the middle of the request head")
            }
        }
    }

    private func timedOut(_ buffer: [UInt8]) -> HeadOutcome {
        buffer.isEmpty ? .ended("no request before the timeout") : .malformed("incomplete request head before the timeout")
    }

    private func describe(_ error: HTTPParseError) -> String {
        switch error {
        case .malformedRequestLine: return "malformed request line"
        case .malformedHeader: return "malformed header line"
        case .tooManyHeaders: return "too many header lines"
        }
    }

    private func send(_ reply: HTTPReply, on connection: Connection, headOnly: Bool) -> Bool {
        guard connection.write(reply.head(node: node)) else { return false }
        if headOnly { return true }
        guard let total = reply.generatedLength else { return connection.write(reply.body) }
        var left = total
        return PayloadBlock.bytes.withUnsafeBytes { block in
            while left > 0 {
                let n = min(left, block.count)
                guard connection.write(UnsafeRawBufferPointer(rebasing: block[..<n])) else { return false }
                left -= n
            }
            return true
        }
    }
}

/// 64 KiB of fixed pseudo-random bytes, repeated for `/bytes/N`: no keyword a censor
/// might match turns up by accident, and nothing is generated per request.
enum PayloadBlock {
    static let bytes: [UInt8] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<65536).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 32)
        }
    }()
}
