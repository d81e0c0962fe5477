import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A node's persistent state in `<state directory>/node.sqlite`: the query ids it has
/// seen, its daily query counters per policy rule, and its hash-chained audit log
/// (`Protocols/audit-log.md`).
///
/// Durability: the database runs in WAL mode with `synchronous = FULL`, so a method that
/// returned has its change on disk, and a crash (even a SIGKILL mid-write) leaves every
/// committed change intact. Every write is one IMMEDIATE transaction, which takes
/// SQLite's write lock before reading, so read-check-write sequences (the chain head,
/// a daily limit) are race-free also between processes (`fednode serve` and
/// `fednode audit`).
///
/// The file has mode 0600 and its directory 0700 when the store creates them: the log
/// reveals who asked what.
public final class StateStore: Sendable {
    /// The database's file name inside the state directory.
    public static let fileName = "node.sqlite"
    /// The length of a query id in bytes (128 bits, lifecycle step 3).
    public static let queryIDLength = 16

    /// The database file.
    public let path: String
    // A DatabaseQueue serializes this process's accesses; the node's state writes are
    // few and small, so a pool's parallel readers would buy nothing.
    let database: DatabaseQueue

    /// Opens the store in `directory`, creating the directory (mode 0700) and the
    /// database (mode 0600) if `create` is true, and migrating the schema.
    ///
    /// - Throws: ``StateStoreError/Code/cannotOpen`` if the file does not exist and
    ///   `create` is false, or it cannot be created or opened as this store's database.
    public convenience init(directory: String, create: Bool = true) throws(StateStoreError) {
        try self.init(path: (directory as NSString).appendingPathComponent(Self.fileName), create: create)
    }

    /// Opens the store at database file `path`; see ``init(directory:create:)``.
    public init(path: String, create: Bool = true) throws(StateStoreError) {
        self.path = path
        try Self.prepareFile(at: path, create: create)
        var configuration = Configuration()
        configuration.label = "fedstat.state"
        // Another process (an `audit` command beside `serve`) may hold the write lock
        // for a moment; wait for it instead of failing.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Set here rather than with `configuration.journalMode = .wal`, because
            // GRDB's WAL setup then lowers `synchronous` to NORMAL, which can lose the
            // last commits on power loss; an audit record the node reported written
            // must survive.
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode == "wal" else {
                throw DatabaseError(message: "cannot switch to WAL mode (journal mode is \(mode ?? "unknown"))")
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try database.writeWithoutTransaction { db in
                if try Self.migrator.hasBeenSuperseded(db) {
                    throw StateStoreError(
                        code: .cannotOpen,
                        message:
                            "the database was written by a newer Fedstat (unknown schema migrations); upgrade fednode",
                        path: path
                    )
                }
            }
            try Self.migrator.migrate(database)
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw Self.wrap(error, path: path, doing: "opening the state database")
        }
    }

    /// Closes the database. Further calls on this store throw.
    public func close() throws(StateStoreError) {
        do {
            try database.close()
        } catch {
            throw Self.wrap(error, path: path, doing: "closing the state database")
        }
    }

    // MARK: Replay protection

    /// Records that query id `id` has been seen, at `date`.
    ///
    /// Call it when a proposal arrives, before evaluating it. The id stays claimed
    /// forever, across restarts.
    ///
    /// - Throws: ``StateStoreError/Code/replayedQueryID`` if `id` was claimed before;
    ///   ``StateStoreError/Code/invalidArgument`` if it is not 16 bytes.
    public func claimQueryID(_ id: [UInt8], at date: Date) throws(StateStoreError) {
        // Defends against replayed proposals. The secure-sum masks of a query are
        // derived from its query id (and plan hash); a participant that answered the
        // same id twice with different data would send y = x + m and y' = x' + m with
        // the same mask m, and the coordinator would learn x − x', a difference of a
        // department's contributions. Refusing a seen id, persistently, means masks
        // never repeat, also after a restart.
        guard id.count == Self.queryIDLength else {
            throw StateStoreError(
                code: .invalidArgument,
                message: "a query id has \(Self.queryIDLength) bytes, got \(id.count)",
                path: path
            )
        }
        let inserted: Bool = try write("claiming a query id") { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO seen_query (query_id, seen_at) VALUES (?, ?)",
                arguments: [Data(id), UTCTime.timestamp(date)]
            )
            return db.changesCount == 1
        }
        guard inserted else {
            throw StateStoreError(
                code: .replayedQueryID,
                message: "query id \(Hex.encode(id)) was already seen: refusing the replayed proposal",
                path: path
            )
        }
    }

    /// Whether query id `id` has been claimed.
    public func hasSeenQueryID(_ id: [UInt8]) throws(StateStoreError) -> Bool {
        try read("looking up a query id") { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM seen_query WHERE query_id = ?", arguments: [Data(id)]) ?? false
        }
    }

    // MARK: Daily counters

    /// How many queries rule `rule` has counted on UTC day `day` (`yyyy-mm-dd`).
    public func queriesToday(rule: String, day: String) throws(StateStoreError) -> Int {
        try checkDay(day)
        return try read("reading a daily counter") { db in
            try Int.fetchOne(
                db,
                sql: "SELECT count FROM daily_query_count WHERE rule = ? AND day = ?",
                arguments: [rule, day]
            )
                ?? 0
        }
    }

    /// Counts one query under rule `rule` on UTC day `day`, unconditionally, and
    /// returns the new count. Atomic: concurrent calls never lose a count.
    @discardableResult
    public func countQuery(rule: String, day: String) throws(StateStoreError) -> Int {
        try claimDailyQuery(rule: rule, day: day, limit: nil)
    }

    /// Counts one query under rule `rule` on UTC day `day` if fewer than `limit` were
    /// counted, and returns the new count; checks and increments in one transaction, so
    /// two concurrent proposals cannot both take the last slot. A nil `limit` always
    /// counts.
    ///
    /// - Throws: ``StateStoreError/Code/dailyLimitReached`` (nothing counted) if `limit`
    ///   queries were already counted.
    @discardableResult
    public func claimDailyQuery(rule: String, day: String, limit: Int?) throws(StateStoreError) -> Int {
        try checkDay(day)
        let count: Int? = try write("counting a query") { db in
            let current =
                try Int.fetchOne(
                    db,
                    sql: "SELECT count FROM daily_query_count WHERE rule = ? AND day = ?",
                    arguments: [rule, day]
                )
                ?? 0
            if let limit, current >= limit { return nil }
            try db.execute(
                sql: """
                    INSERT INTO daily_query_count (rule, day, count) VALUES (?, ?, 1)
                    ON CONFLICT (rule, day) DO UPDATE SET count = count + 1
                    """,
                arguments: [rule, day]
            )
            return current + 1
        }
        guard let count else {
            throw StateStoreError(
                code: .dailyLimitReached,
                message: "rule \(rule) allows \(limit ?? 0) queries per day and \(day) (UTC) has used them all",
                path: path
            )
        }
        return count
    }

    private func checkDay(_ day: String) throws(StateStoreError) {
        guard UTCTime.parseDay(day) != nil else {
            throw StateStoreError(
                code: .invalidArgument,
                message: "day '\(day)' is not a UTC date written yyyy-mm-dd",
                path: path
            )
        }
    }

    // MARK: Plumbing

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE seen_query (
                        query_id BLOB PRIMARY KEY NOT NULL CHECK (length(query_id) = 16),
                        seen_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE daily_query_count (
                        rule TEXT NOT NULL,
                        day TEXT NOT NULL,
                        count INTEGER NOT NULL CHECK (count >= 0),
                        PRIMARY KEY (rule, day)
                    ) WITHOUT ROWID;
                    CREATE TABLE audit_log (
                        seq INTEGER PRIMARY KEY NOT NULL,
                        time TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        query_id TEXT,
                        prev TEXT NOT NULL,
                        hash TEXT NOT NULL,
                        canonical TEXT NOT NULL
                    );
                    CREATE INDEX audit_log_time ON audit_log (time);
                    CREATE INDEX audit_log_kind ON audit_log (kind);
                    CREATE INDEX audit_log_query_id ON audit_log (query_id);
                    """
            )
        }
        return migrator
    }()

    /// Creates the directory and file with private modes before SQLite opens it (SQLite
    /// would create it with the umask's mode); tightens an existing file's mode.
    private static func prepareFile(at path: String, create: Bool) throws(StateStoreError) {
        // Defends against other local users reading the query history: the audit log
        // names analysts, datasets and purposes. SQLite gives the -wal and -shm files
        // the database file's mode.
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            guard create else {
                throw StateStoreError(
                    code: .cannotOpen,
                    message: "no state database here; check state_directory in node.yaml, or start the node once",
                    path: path
                )
            }
            let directory = (path as NSString).deletingLastPathComponent
            do {
                try manager.createDirectory(
                    atPath: directory.isEmpty ? "." : directory,
                    withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700]
                )
            } catch {
                throw StateStoreError(
                    code: .cannotOpen,
                    message: "cannot create the state directory: \(error.localizedDescription)",
                    path: path
                )
            }
            let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if descriptor >= 0 {
                closeDescriptor(descriptor)
            } else if errno != EEXIST {
                throw StateStoreError(
                    code: .cannotOpen,
                    message: "cannot create the database: \(String(cString: strerror(errno)))",
                    path: path
                )
            }
        }
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw StateStoreError(
                code: .cannotOpen,
                message: "cannot stat the database: \(String(cString: strerror(errno)))",
                path: path
            )
        }
        if status.st_mode & 0o077 != 0 {
            for file in [path, path + "-wal", path + "-shm"] where manager.fileExists(atPath: file) {
                guard chmod(file, 0o600) == 0 else {
                    throw StateStoreError(
                        code: .cannotOpen,
                        message:
                            "the database is readable by other users and cannot be made mode 0600: \(String(cString: strerror(errno)))",
                        path: file
                    )
                }
            }
        }
    }

    func write<T>(_ doing: String, _ body: (Database) throws -> T) throws(StateStoreError) -> T {
        do {
            return try database.write(body)
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw Self.wrap(error, path: path, doing: doing)
        }
    }

    func read<T>(_ doing: String, _ body: (Database) throws -> T) throws(StateStoreError) -> T {
        do {
            return try database.read(body)
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw Self.wrap(error, path: path, doing: doing)
        }
    }

    static func wrap(_ error: any Error, path: String, doing: String) -> StateStoreError {
        if let error = error as? DatabaseError {
            // The SQLite message and code only: GRDB's description can include the
            // statement's arguments.
            let code: StateStoreError.Code =
                error.resultCode == .SQLITE_CANTOPEN || error.resultCode == .SQLITE_NOTADB
                    || error.resultCode == .SQLITE_PERM ? .cannotOpen : .database
            return StateStoreError(
                code: code,
                message: "\(doing): SQLite error \(error.resultCode.rawValue): \(error.message ?? "no message")",
                path: path
            )
        }
        return StateStoreError(code: .database, message: "\(doing): \(error)", path: path)
    }
}

// At file scope, where `close` is the C function rather than ``StateStore/close()``.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
