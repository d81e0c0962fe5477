import BigNum
import Testing

/// Deterministic Miller–Rabin for 64-bit integers (the bases 2…37 are a proven witness
/// set below 3.3·10^24), on `UInt128`: an oracle independent of GMP and OpenSSL.
func isPrime64(_ n: UInt64) -> Bool {
    if n < 2 { return false }
    let small: [UInt64] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
    for p in small where n % p == 0 { return n == p }
    var d = n - 1
    var s = 0
    while d & 1 == 0 {
        d >>= 1
        s += 1
    }
    let m = UInt128(n)
    witnesses: for a in small {
        var x = modPow(UInt128(a), UInt128(d), m)
        if x == 1 || x == m - 1 { continue }
        for _ in 0..<max(s - 1, 0) {
            x = x * x % m
            if x == m - 1 { continue witnesses }
        }
        return false
    }
    return true
}

@Suite("Safe primes (OpenSSL)")
struct SafePrimeTests {
    @Test func oracleSanity() {
        #expect(isPrime64(2) && isPrime64(3) && isPrime64(65537) && isPrime64(2_305_843_009_213_693_951))
        #expect(isPrime64(18_446_744_073_709_551_557))  // largest 64-bit prime
        #expect(!isPrime64(1) && !isPrime64(561) && !isPrime64(3_215_031_751) && !isPrime64(3_825_123_056_546_413_051))
    }

    @Test(arguments: [16, 17, 24, 33, 64, 100, 128, 256])
    func safePrimeHasTheRequestedShape(bits: Int) throws {
        let p = BigInt.randomSafePrime(bits: bits)
        #expect(p.isSecret)
        #expect(p.bitLength == bits)
        #expect(p.bit(bits - 1) && p.bit(bits - 2), "top two bits must be set")
        #expect(p.isOdd)
        // A safe prime above 7 is 11 mod 12: p' = (p-1)/2 is an odd prime other than 3.
        #expect(p.modulo(BigInt(12)) == BigInt(11))
        let half = (p - BigInt(1)) / BigInt(2)
        #expect(p == half + half + BigInt(1))
        #expect(p.isProbablePrime())
        #expect(half.isProbablePrime())
        if bits <= 64 {
            let word = try #require(UInt(exactly: p))
            let p64 = UInt64(word)
            #expect(isPrime64(p64), "\(p64) is not prime")
            #expect(isPrime64(p64 / 2), "\(p64 / 2) is not prime")
        }
    }

    @Test func successiveSafePrimesDiffer() {
        // 128-bit safe primes are far too many for two draws from the OS CSPRNG to collide.
        let a = BigInt.randomSafePrime(bits: 128)
        let b = BigInt.randomSafePrime(bits: 128)
        #expect(a != b)
        // The product of two such primes has exactly twice the bits (top two bits set).
        #expect((a * b).bitLength == 256)
    }
}
