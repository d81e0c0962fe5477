/// A deterministic generator (SplitMix64, Steele–Lea–Flood 2014) so that every
/// randomized test draws the same values on every run. Shared by the test targets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64 = 0) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniformly random `UInt128`.
    public mutating func nextUInt128() -> UInt128 {
        UInt128(next()) << 64 | UInt128(next())
    }

    /// A random value of magnitude below 2^bits (bits in 0...127) and random sign.
    public mutating func int128(bits: Int) -> Int128 {
        precondition((0...127).contains(bits))
        guard bits > 0 else { return 0 }
        let magnitude = Int128(nextUInt128() >> (128 - bits))
        return next() & 1 == 0 ? magnitude : -magnitude
    }
}
