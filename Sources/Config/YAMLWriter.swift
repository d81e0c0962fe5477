import Yams

/// Builds a configuration file line by line, with comments (Yams' emitter drops them).
/// Every scalar goes through ``scalar(_:)`` so it reads back as the same string.
struct YAMLWriter {
    private(set) var text = ""

    /// `# …` lines, one per element of `lines`, at `indent` spaces.
    mutating func comment(_ lines: [String], indent: Int = 0) {
        let pad = String(repeating: " ", count: indent)
        for line in lines { text += line.isEmpty ? "\(pad)#\n" : "\(pad)# \(line)\n" }
    }

    mutating func blankLine() { text += "\n" }

    /// `key: value`, with an optional trailing comment.
    mutating func entry(_ key: String, _ value: String, indent: Int = 0, note: String? = nil) {
        let line = String(repeating: " ", count: indent) + "\(key): \(value)"
        text += note.map { "\(line)  # \($0)\n" } ?? "\(line)\n"
    }

    /// `key:` opening a nested mapping or list.
    mutating func open(_ key: String, indent: Int = 0) {
        text += String(repeating: " ", count: indent) + "\(key):\n"
    }

    /// `key:` followed by `block` (YAML at indentation 0) indented by `indent + 2`.
    mutating func block(_ key: String, _ block: String, indent: Int = 0) {
        open(key, indent: indent)
        let pad = String(repeating: " ", count: indent + 2)
        for line in block.split(separator: "\n", omittingEmptySubsequences: false).dropLast(
            block.hasSuffix("\n") ? 1 : 0
        ) {
            text += line.isEmpty ? "\n" : pad + line + "\n"
        }
    }

    /// A raw section: `key: {}` when empty, the mapping indented below `key:` otherwise.
    mutating func raw(_ key: String, _ value: RawYAML) {
        if value.isEmpty {
            entry(key, "{}")
        } else {
            block(key, value.emitted)
        }
    }

    /// A multi-line string as a literal block (`|`) when it can be written as one
    /// exactly, else as a scalar (see ``scalar(_:)``).
    mutating func literal(_ key: String, _ value: String, indent: Int = 0) {
        guard let body = Self.literalBody(value) else {
            entry(key, Self.scalar(value), indent: indent)
            return
        }
        let pad = String(repeating: " ", count: indent + 2)
        text += String(repeating: " ", count: indent) + "\(key): \(body.indicator)\n"
        for line in body.lines { text += line.isEmpty ? "\n" : pad + line + "\n" }
    }

    /// `string` as a YAML scalar that reads back as that string: plain when it is
    /// simple and would not be read as a number, boolean, null or date, double-quoted
    /// otherwise.
    static func scalar(_ string: String) -> String {
        isPlainSafe(string) ? string : quoted(string)
    }

    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                // Controls, and characters YAML treats as line breaks or byte-order marks.
                let escaped =
                    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                    || [0x2028, 0x2029, 0xFEFF].contains(scalar.value)
                if escaped {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func isPlainSafe(_ string: String) -> Bool {
        guard let first = string.unicodeScalars.first, string.unicodeScalars.last != ":" else { return false }
        func isAlphanumeric(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
        }
        guard isAlphanumeric(first) || "./_+".unicodeScalars.contains(first) else { return false }
        guard string.unicodeScalars.allSatisfy({ isAlphanumeric($0) || "._/+=@:-".unicodeScalars.contains($0) }) else {
            return false
        }
        return Resolver.default.resolveTag(of: Node(string)) == .str
    }

    /// The chomping indicator and lines of a literal block holding exactly `value`, or
    /// nil if a literal block cannot (leading spaces on the first line, spaces at the end
    /// of a line, carriage returns or other controls, trailing blank lines).
    private static func literalBody(_ value: String) -> (indicator: String, lines: [Substring])? {
        guard value.contains("\n"), !value.hasSuffix("\n\n"), value != "\n" else { return nil }
        let printable = value.unicodeScalars.allSatisfy { scalar in
            scalar == "\n"
                || (scalar.value >= 0x20 && !(0x7F...0x9F).contains(scalar.value)
                    && ![0x2028, 0x2029, 0xFEFF].contains(scalar.value))
        }
        guard printable else { return nil }
        var lines = value.split(separator: "\n", omittingEmptySubsequences: false)
        let indicator: String
        if value.hasSuffix("\n") {
            lines.removeLast()
            indicator = "|"
        } else {
            indicator = "|-"
        }
        // The block's indentation is taken from its first non-empty line, and spaces at
        // the end of a line are easy to lose on the way back; quote such text instead.
        guard let firstText = lines.first(where: { !$0.isEmpty }), firstText.first != " " else { return nil }
        guard !lines.contains(where: { $0.last == " " || $0.last == "\t" }) else { return nil }
        return (indicator, lines)
    }
}
