/// A line and column in a configuration file, both counted from 1.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// Where a configuration was read from: its file and the position of every key path in
/// it, so that checks made later (a key file's mode, a node missing from the
/// federation) can point at the line to fix.
///
/// Not part of a configuration's value: two sources always compare equal, so a
/// configuration equals itself rendered and parsed again, and one built in code.
public struct ConfigSource: Sendable, Equatable {
    /// The file as it was named when loaded or parsed; empty for a configuration built in
    /// code.
    public var file: String
    /// Position of each key path's value (for a mapping or list value, of its key).
    var positions: [String: SourcePosition]

    /// A source for a configuration built in code: no file, no positions.
    public init(file: String = "") {
        self.file = file
        self.positions = [:]
    }

    init(file: String, positions: [String: SourcePosition]) {
        self.file = file
        self.positions = positions
    }

    /// The position of `keyPath`, or of its nearest enclosing key path that was read
    /// (for a key that was absent, the mapping that lacks it).
    public func position(of keyPath: String) -> SourcePosition? {
        var path = Substring(keyPath)
        while true {
            if let position = positions[String(path)] { return position }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = path[..<cut]
        }
        return positions[""]
    }

    /// An error at `keyPath` in this source's file.
    public func error(_ code: ConfigError.Code, at keyPath: String, _ message: String) -> ConfigError {
        let position = position(of: keyPath)
        return ConfigError(
            code: code,
            file: file,
            keyPath: keyPath,
            line: position?.line,
            column: position?.column,
            message: message
        )
    }

    public static func == (lhs: ConfigSource, rhs: ConfigSource) -> Bool { true }
}

/// A path written in a configuration file, with the absolute path it names.
///
/// A relative path is resolved against the directory of the file it is written in (not
/// the working directory), so a configuration directory can be moved as a whole. `.`
/// and `..` are resolved lexically.
public struct ConfigPath: Sendable, Hashable, CustomStringConvertible {
    /// The path as written in the file; what ``FederationConfig/render()`` and the other
    /// renderers write back.
    public var text: String
    /// The absolute path `text` names.
    public var resolved: String

    /// `text` resolved against `directory` (itself made absolute against the working
    /// directory if it is relative). An absolute `text` is only normalized.
    public init(_ text: String, relativeTo directory: String) {
        self.text = text
        self.resolved = FilePaths.resolve(text, against: FilePaths.absolute(directory))
    }

    public var description: String { text }
}
