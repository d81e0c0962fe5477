import Config
import Foundation
import Query
import Testing
import Yams

/// federation.yaml with `catalog` (which starts on line 27) set to `lines`: line i of
/// `lines` (from 1) is line 27 + i of the file.
private func federation(catalog lines: String) -> String {
    let head = Sample.federation.split(separator: "\n", omittingEmptySubsequences: false).prefix(26)
    return head.joined(separator: "\n") + "\ncatalog:\n" + lines + "\n"
}

/// The line of `catalog:` in ``federation(catalog:)``.
private let catalogLine = 27

/// A catalog with one dataset whose columns are `columns` (column lines start at
/// line 31).
private func catalog(columns: String) -> String {
    """
      visits:
        max_rows_per_node: 1000
        columns:
          id: {type: integer, min: 0, max: 10}
    \(columns)
    """
}

/// The line of the first line of `columns` in ``catalog(columns:)``.
private let columnsLine = 32

@Suite("federation.yaml catalog")
struct CatalogConfigTests {
    let file = Sample.federationFile

    func parse(_ catalog: String) throws -> Catalog {
        try FederationConfig.parse(yaml: federation(catalog: catalog), file: file).parsedCatalog()
    }

    func expectError(
        _ code: ConfigError.Code,
        _ keyPath: String,
        line: Int,
        mentioning words: [String] = [],
        in catalog: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        expectConfigError(
            code,
            file: file,
            keyPath: keyPath,
            line: line,
            mentioning: words,
            sourceLocation: sourceLocation
        ) {
            _ = try parse(catalog)
        }
    }

    static let good = """
          visits:                       # line 28
            max_rows_per_node: 1000000
            columns:
              district: {type: category, values: [north, south, "east", "1", "no", "北区"]}
              age:      {type: integer, min: 0, max: 120}
              cost:     {type: "decimal(2)", min: 0, max: 250000.00, nullable: true}
              insured:  {type: boolean, nullable: false}
              balance:
                type: decimal(18)
                min: "-9.223372036854775807"
                max: +9.223372036854775807
          payments:                     # line 39
            max_rows_per_node: 1000000000000
            columns:
              amount: {type: decimal(0), min: -5, max: "5"}
              rate: {type: "decimal(3)", min: 0.5, max: 1.25}
        """

    @Test func readsDatasetsAndColumnsInFileOrder() throws {
        let catalog = try parse(Self.good)
        #expect(catalog.datasets.map(\.name) == ["visits", "payments"])
        let visits = try #require(catalog.dataset(named: "visits"))
        #expect(visits.maxRowsPerNode == 1_000_000)
        #expect(
            visits.columns == [
                Column(
                    name: "district",
                    type: .category(["north", "south", "east", "1", "no", "北区"]),
                    nullable: false
                ),
                Column(name: "age", type: .integer(min: 0, max: 120), nullable: false),
                Column(name: "cost", type: .decimal(scale: 2, min: 0, max: 25_000_000), nullable: true),
                Column(name: "insured", type: .boolean, nullable: false),
                Column(name: "balance", type: .decimal(scale: 18, min: -Int64.max, max: Int64.max), nullable: false),
            ]
        )
        let payments = try #require(catalog.dataset(named: "payments"))
        #expect(payments.maxRowsPerNode == 1_000_000_000_000)
        #expect(
            payments.columns == [
                Column(name: "amount", type: .decimal(scale: 0, min: -5, max: 5), nullable: false),
                Column(name: "rate", type: .decimal(scale: 3, min: 500, max: 1250), nullable: false),
            ]
        )
    }

    @Test func boundsAreReadFromTheTextNeverThroughADouble() throws {
        // 0.1 + 0.2 style trouble and digits beyond a double's precision are kept exactly.
        let catalog = try parse(
            catalog(
                columns: [
                    "      a: {type: \"decimal(2)\", min: 0.29, max: 90071992547409.93}",
                    "      b: {type: \"decimal(1)\", min: -0.0, max: 0.1}",
                    "      c: {type: integer, min: -9223372036854775807, max: 9223372036854775807}",
                    "      d: {type: \"decimal(4)\", min: \"-12.5\", max: 007}",
                ].joined(separator: "\n")
            )
        )
        let columns = try #require(catalog.dataset(named: "visits")).columns
        #expect(columns[1].type == .decimal(scale: 2, min: 29, max: 9_007_199_254_740_993))
        #expect(columns[2].type == .decimal(scale: 1, min: 0, max: 1))
        #expect(columns[3].type == .integer(min: -Int64.max, max: Int64.max))
        #expect(columns[4].type == .decimal(scale: 4, min: -125_000, max: 70_000))
    }

    @Test func anEmptyOrAbsentCatalogHasNoDatasets() throws {
        let head = Sample.federation.split(separator: "\n", omittingEmptySubsequences: false).prefix(26)
        let without = try FederationConfig.parse(yaml: head.joined(separator: "\n") + "\n", file: file)
        #expect(try without.parsedCatalog() == Catalog(datasets: []))
        #expect(try parse("  {}") == Catalog(datasets: []))
    }

    @Test func aCatalogBuiltInCodeIsReadToo() throws {
        let raw = try RawYAML(mapping: [
            "visits": ["max_rows_per_node": 10, "columns": ["flag": ["type": "boolean"]]]
        ])
        let config = FederationConfig(id: "x", caCertificate: Sample.pem, members: [], catalog: raw)
        #expect(
            try config.parsedCatalog()
                == Catalog(datasets: [
                    Dataset(
                        name: "visits",
                        columns: [Column(name: "flag", type: .boolean, nullable: false)],
                        maxRowsPerNode: 10
                    )
                ])
        )
    }

    // MARK: Datasets

    @Test func datasetErrors() {
        expectError(
            .invalidValue,
            "catalog.Visits",
            line: 28,
            mentioning: ["lowercase"],
            in: "  Visits:\n    max_rows_per_node: 1\n    columns: {a: {type: boolean}}"
        )
        expectError(
            .invalidValue,
            "catalog.2nd",
            line: 28,
            mentioning: ["start with a lowercase letter"],
            in: "  2nd:\n    max_rows_per_node: 1\n    columns: {a: {type: boolean}}"
        )
        expectError(
            .invalidValue,
            "catalog.visit-log",
            line: 28,
            mentioning: ["'_'"],
            in: "  visit-log:\n    max_rows_per_node: 1\n    columns: {a: {type: boolean}}"
        )
        expectError(
            .wrongType,
            "catalog.visits",
            line: 28,
            mentioning: ["expected a mapping"],
            in: "  visits: [a, b]"
        )
        expectError(
            .unknownKey,
            "catalog.visits.max_row_per_node",
            line: 29,
            mentioning: ["did you mean `max_rows_per_node`?"],
            in: "  visits:\n    max_row_per_node: 1\n    columns: {a: {type: boolean}}"
        )
        expectError(
            .missingKey,
            "catalog.visits.max_rows_per_node",
            line: 29,
            mentioning: ["max_rows_per_node"],
            in: "  visits:\n    columns: {a: {type: boolean}}"
        )
        for (value, code) in [
            ("0", ConfigError.Code.invalidValue), ("1000000000001", .invalidValue), ("-3", .invalidValue),
            ("\"10\"", .wrongType), ("1.5", .wrongType),
        ] {
            expectError(
                code,
                "catalog.visits.max_rows_per_node",
                line: 29,
                in: "  visits:\n    max_rows_per_node: \(value)\n    columns: {a: {type: boolean}}"
            )
        }
        expectError(
            .missingKey,
            "catalog.visits.columns",
            line: 29,
            mentioning: ["columns"],
            in: "  visits:\n    max_rows_per_node: 1"
        )
        expectError(
            .invalidValue,
            "catalog.visits.columns",
            line: 30,
            mentioning: ["at least one"],
            in: "  visits:\n    max_rows_per_node: 1\n    columns: {}"
        )
        expectError(
            .wrongType,
            "catalog.visits.columns",
            line: 30,
            mentioning: ["expected a mapping of columns"],
            in: "  visits:\n    max_rows_per_node: 1\n    columns: [a, b]"
        )
    }

    // MARK: Holders

    @Test func heldByNamesTheParticipantsInFederationOrder() throws {
        let catalog = try parse("  visits:\n    max_rows_per_node: 1\n    held_by: [utility, hospital-north]\n    columns: {a: {type: boolean}}")
        let visits = try #require(catalog.dataset(named: "visits"))
        #expect(visits.heldBy == ["utility", "hospital-north"])
        #expect(visits.participants(amongNodes: ["hospital-north", "civil-affairs", "utility"]) == ["hospital-north", "utility"])
        // Without `held_by` every node holds the dataset.
        let open = try #require(try parse(Self.good).dataset(named: "visits"))
        #expect(open.heldBy == nil)
        #expect(open.participants(amongNodes: ["hospital-north", "civil-affairs"]) == ["hospital-north", "civil-affairs"])
    }

    @Test func heldByErrors() {
        func held(_ value: String) -> String {
            "  visits:\n    max_rows_per_node: 1\n    held_by: \(value)\n    columns: {a: {type: boolean}}"
        }
        expectError(.invalidValue, "catalog.visits.held_by", line: 30, mentioning: ["held by no node"], in: held("[]"))
        expectError(.wrongType, "catalog.visits.held_by", line: 30, mentioning: ["list of node names"], in: held("utility"))
        expectError(
            .duplicateValue, "catalog.visits.held_by[1]", line: 30, mentioning: ["`utility` is listed twice"],
            in: held("[utility, utility]"))
        // An analyst is a member but holds no data; a typo is no member at all.
        for stranger in ["alice", "hospital-nort"] {
            expectError(
                .invalidValue, "catalog.visits.held_by[1]", line: 30,
                mentioning: ["`\(stranger)` is not a node of this federation", "hospital-north, civil-affairs, utility"],
                in: held("[utility, \(stranger)]"))
        }
    }

    // MARK: Columns

    @Test func columnErrors() {
        let line = columnsLine
        func expect(
            _ code: ConfigError.Code,
            _ keyPath: String,
            _ column: String,
            line: Int = columnsLine,
            mentioning words: [String] = [],
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            expectError(
                code,
                "catalog.visits.columns." + keyPath,
                line: line,
                mentioning: words,
                in: catalog(columns: column),
                sourceLocation: sourceLocation
            )
        }
        // The shorthand `cost: decimal(2)` is not a column.
        expect(.wrongType, "cost", "      cost: decimal(2)", mentioning: ["expected a mapping with the keys"])
        expect(.invalidValue, "Cost", "      Cost: {type: boolean}", mentioning: ["write it in lowercase"])
        expect(.invalidValue, "_x", "      _x: {type: boolean}")
        expect(
            .missingKey,
            "cost.type",
            "      cost: {nullable: true}",
            mentioning: ["integer, decimal(s), category, boolean"]
        )
        expect(.missingKey, "cost.type", "      cost: {type: }", mentioning: ["no value"])
        expect(
            .invalidValue,
            "cost.type",
            "      cost: {type: float}",
            mentioning: ["no floating point", "`decimal(s)`"]
        )
        expect(
            .invalidValue,
            "cost.type",
            "      cost: {type: \"decimal(19)\", min: 0, max: 1}",
            mentioning: ["0 to 18"]
        )
        expect(.invalidValue, "cost.type", "      cost: {type: \"decimal(-1)\", min: 0, max: 1}")
        expect(.invalidValue, "cost.type", "      cost: {type: decimal, min: 0, max: 1}")
        expect(.invalidValue, "cost.type", "      cost: {type: Integer, min: 0, max: 1}")
        expect(
            .unknownKey,
            "cost.nulable",
            "      cost: {type: boolean, nulable: true}",
            mentioning: ["did you mean `nullable`?"]
        )
        expect(.wrongType, "cost.nullable", "      cost: {type: boolean, nullable: 1}", mentioning: ["true or false"])
        expect(.wrongType, "cost.nullable", "      cost: {type: boolean, nullable: \"true\"}")
        // A column written over several lines: the error is on the offending value's line.
        expect(
            .invalidValue,
            "cost.max",
            "      cost:\n        type: decimal(2)\n        min: 0\n        max: 1.234",
            line: line + 3,
            mentioning: ["more decimals", "never rounded"]
        )
        expect(
            .missingKey,
            "cost.min",
            "      cost:\n        type: decimal(2)\n        max: 1",
            line: line + 1,
            mentioning: ["the required key `min` is missing"]
        )
    }

    @Test func boundErrors() {
        func expect(
            _ code: ConfigError.Code,
            _ key: String,
            _ column: String,
            mentioning words: [String] = [],
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            expectError(
                code,
                "catalog.visits.columns.cost." + key,
                line: columnsLine,
                mentioning: words,
                in: catalog(columns: "      cost: " + column),
                sourceLocation: sourceLocation
            )
        }
        expect(.missingKey, "min", "{type: integer, max: 1}", mentioning: ["smallest value"])
        expect(.missingKey, "max", "{type: \"decimal(2)\", min: 1}", mentioning: ["largest value"])
        expect(.missingKey, "max", "{type: integer, min: 1, max: ~}")
        expect(.invalidValue, "min", "{type: integer, min: abc, max: 1}", mentioning: ["not a plain decimal number"])
        expect(.invalidValue, "max", "{type: integer, min: 0, max: 1e3}", mentioning: ["no exponent"])
        expect(.invalidValue, "max", "{type: integer, min: 0, max: 0x10}")
        expect(.invalidValue, "max", "{type: integer, min: 0, max: 1_000}")
        expect(.invalidValue, "max", "{type: integer, min: 0, max: .5}")
        expect(.invalidValue, "max", "{type: integer, min: 0, max: \"5.\"}")
        expect(.invalidValue, "max", "{type: integer, min: 0, max: \" 5\"}")
        expect(.invalidValue, "max", "{type: integer, min: 0, max: true}")
        expect(.wrongType, "max", "{type: integer, min: 0, max: [1]}")
        expect(.invalidValue, "max", "{type: integer, min: 0, max: 1.5}", mentioning: ["no decimals"])
        expect(.invalidValue, "max", "{type: \"decimal(2)\", min: 0, max: 0.001}", mentioning: ["at most 2 decimals"])
        // Scaled by 10^2, 92233720368547758.08 is 2^63: one too many.
        expect(
            .invalidValue,
            "max",
            "{type: \"decimal(2)\", min: 0, max: 92233720368547758.08}",
            mentioning: ["too large", "92233720368547758.07"]
        )
        expect(
            .invalidValue,
            "min",
            "{type: \"decimal(2)\", min: -92233720368547758.08, max: 0}",
            mentioning: ["too large"]
        )
        expect(.invalidValue, "max", "{type: integer, min: 0, max: 99999999999999999999999}")
        expect(.invalidValue, "max", "{type: integer, min: 5, max: 4}", mentioning: ["less than `min`"])
        expect(.invalidValue, "max", "{type: \"decimal(1)\", min: 0.2, max: 0.1}")
        expect(.forbiddenKey, "values", "{type: integer, min: 0, max: 1, values: [a]}", mentioning: ["only a category"])
        expect(.forbiddenKey, "values", "{type: \"decimal(2)\", min: 0, max: 1, values: [a]}")
        expect(.forbiddenKey, "min", "{type: category, values: [a], min: 0}", mentioning: ["not bounds"])
        expect(.forbiddenKey, "max", "{type: category, values: [a], max: 0}")
        expect(.forbiddenKey, "min", "{type: boolean, min: 0}", mentioning: ["no bounds"])
        expect(.forbiddenKey, "values", "{type: boolean, values: [a]}")
    }

    @Test func categoryValueErrors() {
        func expect(
            _ code: ConfigError.Code,
            _ key: String,
            _ column: String,
            line: Int = columnsLine,
            mentioning words: [String] = [],
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            expectError(
                code,
                "catalog.visits.columns.district" + key,
                line: line,
                mentioning: words,
                in: catalog(columns: "      district:" + column),
                sourceLocation: sourceLocation
            )
        }
        expect(.missingKey, ".values", " {type: category}", mentioning: ["the list of the category's values"])
        expect(.invalidValue, ".values", " {type: category, values: []}", mentioning: ["at least one value"])
        expect(.wrongType, ".values", " {type: category, values: north}", mentioning: ["expected a list"])
        expect(.invalidValue, ".values[1]", " {type: category, values: [north, \"\"]}", mentioning: ["cannot be empty"])
        expect(.missingKey, ".values[1]", " {type: category, values: [north, ~]}")
        expect(.wrongType, ".values[0]", " {type: category, values: [[north]]}")
        expect(
            .duplicateValue,
            ".values[2]",
            "\n        type: category\n        values:\n          - north\n          - south\n          - north",
            line: columnsLine + 5,
            mentioning: ["values[0]`"]
        )
    }

    // MARK: Decimal text

    @Test func decimalTextIsExact() throws {
        #expect(try DecimalTextProbe.parse("12.34", scale: 2) == 1234)
        #expect(try DecimalTextProbe.parse("-0.5", scale: 3) == -500)
        #expect(try DecimalTextProbe.parse("+7", scale: 0) == 7)
        #expect(try DecimalTextProbe.parse("9223372036854775807", scale: 0) == Int64.max)
        #expect(try DecimalTextProbe.parse("0.000000000000000001", scale: 18) == 1)
    }
}

/// Parses bounds through the catalog reader, as a column of `decimal(scale)`.
private enum DecimalTextProbe {
    static func parse(_ text: String, scale: Int) throws -> Int64 {
        let type = scale == 0 ? "integer" : "\"decimal(\(scale))\""
        let catalog = try FederationConfig.parse(
            yaml: federation(catalog: catalog(columns: "      x: {type: \(type), min: \"\(text)\", max: \"\(text)\"}")),
            file: "f.yaml"
        ).parsedCatalog()
        return catalog.datasets[0].columns[1].type.numeric!.min
    }
}

@Suite("node.yaml datasets")
struct SourceMappingTests {
    let file = Sample.nodeFile

    /// node.yaml whose `datasets:` is on line 8, followed by `lines`.
    func node(datasets lines: String) -> String {
        """
        name: hospital-north
        listen: 0.0.0.0:7001
        federation: ../federation.yaml
        tls:
          certificate: tls.pem
          key: tls.key
        masking_key: masking.key
        datasets:
        \(lines)

        """
    }

    func sources(_ lines: String) throws -> [DatasetSource] {
        try NodeConfig.parse(yaml: node(datasets: lines), file: file).parsedDatasetSources()
    }

    func expectError(
        _ code: ConfigError.Code,
        _ keyPath: String,
        line: Int,
        mentioning words: [String] = [],
        in lines: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        expectConfigError(
            code,
            file: file,
            keyPath: keyPath,
            line: line,
            mentioning: words,
            sourceLocation: sourceLocation
        ) {
            _ = try sources(lines)
        }
    }

    @Test func readsCSVAndSQLiteSourcesWithPathsResolvedNextToTheFile() throws {
        let found = try sources(
            """
              visits: {csv: data/visits.csv}
              payments: {sqlite: ../shared/payments.sqlite, table: payments_2024}
              people:
                sqlite: /srv/people.db
                table: "everyone \\"active\\""
            """
        )
        #expect(
            found == [
                DatasetSource(dataset: "visits", kind: .csv(path: "/etc/fedstat/hospital-north/data/visits.csv")),
                DatasetSource(
                    dataset: "payments",
                    kind: .sqlite(path: "/etc/fedstat/shared/payments.sqlite", table: "payments_2024")
                ),
                DatasetSource(dataset: "people", kind: .sqlite(path: "/srv/people.db", table: "everyone \"active\"")),
            ]
        )
        #expect(found[0].path == "/etc/fedstat/hospital-north/data/visits.csv")
    }

    @Test func noDatasetsIsAnEmptyList() throws {
        #expect(try sources("").isEmpty)
        #expect(try sources("  {}").isEmpty)
        #expect(
            try NodeConfig.parse(yaml: node(datasets: "").replacingOccurrences(of: "datasets:\n", with: ""), file: file)
                .parsedDatasetSources().isEmpty
        )
    }

    @Test func mappingErrors() {
        expectError(
            .forbiddenKey,
            "datasets.visits.sqlite",
            line: 9,
            mentioning: ["both"],
            in: "  visits: {csv: a.csv, sqlite: a.db, table: t}"
        )
        expectError(
            .missingKey,
            "datasets.visits",
            line: 9,
            mentioning: ["needs a source"],
            in: "  visits: {table: t}"
        )
        expectError(
            .missingKey,
            "datasets.visits.table",
            line: 9,
            mentioning: ["table or view"],
            in: "  visits: {sqlite: a.db}"
        )
        expectError(
            .missingKey,
            "datasets.visits.table",
            line: 11,
            in: "  visits:\n    sqlite: a.db\n    table:"
        )
        expectError(
            .forbiddenKey,
            "datasets.visits.table",
            line: 11,
            mentioning: ["only for an SQLite source"],
            in: "  visits:\n    csv: a.csv\n    table: t"
        )
        expectError(
            .unknownKey,
            "datasets.visits.tabel",
            line: 11,
            mentioning: ["did you mean `table`?"],
            in: "  visits:\n    sqlite: a.db\n    tabel: t"
        )
        expectError(
            .missingKey,
            "datasets.visits.csv",
            line: 10,
            in: "  visits:\n    csv:"
        )
        expectError(
            .invalidValue,
            "datasets.visits.csv",
            line: 10,
            mentioning: ["empty"],
            in: "  visits:\n    csv: \"\""
        )
        expectError(
            .invalidValue,
            "datasets.visits.table",
            line: 11,
            in: "  visits:\n    sqlite: a.db\n    table: \"\""
        )
        expectError(
            .wrongType,
            "datasets.visits.csv",
            line: 9,
            in: "  visits: {csv: [a.csv]}"
        )
        expectError(
            .wrongType,
            "datasets.visits",
            line: 9,
            in: "  visits: data/visits.csv"
        )
        expectError(
            .invalidValue,
            "datasets.Visits",
            line: 9,
            mentioning: ["lowercase"],
            in: "  Visits: {csv: a.csv}"
        )
    }

    @Test func everyMappedDatasetMustBeInTheCatalog() throws {
        let config = try NodeConfig.parse(
            yaml: node(datasets: "  visits: {csv: v.csv}\n  payments: {csv: p.csv}"),
            file: file
        )
        let visits = Dataset(
            name: "visits",
            columns: [Column(name: "a", type: .boolean, nullable: false)],
            maxRowsPerNode: 1
        )
        let payments = Dataset(
            name: "payments",
            columns: [Column(name: "a", type: .boolean, nullable: false)],
            maxRowsPerNode: 1
        )
        let extra = Dataset(
            name: "extra",
            columns: [Column(name: "a", type: .boolean, nullable: false)],
            maxRowsPerNode: 1
        )
        let found = try config.validateDatasets(against: Catalog(datasets: [visits, extra, payments]))
        #expect(found.map(\.dataset) == ["visits", "payments"])
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "datasets.payments",
            line: 10,
            column: 3,
            mentioning: ["`payments` is not a dataset of the federation's catalog", "`visits`, `extra`"]
        ) {
            try config.validateDatasets(against: Catalog(datasets: [visits, extra]))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "datasets.visits", line: 9, mentioning: ["no datasets"]) {
            try config.validateDatasets(against: Catalog(datasets: []))
        }
        // A dataset the catalog says other nodes hold: this node's rows would never be read.
        var elsewhere = payments
        elsewhere.heldBy = ["civil-affairs", "utility"]
        expectConfigError(
            .invalidValue, file: file, keyPath: "datasets.payments", line: 10,
            mentioning: ["held by civil-affairs, utility, not by this node (hospital-north)"]
        ) {
            try config.validateDatasets(against: Catalog(datasets: [visits, elsewhere]))
        }
        elsewhere.heldBy = ["utility", "hospital-north"]
        #expect(try config.validateDatasets(against: Catalog(datasets: [visits, elsewhere])).count == 2)
    }
}
