import BigNum
import TestSupport
import Testing

@Suite("Big-endian byte encoding")
struct ByteTests {
    /// The minimal big-endian bytes of `value`, computed with Swift shifts.
    static func minimalBytes(_ value: UInt128) -> [UInt8] {
        var bytes: [UInt8] = []
        var v = value
        while v > 0 {
            bytes.insert(UInt8(truncatingIfNeeded: v), at: 0)
            v >>= 8
        }
        return bytes
    }

    @Test func decodesKnownBytes() {
        #expect(BigInt(bigEndianBytes: [UInt8]()) == BigInt(0))
        #expect(BigInt(bigEndianBytes: [0]) == BigInt(0))
        #expect(BigInt(bigEndianBytes: [0, 0, 1]) == BigInt(1))
        #expect(BigInt(bigEndianBytes: [1, 0]) == BigInt(256))
        #expect(BigInt(bigEndianBytes: [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x11]) == BigInt(0x12_3456_789A_BCDE_F011 as Int128))
        #expect(BigInt(bigEndianBytes: [0x80]) == BigInt(128))  // unsigned: no sign bit
        // Any collection of bytes, not only arrays.
        #expect(BigInt(bigEndianBytes: repeatElement(UInt8(0xFF), count: 20)) == (BigInt(1) << 160) - BigInt(1))
        let bytes: [UInt8] = [9, 9, 1, 2, 3, 9]
        #expect(BigInt(bigEndianBytes: bytes[2..<5]) == BigInt(0x01_0203))
    }

    @Test func encodesKnownValues() throws {
        #expect(try BigInt(0).bigEndianBytes() == [])
        #expect(try BigInt(1).bigEndianBytes() == [1])
        #expect(try BigInt(255).bigEndianBytes() == [255])
        #expect(try BigInt(256).bigEndianBytes() == [1, 0])
        #expect(try (BigInt(1) << 64).bigEndianBytes() == [1, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try BigInt(0x0102).bigEndianBytes(count: 4) == [0, 0, 1, 2])
        #expect(try BigInt(0x0102).bigEndianBytes(count: 2) == [1, 2])
        #expect(try BigInt(0).bigEndianBytes(count: 0) == [])
        #expect(try BigInt(0).bigEndianBytes(count: 3) == [0, 0, 0])
        #expect(try BigInt(UInt.max).bigEndianBytes(count: 10) == [0, 0] + [UInt8](repeating: 0xFF, count: 8))
    }

    @Test func tooLongValuesThrowDoesNotFit() throws {
        let error = #expect(throws: BigNumError.self) { try BigInt(256).bigEndianBytes(count: 1) }
        #expect(error?.code == .doesNotFit)
        let zeroCount = #expect(throws: BigNumError.self) { try BigInt(1).bigEndianBytes(count: 0) }
        #expect(zeroCount?.code == .doesNotFit)
        let wide = #expect(throws: BigNumError.self) { try (BigInt(1) << 256).bigEndianBytes(count: 32) }
        #expect(wide?.code == .doesNotFit)
        // One byte more is enough.
        #expect(try (BigInt(1) << 256).bigEndianBytes(count: 33) == [1] + [UInt8](repeating: 0, count: 32))
    }

    @Test func negativeValuesThrowNegative() {
        for value in [BigInt(-1), BigInt(-256), -(BigInt(1) << 200)] {
            let minimal = #expect(throws: BigNumError.self) { try value.bigEndianBytes() }
            #expect(minimal?.code == .negative)
            let padded = #expect(throws: BigNumError.self) { try value.bigEndianBytes(count: 64) }
            #expect(padded?.code == .negative)
        }
    }

    @Test func randomRoundTrips() throws {
        var g = SplitMix64(seed: 0xB17E5)
        for _ in 0..<300 {
            let value = g.uint128(bits: Int.random(in: 0...128, using: &g))
            let expected = Self.minimalBytes(value)
            let big = BigInt(value)
            #expect(try big.bigEndianBytes() == expected)
            #expect(BigInt(bigEndianBytes: expected) == big)
            let padding = Int.random(in: 0...5, using: &g)
            let padded = try big.bigEndianBytes(count: expected.count + padding)
            #expect(padded == [UInt8](repeating: 0, count: padding) + expected)
            #expect(BigInt(bigEndianBytes: padded) == big)
        }
        // Long random byte strings (several limbs, leading zero bytes stripped).
        for length in [1, 7, 8, 9, 63, 64, 65, 257] {
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &g) }
            bytes[0] = 0
            let value = BigInt(bigEndianBytes: bytes)
            #expect(try value.bigEndianBytes(count: length) == bytes)
            #expect(try value.bigEndianBytes() == Array(bytes.drop { $0 == 0 }))
        }
    }
}
