import BigNum
import Foundation
import Paillier
import Testing

// Test vectors of Protocols/vectors/paillier/, produced outside Fedstat: by
// python-paillier (phe-interop.json) and by plain Python integer arithmetic following
// Protocols/paillier.md (vectors.json). See scripts/paillier-interop.py and
// scripts/paillier-vectors.py.

struct InteropFile: Decodable {
    struct Key: Decodable {
        let name: String
        let bits: Int
        let n: String
        let p: String
        let q: String
        let phe_ciphertexts: [PheCiphertext]
        let fedstat_ciphertexts: [FedstatCiphertext]
    }
    struct PheCiphertext: Decodable {
        let plaintext: String
        let r: String
        let ciphertext: String
    }
    struct FedstatCiphertext: Decodable {
        let plaintext: String
        let ciphertext: String
    }
    let keys: [Key]
}

struct VectorFile: Decodable {
    struct Key: Decodable {
        let name: String
        let bits: Int
        let n, p, q, n_squared, max_signed: String
    }
    struct Textbook: Decodable { let name, m, r, c: String }
    struct TextbookInvalid: Decodable { let name, m, r, error: String }
    struct SignedEncode: Decodable { let name, value, residue: String }
    struct SignedEncodeInvalid: Decodable { let name, value, error: String }
    struct SignedDecode: Decodable { let name, residue, value, c: String }
    struct SignedDecodeInvalid: Decodable {
        let name, residue, error: String
        let c: String?
    }
    struct Serialization: Decodable {
        struct Named: Decodable { let name, bytes: String }
        struct Ciphertext: Decodable { let name, value_hex, bytes: String }
        struct Invalid: Decodable { let name, kind, bytes, error: String }
        let public_key: Named
        let private_key: Named
        let ciphertexts: [Ciphertext]
        let invalid: [Invalid]
    }
    struct Packing: Decodable {
        struct Layout: Decodable {
            struct Pack: Decodable {
                let name: String
                let values, packed: [String]
            }
            struct PackInvalid: Decodable {
                let name: String
                let values: [String]
                let index: Int
                let error: String
            }
            struct Unpack: Decodable {
                let name: String
                let count: Int
                let packed, values: [String]
            }
            struct UnpackInvalid: Decodable {
                let name: String
                let count: Int
                let packed: [String]
                let error: String
            }
            let name, bound: String
            let additions, slot_bits, slots_per_plaintext: Int
            let pack: [Pack]
            let pack_invalid: [PackInvalid]
            let unpack: [Unpack]
            let unpack_invalid: [UnpackInvalid]
        }
        struct LayoutInvalid: Decodable {
            let name, bound: String
            let additions: Int
            let error: String
        }
        let layouts: [Layout]
        let layouts_invalid: [LayoutInvalid]
    }
    let key: Key
    let textbook: [Textbook]
    let textbook_invalid: [TextbookInvalid]
    let signed_encode: [SignedEncode]
    let signed_encode_invalid: [SignedEncodeInvalid]
    let signed_decode: [SignedDecode]
    let signed_decode_invalid: [SignedDecodeInvalid]
    let serialization: Serialization
    let packing: Packing
}

func decimal(_ text: String) throws -> BigInt {
    try #require(BigInt(text), "not a decimal integer: \(text.prefix(20))")
}

@Suite("python-paillier interoperability vectors")
struct InteropVectorTests {
    let file: InteropFile

    init() throws {
        file = try JSONDecoder().decode(InteropFile.self, from: try vectorFile("paillier/phe-interop.json"))
    }

    @Test func fileCoversSeveralKeySizes() {
        #expect(Set(file.keys.map(\.bits)).isSuperset(of: [512, 1024, 2048]))
        #expect(file.keys.allSatisfy { !$0.phe_ciphertexts.isEmpty && !$0.fedstat_ciphertexts.isEmpty })
    }

    /// Ciphertexts made by phe decrypt in Fedstat under the same key.
    @Test func pheCiphertextsDecryptInFedstat() throws {
        for key in file.keys {
            let privateKey = try PrivateKey(p: try hex(key.p), q: try hex(key.q))
            #expect(privateKey.publicKey.n == (try hex(key.n)), "\(key.name)")
            for vector in key.phe_ciphertexts {
                let c = try privateKey.publicKey.ciphertext(try hex(vector.ciphertext))
                #expect(try privateKey.decrypt(c) == (try decimal(vector.plaintext)), "\(key.name) \(vector.plaintext)")
            }
        }
    }

    /// Fedstat's textbook encryption with phe's randomness gives phe's ciphertext
    /// exactly: the two implementations compute the same function.
    @Test func textbookEncryptionReproducesPheCiphertexts() throws {
        for key in file.keys {
            let publicKey = try PublicKey(n: try hex(key.n))
            for vector in key.phe_ciphertexts {
                let residue = try SignedEncoding.encode(try decimal(vector.plaintext), publicKey: publicKey)
                let c = try publicKey.encryptTextbook(residue: residue, randomness: try hex(vector.r))
                #expect(c.value == (try hex(vector.ciphertext)), "\(key.name) \(vector.plaintext)")
            }
        }
    }

    /// Ciphertexts made by Fedstat's fast encryptor (which phe decrypted correctly when
    /// the file was written) still decrypt here.
    @Test func fedstatCiphertextsRoundTrip() throws {
        for key in file.keys {
            let privateKey = try PrivateKey(p: try hex(key.p), q: try hex(key.q))
            for vector in key.fedstat_ciphertexts {
                let c = try privateKey.publicKey.ciphertext(try hex(vector.ciphertext))
                #expect(try privateKey.decrypt(c) == (try decimal(vector.plaintext)), "\(key.name)")
            }
        }
    }
}

@Suite("Fedstat Paillier vectors")
struct OwnVectorTests {
    let file: VectorFile
    let key: PrivateKey

    init() throws {
        file = try JSONDecoder().decode(VectorFile.self, from: try vectorFile("paillier/vectors.json"))
        key = try PrivateKey(p: try hex(file.key.p), q: try hex(file.key.q))
    }

    @Test func keyMatches() throws {
        let pk = key.publicKey
        #expect(pk.bits == file.key.bits)
        #expect(pk.n == (try hex(file.key.n)))
        #expect(pk.nSquared == (try hex(file.key.n_squared)))
        #expect(pk.maxSigned == (try hex(file.key.max_signed)))
    }

    @Test func textbookEncryption() throws {
        for vector in file.textbook {
            let c = try key.publicKey.encryptTextbook(residue: try hex(vector.m), randomness: try hex(vector.r))
            #expect(c.value == (try hex(vector.c)), "\(vector.name)")
            #expect(try key.decryptResidue(c) == (try hex(vector.m)), "\(vector.name)")
        }
        for vector in file.textbook_invalid {
            let error = paillierError {
                _ = try key.publicKey.encryptTextbook(residue: try hex(vector.m), randomness: try hex(vector.r))
            }
            #expect(error?.code.rawValue == vector.error, "\(vector.name)")
        }
    }

    @Test func signedEncoding() throws {
        let pk = key.publicKey
        for vector in file.signed_encode {
            #expect(try SignedEncoding.encode(try decimal(vector.value), publicKey: pk) == (try hex(vector.residue)), "\(vector.name)")
        }
        for vector in file.signed_encode_invalid {
            let error = paillierError { _ = try SignedEncoding.encode(try decimal(vector.value), publicKey: pk) }
            #expect(error?.code.rawValue == vector.error, "\(vector.name)")
        }
        for vector in file.signed_decode {
            #expect(try SignedEncoding.decode(try hex(vector.residue), publicKey: pk) == (try decimal(vector.value)), "\(vector.name)")
            #expect(try key.decrypt(try pk.ciphertext(try hex(vector.c))) == (try decimal(vector.value)), "\(vector.name)")
        }
        for vector in file.signed_decode_invalid {
            let error = paillierError { _ = try SignedEncoding.decode(try hex(vector.residue), publicKey: pk) }
            #expect(error?.code.rawValue == vector.error, "\(vector.name)")
            if let c = vector.c {
                let decryptError = paillierError { _ = try key.decrypt(try pk.ciphertext(try hex(c))) }
                #expect(decryptError?.code.rawValue == vector.error, "\(vector.name)")
            }
        }
    }

    @Test func encodingsByteForByte() throws {
        let vectors = file.serialization
        #expect(key.publicKey.serialized() == (try bytes(hex: vectors.public_key.bytes)))
        #expect(key.serialized() == (try bytes(hex: vectors.private_key.bytes)))
        #expect(try PublicKey(serialized: try bytes(hex: vectors.public_key.bytes)) == key.publicKey)
        #expect(try PrivateKey(serialized: try bytes(hex: vectors.private_key.bytes)).publicKey == key.publicKey)
        for vector in vectors.ciphertexts {
            let c = try key.publicKey.ciphertext(try hex(vector.value_hex))
            #expect(c.serialized() == (try bytes(hex: vector.bytes)), "\(vector.name)")
            #expect(try key.publicKey.ciphertext(serialized: try bytes(hex: vector.bytes)) == c, "\(vector.name)")
        }
    }

    @Test func malformedEncodingsAreRefusedWithTheirCode() throws {
        #expect(file.serialization.invalid.count >= 30)
        for vector in file.serialization.invalid {
            let data = try bytes(hex: vector.bytes)
            let error = paillierError {
                switch vector.kind {
                case "publicKey": _ = try PublicKey(serialized: data)
                case "privateKey": _ = try PrivateKey(serialized: data)
                case "ciphertext": _ = try key.publicKey.ciphertext(serialized: data)
                default: Issue.record("unknown kind \(vector.kind)")
                }
            }
            #expect(error?.code.rawValue == vector.error, "\(vector.name)")
        }
    }

    @Test func packingLayoutsAndPackedIntegers() throws {
        let pk = key.publicKey
        for vector in file.packing.layouts {
            let layout = try PackingLayout(publicKey: pk, bound: try decimal(vector.bound), additions: vector.additions)
            #expect(layout.slotBits == vector.slot_bits, "\(vector.name)")
            #expect(layout.slotsPerPlaintext == vector.slots_per_plaintext, "\(vector.name)")
            for case_ in vector.pack {
                let values = try case_.values.map(decimal)
                let packed = try layout.pack(values)
                #expect(packed == (try case_.packed.map(decimal)), "\(case_.name)")
                #expect(try layout.unpack(packed, count: values.count) == values, "\(case_.name)")
            }
            for case_ in vector.pack_invalid {
                let error = paillierError { _ = try layout.pack(try case_.values.map(decimal)) }
                #expect(error?.code.rawValue == case_.error, "\(case_.name)")
                #expect(error?.message.contains("index \(case_.index)") == true, "\(case_.name)")
            }
            for case_ in vector.unpack {
                #expect(try layout.unpack(try case_.packed.map(decimal), count: case_.count) == (try case_.values.map(decimal)), "\(case_.name)")
            }
            for case_ in vector.unpack_invalid {
                let error = paillierError { _ = try layout.unpack(try case_.packed.map(decimal), count: case_.count) }
                #expect(error?.code.rawValue == case_.error, "\(case_.name)")
            }
        }
        for vector in file.packing.layouts_invalid {
            let error = paillierError {
                _ = try PackingLayout(publicKey: pk, bound: try decimal(vector.bound), additions: vector.additions)
            }
            #expect(error?.code.rawValue == vector.error, "\(vector.name)")
        }
    }
}
