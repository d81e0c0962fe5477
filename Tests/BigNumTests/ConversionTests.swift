import BigNum
import TestSupport
import Testing

@Suite("Conversions between BigInt and Swift integers")
struct ConversionTests {
    @Test(arguments: [Int.min, Int.min + 1, -1 << 32, -2, -1, 0, 1, 2, 1 << 32, Int.max - 1, Int.max])
    func intRoundTrips(value: Int) {
        let big = BigInt(value)
        #expect(Int(exactly: big) == value)
        #expect(Int128(exactly: big) == Int128(value))
        #expect(big.toString() == String(value))
        #expect(UInt(exactly: big) == (value >= 0 ? UInt(value) : nil))
        #expect(BigInt(Int64(value)) == big)
    }

    @Test(arguments: [UInt.min, 1, 2, UInt(Int.max), UInt(Int.max) + 1, UInt.max - 1, UInt.max])
    func uintRoundTrips(value: UInt) {
        let big = BigInt(value)
        #expect(UInt(exactly: big) == value)
        #expect(UInt128(exactly: big) == UInt128(value))
        #expect(big.toString() == String(value))
        #expect(Int(exactly: big) == (value <= UInt(Int.max) ? Int(value) : nil))
        #expect(BigInt(UInt64(value)) == big)
    }

    @Test(arguments: [
        Int128.min, Int128.min + 1, Int128(Int64.min) - 1, Int128(Int64.min), -1, 0, 1,
        Int128(UInt64.max), Int128(UInt64.max) + 1, -Int128(UInt64.max) - 1, Int128.max - 1, Int128.max,
    ])
    func int128RoundTrips(value: Int128) {
        let big = BigInt(value)
        #expect(Int128(exactly: big) == value)
        #expect(big.toString() == String(value))
        #expect(big.signum() == Int(value.signum()))
        #expect(UInt128(exactly: big) == (value >= 0 ? UInt128(value) : nil))
        #expect(Int(exactly: big) == Int(exactly: value))
        #expect(UInt(exactly: big) == UInt(exactly: value))
    }

    @Test(arguments: [
        UInt128.min, 1, UInt128(UInt64.max), UInt128(UInt64.max) + 1, UInt128(Int128.max),
        UInt128(Int128.max) + 1, UInt128.max - 1, UInt128.max,
    ])
    func uint128RoundTrips(value: UInt128) {
        let big = BigInt(value)
        #expect(UInt128(exactly: big) == value)
        #expect(big.toString() == String(value))
        #expect(Int128(exactly: big) == Int128(exactly: value))
        #expect(UInt(exactly: big) == UInt(exactly: value))
    }

    @Test func smallerIntegerTypes() {
        #expect(BigInt(Int32.min) == BigInt(-2_147_483_648))
        #expect(BigInt(UInt32.max) == BigInt(4_294_967_295))
        #expect(BigInt(Int64.min) == BigInt(Int.min))
        #expect(BigInt(UInt64.max) == BigInt(UInt.max))
        #expect(BigInt() == BigInt(0))
        #expect(BigInt().isZero)
    }

    @Test func randomInt128RoundTrips() {
        var g = SplitMix64(seed: 0x1001)
        for _ in 0..<500 {
            let value = g.int128(maxBits: 127)
            #expect(Int128(exactly: BigInt(value)) == value)
            #expect(BigInt(value).toString() == String(value))
            let unsigned = g.nextUInt128()
            #expect(UInt128(exactly: BigInt(unsigned)) == unsigned)
        }
    }

    @Test func valuesThatDoNotFitGiveNil() {
        let two64 = BigInt(1) << 64
        let two127 = BigInt(1) << 127
        let two128 = BigInt(1) << 128
        // Int
        #expect(Int(exactly: BigInt(Int.max) + BigInt(1)) == nil)
        #expect(Int(exactly: BigInt(Int.min) - BigInt(1)) == nil)
        #expect(Int(exactly: two64) == nil)
        // UInt
        #expect(UInt(exactly: BigInt(-1)) == nil)
        #expect(UInt(exactly: BigInt(Int.min)) == nil)
        #expect(UInt(exactly: two64) == nil)
        #expect(UInt(exactly: -two64) == nil)
        // Int128: max + 1 and min - 1 just miss; min itself fits.
        #expect(Int128(exactly: two127) == nil)
        #expect(Int128(exactly: -two127) == Int128.min)
        #expect(Int128(exactly: -two127 - BigInt(1)) == nil)
        #expect(Int128(exactly: two128) == nil)
        #expect(Int128(exactly: -two128) == nil)
        #expect(Int128(exactly: BigInt(1) << 200) == nil)
        // UInt128
        #expect(UInt128(exactly: two128) == nil)
        #expect(UInt128(exactly: two128 - BigInt(1)) == UInt128.max)
        #expect(UInt128(exactly: BigInt(-1)) == nil)
        #expect(UInt128(exactly: -two64) == nil)
        #expect(UInt128(exactly: BigInt(1) << 300) == nil)
    }

    @Test func integerLiterals() throws {
        let zero: BigInt = 0
        let minusOne: BigInt = -1
        let int64Min: BigInt = -9_223_372_036_854_775_808
        let uint64Max: BigInt = 18_446_744_073_709_551_615
        let two64: BigInt = 18_446_744_073_709_551_616
        let minusTwo64: BigInt = -18_446_744_073_709_551_616
        let int128Min: BigInt = -170_141_183_460_469_231_731_687_303_715_884_105_728
        let uint128Max: BigInt = 340_282_366_920_938_463_463_374_607_431_768_211_455
        let two128: BigInt = 340_282_366_920_938_463_463_374_607_431_768_211_456
        #expect(zero.isZero)
        #expect(Int(exactly: minusOne) == -1)
        #expect(Int(exactly: int64Min) == Int.min)
        #expect(UInt(exactly: uint64Max) == UInt.max)
        #expect(two64 == BigInt(UInt.max) + BigInt(1))
        #expect(minusTwo64 == -two64)
        #expect(minusTwo64.toString() == "-18446744073709551616")
        #expect(Int128(exactly: int128Min) == Int128.min)
        #expect(UInt128(exactly: uint128Max) == UInt128.max)
        #expect(two128 == BigInt(UInt128.max) + BigInt(1))
        #expect(two128.bitLength == 129)
    }

    @Test func literalsWiderThan128Bits() throws {
        // 2^200 (Python: 2**200).
        let two200: BigInt = 1_606_938_044_258_990_275_541_962_092_341_162_602_522_202_993_782_792_835_301_376
        let minusTwo200: BigInt = -1_606_938_044_258_990_275_541_962_092_341_162_602_522_202_993_782_792_835_301_376
        #expect(two200 == BigInt(1) << 200)
        #expect(minusTwo200 == -(BigInt(1) << 200))
        #expect(minusTwo200.toString() == "-1606938044258990275541962092341162602522202993782792835301376")
        #expect(minusTwo200.signum() == -1)
        // 160 one bits, written in hex, and its negation.
        let ones: BigInt = 0xFFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF
        let minusOnes: BigInt = -0xFFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF
        #expect(try ones.bigEndianBytes() == [UInt8](repeating: 0xFF, count: 20))
        #expect(minusOnes == -ones)
        #expect(ones + BigInt(1) == BigInt(1) << 160)
        // A negative literal whose two's-complement words have the top bit set at a word
        // boundary: -(2^191).
        let minusTwo191: BigInt = -0x8000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000
        #expect(minusTwo191 == -(BigInt(1) << 191))
    }
}
