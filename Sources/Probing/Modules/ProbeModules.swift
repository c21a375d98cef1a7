import Packets

/// A probe kind's knowledge of its own answers (ZMap's probe-module `validate_packet`).
/// Building lives in the kind's `ProbeBuilder` extension, in the same file.
public protocol ProbeModule {
    /// The `Probe.module` names this kind builds.
    static var moduleNames: [String] { get }
    /// Whether `answer` is an application-level answer to `probe` (the kind-specific check
    /// on top of the correlator's generic keys).
    static func recognises(_ answer: IPPacket, for probe: Probe) -> Bool
}

/// The registry of probe kinds: adding a kind means one file and one line here.
public enum ProbeModules {
    /// Every kind, in no particular order.
    public static var all: [any ProbeModule.Type] {
        [TCPModule.self, ICMPEchoModule.self, UDPModule.self, STUNModule.self, DNSModule.self]
    }

    /// The kind that builds probes named `module`, nil for an unknown name.
    public static func kind(named module: String) -> (any ProbeModule.Type)? {
        all.first { $0.moduleNames.contains(module) }
    }

    /// The kind's `recognises`; false for an unknown module name.
    public static func recognises(module: String, answer: IPPacket, probe: Probe) -> Bool {
        kind(named: module)?.recognises(answer, for: probe) ?? false
    }
}
