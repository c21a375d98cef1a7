// The parameters a probe kind takes, described as data so that every front end — the
// `probe KIND` command, the experiment language — reads, checks and documents them alike.

/// A value a parameter holds.
public enum KindValue: Hashable, Sendable, CustomStringConvertible {
    case integer(Int)
    case text(String)

    public var description: String {
        switch self {
        case .integer(let n): return String(n)
        case .text(let s): return s
        }
    }
}

/// One parameter of a probe kind: name, type, default, range and help.
public struct KindParameter: Hashable, Sendable {
    public enum ValueType: Hashable, Sendable {
        /// A whole number in the range, written in decimal or as 0x-prefixed hex.
        case integer(ClosedRange<Int>)
        /// Text of at most this many UTF-8 bytes; the kind checks its meaning (`DatagramKind.validate`).
        case text(maxBytes: Int)
    }

    public enum Default: Hashable, Sendable {
        /// The parameter must be given.
        case required
        case value(KindValue)
        /// Left out, the kind chooses (e.g. at random); the text says how, for help.
        case chosen(String)
    }

    /// snake_case, as experiment files write it; the command line writes `--dcid-length`.
    public var name: String
    public var type: ValueType
    public var defaultValue: Default
    /// One sentence for help text.
    public var help: String
    /// What help shows for the value (`N`, `NAME`, `VERSION`).
    public var valueName: String
    /// The values allowed, in words, when the type's range says too little ("0x?a?a?a?a").
    public var allowed: String?

    public init(name: String, type: ValueType, defaultValue: Default, help: String, valueName: String = "N",
                allowed: String? = nil) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.help = help
        self.valueName = valueName
        self.allowed = allowed
    }

    /// The command-line option: `--dcid-length`.
    public var flag: String { "--" + name.replacingUnderscores() }

    /// "1...20", "at most 255 bytes": the range in words, for help.
    public var rangeText: String {
        if let allowed { return allowed }
        switch type {
        case .integer(let r): return "\(r.lowerBound)...\(r.upperBound)"
        case .text(let n): return "at most \(n) bytes"
        }
    }

    /// "default 8", "required", "default: random reserved version".
    public var defaultText: String {
        switch defaultValue {
        case .required: return "required"
        case .value(let v): return "default \(v)"
        case .chosen(let how): return "default: \(how)"
        }
    }

    /// Checks a typed value against the type and range.
    public func check(_ value: KindValue) throws(KindParameterError) -> KindValue {
        switch (type, value) {
        case (.integer(let range), .integer(let n)):
            guard range.contains(n) else {
                throw KindParameterError(parameter: name, problem: "must be between \(range.lowerBound) and \(range.upperBound), not \(n)")
            }
            return value
        case (.integer, .text(let s)):
            return try parse(s)
        case (.text(let max), .text(let s)):
            guard !s.isEmpty, s.utf8.count <= max else {
                throw KindParameterError(parameter: name, problem: "must be 1 to \(max) bytes of text")
            }
            return value
        case (.text, .integer(let n)):
            return try check(.text(String(n)))
        }
    }

    /// Reads a value as text (a command-line argument).
    public func parse(_ text: String) throws(KindParameterError) -> KindValue {
        switch type {
        case .integer(let range):
            let n: Int?
            let lower = text.lowercased()
            if lower.hasPrefix("0x") { n = Int(lower.dropFirst(2), radix: 16) } else { n = Int(text) }
            guard let n, range.contains(n) else {
                throw KindParameterError(parameter: name,
                                         problem: "must be a whole number between \(range.lowerBound) and \(range.upperBound), not '\(KindParameter.clip(text))'")
            }
            return .integer(n)
        case .text:
            return try check(.text(text))
        }
    }

    static func clip(_ text: String) -> String { text.count > 40 ? String(text.prefix(40)) + "…" : text }
}

/// The checked values of one probe's parameters: every parameter the kind takes, with its
/// default where none was given (except those the kind chooses itself).
public struct KindArguments: Hashable, Sendable {
    public private(set) var values: [String: KindValue]

    init(values: [String: KindValue]) { self.values = values }

    public func integer(_ name: String) -> Int? {
        if case .integer(let n)? = values[name] { return n }
        return nil
    }

    public func text(_ name: String) -> String? {
        if case .text(let s)? = values[name] { return s }
        return nil
    }

    /// The shared parameters (`ProbeKinds.sharedParameters`), always present once checked.
    public var port: UInt16 { UInt16(clamping: integer("port") ?? 0) }
    public var ttl: UInt8 { UInt8(clamping: integer("ttl") ?? 64) }
    public var count: Int { integer("count") ?? 1 }
}

/// A parameter that is unknown, missing or out of range. `problem` completes a sentence
/// that starts with the parameter's name, so each front end names it its own way.
public struct KindParameterError: Error, Hashable, Sendable, CustomStringConvertible {
    public var parameter: String
    public var problem: String

    public init(parameter: String, problem: String) {
        self.parameter = parameter
        self.problem = problem
    }

    /// "`count` must be between 1 and 10000, not 0" (as an experiment file names it).
    public var description: String { "`\(parameter)` \(problem)" }

    /// "--count must be between 1 and 10000, not 0" (as the command line names it).
    public var commandLineDescription: String { "--\(parameter.replacingUnderscores()) \(problem)" }
}

extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
