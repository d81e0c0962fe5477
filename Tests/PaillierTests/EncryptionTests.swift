import BigNum
import Paillier
import TestSupport
import Testing

@Suite("Encryption and decryption")
struct EncryptionTests {
    let key = TestKeys.small
    let encryptor = TestKeys.smallEncryptor

    var edgeValues: [BigInt] {
        let max = key.publicKey.maxSigned
        return [0, 1, -1, 2, -2, 1 << 62, -(1 << 62), BigInt(Int.max), BigInt(Int.min), max, -max, max - BigInt(1), -max + BigInt(1)]
    }

    @Test func edgeValuesRoundTripThroughFastEncryption() throws {
        for value in edgeValues {
            let c = try encryptor.encrypt(value)
            #expect(try key.decrypt(c) == value)
        }
    }

    @Test func edgeValuesRoundTripThroughTextbookEncryption() throws {
        for value in edgeValues {
            let residue = try SignedEncoding.encode(value, publicKey: key.publicKey)
            let c = try key.publicKey.encryptTextbook(residue: residue)
            #expect(try key.decrypt(c) == value)
        }
    }

    @Test func randomValuesRoundTripUnderBothEncryptions() throws {
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<50 {
            let magnitude = BigInt.random(below: key.publicKey.maxSigned + BigInt(1), using: &generator)
            let value = Bool.random(using: &generator) ? magnitude : -magnitude
            #expect(try key.decrypt(try encryptor.encrypt(value)) == value)
            let residue = try SignedEncoding.encode(value, publicKey: key.publicKey)
            #expect(try key.decryptResidue(try key.publicKey.encryptTextbook(residue: residue)) == residue)
        }
    }

    @Test func textbookEncryptionMatchesTheFormula() throws {
        let pk = key.publicKey
        let m = BigInt(424_242)
        let r = BigInt(987_654_321)
        let expected = (BigInt(1) + m * pk.n).multiplied(by: r.power(pk.n, modulus: pk.nSquared), modulo: pk.nSquared)
        #expect(try pk.encryptTextbook(residue: m, randomness: r).value == expected)
    }

    @Test func encryptionsOfOneValueDiffer() throws {
        let a = try encryptor.encrypt(7)
        let b = try encryptor.encrypt(7)
        #expect(a != b)
        #expect(try key.decrypt(a) == key.decrypt(b))
    }

    /// The randomness hs^r is an n-th residue: an encryption of zero has order dividing
    /// φ(n). A table built on a wrong base (not an n-th residue) would fail this.
    @Test func encryptionOfZeroIsAnNthResidue() throws {
        let pk = key.publicKey
        let c = try encryptor.encrypt(0)
        let phi = try phiOf(key)
        #expect(c.value.power(phi, modulus: pk.nSquared) == 1)
        #expect(c.value != 1)
    }

    @Test func exponentIsFullLength() {
        #expect(encryptor.exponentBits == key.publicKey.bits + 128)
        #expect(Encryptor.statisticalSecurityBits == 128)
    }

    @Test func residuesOutsideTheRangeAreRefused() {
        let pk = key.publicKey
        #expect(paillierError { _ = try encryptor.encrypt(residue: pk.n) }?.code == .plaintextOutOfRange)
        #expect(paillierError { _ = try encryptor.encrypt(residue: -1) }?.code == .plaintextOutOfRange)
        #expect(paillierError { _ = try pk.encryptTextbook(residue: pk.n + BigInt(5)) }?.code == .plaintextOutOfRange)
    }

    @Test func signedValuesBeyondTheRangeAreRefused() {
        let max = key.publicKey.maxSigned
        #expect(paillierError { _ = try encryptor.encrypt(max + BigInt(1)) }?.code == .overflow)
        #expect(paillierError { _ = try encryptor.encrypt(-max - BigInt(1)) }?.code == .overflow)
    }

    @Test func badTextbookRandomnessIsRefused() {
        let pk = key.publicKey
        for r in [BigInt(0), pk.n, try! primesOf(key).p] {
            #expect(paillierError { _ = try pk.encryptTextbook(residue: 1, randomness: r) }?.code == .invalidCiphertext)
        }
    }

    @Test func decryptionUnderAnotherKeyIsRefused() throws {
        let c = try TestKeys.otherEncryptor.encrypt(5)
        #expect(paillierError { _ = try key.decrypt(c) }?.code == .keyMismatch)
    }

    @Test func poolServesWarmFactorsAndFallsBackWhenEmpty() throws {
        let pooled = Encryptor(publicKey: key.publicKey, windowBits: 4, poolCapacity: 6)
        pooled.waitForPool(atLeast: 6)
        #expect(pooled.pooledFactors == 6)
        // More encryptions than the pool holds: the rest are computed by the caller.
        var ciphertexts: [Ciphertext] = []
        for value in 0..<20 {
            ciphertexts.append(try pooled.encrypt(value - 10))
        }
        #expect(Set(ciphertexts).count == 20)
        for (value, c) in zip(0..<20, ciphertexts) {
            #expect(try key.decrypt(c) == BigInt(value - 10))
        }
        pooled.waitForPool(atLeast: 6)
        #expect(pooled.pooledFactors == 6)
    }

    /// A regression: taking a few factors left the pool above its refill mark, and a
    /// wait for a full pool never returned.
    @Test(.timeLimit(.minutes(1))) func waitingForAFullPoolAfterPartialUseReturns() throws {
        let pooled = Encryptor(publicKey: key.publicKey, windowBits: 4, poolCapacity: 8)
        pooled.waitForPool(atLeast: 8)
        for value in 0..<3 { _ = try pooled.encrypt(value) }
        pooled.waitForPool(atLeast: 8)
        #expect(pooled.pooledFactors == 8)
    }

    /// The factor's Jacobi symbol modulo n is uniform, as for textbook encryption: fast
    /// ciphertexts cannot be told apart from textbook ones by it, and re-randomising
    /// does not keep the source's symbol. (All 64 alike has probability 2^−63.)
    @Test func jacobiSymbolsOfCiphertextsAreRandom() throws {
        let n = key.publicKey.n
        func symbol(_ c: Ciphertext) -> Int { BigInt.jacobi(c.value.modulo(n), n) }
        let fresh = try (0..<64).map { _ in symbol(try encryptor.encrypt(5)) }
        #expect(Set(fresh) == [1, -1])
        let source = try encryptor.encrypt(5)
        let rerandomised = (0..<64).map { _ in symbol(encryptor.rerandomize(source)) }
        #expect(Set(rerandomised) == [1, -1])
    }

    @Test func mediumKeyRoundTrip() throws {
        let medium = TestKeys.medium
        for value: BigInt in [0, -1, medium.publicKey.maxSigned, 1 << 1000] {
            #expect(try medium.decrypt(try TestKeys.mediumEncryptor.encrypt(value)) == value)
        }
    }

    @Test func productionSizeKeyRoundTrip() throws {
        let key = PrivateKey.generate(size: .bits2048)
        #expect(key.publicKey.bits == 2048)
        let p = try primesOf(key).p
        #expect(p.bitLength == 1024 && ((p - BigInt(1)) / BigInt(2)).isProbablePrime())
        let encryptor = Encryptor(publicKey: key.publicKey, windowBits: 4)
        let a = try encryptor.encrypt(BigInt(-31_337))
        let b = try encryptor.encrypt(BigInt(1) << 2000)
        #expect(try key.decrypt(a + b) == (BigInt(1) << 2000) - BigInt(31_337))
    }
}

/// p and q recovered from the serialised private key (the test needs them as values).
func primesOf(_ key: PrivateKey) throws -> (p: BigInt, q: BigInt) {
    let bytes = key.serialized()
    let count = (bytes.count - 4) / 2
    return (BigInt(bigEndianBytes: bytes[4..<4 + count]), BigInt(bigEndianBytes: bytes[(4 + count)...]))
}

func phiOf(_ key: PrivateKey) throws -> BigInt {
    let (p, q) = try primesOf(key)
    return (p - BigInt(1)) * (q - BigInt(1))
}
