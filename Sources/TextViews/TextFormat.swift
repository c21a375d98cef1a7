// The small formats every text view shares.

/// Milliseconds as traceroute prints them: three decimals; `?` for nothing, a negative, a
/// non-finite or an absurd value (a hostile agent's answer included).
public func milliseconds(_ value: Double?) -> String {
    guard let value, value.isFinite, value >= 0, value < 1e9 else { return "?" }
    let scaled = Int((value * 1000).rounded())
    let fraction = String(scaled % 1000)
    return "\(scaled / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
}

extension String {
    /// Right-aligned in `width` columns (never cut).
    public func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }

    /// Left-aligned in `width` columns (never cut).
    func padded(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}

/// `1 probe`, `2 probes`: a count with its noun agreeing.
public func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
}
