import Campaigns
import Foundation
import Packets
import TestSupport
import Testing

/// Random bytes, random tokens of the languages and mutated real files: the parsers never
/// trap, and what they report stays within the input (lines that exist, targets that were written).
@Suite struct HostileInputTests {
    static let targetAlphabet = Array("0123456789abcdefABCDEF.:/[],#-_ \t\r\nxyz%$\u{0}é".utf8)
    static let yamlTokens = ["name:", "ports:", "steps:", "analyses:", "pacing:", "probe:", "syn", "trace", "when:",
                             "blocked", "- ", "[", "]", "{", "}", ",", ":", "\n", "  ", "&a", "*a", "!!str", "'", "\"",
                             "#", "443", "3478/udp", "max", "-1", "99999999999999999999", "variants:", "\t", "|", ">"]

    static func lineCount(_ bytes: [UInt8]) -> Int { bytes.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 } }

    func checkTargetBytes(_ bytes: [UInt8]) {
        let lines = Self.lineCount(bytes)
        do {
            let list = try TargetList.parse(bytes: bytes, source: "fuzz.txt", maxAddresses: 4096) { _ in [IPAddress("198.18.0.1")!] }
            #expect(!list.targets.isEmpty)
            for target in list.targets {
                #expect((1...lines).contains(target.line))
                #expect(!target.input.isEmpty && !target.input.contains("#"))
            }
        } catch {
            #expect(error.file == "fuzz.txt")
            if let line = error.line { #expect((1...lines).contains(line), "\(error)") }
            #expect(!error.message.isEmpty)
        }
    }

    func checkScriptText(_ text: String) {
        let lines = Self.lineCount(Array(text.utf8))
        do {
            let script = try ExperimentScript.parse(text, source: "fuzz.yaml")
            #expect(!script.steps.isEmpty && !script.ports.isEmpty && !script.analyses.isEmpty)
        } catch {
            #expect(error.file == "fuzz.yaml")
            if let line = error.line { #expect((1...lines + 1).contains(line), "\(error)") }
        }
    }

    @Test func randomBytesAsTargetLists() {
        var rng = SeededGenerator(state: 0x7E1E_6A3A)
        for _ in 0..<3000 {
            let length = Int.random(in: 0...300, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            checkTargetBytes(bytes)
        }
    }

    @Test func randomTokensAsTargetLists() {
        var rng = SeededGenerator(state: 42)
        for _ in 0..<3000 {
            let length = Int.random(in: 1...120, using: &rng)
            let bytes = (0..<length).map { _ in Self.targetAlphabet.randomElement(using: &rng) ?? 0x30 }
            checkTargetBytes(bytes)
        }
    }

    @Test func randomTextAsScripts() {
        var rng = SeededGenerator(state: 1234)
        for _ in 0..<1500 {
            let length = Int.random(in: 0...200, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            checkScriptText(String(decoding: bytes, as: UTF8.self))
        }
        for _ in 0..<1500 {
            let count = Int.random(in: 1...60, using: &rng)
            checkScriptText((0..<count).map { _ in Self.yamlTokens.randomElement(using: &rng) ?? "" }.joined(separator: " "))
        }
    }

    /// The shipped Telegram script with bytes deleted, repeated or replaced.
    @Test func mutatedRealScripts() throws {
        let original = Array(try ShippedCampaigns.text(ShippedCampaigns.directory.appendingPathComponent("telegram.yaml")).utf8)
        var rng = SeededGenerator(state: 2018)
        for _ in 0..<1000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes.remove(at: i)
                case 1: bytes.insert(bytes[i], at: i)
                default: bytes[i] = Self.targetAlphabet.randomElement(using: &rng) ?? 0x20
                }
            }
            checkScriptText(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Issue: a `"` after a space in a plain scalar fooled the depth pre-scan into skipping
    /// 50,000 brackets, and Yams' composer overflowed its stack (a crash, before the fix).
    @Test func aQuoteInsideAPlainScalarDoesNotHideNesting() {
        let deep = String(repeating: "[", count: 50_000)
        for text in ["name: x \"y\nsteps: \(deep)\ndescription: w\"\n", "name: it's\nsteps: \(deep)\ndescription: '\n",
                     "name: x\ndescription: |\n  a \"\nsteps: \(deep)\nports: \"\n"] {
            let error = scriptError(text)
            #expect(error?.message.hasPrefix("nested more than 64 brackets or 256 columns deep") == true, "\(String(describing: error))")
            #expect(error?.line == (text.hasPrefix("name: x\n") ? 4 : 2))
        }
    }

    @Test func hugeInputsAreRefusedQuickly() throws {
        let longLine = String(repeating: "9", count: 2_000_000)
        #expect(targetError(longLine)?.line == 1)
        let bigScript = "name: x\ndescription: " + String(repeating: "y", count: 300_000) + "\n"
        #expect(scriptError(bigScript)?.message.contains("larger than 256 KiB") == true)
        let aliasBomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + (1...8).map { "\(Character(UnicodeScalar(UInt8(97 + $0)))): &\(Character(UnicodeScalar(UInt8(97 + $0)))) [" + Array(repeating: "*\(Character(UnicodeScalar(UInt8(96 + $0))))", count: 10).joined(separator: ", ") + "]" }.joined(separator: "\n") + "\n"
        #expect(scriptError(aliasBomb)?.message.contains("expands to more than") == true)
        let deepBlock = (0..<200).map { String(repeating: " ", count: $0 * 2) + "k\($0):" }.joined(separator: "\n")
        #expect(scriptError(deepBlock) != nil)
    }
}
