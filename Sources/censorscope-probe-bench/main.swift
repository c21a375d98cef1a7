import Capture
import Foundation
import Packets
import ProbeSession
import Probing

// Probing throughput through a real network: N probes sent as fast as the raw socket
// takes them (or at --rate), every answer correlated, loss counted. Run it inside a lab
// node (scripts/bench-probing.sh does, next to hping3 and Linux traceroute).
// Usage: censorscope-probe-bench --target ADDR [--port P] [--probes N] [--kind syn|icmp|trace]
//        [--rate R] [--timeout S] [--max-ttl N]

struct Options {
    var target: IPAddress?
    var port: UInt16 = 80
    var probes = 100_000
    var kind = "syn"
    var rate: Double?
    var timeout = 2.0
    var maxTTL = 30

    init(_ args: [String]) {
        var it = args.dropFirst().makeIterator()
        while let a = it.next() {
            switch a {
            case "--target": target = it.next().flatMap(IPAddress.init)
            case "--port": port = UInt16(it.next() ?? "") ?? port
            case "--probes": probes = Int(it.next() ?? "") ?? probes
            case "--kind": kind = it.next() ?? kind
            case "--rate": rate = Double(it.next() ?? "")
            case "--timeout": timeout = Double(it.next() ?? "") ?? timeout
            case "--max-ttl": maxTTL = Int(it.next() ?? "") ?? maxTTL
            default: usage()
            }
        }
        if target == nil || !["syn", "icmp", "trace"].contains(kind) || probes < 1 { usage() }
    }
}

func usage() -> Never {
    print("usage: censorscope-probe-bench --target ADDR [--port P] [--probes N] [--kind syn|icmp|trace] [--rate R] [--timeout S] [--max-ttl N]")
    exit(64)
}

func peakRSSMiB() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

let options = Options(CommandLine.arguments)
let target = options.target!
do {
    let route = try Routing.route(to: target)
    let builder = try ProbeBuilder(source: route.source, destination: target)
    var probes: [Probing.Probe] = []
    let buildStart = ContinuousClock.now
    switch options.kind {
    case "syn":
        let shape = TCPProbeShape.variant(.mss)
        probes.reserveCapacity(options.probes)
        for i in 0..<options.probes {
            // Source ports cycle through 20 000 values; the sequence number keeps probes apart.
            probes.append(try builder.tcp(index: i, shape: shape, sourcePort: UInt16(40_000 + i % 20_000), destinationPort: options.port,
                                          sequence: UInt32(truncatingIfNeeded: i &* 2_654_435_761), ttl: 64,
                                          ipID: UInt16(truncatingIfNeeded: i), label: "syn #\(i)"))
        }
    case "icmp":
        for i in 0..<options.probes {
            probes.append(try builder.icmpEcho(index: i, identifier: UInt16(truncatingIfNeeded: 7 + i >> 16), sequence: UInt16(truncatingIfNeeded: i),
                                               payloadSize: 16, ttl: 64, ipID: UInt16(truncatingIfNeeded: i), label: "echo #\(i)"))
        }
    default:
        let plan = try TracePlan(method: .tcp, source: route.source, destination: target, destinationPort: options.port,
                                 sourcePort: 45_000, firstTTL: 1, maxTTL: options.maxTTL, seed: 2018)
        probes = try plan.probes()
    }
    let buildSeconds = seconds(ContinuousClock.now - buildStart)
    var configuration = RunConfiguration(interface: route.interface,
                                         filter: CaptureFilter.forRun(source: route.source, destinations: [target]))
    configuration.rate = options.rate
    configuration.burst = options.rate == nil ? 1 : 10
    configuration.timeout = .milliseconds(Int64(options.timeout * 1000))
    let started = ContinuousClock.now
    let all = probes
    let result = try CorrelatedRun.run(probes, configuration: configuration, settled: options.kind == "trace" ? { c in
        TraceAssembler.isSettled(probes: all, answers: { c.answers(for: $0) }, destination: target)
    } : { c in c.counts.answeredProbes >= all.count })
    let wall = seconds(ContinuousClock.now - started)
    let counts = result.correlator.counts
    let sendTimes = result.correlator.sendTimes.values.map(\.totalNanoseconds)
    let sendSpan = sendTimes.isEmpty ? 0 : Double(sendTimes.max()! - sendTimes.min()!) / 1e9
    let stats = result.statistics
    print("kind \(options.kind) target \(target) from \(route.source) via \(route.interface)")
    print(String(format: "built %d probes in %.3f s (%.0f probes/s)", probes.count, buildSeconds, Double(probes.count) / max(buildSeconds, 1e-9)))
    print(String(format: "sent %d probes, %d send errors; first to last on the wire %.3f s: %.0f probes/s", stats.sent, stats.sendErrors, sendSpan,
                 sendSpan > 0 ? Double(stats.sent) / sendSpan : 0))
    print(String(format: "answers %d for %d probes (loss %.2f%%), duplicates %d, ambiguous %d, unrelated %d, seen leaving %d",
                 counts.answers, counts.answeredProbes, 100 * Double(probes.count - counts.answeredProbes) / Double(probes.count),
                 counts.duplicates, counts.ambiguous, counts.unrelated, counts.sentSeen))
    print(String(format: "captured %d packets, capture dropped %d; run %.3f s wall (ended early: %@); peak RSS %.0f MiB",
                 stats.captured, stats.captureDropped, wall, stats.endedEarly ? "yes" : "no", peakRSSMiB()))
    if options.kind == "trace" {
        let trace = TraceAssembler.assemble(probes: probes, answers: { result.answers(for: $0) }, destination: target)
        print("trace: \(trace.hops.count) hops, reached \(trace.reached), \(trace.stopReason), \(String(format: "%.3f", wall)) s")
    }
} catch {
    print("error: \(error)")
    exit(1)
}
