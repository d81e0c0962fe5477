import Config
import Query

/// Opens `source` as a ``RowSource`` of `dataset` reading the columns named `columns`
/// (catalog names, in the order rows hold them).
///
/// - Throws: ``DataError`` if the file cannot be opened or its shape does not match.
public func openSource(_ source: DatasetSource, dataset: Dataset, columns: [String]) throws(DataError) -> any RowSource
{
    switch source.kind {
    case .csv(let path):
        return try CSVSource(dataset: dataset, columns: columns, file: path)
    case .sqlite(let path, let table):
        return try SQLiteSource(dataset: dataset, columns: columns, file: path, table: table)
    }
}

/// Reads every row of `source` with all of `dataset`'s columns, checking each against
/// the catalog, and returns how many rows there are (for `fednode check`).
///
/// - Throws: the first ``DataError``: a source that cannot be read, a shape that does
///   not match the catalog, or a row that breaks it (with its line or rowid).
public func checkSource(_ source: DatasetSource, dataset: Dataset) throws(DataError) -> Int64 {
    let columns = dataset.columns.map(\.name)
    switch source.kind {
    case .csv(let path):
        var rows = try CSVSource(dataset: dataset, columns: columns, file: path)
        return try count(&rows)
    case .sqlite(let path, let table):
        var rows = try SQLiteSource(dataset: dataset, columns: columns, file: path, table: table)
        return try count(&rows)
    }
}

private func count(_ source: inout some RowSource) throws(DataError) -> Int64 {
    var cells = [Cell](repeating: nil, count: source.columns.count)
    var rows: Int64 = 0
    while try source.next(into: &cells) { rows += 1 }
    return rows
}
