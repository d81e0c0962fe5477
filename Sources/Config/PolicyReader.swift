import Policy
import Query
import Yams

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A node's policy files (`policies/*.yaml`, DESIGN.md "Policies (default deny)").
///
/// ```yaml
/// groups:                               # optional: name → analyst SPIFFE ids
///   health-analysts: [spiffe://city/analyst/alice, spiffe://city/analyst/carol]
/// rules:                                # optional; evaluated in order, first match approves
///   - id: costs-by-district             # required, unique across the node's files
///     who: [group:health-analysts, spiffe://city/analyst/dave]    # required, not empty
///     datasets: [visits]                # required, not empty
///     aggregates: [count, sum, avg, var_samp, stddev_samp]        # required, not empty
///     columns:                          # optional; each list optional (absent: none)
///       aggregate: [cost, age]          # may be aggregate arguments
///       filter: [age, district, insured]  # may appear in WHERE
///       group: [district, age]          # may appear in GROUP BY (also in WIDTH_BUCKET)
///     min_group_size: 10                # required, ≥ 1
///     min_parties: 2                    # required, ≥ 1
///     protocols: [secure_sum, paillier] # required, not empty
///     max_queries_per_day: 50           # optional, ≥ 1 (absent: no limit)
///     expires: 2027-12-31               # optional: a date (in force through that day, UTC)
///                                       # or a date-time with Z or an offset
///     purpose: "Yearly health cost report for the city council"   # required, not empty
/// ```
///
/// `aggregates` are written as in ``PolicyRule/aggregateSpellings``: `count` allows
/// `COUNT(*)` and `COUNT(column)`, `count(*)` only the former, every other function its
/// SQL name in lower case (`var_samp`, `regr_slope`, `linreg`, …; `variance` and
/// `stddev` as aliases). Dataset and column names are catalog names; whether they exist
/// is checked by lint against the catalog, not here. A `who` entry is `group:<name>` or
/// an analyst id, both checked by lint (a wrong entry matches nobody).
///
/// Everything is read strictly: unknown keys, missing required keys, values of the wrong
/// type or out of range, a name listed twice, and a rule id or group name used twice
/// (also across files) are ``ConfigError``s naming the file, the key path
/// (`rules[2].aggregates[1]`) and the line.
public enum PolicyFiles {
    /// The keys of the file.
    public static let fileKeys = ["groups", "rules"]
    /// The keys of a rule.
    public static let ruleKeys = [
        "id", "who", "datasets", "aggregates", "columns", "min_group_size", "min_parties", "protocols",
        "max_queries_per_day", "expires", "purpose",
    ]
    /// The keys of a rule's `columns`.
    public static let columnKeys = ["aggregate", "filter", "group"]
    /// The file name endings read from a policy directory.
    public static let fileExtensions = [".yaml", ".yml"]

    /// Reads every policy file in `directory` and combines them.
    ///
    /// The files are those whose names end in `.yaml` or `.yml` and do not start with `.`
    /// (editors' hidden backups), sorted by the bytes of their names, so the rules'
    /// evaluation order does not depend on the file system or the locale. A directory
    /// without such files gives an empty policy, which denies every query.
    ///
    /// - Throws: ``ConfigError`` if the directory cannot be read, any file has an error,
    ///   or two files use the same rule id or group name (the error is at the later one
    ///   and names the earlier).
    public static func load(directory: String) throws(ConfigError) -> PolicySet {
        var sets: [PolicySet] = []
        for name in try fileNames(in: directory) {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            sets.append(try parse(yaml: FilePaths.read(path), file: path))
        }
        return try combine(sets)
    }

    /// Parses the text of one policy file; `file` names it in errors and in the rules'
    /// and groups' origins.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> PolicySet {
        var reader = PolicyReader(file: file)
        return try reader.read(yaml)
    }

    /// The policies of several files, in the given order, as one set.
    ///
    /// - Throws: ``ConfigError/Code/duplicateValue`` at the second use of a rule id or
    ///   group name, naming the first.
    public static func combine(_ sets: [PolicySet]) throws(ConfigError) -> PolicySet {
        var combined = PolicySet()
        var rules: [String: PolicyOrigin] = [:]
        var groups: [String: PolicyOrigin] = [:]
        for set in sets {
            for group in set.groups {
                if let first = groups[group.name] {
                    throw duplicate(
                        "group `\(group.name)` is already defined at \(first); group names are unique across the "
                            + "node's policy files: rename one or merge their members",
                        at: group.origin,
                        keyPath: group.origin.keyPath
                    )
                }
                groups[group.name] = group.origin
                combined.groups.append(group)
            }
            for rule in set.rules {
                // Decisions and audit records name rules by id, so an id used twice would
                // make the audit log ambiguous about which rule approved a query.
                if let first = rules[rule.id] {
                    throw duplicate(
                        "rule id `\(rule.id)` is already used at \(first); rule ids are unique across the node's "
                            + "policy files because decisions and audit records name rules by id",
                        at: rule.origin,
                        keyPath: rule.origin.keyPath + ".id"
                    )
                }
                rules[rule.id] = rule.origin
                combined.rules.append(rule)
            }
        }
        return combined
    }

    private static func duplicate(_ message: String, at origin: PolicyOrigin, keyPath: String) -> ConfigError {
        ConfigError(
            code: .duplicateValue,
            file: origin.file,
            keyPath: keyPath,
            line: origin.line,
            column: nil,
            message: message
        )
    }

    /// The policy file names in `directory`, sorted by their bytes.
    static func fileNames(in directory: String) throws(ConfigError) -> [String] {
        guard let stream = opendir(directory) else {
            let reason = String(cString: strerror(errno))
            throw ConfigError(
                code: .io,
                file: directory,
                keyPath: "",
                line: nil,
                column: nil,
                message: "cannot read the policy directory: \(reason); create it or set `policies` in node.yaml "
                    + "to the directory holding this node's policy files"
            )
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: pointer.pointee)) {
                    String(cString: $0)
                }
            }
            guard !name.hasPrefix("."), fileExtensions.contains(where: { name.hasSuffix($0) }) else { continue }
            names.append(name)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// Reads one policy file.
struct PolicyReader {
    private var reader: YAMLReader
    private let file: String

    init(file: String) {
        self.file = file
        self.reader = YAMLReader(file: file)
    }

    mutating func read(_ yaml: String) throws(ConfigError) -> PolicySet {
        let root = try reader.mapping(reader.root(of: yaml), at: "", keys: PolicyFiles.fileKeys)
        var set = PolicySet()
        if let node = root.optional("groups") {
            set.groups = try groups(node)
        }
        if let node = root.optional("rules") {
            var seen: [String: PolicyOrigin] = [:]
            for (index, item) in try reader.sequence(node, at: "rules", of: "rules").enumerated() {
                let rule = try rule(item, at: YAMLReader.item("rules", index))
                if let first = seen[rule.id] {
                    throw reader.error(
                        .duplicateValue,
                        at: rule.origin.keyPath + ".id",
                        nil,
                        "rule id `\(rule.id)` is already used at \(first); rule ids are unique across the node's "
                            + "policy files because decisions and audit records name rules by id"
                    )
                }
                seen[rule.id] = rule.origin
                set.rules.append(rule)
            }
        }
        return set
    }

    // MARK: Groups

    private mutating func groups(_ node: Node) throws(ConfigError) -> [PolicyGroup] {
        guard case .mapping(let mapping) = node else {
            throw reader.error(
                .wrongType,
                at: "groups",
                node.mark,
                "expected a mapping of group names to lists of analyst ids, as "
                    + "`health-analysts: [spiffe://city/analyst/alice]`, found \(YAMLReader.describe(node))"
            )
        }
        var groups: [PolicyGroup] = []
        for (key, value) in mapping {
            let name = try reader.string(key, at: "groups", "a group name")
            let path = YAMLReader.child("groups", name)
            guard PolicySubject.isLabel(Substring(name)) else {
                throw reader.error(
                    .invalidValue,
                    at: path,
                    key.mark,
                    "invalid group name `\(name)`: group names are 1 to 63 lowercase letters a–z, digits and '-', "
                        + "not starting or ending with '-'"
                )
            }
            let members = try list(value, at: path, of: "analyst SPIFFE ids, as [spiffe://city/analyst/alice]")
            groups.append(
                PolicyGroup(
                    name: name,
                    members: members.map(\.text),
                    origin: PolicyOrigin(file: file, keyPath: path, line: key.mark?.line)
                )
            )
        }
        return groups
    }

    // MARK: Rules

    private mutating func rule(_ node: Node, at path: String) throws(ConfigError) -> PolicyRule {
        let fields = try reader.mapping(node, at: path, keys: PolicyFiles.ruleKeys)
        let idPath = YAMLReader.child(path, "id")
        let idNode = try fields.required("id", reader, "the rule's name, unique across the node's policy files")
        let id = try reader.string(idNode, at: idPath, "a rule id")
        if let problem = Self.idProblem(id) {
            throw reader.error(.invalidValue, at: idPath, idNode.mark, "invalid rule id `\(id)`: \(problem)")
        }
        let origin = PolicyOrigin(file: file, keyPath: path, line: idNode.mark?.line ?? node.mark?.line)

        let who = try nonEmptyList(
            fields,
            "who",
            at: path,
            of: "analyst SPIFFE ids and `group:<name>` entries",
            "who may run these queries: analyst ids (spiffe://city/analyst/alice) and `group:<name>` entries"
        )

        let datasets = try nonEmptyList(
            fields,
            "datasets",
            at: path,
            of: "dataset names",
            "the catalog datasets the rule covers"
        )
        for item in datasets { try checkName(item, what: "dataset") }

        var aggregates: Set<AggregateFunction> = []
        let aggregateItems = try nonEmptyList(
            fields,
            "aggregates",
            at: path,
            of: "aggregate functions",
            "the aggregate functions allowed, as [count, sum, avg]"
        )
        for item in aggregateItems {
            guard let functions = PolicyRule.aggregateSpellings[item.text] else {
                throw reader.error(.invalidValue, at: item.path, item.node.mark, Self.unknownAggregate(item.text))
            }
            aggregates.formUnion(functions)
        }

        var columns = ColumnPermissions()
        if let node = fields.optional("columns") {
            let columnsPath = YAMLReader.child(path, "columns")
            let roles = try reader.mapping(node, at: columnsPath, keys: PolicyFiles.columnKeys)
            func names(_ key: String) throws(ConfigError) -> Set<String> {
                guard let node = roles.optional(key) else { return [] }
                let items = try list(node, at: YAMLReader.child(columnsPath, key), of: "column names")
                for item in items { try checkName(item, what: "column") }
                return Set(items.map(\.text))
            }
            columns = ColumnPermissions(
                aggregate: try names("aggregate"),
                filter: try names("filter"),
                group: try names("group")
            )
        }

        let minGroupSize = try positive(
            fields.required(
                "min_group_size",
                reader,
                "the smallest group a released value may come from, as 10 (1 turns suppression off)"
            ),
            at: YAMLReader.child(path, "min_group_size")
        )
        let minParties = try positive(
            fields.required("min_parties", reader, "the fewest nodes that must take part in a query, as 2"),
            at: YAMLReader.child(path, "min_parties")
        )

        var protocols: Set<AggregationProtocol> = []
        let protocolItems = try nonEmptyList(
            fields,
            "protocols",
            at: path,
            of: "protocols",
            "the protocols allowed: secure_sum, paillier"
        )
        for item in protocolItems {
            guard let value = AggregationProtocol(rawValue: item.text) else {
                let known = AggregationProtocol.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ")
                throw reader.error(
                    .invalidValue,
                    at: item.path,
                    item.node.mark,
                    "unknown protocol `\(item.text)`; the protocols are \(known)"
                )
            }
            protocols.insert(value)
        }

        let maxQueriesPerDay = try fields.optional("max_queries_per_day").map { node throws(ConfigError) in
            try positive(node, at: YAMLReader.child(path, "max_queries_per_day"))
        }

        var expires: PolicyExpiry?
        if let node = fields.optional("expires") {
            let expiresPath = YAMLReader.child(path, "expires")
            let text = try reader.string(node, at: expiresPath, "a date")
            guard let expiry = PolicyExpiry(iso8601: text) else {
                throw reader.error(.invalidValue, at: expiresPath, node.mark, Self.badDate(text))
            }
            expires = expiry
        }

        let purposePath = YAMLReader.child(path, "purpose")
        let purposeNode = try fields.required(
            "purpose",
            reader,
            "why the data may be used this way, in words; it is written to the audit log"
        )
        let purpose = try reader.string(purposeNode, at: purposePath, "text")
        guard !purpose.allSatisfy(\.isWhitespace) else {
            throw reader.error(
                .invalidValue,
                at: purposePath,
                purposeNode.mark,
                "`purpose` is empty; say why the data may be used this way (it is written to the audit log)"
            )
        }

        return PolicyRule(
            id: id,
            who: who.map { PolicySubject($0.text) },
            datasets: Set(datasets.map(\.text)),
            aggregates: aggregates,
            columns: columns,
            requirements: PolicyRequirements(
                minGroupSize: minGroupSize,
                minParties: minParties,
                protocols: protocols,
                maxQueriesPerDay: maxQueriesPerDay,
                expires: expires,
                purpose: purpose
            ),
            origin: origin
        )
    }

    // MARK: Values

    /// One text item of a list, with where it was.
    private struct Item {
        let text: String
        let path: String
        let node: Node
    }

    /// A list of texts at `path`; an empty text or a text listed twice is an error.
    private mutating func list(_ node: Node, at path: String, of what: String) throws(ConfigError) -> [Item] {
        var items: [Item] = []
        for (index, element) in try reader.sequence(node, at: path, of: what).enumerated() {
            let itemPath = YAMLReader.item(path, index)
            let text = try reader.string(element, at: itemPath, "text")
            guard !text.isEmpty else {
                throw reader.error(.invalidValue, at: itemPath, element.mark, "an empty entry; remove it")
            }
            if let first = items.first(where: { $0.text == text }) {
                throw reader.error(
                    .duplicateValue,
                    at: itemPath,
                    element.mark,
                    "`\(text)` is already listed at `\(first.path)`; remove one"
                )
            }
            items.append(Item(text: text, path: itemPath, node: element))
        }
        return items
    }

    /// The required, non-empty list `key` of the rule at `path`.
    private mutating func nonEmptyList(
        _ fields: Fields,
        _ key: String,
        at path: String,
        of what: String,
        _ explanation: String
    ) throws(ConfigError) -> [Item] {
        let keyPath = YAMLReader.child(path, key)
        let node = try fields.required(key, reader, explanation)
        let items = try list(node, at: keyPath, of: what)
        guard !items.isEmpty else {
            throw reader.error(
                .invalidValue,
                at: keyPath,
                node.mark,
                "`\(key)` is empty; list at least one: \(explanation)"
            )
        }
        return items
    }

    private func checkName(_ item: Item, what: String) throws(ConfigError) {
        if let problem = CatalogReader.nameProblem(item.text) {
            throw reader.error(
                .invalidValue,
                at: item.path,
                item.node.mark,
                "invalid \(what) name `\(item.text)`: \(problem)"
            )
        }
    }

    private func positive(_ node: Node, at path: String) throws(ConfigError) -> Int {
        let value = try reader.integer(node, at: path)
        guard value >= 1 else {
            throw reader.error(
                .invalidValue,
                at: path,
                node.mark,
                "\(value) is out of range; `\(YAMLReader.lastKey(path))` is at least 1"
            )
        }
        return value
    }

    /// Why `id` is not a rule id, or nil: 1–63 lowercase letters, digits, `-` and `_`,
    /// starting with a letter or digit (ids go into audit records and messages verbatim).
    static func idProblem(_ id: String) -> String? {
        let bytes = Array(id.utf8)
        guard let first = bytes.first else { return "a rule id cannot be empty" }
        guard bytes.count <= 63 else { return "it has \(bytes.count) characters; rule ids have at most 63" }
        let isLower = { (byte: UInt8) in byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let hint = id.contains(where: \.isUppercase) ? " (write it in lowercase)" : ""
        guard isLower(first) || isDigit(first) else { return "rule ids start with a letter a–z or a digit\(hint)" }
        guard bytes.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else { return "rule ids use only lowercase letters a–z, digits, '-' and '_'\(hint)" }
        return nil
    }

    private static func unknownAggregate(_ text: String) -> String {
        let spellings = PolicyRule.aggregateSpellings.keys.sorted()
        var hint = ""
        if PolicyRule.aggregateSpellings[text.lowercased()] != nil {
            hint = " (write it in lower case: `\(text.lowercased())`)"
        } else if let close = YAMLReader.closest(to: text, in: spellings) {
            hint = " (did you mean `\(close)`?)"
        } else if ["min", "max", "median"].contains(text.lowercased()) {
            hint = " (Fedstat does not compute \(text.lowercased()))"
        }
        return "unknown aggregate `\(text)`\(hint); the aggregates are "
            + spellings.map { "`\($0)`" }.joined(separator: ", ")
    }

    private static func badDate(_ text: String) -> String {
        let looksLikeLocalTime =
            text.contains("T") && !text.hasSuffix("Z") && !text.dropFirst(11).contains("+")
            && !text.dropFirst(11).contains("-")
        if looksLikeLocalTime {
            return "`\(text)` has no time zone; add `Z` for UTC or an offset such as `+01:00`, so every node reads "
                + "the same instant"
        }
        return "`\(text)` is not an ISO-8601 date or date-time; write `2027-12-31` (in force through that day, UTC) "
            + "or `2027-12-31T18:00:00Z`"
    }
}
