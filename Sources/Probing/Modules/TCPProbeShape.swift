import Packets

/// The SYNs an investigation compares: by size and options, as real stacks send them.
/// IPv4 sizes 40, 44, 60, 52, 64 bytes; IPv6 20 more.
public enum SYNVariant: String, CaseIterable, Sendable {
    /// No options: 40 bytes.
    case bare
    /// MSS only, 44 bytes: what `traceroute -T -O syn` sends, which passed the 2018 DPI.
    case mss
    /// A Linux connect(), 60 bytes: the browser SYN the 2018 DPI answered with a forged RST.
    case linux
    /// A Windows 10/11 connect(), 52 bytes.
    case windows
    /// A macOS connect(), 64 bytes.
    case macos
}

/// Everything about a TCP probe but its addresses, ports, sequence number, TTL and IP ID.
public struct TCPProbeShape: Hashable, Sendable {
    public var options: [TCPOption]
    public var flags: TCPFlags
    public var window: UInt16
    /// Data carried in the segment (in a SYN: TCP Fast Open style, or to test DPI on SYN payloads).
    public var payload: [UInt8]
    /// Total IP packet length to pad to; nil sends the natural length. See `layout`.
    public var size: Int?
    /// IPv4 TOS / IPv6 traffic class.
    public var tos: UInt8
    /// IPv4 DF (ignored for IPv6, which never fragments on the way).
    public var dontFragment: Bool

    public init(options: [TCPOption] = [], flags: TCPFlags = .syn, window: UInt16 = 64240,
                payload: [UInt8] = [], size: Int? = nil, tos: UInt8 = 0, dontFragment: Bool = true) {
        self.options = options
        self.flags = flags
        self.window = window
        self.payload = payload
        self.size = size
        self.tos = tos
        self.dontFragment = dontFragment
    }

    /// The TS value the variants carry. A stack's timestamp clock is opaque to the receiver
    /// (RFC 7323 §5.4: random offset per connection), so any non-zero constant is faithful;
    /// `withTimestamp(_:)` changes it.
    public static let timestampValue: UInt32 = 0x1D2C_3B4A

    /// A variant's shape. Option orders and values follow p0f v3's p0f.fp signatures and
    /// nmap's nmap-os-db O1 lines (the first SYN of a connect()):
    /// - linux: p0f "Linux 3.11 and newer" `mss,sok,ts,nop,ws`, nmap `M5B4ST11NW7`; window
    ///   64240 (44 × MSS) as kernels since 4.x send it (the 2018 story's kernel sent 29200).
    /// - windows: p0f "Windows 7 or 8" `mss,nop,ws,nop,nop,sok` with ws 8, nmap `M5B4NW8NNS`;
    ///   window 64240 as Windows 10/11 send it.
    /// - macos: p0f "Mac OS X" `65535,6:mss,nop,ws,nop,nop,ts,sok,eol+1`, nmap
    ///   `M5B4NW6NNT11SLL`: EOL plus one zero byte ends the 24-byte list.
    /// - mss: traceroute's tcp module with `-O syn` (MSS only); bare: no options (nmap -sS style).
    /// MSS is 1460 for IPv4 (1500-byte Ethernet), 1440 for IPv6 (40-byte header).
    public static func variant(_ v: SYNVariant, ipv6: Bool = false) -> TCPProbeShape {
        let mss = TCPOption.maximumSegmentSize(ipv6 ? 1440 : 1460)
        let ts = TCPOption.timestamps(value: timestampValue, echoReply: 0)
        switch v {
        case .bare:
            return TCPProbeShape(options: [], window: 64240)
        case .mss:
            return TCPProbeShape(options: [mss], window: 64240)
        case .linux:
            return TCPProbeShape(options: [mss, .sackPermitted, ts, .noOperation, .windowScale(7)], window: 64240)
        case .windows:
            return TCPProbeShape(options: [mss, .noOperation, .windowScale(8), .noOperation, .noOperation, .sackPermitted],
                                 window: 64240)
        case .macos:
            return TCPProbeShape(options: [mss, .noOperation, .windowScale(6), .noOperation, .noOperation, ts,
                                           .sackPermitted, .endOfList, .endOfList],
                                 window: 65535)
        }
    }

    /// This shape with every timestamps option's TS value set to `value`.
    public func withTimestamp(_ value: UInt32) -> TCPProbeShape {
        var copy = self
        copy.options = options.map {
            if case .timestamps(_, let ecr) = $0 { return .timestamps(value: value, echoReply: ecr) }
            return $0
        }
        return copy
    }

    /// The variant this shape is, ignoring `size` and the TS value; nil for any other shape.
    public var matchingVariant: SYNVariant? {
        var plain = withTimestamp(TCPProbeShape.timestampValue)
        plain.size = nil
        return SYNVariant.allCases.first { plain == .variant($0, ipv6: false) || plain == .variant($0, ipv6: true) }
    }

    /// Option bytes before padding.
    public var optionLength: Int { options.wireLength }

    /// The unpadded length: IP header, 20-byte TCP header, options rounded up to 4, payload.
    public func naturalLength(ipv6: Bool) -> Int {
        (ipv6 ? 40 : 20) + 20 + (optionLength + 3) / 4 * 4 + payload.count
    }

    /// The length the built packet will have: `size` when set, else the natural length.
    /// (When `size` is invalid, building throws; `validate` says why.)
    public func packetLength(ipv6: Bool) -> Int { size ?? naturalLength(ipv6: ipv6) }

    /// Throws what building this shape would throw.
    public func validate(ipv6: Bool) throws(ProbeBuildError) { _ = try layout(ipv6: ipv6) }

    /// The options and payload as sent, padding applied.
    ///
    /// Padding rule for `size`: first the TCP option space grows, in 4-byte steps, with
    /// zero bytes after the last option (end-of-option-list and the padding after it, legitimate
    /// per RFC 9293 §3.1), up to 40 option bytes; what remains is zero payload bytes after
    /// `payload`. A size below the natural length, a size above 65535 and options longer than
    /// 40 bytes are errors.
    func layout(ipv6: Bool) throws(ProbeBuildError) -> (options: [TCPOption], payload: [UInt8]) {
        guard optionLength <= 40 else { throw .optionsTooLong(bytes: optionLength) }
        let natural = naturalLength(ipv6: ipv6)
        guard natural <= 65535 else { throw .packetTooLarge(length: natural) }
        guard let size else { return (options, payload) }
        guard size <= 65535 else { throw .sizeTooLarge(size: size) }
        guard size >= natural else { throw .sizeBelowNatural(size: size, natural: natural) }
        let alignedOptions = (optionLength + 3) / 4 * 4
        let extra = size - natural
        let growth = min(40 - alignedOptions, extra / 4 * 4)
        let zeros = alignedOptions - optionLength + growth
        let padded = zeros > 0 ? options + [.trailing([UInt8](repeating: 0, count: zeros))] : options
        return (padded, payload + [UInt8](repeating: 0, count: extra - growth))
    }

    /// "linux", "linux size 80", "custom", or for a non-SYN the flag letters ("SA").
    var labelName: String {
        let base = flags == .syn ? (matchingVariant?.rawValue ?? "custom") : flags.letters
        return size.map { "\(base) size \($0)" } ?? base
    }
}
