// swift-tools-version:6.0
// The coverage-guided fuzzer (libFuzzer) over every parser that reads outside bytes: one
// binary, the harness chosen by CENSORSCOPE_FUZZ_HARNESS. Built and run by
// scripts/fuzz.sh, which passes the fuzzer's instrumentation:
//   swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let package = Package(
    name: "CensorScopeFuzz",
    dependencies: [.package(name: "CensorScope", path: "..")],
    targets: [
        .executableTarget(
            name: "censorscope-fuzz",
            dependencies: [.product(name: "FuzzHarnesses", package: "CensorScope")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
