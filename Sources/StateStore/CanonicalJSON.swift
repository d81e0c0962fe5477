/// A JSON value with exactly one byte encoding: the canonical form of
/// `Protocols/audit-log.md` §2.
///
/// - Objects: keys sorted by their UTF-8 bytes, no duplicates, no whitespace.
/// - Strings: UTF-8 as stored; only `"` → `\"`, `\` → `\\` and U+0000…U+001F →
///   `\u00xx` (lowercase hex) are escaped.
/// - Numbers: integers only (`Int64`), no leading zeros, no `-0`, no fraction or exponent.
/// - Binary values are not a JSON type: callers encode them as lowercase hex strings
///   (``Hex``).
///
/// Because the encoding is unique, hashing the bytes hashes the value: two parties that
/// agree on a record agree on its hash.
public enum CanonicalJSON: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case null
    case array([CanonicalJSON])
    case object([String: CanonicalJSON])

    /// The canonical UTF-8 bytes of this value.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        encode(into: &out)
        return out
    }

    /// The canonical encoding as a string (the bytes are always valid UTF-8).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private func encode(into out: inout [UInt8]) {
        switch self {
        case .string(let value):
            Self.encodeString(value, into: &out)
        case .integer(let value):
            out.append(contentsOf: String(value).utf8)
        case .bool(let value):
            out.append(contentsOf: (value ? "true" : "false").utf8)
        case .null:
            out.append(contentsOf: "null".utf8)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.encode(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in Self.sortedKeys(members).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.encodeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.encode(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Keys in bytewise order of their UTF-8 encoding (not Swift's `String` order,
    /// which compares Unicode scalars after normalization).
    static func sortedKeys(_ members: [String: CanonicalJSON]) -> [String] {
        members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    private static func encodeString(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(Hex.digits[Int(byte >> 4)])
                out.append(Hex.digits[Int(byte & 0x0f)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension CanonicalJSON {
    /// Parses bytes that must already be in canonical form; returns nil for anything
    /// else (whitespace, unsorted or duplicate keys, other escapes, non-integers,
    /// invalid UTF-8, nesting deeper than 32).
    ///
    /// Strictness is the point: a stored audit record that is not canonical was not
    /// written by ``StateStore/append(_:at:)``, so the verifier treats it as tampered.
    public init?(canonical bytes: [UInt8]) {
        var parser = Parser(bytes: bytes)
        guard let value = parser.value(depth: 0), parser.position == bytes.count else { return nil }
        self = value
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func value(depth: Int) -> CanonicalJSON? {
            guard depth <= 32, position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string().map(CanonicalJSON.string)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return integer()
            }
        }

        mutating func literal(_ word: String, _ value: CanonicalJSON) -> CanonicalJSON? {
            let expected = Array(word.utf8)
            guard bytes.count - position >= expected.count,
                Array(bytes[position..<position + expected.count]) == expected
            else { return nil }
            position += expected.count
            return value
        }

        mutating func integer() -> CanonicalJSON? {
            let start = position
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
            let digitsStart = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                position += 1
            }
            let digits = position - digitsStart
            guard digits > 0 else { return nil }
            // No leading zeros and no "-0": each integer has one spelling.
            if bytes[digitsStart] == UInt8(ascii: "0") && (digits > 1 || digitsStart > start) { return nil }
            guard let value = Int64(String(decoding: bytes[start..<position], as: UTF8.self)) else { return nil }
            return .integer(value)
        }

        mutating func string() -> String? {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
            position += 1
            var raw: [UInt8] = []
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(validating: raw, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { return nil }
                    let escaped = bytes[position]
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                        raw.append(escaped)
                    case UInt8(ascii: "u"):
                        guard bytes.count - position >= 4,
                            bytes[position] == UInt8(ascii: "0"), bytes[position + 1] == UInt8(ascii: "0"),
                            let high = Hex.value(of: bytes[position + 2]), high < 2,
                            let low = Hex.value(of: bytes[position + 3])
                        else { return nil }
                        raw.append(high << 4 | low)
                        position += 4
                    default:
                        return nil
                    }
                case 0x00..<0x20:
                    return nil
                default:
                    raw.append(byte)
                }
            }
            return nil
        }

        mutating func array(depth: Int) -> CanonicalJSON? {
            position += 1
            var values: [CanonicalJSON] = []
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(values)
            }
            while true {
                guard let value = value(depth: depth + 1) else { return nil }
                values.append(value)
                guard position < bytes.count else { return nil }
                let separator = bytes[position]
                position += 1
                if separator == UInt8(ascii: "]") { return .array(values) }
                guard separator == UInt8(ascii: ",") else { return nil }
            }
        }

        mutating func object(depth: Int) -> CanonicalJSON? {
            position += 1
            var members: [String: CanonicalJSON] = [:]
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            var previousKey: [UInt8]?
            while true {
                guard let key = string() else { return nil }
                let keyBytes = Array(key.utf8)
                // Strictly increasing bytewise: sorted and free of duplicates.
                if let previousKey, !previousKey.lexicographicallyPrecedes(keyBytes) { return nil }
                previousKey = keyBytes
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                position += 1
                guard let value = value(depth: depth + 1) else { return nil }
                // Two byte-distinct keys that Swift considers equal (canonically
                // equivalent Unicode) would merge in a dictionary; refuse them.
                guard members.updateValue(value, forKey: key) == nil else { return nil }
                guard position < bytes.count else { return nil }
                let separator = bytes[position]
                position += 1
                if separator == UInt8(ascii: "}") { return .object(members) }
                guard separator == UInt8(ascii: ",") else { return nil }
            }
        }
    }
}

/// Lowercase hexadecimal, the encoding of binary values (query ids, hashes) in audit
/// records.
public enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The lowercase hex encoding of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes lowercase hex; nil for odd length, uppercase or other characters (so
    /// each byte string has a single spelling).
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(of: utf8[index]), let low = value(of: utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
