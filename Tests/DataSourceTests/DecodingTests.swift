import Query
import Testing

@testable import DataSources

/// A deterministic generator, so failures reproduce.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func parse(_ text: String, scale: Int) -> Result<Int64, NumberText.Problem> {
    var text = text
    return text.withUTF8 { bytes in
        Result { () throws(NumberText.Problem) -> Int64 in
            try NumberText.parse(UnsafeRawBufferPointer(bytes), scale: scale)
        }
    }
}

private func decode(_ decoder: CellDecoder, _ text: String) -> Result<Int64, CellProblem> {
    var text = text
    return text.withUTF8 { bytes in
        Result { () throws(CellProblem) -> Int64 in try decoder.decode(UnsafeRawBufferPointer(bytes)) }
    }
}

@Suite("Cell decoding")
struct DecodingTests {
    @Test func decimalText() {
        #expect(parse("0", scale: 0) == .success(0))
        #expect(parse("-0", scale: 2) == .success(0))
        #expect(parse("+12", scale: 2) == .success(1200))
        #expect(parse("12.3", scale: 2) == .success(1230))
        #expect(parse("12.34", scale: 2) == .success(1234))
        #expect(parse("-12.34", scale: 2) == .success(-1234))
        #expect(parse("00012.340", scale: 3) == .success(12340))
        #expect(parse("9223372036854775807", scale: 0) == .success(Int64.max))
        #expect(parse("-9223372036854775807", scale: 0) == .success(-Int64.max))
        #expect(parse("9.223372036854775807", scale: 18) == .success(Int64.max))
        #expect(parse("0.000000000000000001", scale: 18) == .success(1))
        #expect(parse("12.345", scale: 2) == .failure(.tooManyDecimals))
        #expect(parse("12.340", scale: 2) == .failure(.tooManyDecimals))
        #expect(parse("1.0", scale: 0) == .failure(.tooManyDecimals))
        #expect(parse("9223372036854775808", scale: 0) == .failure(.overflow))
        #expect(parse("-9223372036854775808", scale: 0) == .failure(.overflow))
        #expect(parse("92233720368547758.08", scale: 2) == .failure(.overflow))
        #expect(parse("100000000000000000000000000000", scale: 0) == .failure(.overflow))
        #expect(parse("9.3", scale: 18) == .failure(.overflow))
        for bad in [
            "", "+", "-", ".", "1.", ".1", "1..2", "1.2.3", "1e3", "1,000", " 1", "1 ", "0x10", "١", "--1", "+-1", "1-",
        ] {
            #expect(parse(bad, scale: 2) == .failure(.syntax), "\(bad)")
        }
    }

    @Test func booleans() {
        let decoder = CellDecoder(column: Column(name: "b", type: .boolean, nullable: false))
        for text in ["true", "TRUE", "True", "tRuE", "t", "T", "1"] {
            #expect(decode(decoder, text) == .success(1), "\(text)")
        }
        for text in ["false", "FALSE", "False", "f", "F", "0"] {
            #expect(decode(decoder, text) == .success(0), "\(text)")
        }
        for text in ["yes", "no", "y", "2", "01", "truth", "tru", "falsey", " true", "TRUE ", "-1", "\u{0}"] {
            #expect(decode(decoder, text) == .failure(.wrongType), "\(text)")
        }
    }

    @Test func categoriesMatchExactBytes() {
        var values = (0..<1000).map { "value-\($0)" }
        values += ["", "é", "e\u{301}", "北区", "a,b", "with space "].filter { !$0.isEmpty }
        let decoder = CellDecoder(column: Column(name: "c", type: .category(values), nullable: false))
        for (index, value) in values.enumerated() {
            #expect(decode(decoder, value) == .success(Int64(index)), "\(value)")
        }
        for other in ["value-1000", "value-", "Value-1", "value-1 ", "with space", "北", "x", "value-9999"] {
            #expect(decode(decoder, other) == .failure(.unknownCategory), "\(other)")
        }
        // A composed and a decomposed é are different bytes.
        #expect(decode(decoder, "é") == .success(Int64(values.firstIndex(of: "é")!)))
        #expect(decode(decoder, "e\u{301}") != decode(decoder, "é"))
    }

    @Test func integerAndDecimalBoundsAndScaling() {
        let decoder = CellDecoder(
            column: Column(name: "d", type: .decimal(scale: 2, min: -100, max: 1000), nullable: false)
        )
        #expect(decode(decoder, "-1") == .success(-100))
        #expect(decode(decoder, "10") == .success(1000))
        #expect(decode(decoder, "10.01") == .failure(.outOfBounds))
        #expect(decode(decoder, "-1.01") == .failure(.outOfBounds))
        #expect(decode(decoder, "1.001") == .failure(.tooManyDecimals))
        #expect(Result { () throws(CellProblem) in try decoder.decode(integer: 10) } == .success(1000))
        #expect(Result { () throws(CellProblem) in try decoder.decode(integer: 11) } == .failure(.outOfBounds))
        #expect(
            Result { () throws(CellProblem) in try decoder.decode(integer: Int64.max / 10) } == .failure(.outOfBounds)
        )
        let integer = CellDecoder(column: Column(name: "i", type: .integer(min: 0, max: 10), nullable: false))
        #expect(decode(integer, "10") == .success(10))
        #expect(decode(integer, "1.0") == .failure(.wrongType))
        #expect(decode(integer, "11") == .failure(.outOfBounds))
    }

    @Test func shortestDoubleText() {
        func parse(_ text: String, _ scale: Int) -> Result<Int64, NumberText.Problem> {
            var text = text
            return text.withUTF8 { bytes in
                Result { () throws(NumberText.Problem) -> Int64 in
                    try NumberText.parseShortestDouble(UnsafeRawBufferPointer(bytes), scale: scale)
                }
            }
        }
        #expect(parse("12.34", 2) == .success(1234))
        #expect(parse("5.0", 0) == .success(5))
        #expect(parse("-0.0", 2) == .success(0))
        #expect(parse("1e+16", 2) == .success(1_000_000_000_000_000_000))
        #expect(parse("1.5e-05", 6) == .success(15))
        #expect(parse("1.5e-05", 5) == .failure(.tooManyDecimals))
        #expect(parse("0.30000000000000004", 2) == .failure(.tooManyDecimals))
        #expect(parse("1e+17", 2) == .failure(.overflow))
        #expect(parse("1e+300", 0) == .failure(.overflow))
        #expect(parse("inf", 0) == .failure(.syntax))
    }

    /// The quick path for REALs must give exactly what reading `Double.description`
    /// gives, for every scale.
    @Test func realsAreReadAsTheirShortestTextWithoutRounding() {
        var random = SplitMix(state: 7)
        var doubles: [Double] = [
            0, -0.0, 0.1, 0.2, 0.1 + 0.2, 12.34, 1e-7, 123_456.789, 4_503_599_627_370_495.5, 9_007_199_254_740_992,
            9_007_199_254_740_994, 1e15, 1e16, 1e17, 1e18, 1e19, -2.5, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
        ]
        for _ in 0..<5_000 {
            let scale = Int.random(in: 0...8, using: &random)
            let digits = Int64.random(in: -999_999_999_999...999_999_999_999, using: &random)
            doubles.append(Double(digits) / Double(NumberText.powersOfTen[scale]))
            doubles.append(Double(bitPattern: random.next()))
            doubles.append(Double.random(in: -1e6...1e6, using: &random))
        }
        var mismatches: [String] = []
        var compared = 0
        for scale in [0, 1, 2, 3, 6, 9, 18] {
            let decoder = CellDecoder(
                column: Column(
                    name: "d",
                    type: .decimal(scale: scale, min: -Int64.max, max: Int64.max),
                    nullable: false
                )
            )
            for double in doubles where double.isFinite {
                var text = double.description
                let reference = text.withUTF8 { bytes in
                    Result { () throws(NumberText.Problem) -> Int64 in
                        try NumberText.parseShortestDouble(UnsafeRawBufferPointer(bytes), scale: scale)
                    }
                }
                let expected: Result<Int64, CellProblem> =
                    switch reference {
                    case .success(let value): .success(value)
                    case .failure(.tooManyDecimals): .failure(.tooManyDecimals)
                    case .failure(.overflow): .failure(.outOfBounds)
                    case .failure(.syntax): .failure(.wrongType)
                    }
                let found = Result { () throws(CellProblem) in try decoder.decode(real: double) }
                if found != expected { mismatches.append("\(double) at scale \(scale): \(found), not \(expected)") }
                compared += 1
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
        #expect(compared > 100_000)
        let decoder = CellDecoder(
            column: Column(name: "d", type: .decimal(scale: 2, min: -Int64.max, max: Int64.max), nullable: false)
        )
        #expect(Result { () throws(CellProblem) in try decoder.decode(real: .nan) } == .failure(.wrongType))
        #expect(Result { () throws(CellProblem) in try decoder.decode(real: -.infinity) } == .failure(.wrongType))
        #expect(Result { () throws(CellProblem) in try decoder.decode(real: 10_000_000.1) } == .success(1_000_000_010))
    }

    @Test func utf8CheckAgreesWithTheStandardLibrary() {
        var random = SplitMix(state: 11)
        let fragments: [[UInt8]] = [
            [0x41], [0xC3, 0xA9], [0xE5, 0x8C, 0x97], [0xF0, 0x9F, 0x98, 0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80],
            [0xF4, 0x90, 0x80, 0x80], [0xF5], [0xFF], [0x80], [0xE0, 0x80, 0x80], [0xF0, 0x80, 0x80, 0x80], [0xC3],
            [0xE5, 0x8C], [0xEF, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
        ]
        for _ in 0..<5000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                bytes += fragments[Int.random(in: 0..<fragments.count, using: &random)]
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(bytes.withUnsafeBytes { UTF8Check.isValid($0) } == expected, "\(bytes)")
        }
    }
}
