import JSONSupport
import Packets
import Records

/// The JSON importers, one per tool. Each takes one result object already classified by
/// `RouteImport.kind(of:)`; fields of the wrong type read as absent.
enum RouteJSONFormats {
    // MARK: - censorscope

    /// `trace --json` (or one half of `trace --both --json`), read by the trace record's
    /// decoder: `target`, `source`, and `hops` of {ttl, address, rtt_ms, kind, responses}.
    static func censorscopeTrace(_ object: JSONValue, name: String) throws(RouteImportError) -> RoutePath {
        guard let trace = try? TraceRecord(json: object) else {
            throw RouteImportError("\(name) holds a censorscope trace without a hops list.")
        }
        let collector = collectCensorscopeHops(trace.hops, others: nonObjects(object["hops"]))
        return RoutePath(source: RouteFormat.censorscope.rawValue, origin: address(trace.source),
                         destination: address(trace.target), hops: collector.hops(),
                         notes: skippedNote(collector, name: name))
    }

    /// `investigate --json`, read by the investigation record's decoder: the control probes'
    /// `path` (else the blocked probes' `test_path`), `target`, `vantage.address`, and the
    /// censor at `location.address`.
    static func investigation(_ object: JSONValue, name: String) throws(RouteImportError) -> RoutePath {
        let record = try? InvestigationRecord(json: object)
        let control = record?.path ?? []
        let hops = control.isEmpty ? record?.testPath ?? [] : control
        let key = control.isEmpty ? "test_path" : "path"
        let others = nonObjects(object[key])
        guard !hops.isEmpty || others > 0 else {
            throw RouteImportError("\(name) is an investigate result without a path (the run traced nothing), so there is no path to compare.")
        }
        let collector = collectCensorscopeHops(hops, others: others)
        return RoutePath(source: RouteFormat.censorscope.rawValue, origin: address(record?.vantage?.address),
                         destination: address(record?.target), hops: collector.hops(), censor: address(record?.location?.address),
                         notes: skippedNote(collector, name: name))
    }

    /// The hops of a censorscope path; `others` entries of the list were not objects and
    /// count as skipped.
    static func collectCensorscopeHops(_ hops: [HopRecord], others: Int = 0) -> HopCollector {
        var collector = HopCollector()
        for _ in 0..<others { collector.add(ttl: nil, address: nil, rtt: nil, answered: false) }
        for hop in hops {
            let responses = hop.responses ?? []
            if !responses.isEmpty {
                for response in responses {
                    collector.add(ttl: hop.ttl, address: address(response.address), rtt: response.rttMilliseconds, answered: true)
                }
                continue
            }
            let at = address(hop.address)
            let answered = at != nil || (hop.kind != nil && hop.kind != "silent")
            collector.add(ttl: hop.ttl, address: at, rtt: hop.rttMilliseconds, answered: answered)
        }
        return collector
    }

    static func address(_ text: String?) -> IPAddress? {
        guard let text, text.utf8.count <= 64 else { return nil }
        return IPAddress(text)
    }

    /// How many entries of a JSON list are not objects.
    static func nonObjects(_ list: JSONValue?) -> Int {
        (RouteJSON.array(list) ?? []).filter { if case .object = $0 { return false }; return true }.count
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
