import Query

/// The rows of a dataset held in a CSV file, checked against the catalog as they are
/// read.
///
/// The file is RFC 4180 text in UTF-8 (a byte-order mark at the start is skipped):
/// fields separated by commas, records ended by CRLF or LF, fields in double quotes
/// may hold commas, line ends and quotes written `""`. The first record is a header
/// naming the columns; each name (trimmed of spaces and tabs) is matched exactly to
/// catalog column names. Columns the catalog does not know are ignored, so an
/// operator's file may hold more than the federation sees; a projected column missing
/// from the header, or a name repeated in it, is a ``DataError/Code/shape`` error.
/// Every record has as many fields as the header.
///
/// An empty field, quoted or not, is NULL. Values are read exactly:
/// - integer: `[+-]?digits`;
/// - `decimal(s)`: `[+-]?digits[.digits]` with at most s decimals, scaled by 10^s
///   (more decimals is a ``DataError/Code/wrongType`` error: nothing is rounded);
/// - boolean: `true`/`false`/`t`/`f`/`1`/`0`, in any case;
/// - category: the value's exact bytes (case and spaces count).
///
/// The file is streamed: it is read in chunks (1 MiB) and parsed as bytes, so memory
/// use does not grow with the file (only with its longest record, at most 64 MiB). The
/// file stays open until the source is released; copies of a source share the file
/// and its reading position. Errors name the dataset, the file, the line the
/// record starts on (the header is line 1) and the column, and never include a cell's
/// value.
public struct CSVSource: RowSource {
    public let columns: [Column]

    /// The default size of a read: 1 MiB.
    static let defaultChunkSize = 1 << 20
    /// The longest record accepted: a longer one is almost always an unclosed quote,
    /// and reading on would pull the rest of the file into memory.
    static let defaultMaximumRecordBytes = 64 << 20

    private let dataset: Dataset
    private let file: String
    private let reader: CSVReader
    private let decoders: [CellDecoder]
    /// For each projected column, the index of its field in a record.
    private let fieldIndices: [Int]
    /// The header's names, for messages.
    private let header: [String]
    private var rowCount: Int64 = 0

    /// Opens `file` and reads its header.
    ///
    /// - Parameters:
    ///   - dataset: the catalog dataset the file holds.
    ///   - columns: the catalog names of the columns to read, in the order rows hold
    ///     them (a projection of the dataset's columns).
    ///   - file: the path of the CSV file.
    /// - Throws: ``DataError`` if the file cannot be read, has no header, or its
    ///   header lacks a projected column or repeats a name.
    public init(dataset: Dataset, columns: [String], file: String) throws(DataError) {
        try self.init(
            dataset: dataset,
            columns: columns,
            file: file,
            chunkSize: Self.defaultChunkSize,
            maximumRecordBytes: Self.defaultMaximumRecordBytes
        )
    }

    /// ``init(dataset:columns:file:)`` with the read size and record limit chosen (for
    /// tests that cross chunk boundaries).
    init(
        dataset: Dataset,
        columns names: [String],
        file: String,
        chunkSize: Int,
        maximumRecordBytes: Int
    )
        throws(DataError)
    {
        self.dataset = dataset
        self.file = file
        let projected = try resolveColumns(names, of: dataset, file: file)
        self.columns = projected
        self.decoders = projected.map(CellDecoder.init(column:))

        func open(fieldCapacity: Int) throws(DataError) -> CSVReader {
            do {
                return try CSVReader(
                    path: file,
                    chunkSize: chunkSize,
                    maximumRecordBytes: maximumRecordBytes,
                    fieldCapacity: fieldCapacity
                )
            } catch {
                throw Self.failure(error, dataset: dataset.name, file: file, header: [])
            }
        }
        var reader = try open(fieldCapacity: max(16, dataset.columns.count + 1))

        // The header may be wider than the room reserved for fields: widen and read it
        // again from the start.
        var header: [String] = []
        while true {
            let found: Bool
            do {
                found = try reader.nextRecord()
            } catch {
                throw Self.failure(error, dataset: dataset.name, file: file, header: [])
            }
            guard found else {
                throw DataError(
                    code: .shape,
                    dataset: dataset.name,
                    file: file,
                    location: .source,
                    column: nil,
                    message:
                        "the file is empty; its first line must be a header naming the columns (\(dataset.columns.map(\.name).joined(separator: ",")))"
                )
            }
            if reader.fieldCount <= reader.fieldCapacity { break }
            reader = try open(fieldCapacity: reader.fieldCount)
        }
        self.reader = reader
        for index in 0..<reader.fieldCount {
            let bytes = reader.field(index)
            guard UTF8Check.isValid(bytes) else {
                throw DataError(
                    code: .encoding,
                    dataset: dataset.name,
                    file: file,
                    location: .line(reader.recordLine),
                    column: nil,
                    message: "the header's field \(index + 1) is not valid UTF-8; save the file as UTF-8"
                )
            }
            header.append(Self.trimmed(String(decoding: bytes, as: UTF8.self)))
        }
        var firstField: [String: Int] = [:]
        for (index, name) in header.enumerated() where !name.isEmpty {
            if let first = firstField[name] {
                throw DataError(
                    code: .shape,
                    dataset: dataset.name,
                    file: file,
                    location: .line(reader.recordLine),
                    column: name,
                    message:
                        "the header names `\(name)` twice (fields \(first + 1) and \(index + 1)); rename or remove one"
                )
            }
            firstField[name] = index
        }
        var indices: [Int] = []
        for column in projected {
            guard let index = firstField[column.name] else {
                let names = header.filter { !$0.isEmpty }.prefix(20).map { "`\($0)`" }.joined(separator: ", ")
                throw DataError(
                    code: .shape,
                    dataset: dataset.name,
                    file: file,
                    location: .line(reader.recordLine),
                    column: column.name,
                    message:
                        "the header has no column `\(column.name)` (it names \(names.isEmpty ? "nothing" : names)); add the column, named exactly as in the catalog"
                )
            }
            indices.append(index)
        }
        self.fieldIndices = indices
        self.header = header
    }

    /// Reads the next row into `cells`.
    ///
    /// - Throws: ``DataError`` for a record that breaks the file's shape or the
    ///   catalog, at the line the record starts on.
    public mutating func next(into cells: inout [Cell]) throws(DataError) -> Bool {
        let found: Bool
        do {
            found = try reader.nextRecord()
        } catch {
            throw Self.failure(error, dataset: dataset.name, file: file, header: header)
        }
        guard found else { return false }
        rowCount += 1
        let line = reader.recordLine
        guard rowCount <= dataset.maxRowsPerNode else {
            throw DataError(
                code: .tooManyRows,
                dataset: dataset.name,
                file: file,
                location: .line(line),
                column: nil,
                message:
                    "the file holds more than \(dataset.maxRowsPerNode) rows, the catalog's `max_rows_per_node` for this dataset; remove rows, or ask the federation admin to raise the limit"
            )
        }
        guard reader.fieldCount == header.count else {
            throw DataError(
                code: .shape,
                dataset: dataset.name,
                file: file,
                location: .line(line),
                column: nil,
                message: reader.fieldCount == 1 && reader.field(0).isEmpty
                    ? "the line is empty, but the header has \(header.count) fields; remove the empty line"
                    : "the record has \(reader.fieldCount) field\(reader.fieldCount == 1 ? "" : "s"), but the header has \(header.count); every record has one field per header column (quote a field that holds a comma)"
            )
        }
        if reader.recordHasNonASCII { try checkEncoding(line: line) }
        if cells.count != decoders.count { cells = [Cell](repeating: nil, count: decoders.count) }
        for index in 0..<decoders.count {
            let text = reader.field(fieldIndices[index])
            if text.isEmpty {
                guard decoders[index].column.nullable else { throw unexpectedNull(index, line: line) }
                cells[index] = nil
                continue
            }
            do {
                cells[index] = try decoders[index].decode(text)
            } catch {
                throw cellError(error, index, line: line)
            }
        }
        return true
    }

    // MARK: Errors

    private func checkEncoding(line: Int) throws(DataError) {
        for index in 0..<reader.fieldCount where !UTF8Check.isValid(reader.field(index)) {
            let name = header[index]
            throw DataError(
                code: .encoding,
                dataset: dataset.name,
                file: file,
                location: .line(line),
                column: name.isEmpty ? nil : name,
                message: "field \(index + 1) is not valid UTF-8; save the file as UTF-8"
            )
        }
    }

    private func unexpectedNull(_ index: Int, line: Int) -> DataError {
        DataError(
            code: .unexpectedNull,
            dataset: dataset.name,
            file: file,
            location: .line(line),
            column: columns[index].name,
            message:
                "the cell is empty (NULL), but the column is not nullable; fill it in, or ask the federation admin to make the column nullable"
        )
    }

    private func cellError(_ problem: CellProblem, _ index: Int, line: Int) -> DataError {
        DataError(
            code: problem.code,
            dataset: dataset.name,
            file: file,
            location: .line(line),
            column: columns[index].name,
            message: decoders[index].message(for: problem)
        )
    }

    private static func failure(
        _ failure: CSVReader.Failure,
        dataset: String,
        file: String,
        header: [String]
    )
        -> DataError
    {
        func name(_ field: Int) -> String? {
            field < header.count && !header[field].isEmpty ? header[field] : nil
        }
        switch failure {
        case .io(let reason):
            return DataError(
                code: .unreadable,
                dataset: dataset,
                file: file,
                location: .source,
                column: nil,
                message: "cannot read the file: \(reason); check the path in node.yaml and the file's permissions"
            )
        case .unclosedQuote(let line, let field):
            return DataError(
                code: .encoding,
                dataset: dataset,
                file: file,
                location: .line(line),
                column: name(field),
                message:
                    "field \(field + 1) opens a quote that is never closed; add the closing `\"` (a quote inside a quoted field is written `\"\"`)"
            )
        case .strayAfterQuote(let line, let field):
            return DataError(
                code: .encoding,
                dataset: dataset,
                file: file,
                location: .line(line),
                column: name(field),
                message:
                    "field \(field + 1) has text after its closing quote; quote the whole field, and write a quote inside it as `\"\"`"
            )
        case .recordTooLong(let line, let inQuotes, let limit):
            let size = limit >= 1 << 20 ? "\(limit >> 20) MiB" : "\(limit) bytes"
            return DataError(
                code: inQuotes ? .encoding : .shape,
                dataset: dataset,
                file: file,
                location: .line(line),
                column: nil,
                message: inQuotes
                    ? "a quoted field starting in the record on this line runs on for more than \(size); a closing `\"` is probably missing"
                    : "the record on this line is longer than \(size); is this a CSV file?"
            )
        }
    }

    private static func trimmed(_ text: String) -> String {
        let isBlank = { (character: Character) in character == " " || character == "\t" }
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(text[first...last])
    }
}

extension CellProblem {
    /// The error code a problem is reported with.
    var code: DataError.Code {
        switch self {
        case .wrongType, .tooManyDecimals: .wrongType
        case .outOfBounds: .outOfBounds
        case .unknownCategory: .unknownCategory
        }
    }
}

/// The dataset's columns named `names` (catalog names, case-insensitive), in order.
func resolveColumns(_ names: [String], of dataset: Dataset, file: String) throws(DataError) -> [Column] {
    var columns: [Column] = []
    for name in names {
        guard let (_, column) = dataset.column(named: name) else {
            let known = dataset.columns.map { "`\($0.name)`" }.joined(separator: ", ")
            throw DataError(
                code: .shape,
                dataset: dataset.name,
                file: file,
                location: .source,
                column: name,
                message: "dataset `\(dataset.name)` has no column `\(name)` in the catalog (its columns are \(known))"
            )
        }
        columns.append(column)
    }
    return columns
}
