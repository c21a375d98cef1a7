/// What is known about a packet besides its bytes: where it sits in a file, when it was
/// captured, its lengths and comment. Everything is optional (hex input has none of it).
public struct PacketContext: Sendable {
    public var index: Int?
    public var seconds: Int64?
    public var nanoseconds: UInt32
    public var capturedLength: Int?
    public var originalLength: Int?
    public var comment: String?

    public init(index: Int? = nil, seconds: Int64? = nil, nanoseconds: UInt32 = 0,
                capturedLength: Int? = nil, originalLength: Int? = nil, comment: String? = nil) {
        self.index = index
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.capturedLength = capturedLength
        self.originalLength = originalLength
        self.comment = comment
    }

    /// `HH:MM:SS.ffffff` in UTC, as tcpdump prints time of day.
    public var timeOfDay: String? {
        guard let seconds else { return nil }
        let day = ((seconds % 86_400) + 86_400) % 86_400
        let micro = nanoseconds / 1000
        return pad(day / 3600, 2) + ":" + pad(day / 60 % 60, 2) + ":" + pad(day % 60, 2) + "." + pad(Int64(micro), 6)
    }

    /// ISO 8601 UTC with microseconds, e.g. `2018-04-24T08:07:06.009123Z`.
    public var isoTime: String? {
        guard let seconds else { return nil }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secOfDay = seconds - days * 86_400
        // Civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(secOfDay / 3600, 2) + ":"
            + pad(secOfDay / 60 % 60, 2) + ":" + pad(secOfDay % 60, 2) + "." + pad(Int64(nanoseconds / 1000), 6) + "Z"
    }

    private func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
