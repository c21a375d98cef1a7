/// An RFC 4884 ICMP extension structure: version 2 header, checksum, objects.
public struct ICMPExtensionStructure: Hashable, Sendable {
    public var version: UInt8
    public var checksum: UInt16
    /// Whether the checksum over the structure is correct (0 means "not computed", RFC 4884 §7).
    public var checksumValid: Bool
    public var objects: [ICMPExtensionObject]

    /// Parses the structure; returns nil unless the header says version 2 and the
    /// object lengths tile the bytes exactly.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> ICMPExtensionStructure? {
        guard bytes.count >= 4, bytes.u8(0) >> 4 == 2 else { return nil }
        var objects: [ICMPExtensionObject] = []
        var i = 4
        while i < bytes.count {
            guard bytes.count - i >= 4 else { return nil }
            let len = Int(bytes.u16(i))
            guard len >= 4, i + len <= bytes.count else { return nil }
            objects.append(ICMPExtensionObject(classNumber: bytes.u8(i + 2), classType: bytes.u8(i + 3),
                                               payload: Array(bytes.sub(i + 4, len - 4))))
            i += len
        }
        let stored = bytes.u16(2)
        return ICMPExtensionStructure(version: 2, checksum: stored,
                                      checksumValid: stored == 0 || InternetChecksum.compute(bytes) == 0,
                                      objects: objects)
    }

    /// Serialises with a computed checksum.
    public static func build(objects: [ICMPExtensionObject]) -> [UInt8] {
        var out: [UInt8] = [0x20, 0, 0, 0]
        for o in objects {
            out.appendU16(UInt16(truncatingIfNeeded: 4 + o.payload.count))
            out.append(o.classNumber)
            out.append(o.classType)
            out.append(contentsOf: o.payload)
        }
        // A sum of 0 is written as 0xFFFF (the same in one's complement): 0 would mean "no checksum".
        let sum = InternetChecksum.compute(out)
        out.setU16(sum == 0 ? 0xFFFF : sum, at: 2)
        return out
    }
}

/// One extension object. Class 1 / C-Type 1 is the MPLS label stack (RFC 4950).
public struct ICMPExtensionObject: Hashable, Sendable {
    public var classNumber: UInt8
    public var classType: UInt8
    public var payload: [UInt8]

    public init(classNumber: UInt8, classType: UInt8, payload: [UInt8]) {
        self.classNumber = classNumber
        self.classType = classType
        self.payload = payload
    }

    public var mplsLabelStack: [MPLSLabelStackEntry]? {
        guard classNumber == 1, classType == 1, payload.count % 4 == 0, !payload.isEmpty else { return nil }
        return stride(from: 0, to: payload.count, by: 4).map { i in
            let w = UInt32(payload[i]) << 24 | UInt32(payload[i + 1]) << 16 | UInt32(payload[i + 2]) << 8 | UInt32(payload[i + 3])
            return MPLSLabelStackEntry(label: w >> 12, trafficClass: UInt8((w >> 9) & 0x7),
                                       bottomOfStack: (w >> 8) & 1 == 1, ttl: UInt8(w & 0xFF))
        }
    }

    public static func mpls(_ entries: [MPLSLabelStackEntry]) -> ICMPExtensionObject {
        var p: [UInt8] = []
        for e in entries {
            p.appendU32((e.label & 0xFFFFF) << 12 | UInt32(e.trafficClass & 7) << 9 | (e.bottomOfStack ? 1 << 8 : 0) | UInt32(e.ttl))
        }
        return ICMPExtensionObject(classNumber: 1, classType: 1, payload: p)
    }
}

public struct MPLSLabelStackEntry: Hashable, Sendable {
    public var label: UInt32
    public var trafficClass: UInt8
    public var bottomOfStack: Bool
    public var ttl: UInt8

    public init(label: UInt32, trafficClass: UInt8 = 0, bottomOfStack: Bool, ttl: UInt8) {
        self.label = label
        self.trafficClass = trafficClass
        self.bottomOfStack = bottomOfStack
        self.ttl = ttl
    }
}

/// Splits an ICMP error body into the original datagram and the extension structure.
/// `lengthWords` is the RFC 4884 length field converted to bytes by the caller's unit.
func splitErrorBody(_ body: ArraySlice<UInt8>, declaredLength: Int) -> (quote: ArraySlice<UInt8>, extensions: ICMPExtensionStructure?) {
    if declaredLength > 0 {
        guard declaredLength <= body.count else { return (body, nil) }
        return (body.sub(0, declaredLength), ICMPExtensionStructure.parse(body.dropping(declaredLength)))
    }
    // Pre-RFC 4884 routers put the extension after a 128-byte quote with length 0 (RFC 4884 §5).
    // Accept that only when the structure is well formed and its checksum is right.
    if body.count > 128 + 4, let ext = ICMPExtensionStructure.parse(body.dropping(128)),
       ext.checksum != 0, ext.checksumValid {
        return (body.sub(0, 128), ext)
    }
    return (body, nil)
}
