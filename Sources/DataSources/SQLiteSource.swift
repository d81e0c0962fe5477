import Foundation
import GRDB
import Query

/// The rows of a dataset held in a table or view of an SQLite database, checked against
/// the catalog as they are read.
///
/// The database is opened read-only (GRDB's `Configuration.readonly`): the source never
/// creates, changes or journals the file, and a missing file is an error rather than a
/// new empty database. Table, view and column names match the catalog's names without
/// regard to case, as SQL names do. All rows are read in one read transaction, so they
/// come from one consistent snapshot even if another process writes meanwhile.
///
/// What each column accepts, by SQLite storage class:
/// - integer: INTEGER, TEXT `[+-]?digits`, or a REAL that is a whole number;
/// - `decimal(s)`: INTEGER (scaled by 10^s), TEXT `[+-]?digits[.digits]` with at most s
///   decimals, or REAL (see below);
/// - boolean: INTEGER 0 or 1, or TEXT `true`/`false`/`t`/`f`/`1`/`0` in any case;
/// - category: TEXT, matched exactly to the column's values;
/// - NULL where the column is nullable. An empty TEXT is a value, not NULL.
///
/// A REAL is written as Swift's shortest text that reads back as the same double
/// (`Double.description`) and that text is read exactly, so 12.34 stored as REAL is
/// 1234 in a `decimal(2)` column; a REAL needing more decimals than the scale is a
/// ``DataError/Code/wrongType`` error, never rounded.
///
/// Errors locate a row by its rowid (`DataError.Location.rowid`). A view, or a table
/// `WITHOUT ROWID`, has no rowid: there the location is the row's ordinal, counted
/// from 1 in the order SQLite returns the rows, and the message says so.
///
/// The rows are read by a cursor on a thread of the source's own (a GRDB cursor lives
/// only inside a database access, while a ``RowSource`` hands out rows one call at a
/// time); decoded rows come back in batches. Dropping the source stops the reading.
public struct SQLiteSource: RowSource {
    public let columns: [Query.Column]

    private let stream: SQLiteStream
    private var batch = SQLiteBatch()
    private var position = 0
    private var finished = false

    /// Opens `file` read-only and checks that `table` (a table or a view) has the
    /// projected columns. No row is read until ``next(into:)`` is called.
    ///
    /// - Parameters:
    ///   - dataset: the catalog dataset the table holds.
    ///   - columns: the catalog names of the columns to read, in the order rows hold
    ///     them (a projection of the dataset's columns).
    ///   - file: the path of the SQLite database.
    ///   - table: the table or view holding the rows.
    /// - Throws: ``DataError`` of code ``DataError/Code/unreadable`` if the file cannot
    ///   be opened as an SQLite database, ``DataError/Code/shape`` if it has no such
    ///   table or view or lacks a column.
    public init(dataset: Dataset, columns names: [String], file: String, table: String) throws(DataError) {
        let projected = try resolveColumns(names, of: dataset, file: file)
        self.columns = projected
        let plan = try SQLitePlan.make(dataset: dataset, columns: projected, file: file, table: table)
        self.stream = SQLiteStream(plan: plan)
    }

    /// Reads the next row into `cells`.
    ///
    /// - Throws: ``DataError`` for a row that breaks the catalog, located by rowid (or
    ///   ordinal in a view), or ``DataError/Code/unreadable`` if SQLite fails mid-way.
    public mutating func next(into cells: inout [Cell]) throws(DataError) -> Bool {
        while position == batch.rows {
            if finished { return false }
            let message = stream.take(returning: &batch)
            position = 0
            switch message {
            case .rows(let next):
                batch = next
            case .end:
                finished = true
                return false
            case .failure(let error):
                finished = true
                throw error
            }
        }
        let width = columns.count
        if cells.count != width { cells = [Cell](repeating: nil, count: width) }
        let base = position * width
        for index in 0..<width {
            cells[index] = batch.cells[base + index]
        }
        position += 1
        return true
    }
}

/// Decoded rows, row after row.
struct SQLiteBatch: Sendable {
    var cells: [Cell] = []
    var rows = 0

    /// A batch with room for a full batch of rows `width` cells wide.
    init(width: Int) {
        cells.reserveCapacity(width * SQLiteStream.batchRows)
    }

    /// No rows and no storage.
    init() {}
}

/// What the reading thread hands over.
enum SQLiteMessage: Sendable {
    case rows(SQLiteBatch)
    case end
    case failure(DataError)
}

/// The checked query: which SQL to run and how to decode and locate each row.
struct SQLitePlan: Sendable {
    let database: DatabaseQueue
    let sql: String
    let dataset: String
    let file: String
    let maxRows: Int64
    /// Whether the first result column is the rowid.
    let hasRowID: Bool
    /// `table` or `view` and its name as the database spells it, for messages.
    let objectKind: String
    let objectName: String
    let decoders: [CellDecoder]
    /// For each projected column, the result column of its value and, for a category,
    /// of its length in bytes (`length(CAST(x AS BLOB))`; -1 otherwise).
    let valueColumns: [Int32]
    let lengthColumns: [Int32]

    static func make(
        dataset: Dataset,
        columns: [Query.Column],
        file: String,
        table: String
    ) throws(DataError) -> SQLitePlan {
        func failure(_ code: DataError.Code, _ column: String?, _ message: String) -> DataError {
            DataError(
                code: code,
                dataset: dataset.name,
                file: file,
                location: .source,
                column: column,
                message: message
            )
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "fedstat.source.\(dataset.name)"
        // Another process may be writing; wait for its lock rather than fail at once.
        configuration.busyMode = .timeout(10)
        let database: DatabaseQueue
        do {
            database = try DatabaseQueue(path: file, configuration: configuration)
        } catch {
            throw failure(
                .unreadable,
                nil,
                "cannot open the SQLite database: \(describe(error)); check the path in node.yaml and the file's permissions"
            )
        }

        struct Schema {
            var kind: String
            var name: String
            var columns: [String]
            var rowID: String?
        }
        let schema: Schema?
        do {
            schema = try database.read { db -> Schema? in
                let row = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT type, name FROM main.sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE",
                    arguments: [table]
                )
                guard let row else { return nil }
                let kind: String = row["type"]
                let name: String = row["name"]
                let names = try db.columns(in: name, in: "main").map(\.name)
                var rowID: String?
                if kind == "table" {
                    // A column may be named like the rowid and hide it; a table WITHOUT
                    // ROWID has none at all.
                    let taken = Set(names.map { $0.lowercased() })
                    if let alias = ["rowid", "_rowid_", "oid"].first(where: { !taken.contains($0) }),
                        (try? db.makeStatement(sql: "SELECT \(alias) FROM main.\(quoted(name)) LIMIT 0")) != nil
                    {
                        rowID = alias
                    }
                }
                return Schema(kind: kind, name: name, columns: names, rowID: rowID)
            }
        } catch {
            throw failure(
                .unreadable,
                nil,
                "cannot read the SQLite database: \(describe(error)); is this an SQLite database?"
            )
        }
        guard let schema else {
            let objects =
                (try? database.read { db in
                    try String.fetchAll(
                        db,
                        sql:
                            "SELECT name FROM main.sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name LIMIT 21"
                    )
                }) ?? []
            let list =
                objects.isEmpty
                ? "the database has no tables or views"
                : "it has \(objects.prefix(20).map { "`\($0)`" }.joined(separator: ", "))\(objects.count > 20 ? ", …" : "")"
            throw failure(
                .shape,
                nil,
                "the database has no table or view `\(table)` (\(list)); fix `table` in node.yaml"
            )
        }

        var selected: [String] = []
        if let rowID = schema.rowID { selected.append(rowID) }
        var valueColumns: [Int32] = []
        var lengthColumns: [Int32] = []
        for column in columns {
            guard let name = schema.columns.first(where: { $0.lowercased() == column.name }) else {
                let known = schema.columns.prefix(20).map { "`\($0)`" }.joined(separator: ", ")
                throw failure(
                    .shape,
                    column.name,
                    "\(schema.kind) `\(schema.name)` has no column `\(column.name)` (its columns are \(known)); add it, or point node.yaml at a view that names it"
                )
            }
            valueColumns.append(Int32(selected.count))
            selected.append(quoted(name))
            if case .category = column.type {
                // GRDB reads TEXT up to its first NUL byte; the byte length tells
                // whether that was all of it.
                lengthColumns.append(Int32(selected.count))
                selected.append("length(CAST(\(quoted(name)) AS BLOB))")
            } else {
                lengthColumns.append(-1)
            }
        }
        return SQLitePlan(
            database: database,
            sql: "SELECT \(selected.joined(separator: ", ")) FROM main.\(quoted(schema.name))",
            dataset: dataset.name,
            file: file,
            maxRows: dataset.maxRowsPerNode,
            hasRowID: schema.rowID != nil,
            objectKind: schema.kind,
            objectName: schema.name,
            decoders: columns.map(CellDecoder.init(column:)),
            valueColumns: valueColumns,
            lengthColumns: lengthColumns
        )
    }

    /// Reads every row, handing decoded batches to `channel` until the rows end, a row
    /// breaks the catalog, or the reader is gone.
    func run(_ channel: SQLiteChannel) {
        let width = decoders.count
        var ordinal: Int64 = 0
        var location: Int64 = 0
        do {
            try database.read { db in
                let statement = try db.makeStatement(sql: sql)
                let cursor = try Row.fetchCursor(statement)
                let handle = statement.sqliteStatement
                var batch = channel.recycledBatch() ?? SQLiteBatch(width: width)
                while let row = try cursor.next() {
                    ordinal += 1
                    location = hasRowID ? ((row[0] as Int64?) ?? ordinal) : ordinal
                    guard ordinal <= maxRows else {
                        _ = channel.put(.rows(batch))
                        _ = channel.put(.failure(tooManyRows(at: location)))
                        return
                    }
                    for index in 0..<width {
                        do throws(Failure) {
                            batch.cells.append(try decode(row, handle, index))
                        } catch {
                            batch.cells.removeLast(index)
                            _ = channel.put(.rows(batch))
                            _ = channel.put(.failure(cellError(error, index, at: location)))
                            return
                        }
                    }
                    batch.rows += 1
                    if batch.rows == SQLiteStream.batchRows {
                        guard channel.put(.rows(batch)) else { return }
                        batch = channel.recycledBatch() ?? SQLiteBatch(width: width)
                    }
                }
                if batch.rows > 0 { _ = channel.put(.rows(batch)) }
                _ = channel.put(.end)
            }
        } catch {
            _ = channel.put(
                .failure(
                    DataError(
                        code: .unreadable,
                        dataset: dataset,
                        file: file,
                        location: ordinal == 0 ? .source : .rowid(location),
                        column: nil,
                        message:
                            "SQLite failed while reading \(objectKind) `\(objectName)`\(ordinal == 0 ? "" : " after this row"): \(describe(error))"
                    )
                )
            )
        }
    }

    // MARK: Decoding

    private enum Failure: Error {
        case problem(CellProblem, storage: String)
        case null
    }

    /// The cell of projected column `index` in the current row.
    @inline(__always)
    private func decode(_ row: Row, _ statement: SQLiteStatement, _ index: Int) throws(Failure) -> Cell {
        let decoder = decoders[index]
        let column = valueColumns[index]
        let value = DatabaseValue(sqliteStatement: statement, index: column)
        switch value.storage {
        case .null:
            guard decoder.column.nullable else { throw .null }
            return nil
        case .int64(let integer):
            do { return try decoder.decode(integer: integer) } catch { throw .problem(error, storage: "INTEGER") }
        case .double(let real):
            do { return try decoder.decode(real: real) } catch { throw .problem(error, storage: "REAL") }
        case .string(var text):
            if case .category(let matcher) = decoder.kind {
                let length: Int64 = row[Int(lengthColumns[index])]
                let found = text.withUTF8 { bytes in
                    bytes.count == length ? matcher.index(of: UnsafeRawBufferPointer(bytes)) : nil
                }
                guard let found else { throw .problem(.unknownCategory, storage: "TEXT") }
                return Int64(found)
            }
            // Text in a number or boolean column is unusual: read its exact bytes (GRDB's
            // String stops at a NUL byte, which must not make "12\0x" read as 12).
            let result: Result<Int64, CellProblem>?
            result = try? row.withUnsafeData(atIndex: Int(column)) { data -> Result<Int64, CellProblem> in
                guard let data, !data.isEmpty else { return .failure(decoder.emptyTextProblem) }
                return data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Result<Int64, CellProblem> in
                    Result { () throws(CellProblem) -> Int64 in try decoder.decode(bytes) }
                }
            }
            switch result {
            case .success(let cell)?: return cell
            case .failure(let problem)?: throw .problem(problem, storage: "TEXT")
            case nil: throw .problem(.wrongType, storage: "TEXT")
            }
        case .blob:
            throw .problem(.wrongType, storage: "BLOB")
        }
    }

    // MARK: Errors

    /// How a row is named in messages: by rowid, or by ordinal in a view.
    private func rowNote(_ location: Int64) -> String {
        hasRowID ? "" : "(row \(location) of \(objectKind) `\(objectName)`, counted from 1: it has no rowid) "
    }

    private func tooManyRows(at location: Int64) -> DataError {
        DataError(
            code: .tooManyRows,
            dataset: dataset,
            file: file,
            location: .rowid(location),
            column: nil,
            message:
                "\(rowNote(location))\(objectKind) `\(objectName)` holds more than \(maxRows) rows, the catalog's `max_rows_per_node` for this dataset; remove rows, or ask the federation admin to raise the limit"
        )
    }

    private func cellError(_ failure: Failure, _ index: Int, at location: Int64) -> DataError {
        let decoder = decoders[index]
        let code: DataError.Code
        let message: String
        switch failure {
        case .null:
            code = .unexpectedNull
            message =
                "the value is NULL, but the column is not nullable; fill it in, or ask the federation admin to make the column nullable"
        case .problem(let problem, let storage):
            code = problem.code
            message = decoder.message(for: problem, storage: storage)
        }
        return DataError(
            code: code,
            dataset: dataset,
            file: file,
            location: .rowid(location),
            column: decoder.column.name,
            message: rowNote(location) + message
        )
    }
}

extension CellDecoder {
    /// Why an empty TEXT is refused (it is a value, not NULL).
    var emptyTextProblem: CellProblem {
        if case .category = kind { return .unknownCategory }
        return .wrongType
    }

    /// The message for `problem` in a value of SQLite storage class `storage`.
    func message(for problem: CellProblem, storage: String) -> String {
        switch (problem, storage, kind) {
        case (.wrongType, "BLOB", _), (.wrongType, "INTEGER", .category), (.wrongType, "REAL", .category),
            (.wrongType, "REAL", .boolean):
            let article = storage == "INTEGER" ? "an" : "a"
            return
                "the value is \(article) \(storage), but the column holds \(expectation)\(storageHint); correct it in the source"
        case (.wrongType, "INTEGER", .boolean):
            return
                "the value is an INTEGER other than 0 or 1, but the column holds \(expectation); correct it in the source"
        case (.wrongType, "REAL", .number):
            return "the value is a REAL that is not a finite number; correct it in the source"
        case (.tooManyDecimals, "REAL", _) where scale == 0:
            return
                "the value is a REAL that is not a whole number, but the column holds \(expectation); values are never rounded: correct it in the source"
        case (.tooManyDecimals, "REAL", _):
            return
                "the value is a REAL with more than \(Self.decimals(scale)) (its shortest decimal form has more); values are never rounded, so store it with at most \(Self.decimals(scale)), or ask the federation admin for a larger scale"
        default:
            return message(for: problem)
        }
    }

    private var storageHint: String {
        switch kind {
        case .category: " stored as TEXT"
        case .boolean: " stored as INTEGER 0/1 or TEXT"
        case .number: scale == 0 ? " stored as INTEGER or TEXT" : " stored as INTEGER, REAL or TEXT"
        }
    }
}

/// Quotes an SQL identifier.
func quoted(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// A GRDB or other error in a sentence, without SQL arguments (which could hold values).
func describe(_ error: any Error) -> String {
    if let error = error as? DatabaseError {
        return error.message ?? "SQLite error \(error.resultCode.rawValue)"
    }
    return "\(error)"
}

/// The reading thread and the batches it hands over.
final class SQLiteStream {
    /// Rows per batch: large enough that handing over costs nothing per row, small
    /// enough that a batch stays in cache.
    static let batchRows = 1024

    private let plan: SQLitePlan
    private let channel = SQLiteChannel()
    private var started = false

    init(plan: SQLitePlan) {
        self.plan = plan
    }

    deinit {
        channel.cancel()
    }

    /// The next message, starting the reading thread on the first call. `batch`, done
    /// with, is handed back for reuse and left empty.
    func take(returning batch: inout SQLiteBatch) -> SQLiteMessage {
        if !started {
            started = true
            let plan = plan
            let channel = channel
            let thread = Thread { plan.run(channel) }
            thread.name = "fedstat-sqlite-source"
            thread.start()
        }
        channel.recycle(&batch)
        return channel.take()
    }
}

/// A bounded hand-over between the reading thread and the source.
///
/// `@unchecked Sendable`: every stored property is read and written only while
/// `condition` is locked.
final class SQLiteChannel: @unchecked Sendable {
    /// Batches decoded ahead of the reader at most.
    private static let depth = 2

    private let condition = NSCondition()
    private var messages: [SQLiteMessage] = []
    private var spare: SQLiteBatch?
    private var cancelled = false

    /// Queues `message`, waiting while the queue is full. False if the reader is gone.
    func put(_ message: SQLiteMessage) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while messages.count >= Self.depth && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        messages.append(message)
        condition.broadcast()
        return true
    }

    /// The next message, waiting for one.
    func take() -> SQLiteMessage {
        condition.lock()
        defer { condition.unlock() }
        while messages.isEmpty { condition.wait() }
        let message = messages.removeFirst()
        condition.broadcast()
        return message
    }

    /// Keeps a used batch's storage for the reading thread, leaving `batch` empty (so
    /// the storage has one owner and is reused rather than copied).
    func recycle(_ batch: inout SQLiteBatch) {
        guard batch.cells.capacity > 0 else { return }
        var used = SQLiteBatch()
        swap(&used, &batch)
        used.cells.removeAll(keepingCapacity: true)
        used.rows = 0
        condition.lock()
        spare = used
        condition.unlock()
    }

    func recycledBatch() -> SQLiteBatch? {
        condition.lock()
        defer { condition.unlock() }
        let batch = spare
        spare = nil
        return batch
    }

    /// The reader is gone: wake the reading thread so it stops.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
