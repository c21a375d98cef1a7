import FuzzHarnesses
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer's entry points. The harness is chosen once, before the first input, from
// CENSORSCOPE_FUZZ_HARNESS; libFuzzer then calls the test function from one thread.
nonisolated(unsafe) private var harness: Harness = .packets

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>?,
                             _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    let name = getenv("CENSORSCOPE_FUZZ_HARNESS").map { String(cString: $0) } ?? ""
    guard let chosen = Harness(rawValue: name) else {
        let names = Harness.allCases.map(\.rawValue).joined(separator: ", ")
        let message = Array("error: set CENSORSCOPE_FUZZ_HARNESS to one of \(names)\n".utf8)
        _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(64)
    }
    harness = chosen
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    harness.run(bytes)
    return 0
}

// SwiftPM links an executable with `main` defined as `<module>_main`, so libFuzzer's own
// main is not pulled in: ours hands the command line to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<Int32>,
               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("censorscope_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in fuzzerTestOneInput(data, size) }
}
