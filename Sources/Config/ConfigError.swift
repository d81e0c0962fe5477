/// An error in a configuration file: what is wrong, where (file, key path, line and
/// column) and what to do about it.
///
/// `description` reads like a compiler diagnostic:
/// `/etc/fedstat/node.yaml:7:8: tls.key: expected a path (a string), found a mapping`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The file could not be read.
        case io
        /// The file is not well-formed YAML.
        case syntax
        /// A key appears twice in the same mapping.
        case duplicateKey
        /// A key that this file does not define (keys are never ignored, so a typo is
        /// caught rather than silently falling back to a default).
        case unknownKey
        /// A required key is absent or has no value.
        case missingKey
        /// A key that is not allowed here (for example an address on an analyst).
        case forbiddenKey
        /// A value has the wrong YAML type (a list where a string belongs, …).
        case wrongType
        /// A value has the right type but is not acceptable (a bad name, host:port,
        /// base64 text, a number out of range, …).
        case invalidValue
        /// A value that must be unique is repeated (a member name, a Paillier index).
        case duplicateValue
        /// A node configuration names a node that is not a node of its federation.
        case notAMember
    }

    public var code: Code
    /// The file as it was named when loaded or parsed; empty for a configuration built
    /// in code.
    public var file: String
    /// Where in the file: keys joined by `.`, list items as `[index]` counted from 0
    /// (`members[2].address`); empty for the file as a whole.
    public var keyPath: String
    /// Line, counted from 1, if known.
    public var line: Int?
    /// Column, counted from 1 in Unicode scalars, if known.
    public var column: Int?
    /// What is wrong and what to do; never contains key material.
    public var message: String

    public init(code: Code, file: String, keyPath: String, line: Int?, column: Int?, message: String) {
        self.code = code
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var location = file.isEmpty ? "(configuration built in code)" : file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }
}
