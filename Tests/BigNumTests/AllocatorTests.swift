@testable import BigNum
import Testing

/// Secrets must not survive in freed heap memory: GMP's allocation functions are
/// replaced by ones that wipe every block before releasing it.
@Suite("Zeroising allocator")
struct AllocatorTests {
    @Test func gmpUsesTheZeroisingAllocator() {
        _ = BigInt(1)
        #expect(GMPRuntime.zeroisingAllocatorInstalled)
    }

    /// Growing a value in place reallocates its limbs through the replaced realloc,
    /// which must carry the value over intact.
    @Test func reallocationPreservesValues() throws {
        var grown = BigInt(secret: BigInt(0x1234_5678_9ABC_DEF0))
        var expected: [UInt8] = []
        for i in (1...8).reversed() {
            grown += BigInt(i) << (512 * i)  // in place: the limb array is reallocated
            expected += [UInt8(i)] + [UInt8](repeating: 0, count: 63)
        }
        expected.removeLast(7)  // 63 zeros after the 1, minus 7 = 56, then the 8 low bytes
        expected += [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0]
        #expect(grown.isSecret)
        #expect(try grown.bigEndianBytes() == expected)
    }
}
