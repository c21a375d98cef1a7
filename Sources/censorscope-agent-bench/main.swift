import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

// Load on the agent: N `GET /v1/info` requests over TLS, C at a time, one per connection as
// the agent serves them. Prints requests/s and failures; scripts/bench-agent.sh reads the
// agent's RSS between rounds. Each connection comes from another loopback address (127.1.0.1 to 127.1.63.254),
// as from many clients: one client may open only 8 connections a second. Usage: censorscope-agent-bench PORT TOKEN [--requests N] [--concurrency C]

let args = CommandLine.arguments
guard args.count >= 3, let port = Int(args[1]) else {
    FileHandle.standardError.write(Data("usage: censorscope-agent-bench PORT TOKEN [--requests N] [--concurrency C]\n".utf8))
    exit(64)
}
let token = args[2]
func option(_ name: String, _ fallback: Int) -> Int {
    args.firstIndex(of: name).flatMap { $0 + 1 < args.count ? Int(args[$0 + 1]) : nil } ?? fallback
}
let requests = option("--requests", 1000)
let concurrency = option("--concurrency", 8)

/// Completes `done` when the server closes the connection, with whether a 200 came back.
final class Reader: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let first = Mutex<[UInt8]>([])
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        first.withLock { f in if f.count < 16, let bytes = b.readBytes(length: min(16 - f.count, b.readableBytes)) { f += bytes } }
    }
    var ok: Bool { String(decoding: first.withLock { $0 }, as: UTF8.self).hasPrefix("HTTP/1.1 200") }
}

var tls = TLSConfiguration.makeClientConfiguration()
tls.certificateVerification = .none
let context = try NIOSSLContext(configuration: tls)
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let request = "GET /v1/info HTTP/1.1\r\nHost: agent\r\nAuthorization: Bearer \(token)\r\n\r\n"
let counters = Mutex((next: 0, ok: 0, failed: 0))
let start = ContinuousClock.now
let finished = DispatchGroup()
for _ in 0..<concurrency {
    finished.enter()
    Thread {
        defer { finished.leave() }
        while counters.withLock({ c -> Bool in defer { c.next += 1 }; return c.next < requests }) {
            let reader = Reader()
            let done: Bool = (try? {
                // Sources spread over 127.1.0.1-127.1.63.254: the agent budgets handshakes per client.
                let n = counters.withLock { $0.next } % 16256
                let channel = try ClientBootstrap(group: group)
                    .bind(to: try SocketAddress(ipAddress: "127.1.\(n / 254).\(n % 254 + 1)", port: 0))
                    .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                        try ch.pipeline.syncOperations.addHandler(reader)
                    }
                }.connect(host: "127.0.0.1", port: port).wait()
                try channel.writeAndFlush(ByteBuffer(string: request)).wait()
                try channel.closeFuture.wait()
                return reader.ok
            }()) ?? false
            counters.withLock { c in if done { c.ok += 1 } else { c.failed += 1 } }
        }
    }.start()
}
finished.wait()
let elapsed = ContinuousClock.now - start
let s = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let c = counters.withLock { $0 }
print("requests \(c.ok + c.failed) ok \(c.ok) failed \(c.failed) seconds \(String(format: "%.1f", s)) per_second \(String(format: "%.0f", Double(c.ok + c.failed) / s))")
try? group.syncShutdownGracefully()
