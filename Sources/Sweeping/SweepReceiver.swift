import Campaigns
import Capture
import CSystemShims
import Packets

/// Files answers into the slots: validates each packet against the probe module and keeps
/// the first answer of each probe, counting later ones. The live receiver and the replay of
/// a sweep's capture file (`SweepReplay`) share it.
struct SweepFiling {
    let space: TargetSpace
    let probe: SweepProbe
    let slots: SweepSlots
    private var routerIndex: [UInt128: UInt32] = [:]
    private(set) var routerList: [UInt128] = []
    static let maximumRouters = 1 << 20
    private(set) var captured = 0, matched = 0, duplicates = 0, unmatched = 0

    init(space: TargetSpace, probe: SweepProbe, slots: SweepSlots) {
        self.space = space
        self.probe = probe
        self.slots = slots
    }

    /// Files one captured packet; true when it is a probe's first answer.
    @inline(__always)
    mutating func file(_ bytes: UnsafeRawBufferPointer, linkType: UInt32, timestamp: CaptureTimestamp) -> Bool {
        captured += 1
        guard let ip = SweepProbe.ipStart(bytes, linkType: linkType),
              let m = probe.classify(bytes, ip: ip),
              let target = space.index(ofKey: m.target) else {
            unmatched += 1
            return false
        }
        let index = target * probe.probesPerTarget + m.probe
        let sent = slots.sentMicros(index)
        guard sent != 0 else {
            unmatched += 1
            return false
        }
        let micros = UInt32(truncatingIfNeeded: timestamp.seconds &* 1_000_000 &+ Int64(timestamp.nanoseconds / 1000))
        let from = m.from == m.target ? 0 : router(m.from)
        var first = false
        slots.update(index) { s in
            s.seen |= m.kind.seenBit
            if s.answers == 0 {
                first = true
                s.rttMicros = micros &- sent
                s.kind = m.kind
                s.from = from
                s.ttl = m.ttl
                s.ipID = m.ipID
                s.misc = (m.dontFragment ? 1 : 0) | (m.portOnly ? 2 : 0)
                s.tcpFlags = m.tcpFlags
                s.window = m.window
                s.mss = m.mss
                s.windowScale = m.windowScale
                s.optionLayout = m.optionLayout
                s.icmp = m.icmp
            }
            if s.answers < 255 { s.answers += 1 }
        }
        if first { matched += 1 } else { duplicates += 1 }
        return first
    }

    /// 1 + the router's index; UInt32.max past the cap (hostile floods of ICMP sources).
    private mutating func router(_ address: UInt128) -> UInt32 {
        if let i = routerIndex[address] { return i }
        guard routerList.count < Self.maximumRouters else { return .max }
        routerList.append(address)
        let i = UInt32(routerList.count)
        routerIndex[address] = i
        return i
    }

    func fill(_ stats: inout SweepStatistics) {
        stats.captured = captured
        stats.matched = matched
        stats.duplicates = duplicates
        stats.unmatched = unmatched
    }
}

/// The receiving thread: reads the capture ring until told to stop and files each packet.
/// Everything here but `answered` and the stop flag is touched by that thread alone until
/// it has been joined.
final class SweepReceiver: @unchecked Sendable {
    let capture: LiveCapture
    let dump: CaptureDump?
    private var filing: SweepFiling
    private let linkType: UInt32
    private let flags: UnsafeMutablePointer<Int32>          // [0]: stop
    private let answeredCounter: UnsafeMutablePointer<UInt32>
    var routerList: [UInt128] { filing.routerList }
    private(set) var failure: String?

    init(capture: LiveCapture, dump: CaptureDump?, space: TargetSpace, probe: SweepProbe, slots: SweepSlots) {
        self.capture = capture
        self.dump = dump
        filing = SweepFiling(space: space, probe: probe, slots: slots)
        linkType = capture.linkType.rawValue
        flags = .allocate(capacity: 1)
        flags.initialize(to: 0)
        answeredCounter = .allocate(capacity: 1)
        answeredCounter.initialize(to: 0)
    }

    deinit {
        flags.deallocate()
        answeredCounter.deallocate()
    }

    /// Probes answered so far (read from any thread).
    var answered: Int { Int(cs_load_u32(answeredCounter)) }

    func stop() { cs_store_flag(flags, 1) }

    func loop() {
        while true {
            let stopping = cs_load_flag(flags) != 0
            let n: Int
            do throws(LiveCaptureError) {
                n = try capture.drainRaw(max: 4096, dump: dump) { packet in
                    if filing.file(packet.bytes, linkType: linkType, timestamp: packet.timestamp) {
                        cs_store_u32(answeredCounter, UInt32(truncatingIfNeeded: filing.matched))
                    }
                }
            } catch {
                failure = error.description
                return
            }
            if n == 0 {
                // Stopping: the ring is empty now, after the sender's cooldown.
                if stopping { return }
                _ = capture.waitForPackets(timeout: .milliseconds(5))
            }
        }
    }

    func fill(_ stats: inout SweepStatistics) { filing.fill(&stats) }
}
