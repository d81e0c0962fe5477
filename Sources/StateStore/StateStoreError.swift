/// An error of the node's state store: what went wrong, where, and what to do.
///
/// Messages name the database file and the operation; they never contain record
/// contents beyond query ids and sequence numbers, which the audit log shows anyway.
public struct StateStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; a struct so codes can be added without breaking
    /// exhaustive switches.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The database could not be created or opened (permissions, not a database,
        /// missing state directory when creation was not asked for).
        public static let cannotOpen = Code("cannotOpen")
        /// SQLite reported an error while reading or writing.
        public static let database = Code("database")
        /// The query id was claimed before: the proposal is a replay.
        public static let replayedQueryID = Code("replayedQueryID")
        /// A rule's daily query limit is used up.
        public static let dailyLimitReached = Code("dailyLimitReached")
        /// An argument is malformed (a query id that is not 16 bytes, a day that is not
        /// `yyyy-mm-dd`, a record field that reuses a reserved key).
        public static let invalidArgument = Code("invalidArgument")
        /// A stored audit record cannot be read back; run `fednode audit verify`.
        public static let corruptRecord = Code("corruptRecord")
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened and what to do, for a person.
    public var message: String
    /// The database file concerned, if any.
    public var path: String?

    public init(code: Code, message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String {
        if let path { return "\(path): \(message)" }
        return message
    }
}
