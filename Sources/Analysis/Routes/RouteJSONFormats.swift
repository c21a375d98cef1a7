import JSONSupport
import Packets

/// The JSON importers, one per tool. Each takes one result object already classified by
/// `RouteImport.kind(of:)`; fields of the wrong type read as absent.
enum RouteJSONFormats {
    // MARK: - censorscope

    /// `trace --json` (or one half of `trace --both --json`): `target`, `source`, and `hops`
    /// of {ttl, address, rtt_ms, kind, responses: [{address, rtt_ms, …}]}.
    static func censorscopeTrace(_ object: JSONValue, name: String) throws(RouteImportError) -> RoutePath {
        guard let hops = RouteJSON.array(object["hops"]) else {
            throw RouteImportError("\(name) holds a censorscope trace without a hops list.")
        }
        let collector = collectCensorscopeHops(hops)
        return RoutePath(source: RouteFormat.censorscope.rawValue, origin: RouteJSON.address(object["source"]),
                         destination: RouteJSON.address(object["target"]), hops: collector.hops(),
                         notes: skippedNote(collector, name: name))
    }

    /// `investigate --json`: the control probes' `path` (else the blocked probes'
    /// `test_path`), `target`, `vantage.address`, and the censor at `location.address`.
    static func investigation(_ object: JSONValue, name: String) throws(RouteImportError) -> RoutePath {
        let chosen = RouteJSON.array(object["path"]).flatMap { $0.isEmpty ? nil : $0 } ?? RouteJSON.array(object["test_path"])
        guard let hops = chosen, !hops.isEmpty else {
            throw RouteImportError("\(name) is an investigate result without a path (the run traced nothing), so there is no path to compare.")
        }
        let collector = collectCensorscopeHops(hops)
        return RoutePath(source: RouteFormat.censorscope.rawValue, origin: RouteJSON.address(object["vantage"]?["address"]),
                         destination: RouteJSON.address(object["target"]), hops: collector.hops(),
                         censor: RouteJSON.address(object["location"]?["address"]),
                         notes: skippedNote(collector, name: name))
    }

    static func collectCensorscopeHops(_ hops: [JSONValue]) -> HopCollector {
        var collector = HopCollector()
        for hop in hops {
            let ttl = RouteJSON.int(hop["ttl"])
            let responses = RouteJSON.array(hop["responses"]) ?? []
            if !responses.isEmpty {
                for response in responses {
                    collector.add(ttl: ttl, address: RouteJSON.address(response["address"]),
                                  rtt: RouteJSON.double(response["rtt_ms"]), answered: true)
                }
                continue
            }
            let address = RouteJSON.address(hop["address"])
            let kind = RouteJSON.string(hop["kind"])
            let answered = address != nil || (kind != nil && kind != "silent")
            collector.add(ttl: ttl, address: address, rtt: RouteJSON.double(hop["rtt_ms"]), answered: answered)
        }
        return collector
    }

    // MARK: - RIPE Atlas

    /// A traceroute result (firmware 4400 and later): `src_addr`, `from`, `dst_addr`, and
    /// `result` of {hop, result: [{from, rtt, ttl, size} | {x: "*"} | {error}]}. Firmware 1
    /// results hold the traceroute text in `result`, read as such.
    static func atlas(_ object: JSONValue, name: String) throws(RouteImportError) -> RoutePath {
        let origin = RouteJSON.address(object["src_addr"]) ?? RouteJSON.address(object["from"])
        let destination = RouteJSON.address(object["dst_addr"])
        if let text = RouteJSON.string(object["result"]) {
            var path = try TracerouteText.parse(text, name: name, index: nil)
            path.source = RouteFormat.atlas.rawValue
            path.origin = path.origin ?? origin
            path.destination = path.destination ?? destination
            return path
        }
        guard let entries = RouteJSON.array(object["result"]) else {
            throw RouteImportError("\(name) holds a RIPE Atlas result without a result list of hops.")
        }
        var collector = HopCollector()
        for entry in entries {
            let ttl = RouteJSON.int(entry["hop"])
            let replies = RouteJSON.array(entry["result"]) ?? []
            // A hop with an "error" (sendto failed…) or no replies sent nothing that came back.
            if replies.isEmpty { collector.add(ttl: ttl, address: nil, rtt: nil, answered: false) }
            for reply in replies {
                if let from = RouteJSON.address(reply["from"]) {
                    collector.add(ttl: ttl, address: from, rtt: RouteJSON.double(reply["rtt"]), answered: true)
                } else {
                    collector.add(ttl: ttl, address: nil, rtt: nil, answered: false)
                }
            }
        }
        return RoutePath(source: RouteFormat.atlas.rawValue, origin: origin, destination: destination,
                         hops: collector.hops(), notes: skippedNote(collector, name: name))
    }

    // MARK: - scamper

    /// A `"type":"trace"` object: `src`, `dst`, `firsthop`, `hop_count`, and `hops` listing
    /// only the replies, each {addr, probe_ttl, rtt, …}; TTLs without a reply are silent.
    static func scamper(_ object: JSONValue, name: String) throws(RouteImportError) -> RoutePath {
        var collector = HopCollector()
        for hop in RouteJSON.array(object["hops"]) ?? [] {
            collector.add(ttl: RouteJSON.int(hop["probe_ttl"]), address: RouteJSON.address(hop["addr"]),
                          rtt: RouteJSON.double(hop["rtt"]), answered: true)
        }
        let firstHop = RouteJSON.int(object["firsthop"]).map { min(max($0, 1), HopCollector.maxTTL) } ?? 1
        let hopCount = RouteJSON.int(object["hop_count"]).map { min(max($0, 0), HopCollector.maxTTL) }
        return RoutePath(source: RouteFormat.scamper.rawValue, origin: RouteJSON.address(object["src"]),
                         destination: RouteJSON.address(object["dst"]),
                         hops: collector.hops(firstTTL: firstHop, through: hopCount),
                         notes: skippedNote(collector, name: name))
    }

    // MARK: - mtr

    /// `mtr --json`: `report.mtr` {src, dst, …} and `report.hubs` of {count, host, Loss%,
    /// Snt, Avg, …}; host `???` is a silent hop, `name (address)` comes from `mtr -b`.
    static func mtr(_ object: JSONValue, name: String) throws(RouteImportError) -> RoutePath {
        let report = object["report"] ?? object
        guard let hubs = RouteJSON.array(report["hubs"]) else {
            throw RouteImportError("\(name) holds an mtr report without hubs.")
        }
        var collector = HopCollector()
        var namesOnly = 0
        for hub in hubs {
            let ttl = RouteJSON.int(hub["count"])
            let host = RouteJSON.string(hub["host"]) ?? "???"
            if host == "???" {
                collector.add(ttl: ttl, address: nil, rtt: nil, answered: false)
                continue
            }
            let address = TracerouteText.address(inHost: host)
            if address == nil { namesOnly += 1 }
            collector.add(ttl: ttl, address: address, rtt: RouteJSON.double(hub["Avg"]), answered: true)
        }
        var notes = skippedNote(collector, name: name)
        if namesOnly > 0 {
            notes.append("mtr printed only a name for \(namesOnly) hop\(namesOnly == 1 ? "" : "s") of \(name); run mtr with -n or -b so that routers can be compared by address.")
        }
        let header = report["mtr"]
        return RoutePath(source: RouteFormat.mtr.rawValue, origin: RouteJSON.address(header?["src"]),
                         destination: RouteJSON.address(header?["dst"]), hops: collector.hops(), notes: notes)
    }

    static func skippedNote(_ collector: HopCollector, name: String) -> [String] {
        guard collector.skipped > 0 else { return [] }
        return ["\(collector.skipped) entr\(collector.skipped == 1 ? "y" : "ies") of \(name) had no TTL between 1 and 255 and \(collector.skipped == 1 ? "was" : "were") left out."]
    }
}
