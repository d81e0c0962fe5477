/// Fedstat's configuration files: `federation.yaml` (``FederationConfig``), `node.yaml`
/// (``NodeConfig``) and the analyst's `fedquery.yaml` (``AnalystConfig``).
///
/// Every file is read strictly: an unknown key, a value of the wrong type, a missing
/// required key or a bad value is a ``ConfigError`` naming the file, the key path
/// (`members[2].address`, list indices counted from 0) and the line and column. Paths in
/// a file are resolved against the directory of that file (``ConfigPath``). Each
/// configuration renders back to a commented file that parses to an equal value.
public enum Config {
    /// The longest name ``validateName(_:)`` accepts, as for a DNS label.
    public static let maximumNameLength = 63

    /// Checks a federation id or member name: 1–63 lowercase ASCII letters, digits and
    /// `-`, not starting or ending with `-` (a DNS label, RFC 1123, in lowercase).
    ///
    /// Names appear in certificate identities (`spiffe://<federation>/node/<name>`), in
    /// file names and in audit records, so they are kept to characters that need no
    /// escaping anywhere and that cannot differ only by case.
    public static func validateName(_ name: String) throws(NameError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else {
            throw NameError(code: .empty, name: name, message: "a name cannot be empty")
        }
        guard bytes.count <= maximumNameLength else {
            throw NameError(
                code: .tooLong,
                name: name,
                message: "`\(name)` has \(bytes.count) characters; names have at most \(maximumNameLength)"
            )
        }
        for (offset, character) in name.enumerated() {
            let allowed = character.isASCII && (character.isLowercase || character.isNumber || character == "-")
            guard allowed else {
                let hint = character.isUppercase ? " (write it in lowercase)" : ""
                throw NameError(
                    code: .invalidCharacter,
                    name: name,
                    message: "`\(name)` contains \(quotedCharacter(character)) at position \(offset + 1)\(hint); "
                        + "names use only lowercase letters a–z, digits and '-'"
                )
            }
        }
        guard bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            throw NameError(code: .hyphenAtEnd, name: name, message: "`\(name)` starts or ends with '-'; a name cannot")
        }
    }

    private static func quotedCharacter(_ character: Character) -> String {
        let printable = character.unicodeScalars.allSatisfy { $0.properties.generalCategory != .control && $0 != " " }
        if printable { return "'\(character)'" }
        return character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(
            separator: " "
        )
    }
}

/// A name refused by ``Config/validateName(_:)``.
public struct NameError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The name is the empty string.
        case empty
        /// The name is longer than ``Config/maximumNameLength``.
        case tooLong
        /// The name contains something other than a–z, 0–9 and `-`.
        case invalidCharacter
        /// The name starts or ends with `-`.
        case hyphenAtEnd
    }

    public var code: Code
    /// The refused name.
    public var name: String
    public var message: String

    public init(code: Code, name: String, message: String) {
        self.code = code
        self.name = name
        self.message = message
    }

    public var description: String { message }
}
