/// The federation's catalog: the schema of every dataset the nodes may answer questions
/// about. The same at every node (it is part of `federation.yaml`), so every node turns a
/// query into the same plan. See DESIGN.md, "Exactness and encoding".
public struct Catalog: Sendable, Equatable {
    /// The datasets, in the order `federation.yaml` lists them.
    public var datasets: [Dataset]

    public init(datasets: [Dataset]) {
        self.datasets = datasets
    }

    /// The dataset called `name` (names are lowercase; the lookup is case-insensitive,
    /// as unquoted SQL identifiers are).
    public func dataset(named name: String) -> Dataset? {
        let wanted = name.lowercased()
        return datasets.first { $0.name == wanted }
    }
}

/// One dataset: its columns, how many rows a single node may hold, and which nodes hold it.
public struct Dataset: Sendable, Equatable {
    /// Lowercase letters, digits and `_`, starting with a letter.
    public var name: String
    /// The columns, in catalog order.
    public var columns: [Column]
    /// The largest number of rows one node may hold. The planner multiplies it by the
    /// number of participants to prove that no sum can overflow; a source with more
    /// rows fails the query rather than risk a wrapped sum.
    public var maxRowsPerNode: Int64
    /// The nodes that hold the dataset (`held_by` in the catalog), or nil when every node
    /// of the federation does. A query over the dataset has exactly these participants.
    public var heldBy: [String]?

    public init(name: String, columns: [Column], maxRowsPerNode: Int64, heldBy: [String]? = nil) {
        precondition(maxRowsPerNode >= 1, "a dataset holds at least one row per node")
        precondition(heldBy.map { !$0.isEmpty } ?? true, "a dataset is held by at least one node")
        self.name = name
        self.columns = columns
        self.maxRowsPerNode = maxRowsPerNode
        self.heldBy = heldBy
    }

    /// The participants of every query over this dataset: the federation's nodes (in
    /// federation order) that hold it. Fixed by the catalog rather than chosen per query,
    /// so no one can ask the same question of two different sets of departments and
    /// subtract the answers to learn one department's subtotal.
    public func participants(amongNodes nodes: [String]) -> [String] {
        guard let heldBy else { return nodes }
        return nodes.filter(heldBy.contains)
    }

    /// The column called `name` and its index (case-insensitive).
    public func column(named name: String) -> (index: Int, column: Column)? {
        let wanted = name.lowercased()
        guard let index = columns.firstIndex(where: { $0.name == wanted }) else { return nil }
        return (index, columns[index])
    }
}

/// One column of a dataset.
public struct Column: Sendable, Equatable {
    /// Lowercase letters, digits and `_`, starting with a letter.
    public var name: String
    public var type: ColumnType
    /// Whether a cell may be NULL (an empty CSV cell, an SQL NULL). A NULL in a column
    /// that is not nullable is a data error.
    public var nullable: Bool

    public init(name: String, type: ColumnType, nullable: Bool) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }
}

/// A column's type. Every value a source yields is one `Int64` (`Cell`):
/// - `integer`: the value itself, within `min...max`;
/// - `decimal(scale)`: the value times 10^scale (12.34 with scale 2 is 1234), within
///   `min...max`, which are scaled the same way;
/// - `category`: the index of the value in the list;
/// - `boolean`: 0 for false, 1 for true.
public enum ColumnType: Sendable, Equatable {
    case integer(min: Int64, max: Int64)
    case decimal(scale: Int, min: Int64, max: Int64)
    case category([String])
    case boolean

    /// The largest decimal scale a column may have.
    public static let maximumScale = 18

    /// For numeric types: the scale and the (scaled) bounds.
    public var numeric: (scale: Int, min: Int64, max: Int64)? {
        switch self {
        case .integer(let min, let max): (0, min, max)
        case .decimal(let scale, let min, let max): (scale, min, max)
        case .category, .boolean: nil
        }
    }

    /// How the type is written in the catalog and in messages: `integer`,
    /// `decimal(2)`, `category`, `boolean`.
    public var name: String {
        switch self {
        case .integer: "integer"
        case .decimal(let scale, _, _): "decimal(\(scale))"
        case .category: "category"
        case .boolean: "boolean"
        }
    }
}

/// One value as a source yields it: nil for NULL, otherwise the encoding `ColumnType`
/// describes (scaled integer, category index, 0/1).
public typealias Cell = Int64?
