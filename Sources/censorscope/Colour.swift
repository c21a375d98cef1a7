import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `--color auto|always|never`.
enum ColourChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

/// Colour in the text output: a verdict or outcome line in red when blocked, green when
/// not, yellow when nothing was decided, and INJECTED in red. `auto` colours only a
/// terminal, and never when NO_COLOR is set to anything but "" (https://no-color.org).
struct Colouring {
    let on: Bool

    init(_ choice: ColourChoice) {
        switch choice {
        case .always: on = true
        case .never: on = false
        case .auto:
            let noColour = getenv("NO_COLOR").map { String(cString: $0) } ?? ""
            on = isatty(1) == 1 && noColour.isEmpty
        }
    }

    func lines(_ lines: [String]) -> [String] { on ? lines.map(paint) : lines }

    private static let red = "\u{1B}[31m", green = "\u{1B}[32m", yellow = "\u{1B}[33m", reset = "\u{1B}[0m"

    private func paint(_ line: String) -> String {
        if line.hasPrefix("VERDICT: ") || line.hasPrefix("outcome: ") {
            let verdict = line.hasSuffix("(blocked)") || line.hasPrefix("outcome: censored") || line.hasPrefix("outcome: endpoint-blocking")
                ? Self.red : line == "VERDICT: reachable" || line.hasPrefix("outcome: not-censored") ? Self.green : Self.yellow
            return verdict + line + Self.reset
        }
        if let r = line.range(of: "  INJECTED: ") { return String(line[..<r.lowerBound]) + Self.red + line[r.lowerBound...] + Self.reset }
        return line
    }
}
