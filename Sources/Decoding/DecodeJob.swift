import Capture
import JSONSupport
import Packets

/// `decode`: packets from hex or a capture file, each as a text line (tcpdump -v) or a
/// JSON object, written as they are read so a file of millions of packets streams.
public struct DecodeJob: Sendable {
    /// What the job writes: a text line or one JSON object (a line of JSON Lines).
    public enum Output {
        case line(String)
        case json(JSONValue)
    }

    /// A problem with the input, as one sentence; what came before it was already written.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Hex texts, each one packet (plain hex or a tcpdump -x/-X dump); `-` stands for
    /// standard input.
    public var hex: [String]
    /// A pcap or pcapng file, read instead of `hex`.
    public var pcap: String?
    /// The link layer of hex input; nil: raw IP, which the bytes must then start with.
    public var link: LinkType?
    /// Stop after this many packets of a file.
    public var count: Int?
    public var json: Bool

    public init(hex: [String], pcap: String?, link: LinkType?, count: Int?, json: Bool) {
        self.hex = hex
        self.pcap = pcap
        self.link = link
        self.count = count
        self.json = json
    }

    /// Decodes everything, handing each packet to `emit`.
    public func run(emit: (Output) -> Void) throws(Failure) {
        if let pcap { try decodeFile(pcap, emit) } else { try decodeHex(emit) }
    }

    /// Hex given as `-`: all of standard input.
    static func readStandardInput() -> String {
        var lines: [String] = []
        while let line = readLine(strippingNewline: false) { lines.append(line) }
        return lines.joined()
    }

    private func output(_ frame: Frame, _ context: PacketContext) -> Output {
        json ? .json(PacketJSON.frame(frame, context: context)) : .line(PacketText.frame(frame, context: context))
    }

    private func decodeHex(_ emit: (Output) -> Void) throws(Failure) {
        for (i, text) in hex.enumerated() {
            let bytes: [UInt8]
            do { bytes = try Hex.decode(text == "-" ? Self.readStandardInput() : text) } catch { throw Failure("\(error.description)") }
            var linkType = LinkType.raw
            if let link { linkType = link } else {
                guard let v = bytes.first.map({ $0 >> 4 }), v == 4 || v == 6 else {
                    throw Failure("the bytes do not start with an IPv4 or IPv6 header; if they start with a link-layer header, say which with --link ethernet (or sll, sll2, null)")
                }
            }
            let frame: Frame
            do { frame = try Frame.parse(bytes, linkType: linkType) } catch {
                throw Failure("the hex input is not a valid packet: \(error.description)")
            }
            if case .undecodable(let error, _) = frame.payload {
                throw Failure("the hex input is not a valid packet: \(error.description)")
            }
            emit(output(frame, PacketContext(index: hex.count > 1 ? i + 1 : nil, capturedLength: bytes.count)))
        }
    }

    private func decodeFile(_ path: String, _ emit: (Output) -> Void) throws(Failure) {
        var reader: CaptureFileReader
        do { reader = try CaptureFileReader(path: path) } catch { throw Failure(error.description) }
        var index = 0
        while true {
            if let count, index >= count { return }
            let packet: CapturedPacket?
            do { packet = try reader.next() } catch {
                throw Failure(error.description)   // packets before the problem were already written
            }
            guard let packet else { return }
            index += 1
            let context = PacketContext(index: index, seconds: packet.timestamp.seconds, nanoseconds: packet.timestamp.nanoseconds,
                                        capturedLength: packet.data.count, originalLength: packet.originalLength,
                                        comment: packet.comment)
            do {
                emit(output(try packet.decode(), context))
            } catch {
                // A frame whose link header is cut short: report it in place and go on, as tcpdump does.
                emit(json ? .json(.object([("index", .number(index)), ("error", .string(error.description))]))
                          : .line("#\(index) [\(error.description)]"))
            }
        }
    }
}
