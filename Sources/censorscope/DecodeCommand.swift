import ArgumentParser
import Decoding
import Packets

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode packets from hex or a pcap/pcapng file, like tcpdump -v.",
        discussion: """
            --hex takes plain hex or a tcpdump -x/-X dump (offsets and ASCII column are \
            ignored); '-' reads it from standard input. Bytes starting with an IPv4 or IPv6 \
            header are read as raw IP, otherwise give --link. With --json each packet is one \
            JSON object per line (fields in Docs/data-formats.md).
            Example: censorscope decode --pcap evidence.pcapng --json
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
        try runReportingUserErrors { out in
            let job = DecodeJob(hex: hex, pcap: pcap, link: link.flatMap(LinkType.init(name:)), count: count, json: json)
            try job.run { output in
                switch output {
                case .line(let text): out.line(text)
                case .json(let value): out.json(value)
                }
            }
        }
    }
}
