// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "CensorScope",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "censorscope", targets: ["censorscope"]),
        // For the fuzzing package in Fuzz/, which builds them with the fuzzer's instrumentation.
        .library(name: "FuzzHarnesses", targets: ["FuzzHarnesses"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // The agent's HTTPS server and client (TLS from NIOSSL's bundled BoringSSL).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        // SHA-256 (campaign script digests, the agent's certificate fingerprint).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // `censorscope serve`: the local dashboard's HTTP server.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        // The campaign store's PostgreSQL backend (one database many vantages write to).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // libpcap, from Debian's libpcap-dev.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // Pure value types: link layers, IPv4/IPv6, TCP, UDP, ICMP/ICMPv6. No I/O.
        .target(name: "Packets"),
        // An ordered JSON value and its serialiser, shared by every --json output.
        .target(name: "JSONSupport"),
        // Typed, versioned result records (investigation, trace, probe result, route
        // comparison, sweep, …): each encoded in one place, decoded only at the boundaries. Pure.
        .target(name: "Records", dependencies: ["JSONSupport"]),
        // Human (tcpdump -v style) and JSON views of decoded packets, from hex or capture files.
        .target(name: "Decoding", dependencies: ["Packets", "Capture", "JSONSupport"]),
        // libpcap live capture, pcap/pcapng files. The only module that reads packets from the OS.
        .target(name: "Capture", dependencies: ["Packets", "CPcap", "CSystemShims", "SystemSupport"]),
        // Linux calls glibc hides behind _GNU_SOURCE (setns).
        .target(name: "CSystemShims"),
        // The one way to start a thread (named, with a stack size, failures reported).
        // The one lock type is Synchronization's Mutex.
        // Buffered standard output for the command line.
        .target(name: "SystemSupport", dependencies: ["CSystemShims", "JSONSupport"]),
        // Raw IPv4/IPv6 sockets and network-namespace entry. The only module that sends.
        .target(name: "Sockets", dependencies: ["Packets", "CSystemShims", "SystemSupport"]),
        // libnetfilter_queue, from Debian's libnetfilter-queue-dev: the censor's packet tap.
        .systemLibrary(
            name: "CNetfilterQueue",
            pkgConfig: "libnetfilter_queue",
            providers: [.apt(["libnetfilter-queue-dev"])]
        ),
        // The lab's censor emulator: policy (YAML), a pure engine, and the NFQUEUE daemon.
        .target(
            name: "Censor",
            dependencies: [
                "Packets", "Sockets", "JSONSupport", "CNetfilterQueue", "ChildProcess", "YAMLReading", "Lab", "SystemSupport",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The namespace testbed: scenario files, topology build/teardown, process supervision.
        .target(
            name: "Lab",
            dependencies: ["Packets", "JSONSupport", "CLabShims", "ChildProcess", "SystemSupport", "YAMLReading", .product(name: "Yams", package: "Yams")],
            plugins: ["EmbedFiles"]
        ),
        // Async-signal-safe interrupt flag for `lab up` (a handler may touch only a sig_atomic_t).
        .target(name: "CLabShims"),
        // OpenSSL 3, from Debian's libssl-dev, for the lab's TLS server.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // The few OpenSSL calls the TLS server makes, in C because most are macros.
        .target(name: "CTLSShim", dependencies: ["COpenSSL"]),
        // UDP with IP_PKTINFO (in6_pktinfo needs _GNU_SOURCE): replies leave from the address asked.
        .target(name: "CLabNet"),
        // The services on the lab's server nodes: HTTP, TLS, echo, STUN, DNS, on POSIX sockets.
        .target(name: "LabServices", dependencies: ["Packets", "JSONSupport", "CTLSShim", "CLabNet", "SystemSupport"]),
        // Probe kinds (build, recognise, classify), the correlator, traces. Pure: it reads
        // captured packets as values, so a live run and a pcap file are analysed alike.
        .target(name: "Probing", dependencies: ["Packets", "Capture", "JSONSupport", "Records"]),
        // The imperative shell of probing: pacing, raw sends, the run's capture, routes.
        .target(name: "ProbeSession", dependencies: ["Probing", "Packets", "Capture", "Sockets", "CSystemShims", "SystemSupport", "CTLSShim"]),
        // From correlated observations (live or from pcap files) to verdicts: injection,
        // trigger, location. Pure.
        .target(name: "Analysis", dependencies: ["Packets", "Capture", "Probing", "JSONSupport", "Records"]),
        // Investigation records as reports: JSON, OONI JSONL, CSV, Markdown, HTML with SVG, pcapng evidence.
        .target(name: "Reports", dependencies: ["Analysis", "JSONSupport", "Records", "Capture", "Packets", "SystemSupport"]),
        // The one YAML reader (scripts, scenarios, censor policies): bounds on hostile
        // documents, typed getters, `FILE:LINE: sentence` errors.
        .target(name: "YAMLReading", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Campaigns, pure: experiment scripts (Probes/campaigns/*.yaml), target lists, the plan.
        .target(name: "Campaigns", dependencies: [
            "Packets", "Probing", "YAMLReading", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The embedded campaign store: one SQLite file (GRDB, WAL) per campaign, plain values only.
        .target(name: "CampaignStore", dependencies: [
            "JSONSupport", "Records", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The measurement engine: one experiment script run for one target, through a network
        // seam (live, or a recorded capture replayed), with its evidence; trace jobs; targets.
        .target(
            name: "Measurement",
            dependencies: ["Packets", "Capture", "Probing", "ProbeSession", "Analysis", "Campaigns", "JSONSupport", "Records", "SystemSupport"],
            plugins: ["EmbedFiles"]
        ),
        // The files a module embeds (the default experiment), generated from the repository's own at build time.
        .executableTarget(name: "embed-files", path: "Sources/embed-files"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),
        // The commit and build date of `censorscope --version`.
        .plugin(name: "BuildInfo", capability: .buildTool()),
        // Campaign sessions: worker threads over the store's unfinished items, one shared pacer.
        .target(
            name: "CampaignScheduler",
            dependencies: ["Capture", "Measurement", "Campaigns", "CampaignStore", "Analysis", "Packets", "Probing", "ProbeSession", "Lab", "JSONSupport", "Records", "Reports", "SystemSupport"]
        ),
        // The commands' human text: investigations, traces, probe results, payload sweeps,
        // analyses, route comparisons. Pure: lines from values, testable without the binary.
        .target(name: "TextViews", dependencies: ["Packets", "Probing", "ProbeSession", "Analysis", "Campaigns", "Records", "Measurement"]),
        // `censorscope serve`: a read-only dashboard over a campaign store (Hummingbird): pages
        // from Reports, the store through its public reads.
        .target(
            name: "Dashboard",
            dependencies: [
                "Agent", "Analysis", "CampaignScheduler", "CampaignStore", "Measurement", "Packets", "Records", "Reports", "SystemSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The agent's HTTPS server and client (SwiftNIO, NIOSSL), and what it probes.
        .target(
            name: "AgentService",
            dependencies: [
                "Agent", "Measurement", "Packets", "Capture", "Probing", "ProbeSession", "JSONSupport", "CTLSShim", "SystemSupport", "CSystemShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Bulk sweeps: one probe to many targets, a sender and a receiver thread, answers
        // validated by a keyed hash of the flow, 32 bytes of state per probe.
        .target(name: "Sweeping", dependencies: ["Campaigns", "Capture", "CSystemShims", "ChildProcess", "JSONSupport", "Packets", "ProbeSession", "Probing", "Records", "Sockets"]),
        // The remote agent, pure: request/response codecs, tokens, rate limits, scope, pins.
        .target(name: "Agent", dependencies: ["Packets", "JSONSupport", "Probing", "Analysis", "Records", "SystemSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(
            name: "censorscope",
            dependencies: [
                "Packets", "Capture", "Sockets", "Decoding", "JSONSupport", "Records", "Censor", "Lab", "LabServices", "Probing", "ProbeSession", "Analysis", "Reports", "Campaigns", "CampaignStore",
                "Agent", "AgentService", "Measurement", "CampaignScheduler", "TextViews", "SystemSupport", "Dashboard", "Sweeping",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // The Swift runtime and Foundation linked in: a dynamically linked start costs
            // some 25 ms (35 libraries to map and relocate), a static one about 10 — most of
            // a short trace (Docs/benchmarks.md). The group: Foundation's archives refer to
            // each other in both directions.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--start-group",
                                           "-Xlinker", "-lFoundationInternationalization", "-Xlinker", "-lFoundationEssentials",
                                           "-Xlinker", "-l_FoundationICU", "-Xlinker", "-l_FoundationCShims",
                                           "-Xlinker", "-l_FoundationCollections", "-Xlinker", "-lCoreFoundation",
                                           "-Xlinker", "--end-group", "-Xlinker", "-lstdc++"], .when(platforms: [.linux]))],
            plugins: ["BuildInfo"]
        ),
        // Every parser that reads outside bytes as one entry point each: for the fuzzer
        // (Fuzz/, scripts/fuzz.sh) and for the tests over the seed corpora.
        .target(
            name: "FuzzHarnesses",
            dependencies: ["Agent", "Analysis", "Campaigns", "Capture", "Censor", "JSONSupport", "Lab", "LabServices",
                           "Packets", "Probing", "Records", "Reports", "Sweeping"]
        ),
        // Running child processes with posix_spawn and waitpid (Foundation's Process can hang on Linux).
        .target(name: "ChildProcess", dependencies: ["CSystemShims"]),
        .executableTarget(
            name: "censorscope-bench",
            dependencies: ["Packets", "Capture", "Decoding", "Probing", "Analysis"]
        ),
        // Load on the agent: TLS requests per second and the agent's memory (scripts/bench-agent.sh).
        .executableTarget(
            name: "censorscope-agent-bench",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Probing through the lab: probes/s sent, answers correlated, loss (scripts/bench-probing.sh).
        .executableTarget(
            name: "censorscope-probe-bench",
            dependencies: ["Packets", "Capture", "Probing", "ProbeSession"]
        ),
        // Results per second into the campaign store, SQLite and PostgreSQL (scripts/bench-store.sh).
        .executableTarget(name: "censorscope-store-bench", dependencies: ["CampaignStore"]),
        // What the test targets share: the lab harness, the CLI runner, two-namespace
        // networks, a seeded generator, running without capabilities.
        .target(name: "TestSupport", dependencies: ["ChildProcess", "Lab", "Packets", "CSystemShims", "SystemSupport"]),
        .testTarget(
            name: "PacketsTests",
            dependencies: ["TestSupport", "ChildProcess", 
                "Packets", "Decoding", "JSONSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "CaptureTests", dependencies: ["TestSupport", "ChildProcess", "Packets", "Capture"]),
        .testTarget(name: "SocketsTests", dependencies: ["TestSupport", "ChildProcess", "Packets", "Capture", "Sockets", "CSystemShims"]),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "TestSupport", "ChildProcess", "Packets", "Capture", "CampaignStore", "Records",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "LabTests", dependencies: ["TestSupport", "ChildProcess", "Lab", "Packets", "JSONSupport"]),
        .testTarget(name: "LabServicesTests", dependencies: ["TestSupport", "SystemSupport", "ChildProcess", "Packets", "LabServices"]),
        .testTarget(
            name: "ProbingTests",
            dependencies: ["ChildProcess", "Packets", "Capture", "Probing", "Censor", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "AnalysisTests", dependencies: ["TestSupport", "ChildProcess", "Packets", "Capture", "Probing", "Analysis", "Records", "JSONSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ReportsTests", dependencies: ["ChildProcess", "Reports", "Analysis", "Records", "JSONSupport", "Capture", "Packets"], exclude: ["Fixtures"]),
        .testTarget(name: "RecordsTests", dependencies: ["Records", "JSONSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Packets", "JSONSupport", "Records", "Probing", "Capture"]),
        .testTarget(name: "TextViewsTests", dependencies: ["TestSupport", "TextViews", "Measurement", "Campaigns", "Analysis", "Probing", "ProbeSession", "Packets", "Records", "JSONSupport"]),
        .testTarget(name: "SweepingTests", dependencies: ["TestSupport", "ChildProcess", "Sweeping", "Campaigns", "Packets", "Probing", "Records", "JSONSupport"]),
        .testTarget(name: "YAMLReadingTests", dependencies: ["YAMLReading", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "CampaignsTests", dependencies: ["TestSupport", "ChildProcess", "Campaigns", "Packets", "Probing"]),
        .testTarget(name: "ProbeSessionTests", dependencies: ["TestSupport", "ChildProcess", "Packets", "Capture", "Sockets", "Probing", "ProbeSession"]),
        .testTarget(name: "MeasurementTests", dependencies: ["TestSupport", "Sockets", "Measurement", "CampaignScheduler", "Campaigns", "Packets", "JSONSupport", "Analysis", "ProbeSession", "Probing", "Records"], exclude: ["Fixtures"]),
        .testTarget(name: "FuzzHarnessTests", dependencies: ["FuzzHarnesses"]),
        .testTarget(name: "CampaignStoreTests", dependencies: ["TestSupport", "ChildProcess", "CampaignStore", "Records", "JSONSupport"]),
        .testTarget(
            name: "CensorTests",
            dependencies: ["TestSupport", "ChildProcess", "Censor", "Lab", "Packets", "Capture", "Sockets", "JSONSupport", .product(name: "Yams", package: "Yams")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
