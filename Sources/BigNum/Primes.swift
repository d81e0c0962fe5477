internal import CGMP
internal import CLibCrypto

extension BigInt {
    /// A random safe prime p = 2p' + 1 (p' prime) of exactly `bits` bits, with its top
    /// two bits set (so a product of two such primes has exactly `2·bits` bits), from
    /// OpenSSL's vetted generator (`BN_generate_prime_ex` with `safe = 1`), seeded from
    /// the operating system's CSPRNG. The result is marked secret.
    ///
    /// - Precondition: `bits >= 16`.
    public static func randomSafePrime(bits: Int) -> BigInt {
        precondition(bits >= 16, "safe primes need at least 16 bits")
        let prime = OwnedBIGNUM()
        while true {
            guard BN_generate_prime_ex(prime.pointer, Int32(bits), 1, nil, nil, nil) == 1 else {
                fatalError("OpenSSL: BN_generate_prime_ex failed")
            }
            let candidate = BigInt(bignum: prime.pointer, secret: true)
            // OpenSSL sets the top two bits; checked rather than assumed.
            if candidate.bitLength == bits && candidate.bit(bits - 2) { return candidate }
        }
    }
}
