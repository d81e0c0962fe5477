import Query
import Yams

extension FederationConfig {
    /// The catalog of dataset schemas written under `catalog` in `federation.yaml`.
    ///
    /// ```yaml
    /// catalog:
    ///   visits:                       # dataset name: [a-z][a-z0-9_]*
    ///     max_rows_per_node: 1000000  # required, 1 ... 10^12
    ///     held_by: [north, south]     # optional: the nodes that hold it (default: every node)
    ///     columns:                    # ordered mapping; at least one column
    ///       district: {type: category, values: [north, south, east]}
    ///       age:      {type: integer, min: 0, max: 120}
    ///       cost:     {type: "decimal(2)", min: 0, max: 250000.00, nullable: true}
    ///       insured:  {type: boolean}
    /// ```
    ///
    /// Datasets and columns keep the order of the file. A column's `type` is `integer`,
    /// `decimal(s)` (0 ≤ s ≤ ``ColumnType/maximumScale``), `category` or `boolean`;
    /// `nullable` defaults to false. Numeric columns need `min` and `max`, read exactly as
    /// decimal text (a YAML number's own digits, never through a floating-point value)
    /// with at most `s` decimals, `min` ≤ `max`, and both scaled by 10^s must fit in a
    /// signed 64-bit integer. A category column needs `values`: at least one, non-empty,
    /// all different. Keys that do not belong to a column's type, and unknown keys, are
    /// refused. An absent or empty `catalog` is a catalog without datasets. `held_by`
    /// lists distinct node members of this federation; a query over the dataset has
    /// exactly those nodes as participants.
    ///
    /// - Throws: ``ConfigError`` naming the file, the key path (for example
    ///   `catalog.visits.columns.cost.max`) and the line of the offending value.
    public func parsedCatalog() throws(ConfigError) -> Catalog {
        try CatalogFile.check(catalog, nodes: nodes.map(\.name))
    }
}

/// A catalog kept in a file of its own, in the format of `federation.yaml`'s `catalog`
/// section (`fednode federation init --catalog FILE` copies it into `federation.yaml`).
public enum CatalogFile {
    /// Reads and checks the catalog file at `path`; errors name the file, key path and
    /// line. `held_by` names are checked as names only (the ceremony checks them against
    /// its nodes when it writes `federation.yaml`). Returns the catalog and its YAML, ready to be `FederationConfig.catalog`.
    public static func load(path: String) throws(ConfigError) -> (catalog: Catalog, yaml: RawYAML) {
        let text = try FilePaths.read(path)
        var reader = YAMLReader(file: path)
        let root = try reader.root(of: text)
        guard case .mapping(let mapping) = root else {
            throw reader.error(.wrongType, at: "", root.mark, "a catalog file is a mapping of dataset names to datasets")
        }
        let raw = try RawYAML(wholeDocument: mapping, file: path, document: text)
        var catalogReader = CatalogReader(raw: raw)
        return (try catalogReader.read(), raw)
    }
}

extension CatalogFile {
    /// Checks a catalog (from ``load(path:)``) against the nodes of the federation it is
    /// for: every `held_by` name must be one of them. Errors name the catalog's file,
    /// key path and line.
    public static func check(_ raw: RawYAML, nodes: [String]) throws(ConfigError) -> Catalog {
        var reader = CatalogReader(raw: raw, nodes: nodes)
        return try reader.read()
    }
}

/// Reads the `catalog` section of `federation.yaml` into a ``Catalog``.
struct CatalogReader {
    /// The keys of a dataset.
    static let datasetKeys = ["max_rows_per_node", "columns", "held_by"]
    /// The keys of a column.
    static let columnKeys = ["type", "nullable", "min", "max", "values"]
    /// The largest `max_rows_per_node`: 10^12 rows leaves headroom for sums over many
    /// nodes of large bounded values.
    static let maximumRowsPerNode: Int64 = 1_000_000_000_000
    /// The longest dataset or column name.
    static let maximumNameLength = 63

    private let raw: RawYAML
    private var reader: YAMLReader
    private let root: String
    /// The federation's node names, to check `held_by` against (nil: names only).
    private let nodes: [String]?

    init(raw: RawYAML, nodes: [String]? = nil) {
        self.raw = raw
        self.nodes = nodes
        self.reader = YAMLReader(file: raw.file)
        self.root = raw.keyPath.isEmpty ? "catalog" : raw.keyPath
    }

    mutating func read() throws(ConfigError) -> Catalog {
        if raw.isEmpty { return Catalog(datasets: []) }
        var datasets: [Dataset] = []
        for (key, value) in try entries(of: raw.node, at: root, "datasets (name: schema)") {
            let name = try reader.catalogName(key, at: root, what: "dataset")
            datasets.append(try dataset(named: name, value, at: YAMLReader.child(root, name)))
        }
        return Catalog(datasets: datasets)
    }

    // MARK: Datasets and columns

    private mutating func dataset(named name: String, _ node: Node, at path: String) throws(ConfigError) -> Dataset {
        let fields = try reader.mapping(node, at: path, keys: Self.datasetKeys)
        let rowsPath = YAMLReader.child(path, "max_rows_per_node")
        let rowsNode = try fields.required(
            "max_rows_per_node",
            reader,
            "the most rows one node may hold, 1 to 10^12 (the planner relies on it to prove that sums cannot overflow)"
        )
        let rows = try reader.integer(rowsNode, at: rowsPath)
        guard rows >= 1, Int64(rows) <= Self.maximumRowsPerNode else {
            throw reader.error(
                .invalidValue,
                at: rowsPath,
                rowsNode.mark,
                "\(rows) is out of range; `max_rows_per_node` is 1 to 1000000000000 (10^12)"
            )
        }

        let columnsPath = YAMLReader.child(path, "columns")
        let columnsNode = try fields.required(
            "columns",
            reader,
            "the dataset's columns, as `name: {type: …}` in order"
        )
        let entries = try entries(of: columnsNode, at: columnsPath, "columns (name: {type: …})")
        guard !entries.isEmpty else {
            throw reader.error(
                .invalidValue,
                at: columnsPath,
                columnsNode.mark,
                "dataset `\(name)` has no columns; list at least one, as `age: {type: integer, min: 0, max: 120}`"
            )
        }
        var columns: [Column] = []
        for (key, value) in entries {
            let columnName = try reader.catalogName(key, at: columnsPath, what: "column")
            columns.append(try column(named: columnName, value, at: YAMLReader.child(columnsPath, columnName)))
        }
        var heldBy: [String]?
        if let node = fields.optional("held_by") {
            heldBy = try holders(node, of: name, at: YAMLReader.child(path, "held_by"))
        }
        return Dataset(name: name, columns: columns, maxRowsPerNode: Int64(rows), heldBy: heldBy)
    }

    /// `held_by`: at least one node name, none twice, each a node of the federation.
    private mutating func holders(_ node: Node, of dataset: String, at path: String) throws(ConfigError) -> [String] {
        let items = try reader.sequence(node, at: path, of: "node names")
        guard !items.isEmpty else {
            throw reader.error(
                .invalidValue, at: path, node.mark,
                "dataset `\(dataset)` is held by no node; list the nodes that hold it, or leave `held_by` out when every node does")
        }
        var names: [String] = []
        for (index, item) in items.enumerated() {
            let itemPath = YAMLReader.item(path, index)
            let name = try reader.string(item, at: itemPath, "a node name")
            if names.contains(name) {
                throw reader.error(.duplicateValue, at: itemPath, item.mark, "node `\(name)` is listed twice")
            }
            if let nodes, !nodes.contains(name) {
                throw reader.error(
                    .invalidValue, at: itemPath, item.mark,
                    "`\(name)` is not a node of this federation (its nodes: \(nodes.joined(separator: ", ")))")
            }
            names.append(name)
        }
        return names
    }

    private mutating func column(named name: String, _ node: Node, at path: String) throws(ConfigError) -> Column {
        let fields = try reader.mapping(node, at: path, keys: Self.columnKeys)
        let typePath = YAMLReader.child(path, "type")
        let typeNode = try fields.required("type", reader, "one of integer, decimal(s), category, boolean")
        let typeText = try reader.string(typeNode, at: typePath, "a column type")

        var nullable = false
        if let nullableNode = fields.optional("nullable") {
            nullable = try boolean(nullableNode, at: YAMLReader.child(path, "nullable"))
        }

        let type: ColumnType
        switch typeText {
        case "integer":
            try forbid("values", in: fields, at: path, because: "only a category column has `values`")
            let (min, max) = try bounds(fields, at: path, scale: 0, typeName: "integer")
            type = .integer(min: min, max: max)
        case "category":
            try forbid(["min", "max"], in: fields, at: path, because: "a category column has `values`, not bounds")
            type = .category(try values(fields, at: path))
        case "boolean":
            try forbid(["min", "max"], in: fields, at: path, because: "a boolean column has no bounds")
            try forbid("values", in: fields, at: path, because: "only a category column has `values`")
            type = .boolean
        default:
            guard let scale = Self.decimalScale(typeText) else {
                let hint = Self.typeHint(typeText)
                throw reader.error(
                    .invalidValue,
                    at: typePath,
                    typeNode.mark,
                    "unknown column type `\(typeText)`\(hint); the types are `integer`, `decimal(s)` with a scale s of 0 to \(ColumnType.maximumScale) (as in `decimal(2)`), `category` and `boolean`"
                )
            }
            try forbid("values", in: fields, at: path, because: "only a category column has `values`")
            let (min, max) = try bounds(fields, at: path, scale: scale, typeName: typeText)
            type = .decimal(scale: scale, min: min, max: max)
        }
        return Column(name: name, type: type, nullable: nullable)
    }

    // MARK: Values

    /// The scaled `min` and `max` of a numeric column.
    private func bounds(
        _ fields: Fields,
        at path: String,
        scale: Int,
        typeName: String
    ) throws(ConfigError) -> (Int64, Int64) {
        let minimum = try bound("min", fields, at: path, scale: scale, typeName: typeName)
        let maximum = try bound("max", fields, at: path, scale: scale, typeName: typeName)
        guard minimum.value <= maximum.value else {
            throw reader.error(
                .invalidValue,
                at: YAMLReader.child(path, "max"),
                maximum.node.mark,
                "`max` (\(maximum.text)) is less than `min` (\(minimum.text)); swap them or correct one"
            )
        }
        return (minimum.value, maximum.value)
    }

    private func bound(
        _ key: String,
        _ fields: Fields,
        at path: String,
        scale: Int,
        typeName: String
    ) throws(ConfigError) -> (value: Int64, text: String, node: Node) {
        let keyPath = YAMLReader.child(path, key)
        let explanation =
            key == "min"
            ? "the smallest value this \(typeName) column may hold" : "the largest value this \(typeName) column may hold"
        let node = try fields.required(key, reader, explanation)
        // The scalar's own text, so `250000.00` is read digit by digit and never passes
        // through a Double.
        let text = try reader.string(node, at: keyPath, "a number")
        let decimals = scale == 0 ? "no decimals" : "at most \(scale) decimal\(scale == 1 ? "" : "s")"
        let value: Int64
        do {
            value = try DecimalText.parse(Array(text.utf8), scale: scale)
        } catch {
            let message: String
            switch error {
            case .syntax:
                let example = scale == 0 ? "120" : "250000." + String(repeating: "0", count: scale)
                message =
                    "`\(text)` is not a plain decimal number; write digits with an optional sign and \(decimals), as in `\(example)` (no exponent, no separators)"
            case .tooManyDecimals:
                message =
                    "`\(text)` has more decimals than the column's type `\(typeName)` allows (\(decimals)); bounds are never rounded, so write it with \(decimals) or raise the scale"
            case .overflow:
                let limit = DecimalText.format(Int64.max, scale: scale)
                message =
                    "`\(text)` is too large for `\(typeName)`: scaled values are 64-bit integers, so bounds lie within ±\(limit)"
            }
            throw reader.error(.invalidValue, at: keyPath, node.mark, message)
        }
        return (value, text, node)
    }

    /// The `values` of a category column.
    private mutating func values(_ fields: Fields, at path: String) throws(ConfigError) -> [String] {
        let valuesPath = YAMLReader.child(path, "values")
        let node = try fields.required("values", reader, "the list of the category's values, as `[north, south]`")
        let items = try reader.sequence(node, at: valuesPath, of: "category values")
        guard !items.isEmpty else {
            throw reader.error(
                .invalidValue,
                at: valuesPath,
                node.mark,
                "a category needs at least one value, as `[north, south]`"
            )
        }
        var values: [String] = []
        var firstIndex: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let itemPath = YAMLReader.item(valuesPath, index)
            let value = try reader.string(item, at: itemPath, "a category value (text)")
            guard !value.isEmpty else {
                throw reader.error(
                    .invalidValue,
                    at: itemPath,
                    item.mark,
                    "a category value cannot be empty (an empty cell means NULL); remove it or make the column `nullable: true`"
                )
            }
            // String equality is Unicode canonical equivalence, so two spellings of the
            // same text (composed or decomposed accents) count as the same value.
            if let first = firstIndex[value] {
                throw reader.error(
                    .duplicateValue,
                    at: itemPath,
                    item.mark,
                    "the value `\(value)` is already listed at `\(YAMLReader.item(valuesPath, first))`; category values are unique"
                )
            }
            firstIndex[value] = index
            values.append(value)
        }
        return values
    }

    private func boolean(_ node: Node, at path: String) throws(ConfigError) -> Bool {
        guard case .scalar = node, YAMLReader.tagName(node) == .bool, let value = node.bool else {
            throw reader.error(
                .wrongType,
                at: path,
                node.mark,
                "expected true or false, found \(YAMLReader.describe(node))"
            )
        }
        return value
    }

    // MARK: Names and mappings

    /// The entries of a mapping whose keys are names chosen by the file (datasets,
    /// columns), in file order.
    private mutating func entries(of node: Node, at path: String, _ what: String) throws(ConfigError) -> [(Node, Node)]
    {
        guard case .mapping(let mapping) = node else {
            throw reader.error(
                .wrongType,
                at: path,
                node.mark,
                "expected a mapping of \(what), found \(YAMLReader.describe(node))"
            )
        }
        return Array(mapping)
    }

    /// Why `name` is not a dataset or column name, or nil.
    static func nameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return "a name cannot be empty" }
        guard bytes.count <= maximumNameLength else {
            return "it has \(bytes.count) characters; names have at most \(maximumNameLength)"
        }
        let isLower = { (byte: UInt8) in byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let hint = name.contains(where: \.isUppercase) ? " (write it in lowercase)" : ""
        guard isLower(first) else {
            return "names start with a lowercase letter a–z\(hint)"
        }
        guard bytes.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "_") }) else {
            return "names use only lowercase letters a–z, digits and '_'\(hint)"
        }
        return nil
    }

    private func forbid(_ key: String, in fields: Fields, at path: String, because reason: String) throws(ConfigError) {
        try forbid([key], in: fields, at: path, because: reason)
    }

    private func forbid(
        _ keys: [String],
        in fields: Fields,
        at path: String,
        because reason: String
    ) throws(ConfigError) {
        guard let key = keys.first(where: { fields.contains($0) }) else { return }
        throw reader.error(
            .forbiddenKey,
            at: YAMLReader.child(path, key),
            fields.keyMark(key),
            "`\(key)` does not belong here: \(reason); remove it or change `type`"
        )
    }

    // MARK: Types

    /// The scale of `decimal(s)`, or nil if `text` is not such a type or s is out of range.
    static func decimalScale(_ text: String) -> Int? {
        guard text.hasPrefix("decimal("), text.hasSuffix(")") else { return nil }
        let inner = text.dropFirst("decimal(".count).dropLast()
        guard !inner.isEmpty, inner.count <= 2, inner.allSatisfy({ $0.isASCII && $0.isNumber }),
            let scale = Int(inner), scale <= ColumnType.maximumScale
        else { return nil }
        return scale
    }

    private static func typeHint(_ text: String) -> String {
        if text.hasPrefix("decimal") { return " (the scale is 0 to \(ColumnType.maximumScale), written `decimal(2)`)" }
        switch text.lowercased() {
        case "int", "bigint", "smallint", "integer": return " (write `integer`)"
        case "float", "double", "real", "numeric", "number": return " (Fedstat has no floating point; use `decimal(s)`)"
        case "bool", "boolean": return " (write `boolean`)"
        case "string", "text", "enum", "varchar", "category":
            return " (text columns are `category` with their `values`)"
        default: return ""
        }
    }
}

/// Exact decimal text: `[+-]?digits[.digits]`, scaled to an `Int64`.
package enum DecimalText {
    package enum Problem: Error, Equatable {
        /// Not `[+-]?digits[.digits]`.
        case syntax
        /// More fraction digits than the scale.
        case tooManyDecimals
        /// The scaled value does not fit in an `Int64` (|v| ≤ 2^63−1).
        case overflow
    }

    /// `text` times 10^`scale`, exactly; never rounds.
    package static func parse(_ text: [UInt8], scale: Int) throws(Problem) -> Int64 {
        var index = 0
        var negative = false
        if index < text.count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        var magnitude: UInt64 = 0
        var overflow = false
        var integerDigits = 0
        var fractionDigits = 0
        var seenPoint = false
        while index < text.count {
            let byte = text[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, integerDigits > 0 else { throw .syntax }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .syntax }
            if seenPoint { fractionDigits += 1 } else { integerDigits += 1 }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            overflow = overflow || o1 || o2
            magnitude = sum
        }
        guard integerDigits > 0, !seenPoint || fractionDigits > 0 else { throw .syntax }
        guard fractionDigits <= scale else { throw .tooManyDecimals }
        for _ in fractionDigits..<scale {
            let (times10, o) = magnitude.multipliedReportingOverflow(by: 10)
            overflow = overflow || o
            magnitude = times10
        }
        guard !overflow, magnitude <= UInt64(Int64.max) else { throw .overflow }
        return negative ? -Int64(magnitude) : Int64(magnitude)
    }

    /// `value` / 10^`scale` as decimal text with exactly `scale` decimals.
    package static func format(_ value: Int64, scale: Int) -> String {
        let digits = String(value.magnitude)
        let sign = value < 0 ? "-" : ""
        guard scale > 0 else { return sign + digits }
        let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
        let point = padded.index(padded.endIndex, offsetBy: -scale)
        return sign + padded[..<point] + "." + padded[point...]
    }
}

extension YAMLReader {
    /// A dataset or column name: a key of lowercase letters, digits and `_`, starting
    /// with a letter (so it can be written unquoted in SQL and cannot differ by case).
    func catalogName(_ key: Node, at path: String, what: String) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = key, !YAMLReader.isNull(key) else {
            throw error(.wrongType, at: path, key.mark, "a \(what) name must be a plain name, found \(YAMLReader.describe(key))")
        }
        let name = scalar.string
        if let problem = CatalogReader.nameProblem(name) {
            throw error(.invalidValue, at: YAMLReader.child(path, name), key.mark, "invalid \(what) name `\(name)`: \(problem)")
        }
        return name
    }
}
