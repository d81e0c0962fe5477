import BigNum
import Paillier
import Testing

@Suite("Ciphertext validation")
struct ValidationTests {
    let key = TestKeys.small

    @Test func invalidCiphertextsAreRefused() throws {
        let pk = key.publicKey
        let (p, q) = try primesOf(key)
        for value in [BigInt(0), BigInt(-1), pk.nSquared, pk.nSquared + BigInt(1), p, q * BigInt(12345), pk.n, pk.n * BigInt(7)] {
            #expect(paillierError { _ = try pk.ciphertext(value) }?.code == .invalidCiphertext)
        }
        #expect(try pk.ciphertext(1).value == 1)
        #expect(try pk.ciphertext(pk.nSquared - BigInt(1)).value == pk.nSquared - BigInt(1))
    }

    @Test func invalidPublicModuliAreRefused() {
        for n in [BigInt(0), BigInt(15), BigInt(1) << 80, (BigInt(1) << 40) + BigInt(1)] {
            #expect(paillierError { _ = try PublicKey(n: n) }?.code == .invalidKey)
        }
        // A perfect square.
        let s = (BigInt(1) << 40) + BigInt(15)
        #expect(paillierError { _ = try PublicKey(n: s * s) }?.code == .invalidKey)
    }

    @Test func invalidPrivateKeysAreRefused() throws {
        let (p, q) = try primesOf(key)
        #expect(paillierError { _ = try PrivateKey(p: p, q: p) }?.code == .invalidKey)
        #expect(paillierError { _ = try PrivateKey(p: p, q: q + BigInt(1)) }?.code == .invalidKey)
        // Unbalanced primes.
        #expect(paillierError { _ = try PrivateKey(p: p, q: 65_537) }?.code == .invalidKey)
        // Order does not matter.
        #expect(try PrivateKey(p: q, q: p).publicKey == key.publicKey)
    }

    @Test func descriptionsShowNoSecrets() throws {
        let (p, q) = try primesOf(key)
        let texts = [
            "\(key)", String(describing: key), "\(key.publicKey)",
            "\(try TestKeys.smallEncryptor.encrypt(31_337))",
        ]
        for text in texts {
            for secret in [p, q] {
                #expect(!text.contains(secret.toString()))
                #expect(!text.contains(String(secret.toString(radix: 16).prefix(12))))
            }
            #expect(!text.contains("31337"))
        }
        #expect(try key.decrypt(try TestKeys.smallEncryptor.encrypt(31_337)).description.contains("secret"))
    }
}

@Suite("Serialisation")
struct SerializationTests {
    let key = TestKeys.small

    @Test func keysAndCiphertextsRoundTrip() throws {
        let pk = key.publicKey
        let publicBytes = pk.serialized()
        #expect(publicBytes.count == 4 + 64)
        #expect(Array(publicBytes.prefix(4)) == [1, 1, 0x02, 0x00])
        #expect(try PublicKey(serialized: publicBytes) == pk)

        let privateBytes = key.serialized()
        #expect(privateBytes.count == 4 + 2 * 32)
        let restored = try PrivateKey(serialized: privateBytes)
        #expect(restored.publicKey == pk)

        let c = try TestKeys.smallEncryptor.encrypt(-77)
        let cBytes = c.serialized()
        #expect(cBytes.count == 2 + 128)
        #expect(Array(cBytes.prefix(2)) == [1, 3])
        let parsed = try pk.ciphertext(serialized: cBytes)
        #expect(parsed == c)
        #expect(try restored.decrypt(parsed) == -77)
    }

    @Test func wrongVersionsKindsAndLengthsAreRefused() throws {
        let pk = key.publicKey
        let publicBytes = pk.serialized()
        let privateBytes = key.serialized()
        let cBytes = try TestKeys.smallEncryptor.encrypt(1).serialized()

        func mutated(_ bytes: [UInt8], at index: Int, to value: UInt8) -> [UInt8] {
            var copy = bytes
            copy[index] = value
            return copy
        }
        #expect(paillierError { _ = try PublicKey(serialized: mutated(publicBytes, at: 0, to: 2)) }?.code == .unsupportedFormat)
        #expect(paillierError { _ = try PublicKey(serialized: mutated(publicBytes, at: 1, to: 3)) }?.code == .unsupportedFormat)
        #expect(paillierError { _ = try PublicKey(serialized: privateBytes) }?.code == .unsupportedFormat)
        #expect(paillierError { _ = try PublicKey(serialized: Array(publicBytes.dropLast())) }?.code == .wrongLength)
        #expect(paillierError { _ = try PublicKey(serialized: publicBytes + [0]) }?.code == .wrongLength)
        #expect(paillierError { _ = try PublicKey(serialized: []) }?.code == .wrongLength)
        // Declared size that does not match the modulus.
        #expect(paillierError { _ = try PublicKey(serialized: mutated(publicBytes, at: 4, to: 0)) }?.code == .invalidKey)

        #expect(paillierError { _ = try PrivateKey(serialized: mutated(privateBytes, at: 0, to: 9)) }?.code == .unsupportedFormat)
        #expect(paillierError { _ = try PrivateKey(serialized: Array(privateBytes.dropLast())) }?.code == .wrongLength)
        #expect(paillierError { _ = try PrivateKey(serialized: mutated(privateBytes, at: privateBytes.count - 1, to: privateBytes.last! ^ 1)) }?.code == .invalidKey)

        #expect(paillierError { _ = try pk.ciphertext(serialized: mutated(cBytes, at: 0, to: 0)) }?.code == .unsupportedFormat)
        #expect(paillierError { _ = try pk.ciphertext(serialized: mutated(cBytes, at: 1, to: 1)) }?.code == .unsupportedFormat)
        #expect(paillierError { _ = try pk.ciphertext(serialized: Array(cBytes.dropLast())) }?.code == .wrongLength)
        #expect(paillierError { _ = try pk.ciphertext(serialized: cBytes + [0]) }?.code == .wrongLength)
        // Right length, but not a unit modulo n².
        let zero = [UInt8](cBytes.prefix(2)) + [UInt8](repeating: 0, count: cBytes.count - 2)
        #expect(paillierError { _ = try pk.ciphertext(serialized: zero) }?.code == .invalidCiphertext)
        let allOnes = [UInt8](cBytes.prefix(2)) + [UInt8](repeating: 0xFF, count: cBytes.count - 2)
        #expect(paillierError { _ = try pk.ciphertext(serialized: allOnes) }?.code == .invalidCiphertext)
        // A ciphertext of another key size.
        let foreign = try TestKeys.mediumEncryptor.encrypt(1).serialized()
        #expect(paillierError { _ = try pk.ciphertext(serialized: foreign) }?.code == .wrongLength)
    }
}
