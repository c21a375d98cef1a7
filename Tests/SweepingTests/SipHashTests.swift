import Testing
@testable import Sweeping

@Suite struct SipHashTests {
    let key = SipHashKey(k0: 0x0706_0504_0302_0100, k1: 0x0F0E_0D0C_0B0A_0908)

    // The reference vectors of the SipHash paper (key 00..0f, message 00..len-1).
    @Test func referenceVectors() {
        #expect(key.hash(bytes: []) == 0x726F_DB47_DD0E_0E31)
        #expect(key.hash(bytes: Array(0..<15)) == 0xA129_CA61_49BE_45E5)
    }

    @Test func threeWordFormIsTheByteForm() {
        let words: [UInt64] = [0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, 0x0000_0001_0050_0003]
        var bytes: [UInt8] = []
        for w in words { for j in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: w >> UInt64(8 * j))) } }
        #expect(key.hash(words[0], words[1], words[2]) == key.hash(bytes: bytes))
    }
}
