import Packets

/// The text form of TCP options and flags used on the command line and in experiment
/// scripts: `mss=1460,sackOK,ts,nop,wscale=7` and `S`, `SA`, `SEC`.
public enum OptionSyntax {
    public struct Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses a comma-separated option list. Names: `mss=N`, `wscale=N`, `sackOK`,
    /// `ts` or `ts=VAL:ECR`, `nop`, `eol`, `tfo` or `tfo=HEX` (cookie), `uto=N`,
    /// `md5` (16 zero bytes), `opt-K` or `opt-K=HEX` (any kind K with raw data).
    public static func options(_ text: String) throws(Error) -> [TCPOption] {
        var result: [TCPOption] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
            let name = parts[0].lowercased()
            let value = parts.count > 1 ? parts[1] : nil
            switch (name, value) {
            case ("mss", let v?): result.append(.maximumSegmentSize(try number(v, UInt16.self, "mss")))
            case ("wscale", let v?):
                let shift = try number(v, UInt8.self, "wscale")
                result.append(.windowScale(shift))
            case ("sackok", nil), ("sack-permitted", nil): result.append(.sackPermitted)
            case ("ts", nil): result.append(.timestamps(value: 0, echoReply: 0))
            case ("ts", let v?):
                let halves = v.split(separator: ":").map(String.init)
                guard halves.count == 2 else { throw Error(description: "ts takes VALUE:ECHO, like ts=12345:0") }
                result.append(.timestamps(value: try number(halves[0], UInt32.self, "ts"),
                                          echoReply: try number(halves[1], UInt32.self, "ts")))
            case ("nop", nil): result.append(.noOperation)
            case ("eol", nil): result.append(.endOfList)
            case ("tfo", nil): result.append(.fastOpen(cookie: []))
            case ("tfo", let v?): result.append(.fastOpen(cookie: try hex(v, "tfo")))
            case ("uto", let v?): result.append(.userTimeout(try number(v, UInt16.self, "uto")))
            case ("md5", nil): result.append(.md5Signature(Array(repeating: 0, count: 16)))
            default:
                if name.hasPrefix("opt-"), let kind = UInt8(name.dropFirst(4)), kind > 1 {
                    result.append(.unknown(kind: kind, data: try value.map { v throws(Error) in try hex(v, name) } ?? []))
                } else {
                    throw Error(description: "unknown TCP option '\(item)'; use mss=N, wscale=N, sackOK, ts, ts=V:E, nop, eol, tfo, uto=N, md5 or opt-K=HEX")
                }
            }
        }
        return result
    }

    /// TCP flags from letters as tcpdump and hping3 name them: F S R P A U E C (N for
    /// the accurate-ECN bit).
    public static func flags(_ text: String) throws(Error) -> TCPFlags {
        var flags: TCPFlags = []
        for letter in text.uppercased() {
            switch letter {
            case "F": flags.insert(.fin)
            case "S": flags.insert(.syn)
            case "R": flags.insert(.rst)
            case "P": flags.insert(.psh)
            case "A": flags.insert(.ack)
            case "U": flags.insert(.urg)
            case "E": flags.insert(.ece)
            case "C": flags.insert(.cwr)
            case "N": flags.insert(.ae)
            default: throw Error(description: "unknown TCP flag '\(letter)'; use the letters F S R P A U E C N")
            }
        }
        guard !flags.isEmpty else { throw Error(description: "give at least one TCP flag letter, like S") }
        return flags
    }

    private static func number<T: FixedWidthInteger>(_ text: String, _ type: T.Type, _ name: String) throws(Error) -> T {
        guard let n = T(text) else { throw Error(description: "\(name) needs a number from \(T.min) to \(T.max), not '\(text)'") }
        return n
    }

    private static func hex(_ text: String, _ name: String) throws(Error) -> [UInt8] {
        do { return try Hex.decode(text) } catch { throw Error(description: "\(name) needs hex bytes, not '\(text)'") }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
