import Yams

/// Reads a composed YAML document strictly, recording where each key path was found and
/// turning every problem into a ``ConfigError`` with file, key path, line and column.
struct YAMLReader {
    let file: String
    /// Absolute directory of `file`, against which relative paths are resolved.
    let directory: String
    private(set) var positions: [String: SourcePosition] = [:]

    init(file: String) {
        self.file = file
        self.directory = FilePaths.directory(of: file)
    }

    var source: ConfigSource { ConfigSource(file: file, positions: positions) }

    /// The root of `yaml`; an empty document reads as an empty mapping.
    mutating func root(of yaml: String) throws(ConfigError) -> Node {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error)
        } catch {
            throw ConfigError(code: .syntax, file: file, keyPath: "", line: nil, column: nil, message: "\(error)")
        }
        positions[""] = root?.mark.map(Self.position) ?? SourcePosition(line: 1, column: 1)
        return root ?? Node([(Node, Node)]())
    }

    // MARK: Errors

    func error(_ code: ConfigError.Code, at path: String, _ mark: Mark?, _ message: String) -> ConfigError {
        let position = mark.map(Self.position) ?? positions[path] ?? source.position(of: path)
        return ConfigError(
            code: code,
            file: file,
            keyPath: path,
            line: position?.line,
            column: position?.column,
            message: message
        )
    }

    static func position(_ mark: Mark) -> SourcePosition {
        SourcePosition(line: mark.line, column: mark.column)
    }

    private func syntaxError(_ error: YamlError) -> ConfigError {
        func make(_ code: ConfigError.Code, _ mark: Mark?, _ message: String) -> ConfigError {
            ConfigError(code: code, file: file, keyPath: "", line: mark?.line, column: mark?.column, message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return make(.syntax, mark, "not valid YAML: \(problem)\(during)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "`\($0)`" }.joined(separator: ", ")
            return ConfigError(
                code: .duplicateKey,
                file: file,
                keyPath: duplicates.sorted().first ?? "",
                line: context.mark.line,
                column: context.mark.column,
                message: "the key \(keys) appears more than once in the same mapping; keep one"
            )
        case .reader(let problem, let offset, _, let yaml):
            // The offset counts characters from the start of the text.
            var position: SourcePosition?
            if let offset {
                let before = yaml.prefix(offset)
                let line = before.count(where: { $0 == "\n" || $0 == "\r\n" }) + 1
                let lineStart = before.lastIndex(where: { $0 == "\n" || $0 == "\r\n" }).map(before.index(after:))
                let column = before[(lineStart ?? before.startIndex)...].unicodeScalars.count + 1
                position = SourcePosition(line: line, column: column)
            }
            return ConfigError(
                code: .syntax,
                file: file,
                keyPath: "",
                line: position?.line,
                column: position?.column,
                message: "the text cannot be read as YAML: \(problem); remove control characters"
            )
        default:
            return make(.syntax, nil, "not valid YAML: \(error)")
        }
    }

    /// How a node reads in an error message.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch tagName(node) {
            case .null: return "no value"
            case .int: return "the integer \(scalar.string)"
            case .float: return "the number \(scalar.string)"
            case .bool: return "the boolean \(scalar.string)"
            case .str: return "the string \"\(scalar.string)\""
            default: return "`\(scalar.string)` (\(tagName(node).rawValue))"
            }
        }
    }

    /// The node's resolved tag (`Tag.name` itself is internal to Yams).
    static func tagName(_ node: Node) -> Tag.Name {
        Tag.Name(rawValue: node.tag.rawValue)
    }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return tagName(node) == .null }
        return false
    }

    // MARK: Values

    /// The keys of a mapping at `path`; any key not in `keys` is an error (with the
    /// closest known key suggested).
    mutating func mapping(_ node: Node, at path: String, keys: [String]) throws(ConfigError) -> Fields {
        guard case .mapping(let mapping) = node else {
            throw error(
                .wrongType,
                at: path,
                node.mark,
                "expected a mapping with the keys \(Self.list(keys)), found \(Self.describe(node))"
            )
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key, !Self.isNull(key) else {
                throw error(.wrongType, at: path, key.mark, "a key must be a plain name, found \(Self.describe(key))")
            }
            let name = scalar.string
            let keyPath = Self.child(path, name)
            guard keys.contains(name) else {
                let suggestion = Self.closest(to: name, in: keys).map { "did you mean `\($0)`? " } ?? ""
                throw error(
                    .unknownKey,
                    at: keyPath,
                    key.mark,
                    "unknown key `\(name)`; \(suggestion)the keys here are \(Self.list(keys))"
                )
            }
            entries[name] = (key, value)
            if let mark = value.mark, case .scalar = value {
                positions[keyPath] = Self.position(mark)
            } else if let mark = key.mark {
                positions[keyPath] = Self.position(mark)
            }
        }
        if let mark = node.mark, positions[path] == nil { positions[path] = Self.position(mark) }
        return Fields(path: path, mark: node.mark, entries: entries)
    }

    /// The items of a list at `path`.
    mutating func sequence(_ node: Node, at path: String, of what: String) throws(ConfigError) -> [Node] {
        guard case .sequence(let sequence) = node else {
            throw error(.wrongType, at: path, node.mark, "expected a list of \(what), found \(Self.describe(node))")
        }
        for (index, item) in sequence.enumerated() {
            if let mark = item.mark { positions[Self.item(path, index)] = Self.position(mark) }
        }
        return Array(sequence)
    }

    /// A scalar's text, whatever YAML type it resolves to (so `name: no` is the name
    /// "no", not a boolean). An explicit null is a missing value.
    func string(_ node: Node, at path: String, _ what: String) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error(.wrongType, at: path, node.mark, "expected \(what), found \(Self.describe(node))")
        }
        guard !Self.isNull(node) else {
            throw error(.missingKey, at: path, node.mark, "`\(Self.lastKey(path))` has no value; expected \(what)")
        }
        return scalar.string
    }

    /// A YAML integer (a quoted number is refused, so a string is never silently read
    /// as a number).
    func integer(_ node: Node, at path: String) throws(ConfigError) -> Int {
        guard case .scalar(let scalar) = node, Self.tagName(node) == .int else {
            let hint = Self.tagName(node) == .str && Int(node.string ?? "") != nil ? "; write it without quotes" : ""
            throw error(.wrongType, at: path, node.mark, "expected an integer, found \(Self.describe(node))\(hint)")
        }
        guard let value = node.int else {
            throw error(.invalidValue, at: path, node.mark, "\(scalar.string) is too large")
        }
        return value
    }

    func path(_ node: Node, at path: String) throws(ConfigError) -> ConfigPath {
        let text = try string(node, at: path, "a path")
        guard !text.isEmpty, !text.contains("\0") else {
            throw error(.invalidValue, at: path, node.mark, "expected a path, found an empty string")
        }
        return ConfigPath(text, relativeTo: directory)
    }

    func hostPort(_ node: Node, at path: String, allowingPortZero: Bool = false) throws(ConfigError) -> HostPort {
        let text = try string(node, at: path, "host:port")
        do {
            return try HostPort(parsing: text, allowingPortZero: allowingPortZero)
        } catch {
            throw self.error(.invalidValue, at: path, node.mark, error.message)
        }
    }

    func base64(_ node: Node, at path: String, ignoringWhitespace: Bool = false) throws(ConfigError) -> [UInt8] {
        let text = try string(node, at: path, "base64 text")
        guard let bytes = Base64.decode(text, ignoringWhitespace: ignoringWhitespace) else {
            throw error(
                .invalidValue,
                at: path,
                node.mark,
                "not valid base64 (standard alphabet A–Z a–z 0–9 + /, padded with '=' to a multiple of 4 characters); copy the value again"
            )
        }
        return bytes
    }

    /// An optional raw mapping (absent or null: empty).
    func raw(_ node: Node?, key: String, document: String) throws(ConfigError) -> RawYAML {
        guard let node else { return .emptyMapping }
        guard case .mapping(let mapping) = node else {
            throw error(.wrongType, at: key, node.mark, "expected a mapping, found \(Self.describe(node))")
        }
        return try RawYAML(mapping, file: file, key: key, document: document)
    }

    // MARK: Key paths

    static func child(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    static func item(_ path: String, _ index: Int) -> String {
        "\(path)[\(index)]"
    }

    static func lastKey(_ path: String) -> String {
        String(path.split(separator: ".").last ?? Substring(path))
    }

    static func list(_ keys: [String]) -> String {
        keys.map { "`\($0)`" }.joined(separator: ", ")
    }

    /// The known key within edit distance 2 of `name` (a typo), if any.
    static func closest(to name: String, in keys: [String]) -> String? {
        let candidates = keys.map { (key: $0, distance: editDistance(Array(name.lowercased()), Array($0))) }
        guard let best = candidates.min(by: { $0.distance < $1.distance }), best.distance <= 2 else { return nil }
        return best.key
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// The entries of one mapping, by key.
struct Fields {
    let path: String
    let mark: Mark?
    let entries: [String: (key: Node, value: Node)]

    /// The value of `key`, or nil if it is absent or null.
    func optional(_ key: String) -> Node? {
        guard let value = entries[key]?.value, !YAMLReader.isNull(value) else { return nil }
        return value
    }

    /// Whether `key` is written at all (even without a value).
    func contains(_ key: String) -> Bool { entries[key] != nil }

    func keyMark(_ key: String) -> Mark? { entries[key]?.key.mark }

    /// The value of `key`; absent or null is a ``ConfigError/Code/missingKey`` error at
    /// the key (or at the mapping that lacks it).
    func required(_ key: String, _ reader: YAMLReader, _ explanation: String) throws(ConfigError) -> Node {
        if let value = optional(key) { return value }
        let keyPath = YAMLReader.child(path, key)
        if let entry = entries[key] {
            throw reader.error(
                .missingKey,
                at: keyPath,
                entry.value.mark ?? entry.key.mark,
                "`\(key)` has no value; it is required: \(explanation)"
            )
        }
        let enclosing = path.isEmpty ? "" : " in `\(path)`"
        throw reader.error(
            .missingKey,
            at: keyPath,
            mark,
            "the required key `\(key)` is missing\(enclosing): \(explanation)"
        )
    }
}
