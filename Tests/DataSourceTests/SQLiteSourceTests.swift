import Config
import Foundation
import GRDB
import Query
import TestSupport
import Testing

@testable import DataSources

@Suite("SQLite sources")
struct SQLiteSourceTests {
    let directory: TemporaryDirectory
    let file: String

    init() throws {
        directory = try TemporaryDirectory()
        file = directory.path("visits.sqlite")
    }

    /// Creates the test database by running `sql`.
    func create(_ sql: String) throws {
        let queue = try DatabaseQueue(path: file)
        try queue.write { db in try db.execute(sql: sql) }
        try queue.close()
    }

    func rows(
        table: String = "visits",
        dataset: Dataset = Fixture.visits,
        columns: [String] = Fixture.allColumns
    ) throws -> [[Cell]] {
        var source = try SQLiteSource(dataset: dataset, columns: columns, file: file, table: table)
        return try readAll(&source)
    }

    @discardableResult
    func expectError(
        _ code: DataError.Code,
        at location: DataError.Location,
        column: String?,
        table: String = "visits",
        dataset: Dataset = Fixture.visits,
        columns: [String] = Fixture.allColumns,
        mentioning words: [String] = [],
        notMentioning secrets: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> DataError? {
        expectDataError(
            code,
            file: file,
            at: location,
            column: column,
            mentioning: words,
            notMentioning: secrets,
            sourceLocation: sourceLocation
        ) {
            var source = try SQLiteSource(dataset: dataset, columns: columns, file: file, table: table)
            _ = try readAll(&source)
        }
    }

    static let table = "CREATE TABLE visits (district TEXT, age INTEGER, cost NUMERIC, insured BOOLEAN, notes TEXT);"

    // MARK: Reading

    @Test func decodesEveryStorageClassExactly() throws {
        // Columns without a declared type have no affinity that would convert values,
        // so each value keeps the storage class it is inserted with.
        try create(
            """
            CREATE TABLE visits (district, age, cost, insured, notes);
            INSERT INTO visits VALUES ('north', 0, 0, 1, 'x');
            INSERT INTO visits VALUES ('south', 120, 250000, 0, NULL);
            INSERT INTO visits VALUES ('east', '+7', '12.3', 'TRUE', NULL);
            INSERT INTO visits VALUES ('北区', '007', '-0', 'f', NULL);
            INSERT INTO visits VALUES ('north', 1, 12.34, 't', NULL);
            INSERT INTO visits VALUES ('south', 2, 0.05, '0', NULL);
            INSERT INTO visits VALUES ('east', 3, NULL, NULL, NULL);
            INSERT INTO visits VALUES ('east', 4.0, 5.0, 'False', NULL);
            INSERT INTO visits VALUES ('east', 5, 1e3, '1', NULL);
            INSERT INTO visits VALUES ('east', 6, 0.1, 'false', NULL);
            """
        )
        #expect(
            try rows() == [
                [0, 0, 0, 1],
                [1, 120, 25_000_000, 0],
                [2, 7, 1230, 1],
                [3, 7, 0, 0],
                [0, 1, 1234, 1],
                [1, 2, 5, 0],
                [2, 3, nil, nil],
                [2, 4, 500, 0],
                [2, 5, 100_000, 1],
                [2, 6, 10, 0],
            ]
        )
    }

    @Test func namesMatchWithoutRegardToCaseAndColumnsAreProjected() throws {
        try create(
            """
            CREATE TABLE "Visits 2024" (ID INTEGER PRIMARY KEY, District TEXT, AGE INTEGER, Cost REAL, extra BLOB);
            INSERT INTO "Visits 2024" VALUES (10, 'north', 30, 1.5, x'00');
            INSERT INTO "Visits 2024" VALUES (20, 'east', 40, NULL, x'01');
            """
        )
        #expect(try rows(table: "visits 2024", columns: ["cost", "district"]) == [[150, 0], [nil, 2]])
        #expect(try rows(table: "VISITS 2024", columns: ["Age"]) == [[30], [40]])
        #expect(try rows(table: "Visits 2024", columns: []) == [[], []])
    }

    @Test func aViewIsReadLikeATable() throws {
        try create(
            Self.table
                + """
                INSERT INTO visits VALUES ('north', 1, 1.25, 1, NULL), ('south', 2, 2.5, 0, NULL), ('east', 300, 3, 1, NULL);
                CREATE VIEW adults AS SELECT district, age, cost * 2 AS cost, insured FROM visits ORDER BY age;
                """
        )
        #expect(try rows(table: "adults", columns: ["cost", "district"]) == [[250, 0], [500, 1], [600, 2]])
        // A view has no rowid: its rows are counted from 1.
        expectError(
            .outOfBounds,
            at: .rowid(3),
            column: "age",
            table: "adults",
            mentioning: ["row 3 of view `adults`", "no rowid"],
            notMentioning: ["300"]
        )
    }

    // MARK: Rowids

    @Test func errorsNameTheRowid() throws {
        try create(
            """
            CREATE TABLE visits (id INTEGER PRIMARY KEY, district TEXT, age INTEGER, cost REAL, insured INTEGER);
            INSERT INTO visits VALUES (7, 'north', 1, NULL, NULL), (42, 'south', 121, NULL, NULL);
            """
        )
        let error = expectError(.outOfBounds, at: .rowid(42), column: "age", notMentioning: ["121"])
        #expect(error?.message.contains("no rowid") == false)
    }

    @Test func aColumnNamedRowidDoesNotHideTheRowid() throws {
        try create(
            """
            CREATE TABLE visits (rowid TEXT, district TEXT, age INTEGER, cost REAL, insured INTEGER);
            INSERT INTO visits (_rowid_, rowid, district, age) VALUES (5, 'five', 'north', 1), (9, 'nine', 'west', 1);
            """
        )
        expectError(.unknownCategory, at: .rowid(9), column: "district", notMentioning: ["west"])
    }

    @Test func aTableWithoutRowidCountsRows() throws {
        try create(
            """
            CREATE TABLE visits (district TEXT, age INTEGER PRIMARY KEY, cost REAL, insured INTEGER) WITHOUT ROWID;
            INSERT INTO visits VALUES ('north', 1, NULL, NULL), ('south', 2, 1.001, NULL);
            """
        )
        expectError(.wrongType, at: .rowid(2), column: "cost", mentioning: ["row 2 of table `visits`", "no rowid"])
    }

    // MARK: Value errors

    @Test func valueErrorsByStorageClass() throws {
        func expect(
            _ code: DataError.Code,
            _ column: String,
            _ values: String,
            mentioning words: [String] = [],
            notMentioning secrets: [String] = [],
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            try? FileManager.default.removeItem(atPath: file)
            try create(
                """
                CREATE TABLE visits (district, age, cost, insured);
                INSERT INTO visits (rowid, district, age, cost, insured) VALUES (1, 'north', 1, 1, 1);
                INSERT INTO visits (rowid, district, age, cost, insured) VALUES (3, \(values));
                INSERT INTO visits (rowid, district, age, cost, insured) VALUES (4, 'north', 1, 1, 1);
                """
            )
            expectError(
                code,
                at: .rowid(3),
                column: column,
                mentioning: words,
                notMentioning: secrets,
                sourceLocation: sourceLocation
            )
        }
        // A REAL is read through its shortest decimal text and never rounded.
        try expect(
            .wrongType,
            "cost",
            "'north', 1, 12.345, 1",
            mentioning: ["REAL with more than 2 decimals", "never rounded"],
            notMentioning: ["12.345"]
        )
        try expect(.wrongType, "cost", "'north', 1, 0.1 + 0.2, 1", mentioning: ["REAL"], notMentioning: ["0.3"])
        try expect(
            .wrongType,
            "cost",
            "'north', 1, '12.345', 1",
            mentioning: ["more than 2 decimals"],
            notMentioning: ["12.345"]
        )
        try expect(.wrongType, "cost", "'north', 1, '', 1", mentioning: ["not a decimal"])
        try expect(.wrongType, "cost", "'north', 1, '12.00x', 1", notMentioning: ["12.00"])
        // TEXT is read to its last byte: a NUL does not end it.
        try expect(.wrongType, "cost", "'north', 1, CAST('12' || char(0) || 'x' AS TEXT), 1")
        try expect(.wrongType, "cost", "'north', 1, x'3132', 1", mentioning: ["BLOB"])
        try expect(.wrongType, "age", "'north', 1.5, 1, 1", mentioning: ["REAL that is not a whole number"])
        try expect(.wrongType, "age", "'north', '1.0', 1, 1", mentioning: ["not an integer"])
        try expect(.wrongType, "insured", "'north', 1, 1, 2", mentioning: ["INTEGER other than 0 or 1"])
        try expect(.wrongType, "insured", "'north', 1, 1, 1.0", mentioning: ["REAL", "INTEGER 0/1 or TEXT"])
        try expect(.wrongType, "insured", "'north', 1, 1, 'yes'", mentioning: ["true/false"])
        try expect(.wrongType, "district", "0, 1, 1, 1", mentioning: ["INTEGER", "stored as TEXT"])
        try expect(.wrongType, "district", "x'6e6f727468', 1, 1, 1", mentioning: ["BLOB"])
        try expect(.unknownCategory, "district", "'North', 1, 1, 1", notMentioning: ["North"])
        try expect(.unknownCategory, "district", "'', 1, 1, 1")
        try expect(.unknownCategory, "district", "CAST('north' || char(0) || 'x' AS TEXT), 1, 1, 1")
        try expect(.outOfBounds, "age", "'north', 121, 1, 1", mentioning: ["0 … 120"], notMentioning: ["121"])
        try expect(.outOfBounds, "age", "'north', '-1', 1, 1")
        try expect(.outOfBounds, "cost", "'north', 1, 250000.01, 1", notMentioning: ["250000.01"])
        // Scaling by 10^2 would overflow 64 bits.
        try expect(.outOfBounds, "cost", "'north', 1, 100000000000000000, 1")
        try expect(.outOfBounds, "cost", "'north', 1, 1e300, 1")
        try expect(.unexpectedNull, "district", "NULL, 1, 1, 1", mentioning: ["NULL", "not nullable"])
        try expect(.unexpectedNull, "age", "'north', NULL, 1, 1")
    }

    @Test func tooManyRows() throws {
        try create(
            Self.table
                + "INSERT INTO visits (rowid, district, age) VALUES (1, 'north', 1), (2, 'north', 2), (8, 'north', 3);"
        )
        #expect(try rows(dataset: Fixture.visits(maxRows: 3), columns: ["age"]) == [[1], [2], [3]])
        expectDataError(
            .tooManyRows,
            file: file,
            at: .rowid(8),
            column: nil,
            mentioning: ["more than 2 rows", "max_rows_per_node"]
        ) {
            var source = try SQLiteSource(
                dataset: Fixture.visits(maxRows: 2),
                columns: ["age"],
                file: file,
                table: "visits"
            )
            var cells: [Cell] = []
            #expect(try source.next(into: &cells) && cells == [1])
            #expect(try source.next(into: &cells) && cells == [2])
            _ = try source.next(into: &cells)
        }
    }

    // MARK: Shape and access errors

    @Test func aMissingTableOrColumnIsAShapeError() throws {
        try create(Self.table + "CREATE TABLE other (a); CREATE VIEW summary AS SELECT 1 AS one;")
        expectError(
            .shape,
            at: .source,
            column: nil,
            table: "visit",
            mentioning: ["no table or view `visit`", "`other`, `summary`, `visits`"]
        )
        expectError(
            .shape,
            at: .source,
            column: "age",
            table: "summary",
            columns: ["age"],
            mentioning: ["view `summary` has no column `age`", "`one`"]
        )
        try? FileManager.default.removeItem(atPath: file)
        try create("CREATE TABLE visits (district TEXT, age INTEGER, insured INTEGER);")
        expectError(.shape, at: .source, column: "cost", mentioning: ["table `visits` has no column `cost`"])
        try? FileManager.default.removeItem(atPath: file)
        try create("PRAGMA user_version = 1;")
        expectError(.shape, at: .source, column: nil, mentioning: ["has no tables or views"])
    }

    @Test func aMissingFileIsNotCreated() throws {
        let missing = directory.path("missing.sqlite")
        expectDataError(.unreadable, file: missing, at: .source, column: nil, mentioning: ["cannot open"]) {
            _ = try SQLiteSource(dataset: Fixture.visits, columns: Fixture.allColumns, file: missing, table: "visits")
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func aFileThatIsNotADatabaseIsUnreadable() throws {
        try directory.write(String(repeating: "district,age\nnorth,1\n", count: 100), to: "visits.sqlite")
        expectError(.unreadable, at: .source, column: nil, mentioning: ["not a database"])
        expectDataError(.unreadable, file: directory.path, at: .source, column: nil) {
            _ = try SQLiteSource(
                dataset: Fixture.visits,
                columns: Fixture.allColumns,
                file: directory.path,
                table: "visits"
            )
        }
    }

    @Test func readingNeitherChangesNorJournalsTheFile() throws {
        try create(Self.table + "INSERT INTO visits VALUES ('north', 1, 1.5, 1, NULL), ('south', 2, 2, 0, 'n');")
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        let modified = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
        // Read-only: even a write-protected file is read.
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: file)
        #expect(try rows().count == 2)
        #expect(
            try checkSource(
                DatasetSource(dataset: "visits", kind: .sqlite(path: file, table: "visits")),
                dataset: Fixture.visits
            ) == 2
        )
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date == modified)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["visits.sqlite"])
    }

    // MARK: Batches and the reading thread

    @Test func manyRowsCrossBatchesAndAnErrorComesAfterTheRowsBeforeIt() throws {
        let queue = try DatabaseQueue(path: file)
        try queue.write { db in
            try db.execute(sql: Self.table)
            for index in 1...5000 {
                let age = index == 3500 ? 500 : index % 121
                try db.execute(
                    sql: "INSERT INTO visits (rowid, district, age, cost, insured) VALUES (?, ?, ?, ?, ?)",
                    arguments: [
                        index * 2, ["north", "south", "east", "北区"][index % 4], age, Double(index) / 4, index % 2,
                    ]
                )
            }
        }
        try queue.close()
        var source = try SQLiteSource(
            dataset: Fixture.visits,
            columns: ["age", "cost", "district"],
            file: file,
            table: "visits"
        )
        var cells: [Cell] = []
        for index in 1..<3500 {
            #expect(try source.next(into: &cells))
            #expect(cells == [Int64(index % 121), Int64(index) * 25, Int64(index % 4)])
        }
        expectDataError(.outOfBounds, file: file, at: .rowid(7000), column: "age") {
            _ = try source.next(into: &cells)
        }
        // After an error the source has ended.
        #expect(try !source.next(into: &cells))
    }

    @Test func droppingASourceMidWayStopsItsThread() throws {
        let queue = try DatabaseQueue(path: file)
        try queue.write { db in
            try db.execute(sql: Self.table)
            for index in 1...5000 {
                try db.execute(sql: "INSERT INTO visits (district, age) VALUES ('north', ?)", arguments: [index % 100])
            }
        }
        try queue.close()
        for _ in 0..<20 {
            var source = try SQLiteSource(dataset: Fixture.visits, columns: ["age"], file: file, table: "visits")
            var cells: [Cell] = []
            #expect(try source.next(into: &cells) && cells == [1])
        }
        // A source that is never read starts no thread and holds nothing open for long.
        for _ in 0..<20 {
            _ = try SQLiteSource(dataset: Fixture.visits, columns: ["age"], file: file, table: "visits")
        }
        #expect(try rows(columns: ["age"]).count == 5000)
    }
}
