import ChildProcess
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import TestSupport
import Testing

/// The agent against slow clients and malformed HTTP, on loopback: 256 TLS connections from
/// 32 addresses that trickle a header line every second (and reconnect when cut off) must
/// not keep a real request from being answered within 2 s; every error has a JSON body.
@Suite(.serialized) struct AgentUnderAttackTests {
    /// `agent serve` on a free loopback port; stopped after `body`.
    func withAgent(_ body: (_ port: Int, _ url: String, _ pin: String) throws -> Void) throws {
        let w = try AgentCLITests.Workspace()
        defer { w.remove() }
        let port = Int(AgentCLITests.port(listening: false).port)
        let pid = try #require(Subprocess.start([CLI.binary, "agent", "serve", "--listen", "127.0.0.1:\(port)", "--token-file", w.tokens,
                                                 "--state-dir", w.directory + "/state", "--allow-reserved", "--rate-limit", "100/1"],
                                                outputFile: w.log))
        defer { Subprocess.stop(pid) }
        var output = ""
        for _ in 0..<100 where !output.contains("listening on") {
            usleep(100_000)
            output = (try? String(contentsOfFile: w.log, encoding: .utf8)) ?? ""
        }
        let pin = try #require(output.split(separator: "\n").first { $0.hasPrefix("fingerprint ") }?.dropFirst(12))
        try body(port, "https://127.0.0.1:\(port)", String(pin))
        let log = (try? String(contentsOfFile: w.log, encoding: .utf8)) ?? ""
        #expect(!log.contains("Fatal error") && !log.contains("crashed"), "the agent crashed: \(log.prefix(1500))")
    }

    /// Collects what the agent sends back.
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            if let b = buffer.readBytes(length: buffer.readableBytes) { bytes.withLock { $0 += b } }
        }
        var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
    }

    static func connect(_ group: EventLoopGroup, _ context: NIOSSLContext, from source: String, port: Int,
                        collector: Collector? = nil) throws -> Channel {
        try ClientBootstrap(group: group)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    if let collector { try channel.pipeline.syncOperations.addHandler(collector) }
                }
            }
            .connect(host: "127.0.0.1", port: port).wait()
    }

    static func clientContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return try NIOSSLContext(configuration: tls)
    }

    @Test("256 slow TLS clients from 32 addresses: a real request is still answered within 2 s")
    func slowClients() throws {
        try withAgent { port, url, pin in
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            let context = try Self.clientContext()
            let stop = Atomic(false)
            let held = Atomic(0)
            // The attacker: 8 connections from each of 127.0.0.2-33, a header line each second,
            // reconnecting whatever the agent closes.
            let attacker = Thread {
                var channels: [Int: Channel] = [:]
                var tick = 0
                while !stop.load(ordering: .relaxed) {
                    for slot in 0..<256 where channels[slot]?.isActive != true {
                        channels[slot] = try? Self.connect(group, context, from: "127.0.0.\(2 + slot % 32)", port: port)
                        channels[slot]?.writeAndFlush(ByteBuffer(string: "POST /v1/trace HTTP/1.1\r\nHost: x\r\n"), promise: nil)
                    }
                    for (_, c) in channels where c.isActive { c.writeAndFlush(ByteBuffer(string: "X-Slow-\(tick): 1\r\n"), promise: nil) }
                    held.store(channels.values.filter(\.isActive).count, ordering: .relaxed)
                    tick += 1
                    Thread.sleep(forTimeInterval: 1)
                }
                channels.values.forEach { $0.close(promise: nil) }
            }
            attacker.start()
            defer { stop.store(true, ordering: .relaxed) }
            Thread.sleep(forTimeInterval: 3)
            #expect(held.load(ordering: .relaxed) >= 200, "the attacker holds \(held.load(ordering: .relaxed)) connections")
            for _ in 0..<3 {
                let started = Date()
                let r = try CLI.run(["agent", "request", url, "--token", AgentCLITests.token, "--agent-pin", pin], timeout: 20)
                let took = Date().timeIntervalSince(started)
                #expect(r.status == 0, "\(r.stderr)")
                #expect(took < 2, "answered after \(took) s")
                Thread.sleep(forTimeInterval: 2)
            }
            stop.store(true, ordering: .relaxed)
            Thread.sleep(forTimeInterval: 1.5)
        }
    }

    @Test("Malformed HTTP, chunked bodies and requests that never finish get a JSON error", arguments: [
        ("GARBAGE \u{1}\r\n\r\n", 400, "the request is not well-formed HTTP/1.1"),
        ("POST /v1/trace HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", 411, "send the body with a Content-Length, not chunked"),
        ("POST /v1/trace HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{", 408, "the request did not arrive within 5 s of the connection"),
    ])
    func jsonErrors(request: String, status: Int, message: String) throws {
        try withAgent { port, _, _ in
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            let collector = Collector()
            let channel = try Self.connect(group, try Self.clientContext(), from: "127.0.0.1", port: port, collector: collector)
            try channel.writeAndFlush(ByteBuffer(string: request)).wait()
            let deadline = Date().addingTimeInterval(8)
            while Date() < deadline, !collector.text.contains("\r\n\r\n{") || !collector.text.hasSuffix("\n") { Thread.sleep(forTimeInterval: 0.1) }
            let text = collector.text
            #expect(text.hasPrefix("HTTP/1.1 \(status) "), "\(text)")
            #expect(text.contains("Content-Type: application/json"), "\(text)")
            #expect(text.contains("\r\n\r\n{\"error\":\"\(message)"), "\(text)")
            channel.close(promise: nil)
        }
    }
}
