import BigNum
import Paillier
import TestSupport
import Testing

@Suite("Homomorphic operations")
struct HomomorphicTests {
    let key = TestKeys.small
    let encryptor = TestKeys.smallEncryptor

    @Test(arguments: [(5, 7), (-5, 7), (123_456_789, -987_654_321), (0, 0), (-1, -1)])
    func additionSubtractionAndNegation(a: Int, b: Int) throws {
        let ca = try encryptor.encrypt(a)
        let cb = try encryptor.encrypt(b)
        #expect(try key.decrypt(ca + cb) == BigInt(a + b))
        #expect(try key.decrypt(ca - cb) == BigInt(a - b))
        #expect(try key.decrypt(-ca) == BigInt(-a))
        var sum = ca
        sum += cb
        #expect(try key.decrypt(sum) == BigInt(a + b))
    }

    @Test(arguments: [0, 1, -1, 3, -3, 1_000_003, -(1 << 40)])
    func scalarMultiplication(k: Int) throws {
        let c = try encryptor.encrypt(-12_345)
        #expect(try key.decrypt(c * BigInt(k)) == BigInt(-12_345 * k))
        #expect(try key.decrypt(BigInt(k) * c) == BigInt(-12_345 * k))
    }

    @Test func rerandomisationChangesTheCiphertextNotThePlaintext() throws {
        let c = try encryptor.encrypt(99)
        let fresh = encryptor.rerandomize(c)
        #expect(fresh != c)
        #expect(try key.decrypt(fresh) == 99)
    }

    @Test func sumOfManyCiphertexts() throws {
        var generator = SeededGenerator(seed: 7)
        let values = (0..<40).map { _ in BigInt(Int.random(in: -1_000_000...1_000_000, using: &generator)) }
        let sum = try #require(try values.map { try encryptor.encrypt($0) }.homomorphicSum())
        #expect(try key.decrypt(sum) == values.reduce(BigInt(0), +))
        #expect([Ciphertext]().homomorphicSum() == nil)
    }

    /// Sums that leave the signed range land in the overflow band and are refused
    /// instead of wrapping to a plausible value.
    @Test func overflowingSumsAreRefused() throws {
        let max = key.publicKey.maxSigned
        let big = try encryptor.encrypt(max)
        #expect(paillierError { _ = try key.decrypt(big + big) }?.code == .overflow)
        let small = try encryptor.encrypt(-max)
        #expect(paillierError { _ = try key.decrypt(small + small) }?.code == .overflow)
        // Exactly at the edge still decrypts.
        #expect(try key.decrypt(big + small) == 0)
        #expect(try key.decrypt(big + (try encryptor.encrypt(0))) == max)
    }

    @Test func overflowErrorsDoNotContainThePlaintext() throws {
        let max = key.publicKey.maxSigned
        let c = try encryptor.encrypt(max) + encryptor.encrypt(max)
        let residue = try key.decryptResidue(c)
        let error = try #require(paillierError { _ = try key.decrypt(c) })
        #expect(!error.description.contains(residue.toString()))
        #expect(!error.description.contains(String(residue.toString().prefix(12))))
    }
}
