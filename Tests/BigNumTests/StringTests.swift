import BigNum
import TestSupport
import Testing

@Suite("Parsing and printing BigInt")
struct StringTests {
    /// Swift's own `String(_:radix:)` is the oracle for values that fit in `Int128`.
    @Test(arguments: [2, 10, 16, 36])
    func roundTripsAgainstSwiftFormatting(radix: Int) throws {
        var g = SplitMix64(seed: 0x5712 &+ UInt64(radix))
        for value in edgeInt128s + [Int128.min, Int128.max] + (0..<300).map({ _ in g.int128(maxBits: 127) }) {
            let text = String(value, radix: radix)
            let big = BigInt(value)
            #expect(big.toString(radix: radix) == text)
            #expect(BigInt(text, radix: radix) == big, "\(text)")
            // Upper-case digits are accepted too; output is lower case.
            let upper = String(value, radix: radix, uppercase: true)
            #expect(BigInt(upper, radix: radix) == big, "\(upper)")
        }
    }

    @Test func wideValuesInSeveralRadixes() throws {
        // 2^200 in radix 36 and 10 (Python: repeated divmod by 36; str(2**200)).
        let two200 = BigInt(1) << 200
        #expect(two200.toString(radix: 36) == "bnklg118comha6gqury14067gur54n8won6guf4")
        #expect(two200.toString() == "1606938044258990275541962092341162602522202993782792835301376")
        #expect(two200.toString(radix: 2) == "1" + String(repeating: "0", count: 200))
        #expect(two200.toString(radix: 16) == "1" + String(repeating: "0", count: 50))
        #expect((-two200).toString(radix: 16) == "-1" + String(repeating: "0", count: 50))
        #expect(BigInt("BNKLG118COMHA6GQURY14067GUR54N8WON6GUF4", radix: 36) == two200)
        #expect(BigInt("-" + String(repeating: "f", count: 64), radix: 16) == -((BigInt(1) << 256) - BigInt(1)))
        // 3^100 (Python: 3**100).
        #expect(BigInt(3).power(100).toString() == "515377520732011331036461129765621272702107522001")
    }

    @Test func signsAndLeadingZeros() {
        #expect(BigInt("+12") == BigInt(12))
        #expect(BigInt("-12") == BigInt(-12))
        #expect(BigInt("00012") == BigInt(12))
        #expect(BigInt("-00012") == BigInt(-12))
        #expect(BigInt("+0000") == BigInt(0))
        #expect(BigInt("-0") == BigInt(0))
        #expect(BigInt("-0")?.signum() == 0)
        #expect(BigInt("0")?.toString() == "0")
        #expect(BigInt("-0")?.toString() == "0")
        #expect(BigInt("z", radix: 36) == BigInt(35))
        #expect(BigInt("Z", radix: 36) == BigInt(35))
        #expect(BigInt("777", radix: 8) == BigInt(511))
        #expect(BigInt("-101", radix: 2) == BigInt(-5))
        #expect(BigInt(Substring("xx123").dropFirst(2)) == BigInt(123))
    }

    @Test(arguments: [
        "", "-", "+", "+-1", "-+1", "--1", "++1", " 12", "12 ", "1 2", "\t12", "12\n", "0x10", "1_000",
        "1,000", "1.0", "1e5", "١٢", "１２", "12\u{0}34", "\u{0}", "-\u{0}", "1\u{0301}", "½", "∞",
    ])
    func rejectsMalformedDecimal(text: String) {
        #expect(BigInt(text) == nil)
    }

    @Test func rejectsDigitsOutOfRadix() {
        #expect(BigInt("19", radix: 8) == nil)
        #expect(BigInt("8", radix: 8) == nil)
        #expect(BigInt("2", radix: 2) == nil)
        #expect(BigInt("a", radix: 10) == nil)
        #expect(BigInt("g", radix: 16) == nil)
        #expect(BigInt("0x10", radix: 16) == nil)
        #expect(BigInt("0b1", radix: 2) == nil)
        #expect(BigInt("{", radix: 36) == nil)
        #expect(BigInt("@", radix: 36) == nil)
        // The same digits are fine in a wide enough radix.
        #expect(BigInt("19", radix: 10) == BigInt(19))
        #expect(BigInt("g", radix: 17) == BigInt(16))
    }

    @Test func descriptionOfPublicValuesIsTheDecimal() {
        let value = BigInt(-123_456_789_012_345)
        #expect(value.description == "-123456789012345")
        #expect("\(value)" == "-123456789012345")
        #expect(String(reflecting: value) == "-123456789012345")
    }

    @Test(arguments: [
        "123456789012345678901234567890",
        "987654321987654321",
        "-555555555555555555555",
        "340282366920938463463374607431768211455",
    ])
    func descriptionOfSecretValuesIsRedacted(text: String) throws {
        let secret = BigInt(secret: try big(text))
        let digits = text.filter(\.isNumber)
        #expect(secret.isSecret)
        for shown in [secret.description, "\(secret)", String(reflecting: secret), secret.debugDescription] {
            #expect(!shown.contains(digits))
            // No run of three consecutive digits of the value appears either.
            let chars = Array(digits)
            for start in 0...(chars.count - 3) {
                let window = String(chars[start..<start + 3])
                #expect(!shown.contains(window), "\(shown) shows \(window)")
            }
        }
        // Converting explicitly still gives the value.
        #expect(secret.toString() == text)
        #expect(secret.toString(radix: 16) == (try big(text)).toString(radix: 16))
    }
}
