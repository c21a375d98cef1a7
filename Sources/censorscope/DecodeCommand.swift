import ArgumentParser
import Capture
import Decoding
import JSONSupport
import Packets

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode packets from hex or a pcap/pcapng file, like tcpdump -v.",
        discussion: """
            --hex takes plain hex or a tcpdump -x/-X dump (offsets and ASCII column are \
            ignored); '-' reads it from standard input. Bytes starting with an IPv4 or IPv6 \
            header are read as raw IP, otherwise give --link. With --json each packet is one \
            JSON object per line (fields in Docs/data-formats.md).
            """
    )

    @Option(name: .long, help: "The packet as hex (repeat for several packets; '-' reads standard input).")
    var hex: [String] = []

    @Option(name: .long, help: "A pcap or pcapng file.")
    var pcap: String?

    @Option(name: .long, help: "Link layer of --hex input: raw, ethernet, sll, sll2, null, loop (default: raw).")
    var link: String?

    @Option(name: .long, help: "Stop after this many packets.")
    var count: Int?

    @Flag(name: .long, help: "Print JSON Lines instead of text.")
    var json = false

    func validate() throws {
        if hex.isEmpty == (pcap == nil) {
            throw ValidationError("give either --hex HEX or --pcap FILE")
        }
        if let link, LinkType(name: link) == nil {
            throw ValidationError("unknown link type '\(link)'; use raw, ethernet, sll, sll2, null or loop")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() throws {
        var out = StandardOutput()
        defer { out.flush() }
        do {
            if let pcap {
                try decodeFile(pcap, &out)
            } else {
                try decodeHex(&out)
            }
        } catch let e as UserError {
            out.flush()
            printError(e.description)
            throw ExitCode.failure
        }
    }

    private func emit(_ frame: Frame, _ context: PacketContext, _ out: inout StandardOutput) {
        if json {
            out.json(PacketJSON.frame(frame, context: context))
        } else {
            out.line(PacketText.frame(frame, context: context))
        }
    }

    private func decodeHex(_ out: inout StandardOutput) throws {
        for (i, text) in hex.enumerated() {
            let input = text == "-" ? readStandardInput() : text
            let bytes: [UInt8]
            do { bytes = try Hex.decode(input) } catch { throw UserError("\(error.description)") }
            let linkType: LinkType
            if let link { linkType = LinkType(name: link)! } else {
                guard let v = bytes.first.map({ $0 >> 4 }), v == 4 || v == 6 else {
                    throw UserError("the bytes do not start with an IPv4 or IPv6 header; if they start with a link-layer header, say which with --link ethernet (or sll, sll2, null)")
                }
                linkType = .raw
            }
            let frame: Frame
            do { frame = try Frame.parse(bytes, linkType: linkType) } catch {
                throw UserError("the hex input is not a valid packet: \(error.description)")
            }
            if case .undecodable(let error, _) = frame.payload {
                throw UserError("the hex input is not a valid packet: \(error.description)")
            }
            emit(frame, PacketContext(index: hex.count > 1 ? i + 1 : nil, capturedLength: bytes.count), &out)
        }
    }

    private func decodeFile(_ path: String, _ out: inout StandardOutput) throws {
        var reader: CaptureFileReader
        do { reader = try CaptureFileReader(path: path) } catch { throw UserError(error.description) }
        var index = 0
        while true {
            if let count, index >= count { return }
            let packet: CapturedPacket?
            do { packet = try reader.next() } catch {
                throw UserError(error.description)   // packets before the problem were already printed
            }
            guard let packet else { return }
            index += 1
            let context = PacketContext(index: index, seconds: packet.timestamp.seconds,
                                        nanoseconds: packet.timestamp.nanoseconds,
                                        capturedLength: packet.data.count, originalLength: packet.originalLength,
                                        comment: packet.comment)
            do {
                emit(try packet.decode(), context, &out)
            } catch {
                // A frame whose link header is cut short: report it in place and go on, as tcpdump does.
                if json {
                    out.line(JSONValue.object([("index", .number(index)), ("error", .string(error.description))]).serialized())
                } else {
                    out.line("#\(index) [\(error.description)]")
                }
            }
        }
    }
}

func readStandardInput() -> String {
    var lines: [String] = []
    while let line = readLine(strippingNewline: false) { lines.append(line) }
    return lines.joined()
}
