import Foundation
import Testing

@testable import StateStore

@Suite("Canonical JSON")
struct CanonicalJSONTests {
    @Test("keys are sorted by their UTF-8 bytes, without whitespace")
    func sortedKeys() {
        // Bytewise: "B" (0x42) < "a" (0x61) < "aa" < "b" < "é" (0xc3 0xa9).
        let value = CanonicalJSON.object([
            "é": .integer(1), "b": .bool(true), "aa": .null, "a": .array([.integer(-7), .string("x")]),
            "B": .object([:]),
        ])
        #expect(value.text == #"{"B":{},"a":[-7,"x"],"aa":null,"b":true,"é":1}"#)
    }

    @Test("strings escape only quote, backslash and control characters")
    func escapes() {
        let value = CanonicalJSON.string("a\"b\\c/d\u{0}\u{1f}\t\n\u{7f}é€😀")
        #expect(value.text == "\"a\\\"b\\\\c/d\\u0000\\u001f\\u0009\\u000a\u{7f}é€😀\"")
    }

    @Test("integers are plain JSON numbers")
    func integers() {
        #expect(CanonicalJSON.integer(0).text == "0")
        #expect(CanonicalJSON.integer(-42).text == "-42")
        #expect(CanonicalJSON.integer(.max).text == "9223372036854775807")
        #expect(CanonicalJSON.integer(.min).text == "-9223372036854775808")
    }

    @Test("the parser reads back exactly what the encoder writes")
    func roundTrip() {
        let value = CanonicalJSON.object([
            "nested": .object(["list": .array([.integer(1), .array([]), .object(["k": .string("\u{1}\"")])])]),
            "text": .string("Ärzte\\Pflege\n"), "flag": .bool(false), "none": .null, "n": .integer(-1),
        ])
        let bytes = value.bytes
        #expect(CanonicalJSON(canonical: bytes) == value)
        #expect(CanonicalJSON(canonical: bytes)?.bytes == bytes)
    }

    @Test(
        "the parser refuses every non-canonical spelling",
        arguments: [
            #"{"b":1,"a":2}"#, #"{"a":1,"a":2}"#, #"{ "a":1}"#, #"{"a": 1}"#, #"[1, 2]"#, "01", "-0", "1.0", "1e3",
            #""\n""#, #""\u000A""#, #""\u0041""#, #""\/""#, "\"\u{9}\"", "tru", "[1,]", #"{"a":1}x"#, "",
            "9223372036854775808",
        ]
    )
    func refusesNonCanonical(text: String) {
        #expect(CanonicalJSON(canonical: Array(text.utf8)) == nil)
    }

    @Test("the parser refuses invalid UTF-8 and deep nesting")
    func refusesInvalidBytes() {
        #expect(CanonicalJSON(canonical: [0x22, 0xff, 0x22]) == nil)
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(CanonicalJSON(canonical: Array(deep.utf8)) == nil)
    }

    @Test("hex is lowercase and decodes only lowercase")
    func hex() {
        #expect(Hex.encode([0x00, 0xab, 0xff]) == "00abff")
        #expect(Hex.decode("00abff") == [0x00, 0xab, 0xff])
        #expect(Hex.decode("00ABFF") == nil)
        #expect(Hex.decode("abc") == nil)
    }

    @Test("timestamps are fixed-width UTC with milliseconds and parse back")
    func timestamps() {
        let date = Date(timeIntervalSince1970: 1_772_357_400.250_9)
        #expect(UTCTime.timestamp(date) == "2026-03-01T09:30:00.250Z")
        #expect(UTCTime.day(date) == "2026-03-01")
        #expect(UTCTime.parseTimestamp("2026-03-01T09:30:00.250Z") == Date(timeIntervalSince1970: 1_772_357_400.25))
        #expect(UTCTime.timestamp(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(UTCTime.parseDay("2026-02-30") == nil)
        #expect(UTCTime.parseTimestamp("2026-03-01T09:30:00Z") == nil)
    }
}
