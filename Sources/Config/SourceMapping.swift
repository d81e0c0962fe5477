import Query
import Yams

/// Where a node keeps the rows of one catalog dataset: key `datasets.<name>` of
/// `node.yaml`.
public struct DatasetSource: Sendable, Equatable {
    /// The catalog dataset.
    public var dataset: String
    /// The local file (and table) holding its rows.
    public var kind: Kind

    /// A kind of local source. Paths are absolute: a relative path in `node.yaml` is
    /// resolved against the directory of that file.
    public enum Kind: Sendable, Equatable {
        /// Key `csv`: a CSV file (RFC 4180, UTF-8, with a header row naming the columns).
        case csv(path: String)
        /// Keys `sqlite` and `table`: a table or view of an SQLite database, opened
        /// read-only.
        case sqlite(path: String, table: String)
    }

    public init(dataset: String, kind: Kind) {
        self.dataset = dataset
        self.kind = kind
    }

    /// The file the rows are read from.
    public var path: String {
        switch kind {
        case .csv(let path): path
        case .sqlite(let path, _): path
        }
    }
}

extension NodeConfig {
    /// The dataset sources written under `datasets` in `node.yaml`, in file order.
    ///
    /// ```yaml
    /// datasets:
    ///   visits: {csv: data/visits.csv}                              # relative to node.yaml
    ///   payments: {sqlite: data/payments.sqlite, table: payments}   # a table or a view
    /// ```
    ///
    /// Each dataset names exactly one of `csv` and `sqlite`; `table` is required with
    /// `sqlite` and refused with `csv`. Dataset names are catalog names (lowercase
    /// letters, digits and `_`); ``validateDatasets(against:)`` also checks that the
    /// catalog has them. Nothing is opened here.
    ///
    /// - Throws: ``ConfigError`` naming the file, the key path (`datasets.visits.table`)
    ///   and the line.
    public func parsedDatasetSources() throws(ConfigError) -> [DatasetSource] {
        var reader = SourceMappingReader(raw: datasets)
        return try reader.read().map(\.source)
    }

    /// The dataset sources (``parsedDatasetSources()``), checked against the
    /// federation's catalog: every mapped dataset must be a catalog dataset. A catalog
    /// dataset without a source is not an error (this node holds no rows of it).
    ///
    /// - Throws: ``ConfigError`` of code ``ConfigError/Code/invalidValue`` at
    ///   `datasets.<name>` for a dataset the catalog does not have, or one whose
    ///   `held_by` does not name this node.
    @discardableResult
    public func validateDatasets(against catalog: Catalog) throws(ConfigError) -> [DatasetSource] {
        var reader = SourceMappingReader(raw: datasets)
        let entries = try reader.read()
        func refuse(_ entry: SourceMappingReader.Entry, _ message: String) -> ConfigError {
            ConfigError(
                code: .invalidValue, file: datasets.file, keyPath: entry.keyPath, line: entry.position?.line,
                column: entry.position?.column, message: message)
        }
        for entry in entries {
            guard let dataset = catalog.dataset(named: entry.source.dataset) else {
                let known = catalog.datasets.map { "`\($0.name)`" }.joined(separator: ", ")
                let list = known.isEmpty ? "the catalog has no datasets" : "the catalog's datasets are \(known)"
                throw refuse(
                    entry,
                    "`\(entry.source.dataset)` is not a dataset of the federation's catalog (\(list)); fix the name here, or ask the federation admin to add the dataset to federation.yaml")
            }
            // A node the catalog does not list in `held_by` is never asked about the
            // dataset: its rows would silently be left out of every answer.
            if let heldBy = dataset.heldBy, !heldBy.contains(name) {
                throw refuse(
                    entry,
                    "the catalog says dataset `\(entry.source.dataset)` is held by \(heldBy.joined(separator: ", ")), not by this node (\(name)), so no query would read these rows; remove the mapping, or ask the federation admin to add \(name) to `held_by`")
            }
        }
        return entries.map(\.source)
    }
}

/// Reads the `datasets` section of `node.yaml`.
struct SourceMappingReader {
    struct Entry {
        var source: DatasetSource
        var keyPath: String
        var position: SourcePosition?
    }

    private let raw: RawYAML
    private var reader: YAMLReader
    private let root: String

    init(raw: RawYAML) {
        self.raw = raw
        self.reader = YAMLReader(file: raw.file)
        self.root = raw.keyPath.isEmpty ? "datasets" : raw.keyPath
    }

    mutating func read() throws(ConfigError) -> [Entry] {
        if raw.isEmpty { return [] }
        let node = raw.node
        guard case .mapping(let mapping) = node else {
            throw reader.error(
                .wrongType,
                at: root,
                node.mark,
                "expected a mapping of datasets to sources, found \(YAMLReader.describe(node))"
            )
        }
        var entries: [Entry] = []
        for (key, value) in mapping {
            let name = try reader.catalogName(key, at: root, what: "dataset")
            let path = YAMLReader.child(root, name)
            let source = try self.source(named: name, value, at: path)
            entries.append(Entry(source: source, keyPath: path, position: key.mark.map(YAMLReader.position)))
        }
        return entries
    }

    private mutating func source(named name: String, _ node: Node, at path: String) throws(ConfigError) -> DatasetSource
    {
        let fields = try reader.mapping(node, at: path, keys: ["csv", "sqlite", "table"])
        switch (fields.contains("csv"), fields.contains("sqlite")) {
        case (true, false):
            if fields.contains("table") {
                throw reader.error(
                    .forbiddenKey,
                    at: YAMLReader.child(path, "table"),
                    fields.keyMark("table"),
                    "`table` is only for an SQLite source; a CSV file holds one table: remove it"
                )
            }
            let file = try fields.required("csv", reader, "the path of the CSV file holding dataset `\(name)`")
            let csvPath = try reader.path(file, at: YAMLReader.child(path, "csv"))
            return DatasetSource(dataset: name, kind: .csv(path: csvPath.resolved))
        case (false, true):
            let file = try fields.required(
                "sqlite",
                reader,
                "the path of the SQLite database holding dataset `\(name)`"
            )
            let sqlitePath = try reader.path(file, at: YAMLReader.child(path, "sqlite"))
            let tablePath = YAMLReader.child(path, "table")
            let tableNode = try fields.required(
                "table",
                reader,
                "the table or view of the SQLite database that holds dataset `\(name)`"
            )
            let table = try reader.string(tableNode, at: tablePath, "a table or view name")
            guard !table.isEmpty, !table.utf8.contains(0) else {
                throw reader.error(
                    .invalidValue,
                    at: tablePath,
                    tableNode.mark,
                    "expected a table or view name, found an empty string"
                )
            }
            return DatasetSource(dataset: name, kind: .sqlite(path: sqlitePath.resolved, table: table))
        case (true, true):
            throw reader.error(
                .forbiddenKey,
                at: YAMLReader.child(path, "sqlite"),
                fields.keyMark("sqlite"),
                "dataset `\(name)` names both a `csv` file and an `sqlite` database; keep the one that holds its rows"
            )
        case (false, false):
            throw reader.error(
                .missingKey,
                at: path,
                node.mark,
                "dataset `\(name)` needs a source: `{csv: path/to/file.csv}` or `{sqlite: path/to/file.sqlite, table: name}`"
            )
        }
    }
}
