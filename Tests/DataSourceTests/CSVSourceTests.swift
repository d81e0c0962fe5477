import Config
import Foundation
import Query
import TestSupport
import Testing

@testable import DataSources

@Suite("CSV sources")
struct CSVSourceTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    func rows(
        _ text: String,
        dataset: Dataset = Fixture.visits,
        columns: [String] = Fixture.allColumns,
        chunkSize: Int = CSVSource.defaultChunkSize
    ) throws -> [[Cell]] {
        let file = try directory.write(text, to: "visits.csv")
        var source = try CSVSource(
            dataset: dataset,
            columns: columns,
            file: file,
            chunkSize: chunkSize,
            maximumRecordBytes: CSVSource.defaultMaximumRecordBytes
        )
        return try readAll(&source)
    }

    /// Expects reading `text` (written as visits.csv) to fail at `line`.
    @discardableResult
    func expectError(
        _ code: DataError.Code,
        line: Int?,
        column: String?,
        in text: String,
        dataset: Dataset = Fixture.visits,
        columns: [String] = Fixture.allColumns,
        mentioning words: [String] = [],
        notMentioning secrets: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> DataError? {
        let file = try directory.write(text, to: "visits.csv")
        return expectDataError(
            code,
            file: file,
            at: line.map { .line($0) } ?? .source,
            column: column,
            mentioning: words,
            notMentioning: secrets,
            sourceLocation: sourceLocation
        ) {
            var source = try CSVSource(dataset: dataset, columns: columns, file: file)
            _ = try readAll(&source)
        }
    }

    // MARK: Reading

    @Test func decodesEveryTypeExactly() throws {
        let found = try rows(
            """
            district,age,cost,insured
            north,0,0,true
            south,120,250000.00,FALSE
            east,+7,12.3,t
            北区,007,-0,F
            north,1,12.34,1
            south,2,0.05,0

            """
        )
        #expect(
            found == [
                [0, 0, 0, 1],
                [1, 120, 25_000_000, 0],
                [2, 7, 1230, 1],
                [3, 7, 0, 0],
                [0, 1, 1234, 1],
                [1, 2, 5, 0],
            ]
        )
    }

    @Test func emptyCellsAreNullQuotedOrNot() throws {
        let found = try rows("district,age,cost,insured\nnorth,5,,\nsouth,6,\"\",\"\"\neast,7,\"1.50\",\"true\"")
        #expect(found == [[0, 5, nil, nil], [1, 6, nil, nil], [2, 7, 150, 1]])
    }

    @Test func projectsColumnsInTheAskedOrderAndIgnoresExtraHeaderColumns() throws {
        let text = """
            patient_name, cost ,ignored,district,age,insured,notes
            "Smith, J.",1.00,x,north,30,,"said ""hi""
            and left"
            Doe,2.50,y,east,40,t,

            """
        #expect(try rows(text, columns: ["cost", "district"]) == [[100, 0], [250, 2]])
        // Catalog names are matched without regard to case, as in SQL.
        #expect(try rows(text, columns: ["AGE"]) == [[30], [40]])
        #expect(try rows(text, columns: ["age", "age"]) == [[30, 30], [40, 40]])
        #expect(try rows(text, columns: []) == [[], []])
    }

    @Test func aHeaderWiderThanTheFieldsReservedIsReadAgain() throws {
        let extra = (1...40).map { "extra\($0)" }
        let header = (extra + ["age", "district"]).joined(separator: ",")
        let row = (extra.map { _ in "x" } + ["33", "east"]).joined(separator: ",")
        #expect(try rows(header + "\n" + row + "\n" + row, columns: ["district", "age"]) == [[2, 33], [2, 33]])
        try expectError(.shape, line: 3, column: nil, in: header + "\n" + row + "\n" + row + ",x\n", columns: ["age"])
    }

    @Test func quotedFieldsHoldCommasQuotesAndLineEnds() throws {
        let dataset = Dataset(
            name: "visits",
            columns: [
                Column(
                    name: "label",
                    type: .category(["a,b", "say \"hi\"", "two\nlines", "crlf\r\nend", " padded "]),
                    nullable: false
                ),
                Column(name: "n", type: .integer(min: 0, max: 100), nullable: false),
            ],
            maxRowsPerNode: 100
        )
        let text = "label,n\n\"a,b\",1\n\"say \"\"hi\"\"\",2\n\"two\nlines\",3\n\"crlf\r\nend\",4\n\" padded \",\"5\"\n"
        #expect(
            try rows(text, dataset: dataset, columns: ["label", "n"]) == [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]
        )
        // Line numbers count the line ends inside quoted fields: header 1, "a,b" 2,
        // "say" 3, "two" 4–5, "crlf" 6–7, "padded" 8, so the next record is on line 9.
        let bad = text + "\" padded \",101\n"
        try expectError(.outOfBounds, line: 9, column: "n", in: bad, dataset: dataset, columns: ["label", "n"])
        // A field's own line ends are reported at the line the record starts on.
        let badMultiLine = text + "\"two\nlines\",xx\n"
        try expectError(.wrongType, line: 9, column: "n", in: badMultiLine, dataset: dataset, columns: ["label", "n"])
    }

    @Test func crlfLineEndsByteOrderMarkAndNoFinalLineEnd() throws {
        let lines = ["district,age,cost,insured", "north,1,1.00,true", "south,2,,false", "east,3,3.5,"]
        let expected: [[Cell]] = [[0, 1, 100, 1], [1, 2, nil, 0], [2, 3, 350, nil]]
        #expect(try rows(lines.joined(separator: "\r\n") + "\r\n") == expected)
        #expect(try rows(lines.joined(separator: "\r\n")) == expected)
        #expect(try rows(lines.joined(separator: "\n")) == expected)
        #expect(try rows("\u{FEFF}" + lines.joined(separator: "\r\n")) == expected)
        // Line numbers with CRLF and a BOM: the header is still line 1.
        let bad = "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\nnorth,x,1,true\r\n"
        try expectError(.wrongType, line: 5, column: "age", in: bad)
    }

    @Test func aHeaderOnlyFileHasNoRows() throws {
        #expect(try rows("district,age,cost,insured\n").isEmpty)
        #expect(try rows("district,age,cost,insured").isEmpty)
    }

    // MARK: Value errors

    @Test func valueErrorsNameLineAndColumnButNotTheValue() throws {
        let header = "district,age,cost,insured\nnorth,1,1.00,true\n"
        func expect(
            _ code: DataError.Code,
            _ column: String,
            _ row: String,
            mentioning words: [String] = [],
            secret: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            try expectError(
                code,
                line: 3,
                column: column,
                in: header + row + "\nsouth,2,2.00,false\n",
                mentioning: words,
                notMentioning: [secret],
                sourceLocation: sourceLocation
            )
        }
        try expect(.wrongType, "age", "north,12a,1.00,true", mentioning: ["not an integer"], secret: "12a")
        try expect(.wrongType, "age", "north,45.0,1.00,true", mentioning: ["not an integer"], secret: "45.0")
        try expect(.wrongType, "age", "north, 45,1.00,true", secret: " 45")
        try expect(.wrongType, "age", "north,-,1.00,true", secret: "-,")
        try expect(
            .wrongType,
            "cost",
            "north,1,1234.567,true",
            mentioning: ["more than 2 decimals", "never rounded"],
            secret: "1234.567"
        )
        try expect(
            .wrongType,
            "cost",
            "north,1,1e3,true",
            mentioning: ["not a decimal with at most 2 decimals"],
            secret: "1e3"
        )
        try expect(.wrongType, "cost", "north,1,.75,true", secret: ".75")
        try expect(.wrongType, "cost", "north,1,5.,true", secret: "5.")
        try expect(.wrongType, "cost", "north,1,\"1,234.00\",true", secret: "1,234")
        try expect(.wrongType, "insured", "north,1,1.00,yes", mentioning: ["true/false, t/f or 1/0"], secret: "yes")
        try expect(.wrongType, "insured", "north,1,1.00,2", secret: "2,")
        try expect(.outOfBounds, "age", "north,121,1.00,true", mentioning: ["0 … 120"], secret: "121")
        try expect(.outOfBounds, "age", "north,-1,1.00,true", secret: "-1")
        try expect(.outOfBounds, "age", "north,99999999999999999999999,1.00,true", secret: "9999999")
        try expect(
            .outOfBounds,
            "cost",
            "north,1,250000.01,true",
            mentioning: ["0.00 … 250000.00"],
            secret: "250000.01"
        )
        try expect(.outOfBounds, "cost", "north,1,92233720368547758.08,true", secret: "92233720368547758")
        try expect(
            .unknownCategory,
            "district",
            "North,1,1.00,true",
            mentioning: ["north, south, east, 北区"],
            secret: "North,"
        )
        try expect(.unknownCategory, "district", "north ,1,1.00,true", secret: "north ,")
        try expect(.unexpectedNull, "district", ",1,1.00,true", mentioning: ["not nullable"], secret: "1.00")
        try expect(.unexpectedNull, "age", "north,\"\",1.00,true", secret: "1.00")
    }

    @Test func tooManyRows() throws {
        let text = "district,age,cost,insured\nnorth,1,,\nnorth,2,,\nnorth,3,,\n"
        let file = try directory.write(text, to: "visits.csv")
        var two = try CSVSource(dataset: Fixture.visits(maxRows: 3), columns: ["age"], file: file)
        #expect(try readAll(&two) == [[1], [2], [3]])
        expectDataError(
            .tooManyRows,
            file: file,
            at: .line(4),
            column: nil,
            mentioning: ["more than 2 rows", "max_rows_per_node"]
        ) {
            var source = try CSVSource(dataset: Fixture.visits(maxRows: 2), columns: ["age"], file: file)
            var cells: [Cell] = []
            #expect(try source.next(into: &cells) && cells == [1])
            #expect(try source.next(into: &cells) && cells == [2])
            _ = try source.next(into: &cells)
        }
    }

    // MARK: Shape errors

    @Test func shapeErrors() throws {
        try expectError(
            .shape,
            line: 1,
            column: "cost",
            in: "district,age,insured\nnorth,1,true\n",
            mentioning: ["no column `cost`", "`district`, `age`, `insured`"]
        )
        // Header names are matched exactly (after trimming): `Cost` is not `cost`.
        try expectError(.shape, line: 1, column: "cost", in: "district,age,Cost,insured\n")
        try expectError(
            .shape,
            line: 1,
            column: "age",
            in: "district,age,cost,age,insured\n",
            mentioning: ["twice (fields 2 and 4)"]
        )
        // Even a repeated column the federation does not read is an error.
        try expectError(.shape, line: 1, column: "notes", in: "district,age,cost,insured,notes, notes\n")
        try expectError(
            .shape,
            line: 3,
            column: nil,
            in: "district,age,cost,insured\nnorth,1,,\nnorth,1,,,\n",
            mentioning: ["5 fields", "header has 4"]
        )
        try expectError(.shape, line: 3, column: nil, in: "district,age,cost,insured\nnorth,1,,\nnorth,1\n")
        try expectError(
            .shape,
            line: 3,
            column: nil,
            in: "district,age,cost,insured\nnorth,1,,\n\nnorth,1,,\n",
            mentioning: ["empty"]
        )
        try expectError(.shape, line: nil, column: nil, in: "", mentioning: ["empty", "header"])
        try expectError(.shape, line: nil, column: nil, in: "\u{FEFF}", mentioning: ["empty"])
        try expectError(
            .shape,
            line: nil,
            column: "weight",
            in: "district\n",
            columns: ["weight"],
            mentioning: ["no column `weight` in the catalog"]
        )
    }

    @Test func aMissingFileOrADirectoryIsUnreadable() throws {
        let missing = directory.path("missing.csv")
        expectDataError(.unreadable, file: missing, at: .source, column: nil, mentioning: ["No such file"]) {
            _ = try CSVSource(dataset: Fixture.visits, columns: Fixture.allColumns, file: missing)
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        expectDataError(.unreadable, file: directory.path, at: .source, column: nil) {
            _ = try CSVSource(dataset: Fixture.visits, columns: Fixture.allColumns, file: directory.path)
        }
    }

    // MARK: Encoding errors

    @Test func encodingErrors() throws {
        let header = Array("district,age,cost,insured,notes\nnorth,1,,,\n".utf8)
        func expect(
            _ row: [UInt8],
            line: Int = 3,
            column: String?,
            mentioning words: [String] = [],
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let file = try directory.write(header + row, to: "bytes.csv")
            expectDataError(
                .encoding,
                file: file,
                at: .line(line),
                column: column,
                mentioning: words,
                sourceLocation: sourceLocation
            ) {
                var source = try CSVSource(dataset: Fixture.visits, columns: Fixture.allColumns, file: file)
                _ = try readAll(&source)
            }
        }
        try expect(Array("north,1,,,".utf8) + [0xFF] + [0x0A], column: "notes", mentioning: ["not valid UTF-8"])
        try expect([0xC0, 0x80] + Array(",1,,,\n".utf8), column: "district")  // overlong NUL
        try expect(Array("north,1,,,\"".utf8) + [0xED, 0xA0, 0x80] + Array("\"\n".utf8), column: "notes")  // surrogate
        try expect(Array("north,1,,,".utf8) + [0xE5, 0x8C], column: "notes")  // truncated at the end
        try expect(Array("north,1,,,\"never closed\nnorth,1,,,\n".utf8), column: "notes", mentioning: ["never closed"])
        try expect(Array("north,\"1\"x,,,\n".utf8), column: "age", mentioning: ["after its closing quote"])
        try expect(Array("north,\"1\"\r,,,\n".utf8), column: "age")
        let file = try directory.write([0xFF] + Array("district,age\n".utf8), to: "header.csv")
        expectDataError(.encoding, file: file, at: .line(1), column: nil, mentioning: ["header"]) {
            _ = try CSVSource(dataset: Fixture.visits, columns: ["age"], file: file)
        }
    }

    @Test func anUnclosedQuoteStopsAtTheRecordLimitInsteadOfReadingOn() throws {
        var text = "district,age,cost,insured\nnorth,1,,\n\"north,1,,\n"
        for _ in 0..<2000 { text += "north,1,,\n" }
        let file = try directory.write(text, to: "visits.csv")
        expectDataError(.encoding, file: file, at: .line(3), column: nil, mentioning: ["1000 bytes", "closing"]) {
            var source = try CSVSource(
                dataset: Fixture.visits,
                columns: Fixture.allColumns,
                file: file,
                chunkSize: 64,
                maximumRecordBytes: 1000
            )
            _ = try readAll(&source)
        }
    }

    // MARK: Chunks

    /// A file of `count` rows whose quoted fields and numbers cross every byte offset,
    /// with the line after its last row.
    static func longFile(rows count: Int) -> (text: String, rows: [[Cell]], nextLine: Int) {
        var text = "notes,district,age,cost,insured\r\n"
        var rows: [[Cell]] = []
        var line = 2
        let districts = ["north", "south", "east", "北区"]
        for index in 0..<count {
            let cents = Int64(index * 7919 % 25_000_000)
            let cost = "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
            let notes: String
            let extraLines: Int
            switch index % 4 {
            case 0: (notes, extraLines) = ("\"line one\nline \"\"two\"\",\r\nthree\"", 2)
            case 1: (notes, extraLines) = ("plain", 0)
            case 2: (notes, extraLines) = ("\"\"", 0)
            default: (notes, extraLines) = ("\"\(String(repeating: "é,", count: index % 37))\"", 0)
            }
            let district = districts[index % 4]
            let quotedDistrict = index % 3 == 0 ? "\"\(district)\"" : district
            let insured = index % 5 == 0 ? "" : (index % 2 == 0 ? "True" : "f")
            text += "\(notes),\(quotedDistrict),\(index % 121),\(cost),\(insured)\(index % 2 == 0 ? "\r\n" : "\n")"
            rows.append([Int64(index % 4), Int64(index % 121), cents, index % 5 == 0 ? nil : (index % 2 == 0 ? 1 : 0)])
            line += 1 + extraLines
        }
        return (text, rows, line)
    }

    @Test(arguments: [1, 2, 3, 5, 7, 16, 61, 1000, 1 << 20])
    func chunkBoundariesInsideFieldsAndNumbers(chunkSize: Int) throws {
        let (text, expected, nextLine) = Self.longFile(rows: 600)
        #expect(try rows(text, chunkSize: chunkSize) == expected)
        // Lines are still right after hundreds of quoted line ends and refills.
        let bad = text + "\"x\ny\",east,121,1.00,t\n"
        let file = try directory.write(bad, to: "bad.csv")
        expectDataError(.outOfBounds, file: file, at: .line(nextLine), column: "age") {
            var source = try CSVSource(
                dataset: Fixture.visits,
                columns: Fixture.allColumns,
                file: file,
                chunkSize: chunkSize,
                maximumRecordBytes: 1 << 20
            )
            #expect(try readAll(&source).count == 600)
        }
    }

    @Test func aFileLargerThanTheDefaultChunk() throws {
        let (text, expected, _) = Self.longFile(rows: 60_000)
        #expect(text.utf8.count > 2 * CSVSource.defaultChunkSize)
        #expect(try rows(text) == expected)
    }

    // MARK: Checking

    @Test func checkSourceCountsRowsAndOpenSourceReadsThem() throws {
        let file = try directory.write("district,age,cost,insured\nnorth,1,,\nsouth,2,3.00,true\n", to: "visits.csv")
        let source = DatasetSource(dataset: "visits", kind: .csv(path: file))
        #expect(try checkSource(source, dataset: Fixture.visits) == 2)
        var rows = try openSource(source, dataset: Fixture.visits, columns: ["cost"])
        #expect(rows.columns == [Fixture.cost])
        var cells: [Cell] = []
        #expect(try rows.next(into: &cells) && cells == [nil])
        #expect(try rows.next(into: &cells) && cells == [300])
        #expect(try !rows.next(into: &cells))
        try directory.write("district,age,cost,insured\nnorth,1,,\nsouth,2,3.001,true\n", to: "visits.csv")
        expectDataError(.wrongType, file: file, at: .line(3), column: "cost") {
            _ = try checkSource(source, dataset: Fixture.visits)
        }
    }
}
