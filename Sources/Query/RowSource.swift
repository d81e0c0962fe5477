/// Rows of one dataset, read one at a time and already checked against the catalog:
/// every cell is NULL only where the column is nullable, every number is within its
/// bounds and every category is one of the column's values. A source that finds a
/// value that breaks the catalog throws `DataError`; it never skips or clamps a row.
public protocol RowSource {
    /// The dataset columns a row holds, in order (a projection of the dataset's
    /// columns: only those a plan needs).
    var columns: [Column] { get }

    /// Reads the next row into `cells` (one cell per column of `columns`). Returns false,
    /// leaving `cells` unspecified, when there are no more rows.
    mutating func next(into cells: inout [Cell]) throws(DataError) -> Bool
}

/// A data row that breaks the catalog, or a source that cannot be read: which dataset,
/// where (file and line, or SQLite rowid), which column, and what is wrong. Never
/// contains the offending value of a numeric column beyond what the operator needs to
/// find it (the location is enough; the value may be sensitive).
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The source could not be opened or read (missing file, I/O error, not SQLite).
        case unreadable
        /// The source's shape does not match the catalog (a missing column, a header
        /// that names columns the catalog does not have, a row with too many cells).
        case shape
        /// A cell is not a value of the column's type (text in a number column, too
        /// many decimal places, not a boolean).
        case wrongType
        /// A number outside the column's `min`/`max`.
        case outOfBounds
        /// A category value not in the column's list.
        case unknownCategory
        /// NULL in a column that is not nullable.
        case unexpectedNull
        /// More rows than the catalog's `max_rows_per_node`.
        case tooManyRows
        /// The bytes are not valid UTF-8, or a quoted CSV field is not closed.
        case encoding
    }

    /// Where in a source.
    public enum Location: Sendable, Equatable {
        /// The source as a whole.
        case source
        /// A line of a text file, counted from 1 (the header is line 1).
        case line(Int)
        /// An SQLite rowid.
        case rowid(Int64)
    }

    public var code: Code
    public var dataset: String
    /// The file (CSV or SQLite) the row came from.
    public var file: String
    public var location: Location
    /// The column, if the error is about one cell.
    public var column: String?
    /// What is wrong and what to do.
    public var message: String

    public init(code: Code, dataset: String, file: String, location: Location, column: String?, message: String) {
        self.code = code
        self.dataset = dataset
        self.file = file
        self.location = location
        self.column = column
        self.message = message
    }

    public var description: String {
        var text = file
        switch location {
        case .source: break
        case .line(let line): text += ":\(line)"
        case .rowid(let rowid): text += " rowid \(rowid)"
        }
        text += ": dataset \(dataset)"
        if let column { text += ", column \(column)" }
        return text + ": " + message
    }
}
