import Yams

/// A part of a configuration file kept as YAML, for a parser defined elsewhere (the
/// catalog in `federation.yaml`, the dataset sources in `node.yaml`).
///
/// Yams' `Node` is not `Sendable` (its tags are classes that update themselves when
/// read), so this keeps the text it came from and composes a fresh `Node` on each
/// access to ``node``; its marks give lines and columns in the original file.
public struct RawYAML: Sendable, Equatable {
    /// The file the value was read from, for error messages; empty if built in code.
    public let file: String
    /// The value's key path in that file (`catalog`); empty if built in code.
    public let keyPath: String
    /// The whole document the value is part of.
    private let document: String
    /// The top-level key of `document` holding the value, or nil for the whole document.
    private let documentKey: String?
    /// The value as block YAML at indentation 0, for the renderers.
    let emitted: String
    /// Whether the value is an empty mapping (rendered `{}`).
    public let isEmpty: Bool

    /// An empty mapping, the default of every raw section.
    public static let emptyMapping = RawYAML(
        file: "",
        keyPath: "",
        document: "{}",
        documentKey: nil,
        emitted: "{}\n",
        isEmpty: true
    )

    private init(file: String, keyPath: String, document: String, documentKey: String?, emitted: String, isEmpty: Bool)
    {
        self.file = file
        self.keyPath = keyPath
        self.document = document
        self.documentKey = documentKey
        self.emitted = emitted
        self.isEmpty = isEmpty
    }

    /// A mapping built in code (by a key ceremony writing a catalog).
    public init(mapping node: Node) throws(ConfigError) {
        guard case .mapping(let mapping) = node else {
            throw ConfigError(
                code: .wrongType,
                file: "",
                keyPath: "",
                line: nil,
                column: nil,
                message: "expected a mapping, found \(YAMLReader.describe(node))"
            )
        }
        let text = try Self.emit(mapping, file: "", keyPath: "")
        guard (try? Yams.compose(yaml: text)) == node else {
            throw ConfigError(
                code: .invalidValue,
                file: "",
                keyPath: "",
                line: nil,
                column: nil,
                message: "this mapping does not read back as itself once written as YAML; simplify it"
            )
        }
        self.init(file: "", keyPath: "", document: text, documentKey: nil, emitted: text, isEmpty: mapping.isEmpty)
    }

    /// A whole document that is one mapping (a catalog kept in a file of its own).
    init(wholeDocument mapping: Node.Mapping, file: String, document: String) throws(ConfigError) {
        let text = try Self.emit(mapping, file: file, keyPath: "")
        self.init(file: file, keyPath: "", document: document, documentKey: nil, emitted: text, isEmpty: mapping.isEmpty)
    }

    /// The value read from the top-level `key` of `document`.
    init(_ mapping: Node.Mapping, file: String, key: String, document: String) throws(ConfigError) {
        let text = try Self.emit(mapping, file: file, keyPath: key)
        self.init(
            file: file,
            keyPath: key,
            document: document,
            documentKey: key,
            emitted: text,
            isEmpty: mapping.isEmpty
        )
    }

    /// The value as a Yams node (always a mapping), with marks in the file it was read from.
    public var node: Node {
        // The document was composed once already, so composing it again cannot fail.
        guard let root = try? Yams.compose(yaml: document) else {
            preconditionFailure("a stored YAML document no longer parses")
        }
        guard let key = documentKey else { return root }
        guard case .mapping(let mapping) = root, let value = mapping[key] else {
            preconditionFailure("a stored YAML document lost its key")
        }
        return value
    }

    public static func == (lhs: RawYAML, rhs: RawYAML) -> Bool {
        lhs.isEmpty && rhs.isEmpty || lhs.node == rhs.node
    }

    private static func emit(_ mapping: Node.Mapping, file: String, keyPath: String) throws(ConfigError) -> String {
        if mapping.isEmpty { return "{}\n" }
        do {
            return try Yams.serialize(node: .mapping(mapping), allowUnicode: true)
        } catch {
            throw ConfigError(
                code: .invalidValue,
                file: file,
                keyPath: keyPath,
                line: mapping.mark?.line,
                column: mapping.mark?.column,
                message: "this mapping cannot be written back as YAML (\(error)); simplify it"
            )
        }
    }
}
