import BigNum
import Testing

@testable import Query

// MARK: - Helpers

/// The error `text` fails with, or nil if it parses.
private func parseError(_ text: String) -> SQLError? {
    do {
        _ = try SQLParser.parse(text)
        return nil
    } catch {
        return error
    }
}

/// A position on the first line (offset = column − 1).
private func col(_ column: Int) -> SQLPosition {
    SQLPosition(line: 1, column: column, offset: column - 1)
}

/// The position of `line`:`column` in `text`, the offset counted independently of the lexer.
private func position(in text: String, _ line: Int, _ column: Int) -> SQLPosition {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let before = lines.prefix(line - 1).reduce(0) { $0 + $1.unicodeScalars.count + 1 }
    return SQLPosition(line: line, column: column, offset: before + column - 1)
}

private func number(_ significand: Int, scale: Int = 0, at position: SQLPosition) -> NumberLiteral {
    NumberLiteral(significand: BigInt(significand), scale: scale, position: position)
}

/// The condition of `SELECT COUNT(*) FROM t WHERE <condition>`.
private func condition(_ text: String) throws -> Predicate {
    let statement = try SQLParser.parse("SELECT COUNT(*) FROM t WHERE " + text)
    return try #require(statement.predicate)
}

/// A predicate as a compact prefix expression, for checking its shape.
private func render(_ predicate: Predicate) -> String {
    switch predicate {
    case .comparison(let left, let comparison, let right, _):
        "(\(comparison.rawValue) \(render(left)) \(render(right)))"
    case .between(let operand, let low, let high, let negated, _):
        "(\(negated ? "not-between" : "between") \(render(operand)) \(render(low)) \(render(high)))"
    case .inList(let operand, let list, let negated, _):
        "(\(negated ? "not-in" : "in") \(render(operand)) \(list.map(render).joined(separator: " ")))"
    case .isNull(let operand, let negated, _):
        "(\(negated ? "is-not-null" : "is-null") \(render(operand)))"
    case .and(let left, let right): "(and \(render(left)) \(render(right)))"
    case .or(let left, let right): "(or \(render(left)) \(render(right)))"
    case .not(let inner, _): "(not \(render(inner)))"
    case .operand(let operand): render(operand)
    }
}

private func render(_ operand: Operand) -> String {
    switch operand {
    case .column(let identifier): identifier.name
    case .number(let literal):
        literal.scale == 0 ? "\(literal.significand)" : "\(literal.significand)e-\(literal.scale)"
    case .string(let text, _): "'\(text)'"
    case .boolean(let value, _): value ? "TRUE" : "FALSE"
    case .null: "NULL"
    }
}

private typealias Failing = ParserFailingQuery

/// A query that must fail: where, and with what in the message.
struct ParserFailingQuery: Sendable, CustomTestStringConvertible {
    var query: String
    var line: Int
    var column: Int
    /// Fragments the message must contain.
    var fragments: [String]

    init(_ query: String, _ line: Int, _ column: Int, _ fragments: String...) {
        self.query = query
        self.line = line
        self.column = column
        self.fragments = fragments
    }

    var testDescription: String { query }

    func check(_ code: SQLError.Code, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = parseError(query) else {
            Issue.record("parsed, but should fail: \(query)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.position.line == line, "\(error)", sourceLocation: sourceLocation)
        #expect(error.position.column == column, "\(error)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
    }
}

// MARK: - Whole queries

@Suite("SQL parser: whole queries")
struct ParserWholeQueryTests {
    @Test func everyClauseAcrossLines() throws {
        let text = "-- districts by age band\n"
            + "SELECT district,\n"
            + "\tWIDTH_BUCKET(Age, 0, 100.0, 10) AS band,\n"
            + "  COUNT(*) n, avg(\"Cost\")\n"
            + "FROM Visits /* the\n"
            + " dataset */ WHERE insured AND cost >= -12.50\n"
            + "   OR ward NOT IN ('A', 'B''s') GROUP BY district,\n"
            + "\twidth_bucket(age, 0, 100.0, 10);  -- done\n"
        func at(_ line: Int, _ column: Int) -> SQLPosition { position(in: text, line, column) }

        let statement = try SQLParser.parse(text)

        let bucket = WidthBucket(
            column: Identifier("age", at: at(3, 15)), low: number(0, at: at(3, 20)),
            high: number(1000, scale: 1, at: at(3, 23)), buckets: number(10, at: at(3, 30)), position: at(3, 2))
        let items = [
            SelectItem(
                expression: .column(Identifier("district", at: at(2, 8))), alias: nil, heading: "district",
                position: at(2, 8)),
            SelectItem(
                expression: .widthBucket(bucket), alias: Identifier("band", at: at(3, 37)),
                heading: "width_bucket(age, 0, 100.0, 10)", position: at(3, 2)),
            SelectItem(
                expression: .aggregate(Aggregate(function: .countRows, arguments: [], position: at(4, 3))),
                alias: Identifier("n", at: at(4, 12)), heading: "count(*)", position: at(4, 3)),
            SelectItem(
                expression: .aggregate(
                    Aggregate(function: .avg, arguments: [Identifier("Cost", at: at(4, 19))], position: at(4, 15))),
                alias: nil, heading: "avg(\"Cost\")", position: at(4, 15)),
        ]
        #expect(statement.items == items)
        #expect(statement.from == Identifier("visits", at: at(5, 6)))
        let predicate = Predicate.or(
            .and(
                .operand(.column(Identifier("insured", at: at(6, 19)))),
                .comparison(
                    .column(Identifier("cost", at: at(6, 31))), .greaterOrEqual,
                    .number(number(-1250, scale: 2, at: at(6, 39))), position: at(6, 31))),
            .inList(
                .column(Identifier("ward", at: at(7, 7))),
                [.string("A", position: at(7, 20)), .string("B's", position: at(7, 25))], negated: true,
                position: at(7, 7)))
        #expect(statement.predicate == predicate)
        let groupBucket = WidthBucket(
            column: Identifier("age", at: at(8, 15)), low: number(0, at: at(8, 20)),
            high: number(1000, scale: 1, at: at(8, 23)), buckets: number(10, at: at(8, 30)), position: at(8, 2))
        #expect(statement.groupBy == [.column(Identifier("district", at: at(7, 42))), .widthBucket(groupBucket)])

        // The helper's offsets are checked by hand once: line 1 holds 24 scalars and a break.
        #expect(at(2, 8) == SQLPosition(line: 2, column: 8, offset: 32))
    }

    @Test func minimalQuery() throws {
        let statement = try SQLParser.parse("SELECT COUNT(*) FROM visits")
        #expect(statement.items.count == 1)
        #expect(statement.from == Identifier("visits", at: col(22)))
        #expect(statement.predicate == nil)
        #expect(statement.groupBy.isEmpty)
    }

    @Test func keywordsAreCaseInsensitiveAndNamesFolded() throws {
        let statement = try SQLParser.parse("sElEcT District, Count(*) FrOm VISITS wHeRe Insured GrOuP bY DISTRICT")
        #expect(statement.items[0].expression == .column(Identifier("district", at: col(8))))
        #expect(statement.items[1].heading == "count(*)")
        #expect(statement.from.name == "visits")
        #expect(statement.predicate == .operand(.column(Identifier("insured", at: col(45)))))
        #expect(statement.groupBy == [.column(Identifier("district", at: col(62)))])
    }

    @Test func tabsCountOneColumnAndCRLFBreaksLines() throws {
        let statement = try SQLParser.parse("SELECT\r\n\t\tCOUNT(*)\r\nFROM\tvisits")
        #expect(statement.items[0].position == SQLPosition(line: 2, column: 3, offset: 10))
        #expect(statement.from.position == SQLPosition(line: 3, column: 6, offset: 25))
    }

    @Test func columnsCountUnicodeScalars() throws {
        // "é" written as e + combining acute is two scalars; 👍🏽 is two scalars.
        let statement = try SQLParser.parse("SELECT COUNT(*) FROM t WHERE 'e\u{301}👍🏽' = città")
        guard case .comparison(let left, _, let right, _) = statement.predicate else {
            Issue.record("not a comparison")
            return
        }
        #expect(left == .string("e\u{301}👍🏽", position: col(30)))
        #expect(right == .column(Identifier("città", at: col(39))))
    }

    @Test(arguments: [
        "SELECT COUNT(*) FROM visits;",
        "SELECT COUNT(*) FROM visits ;  -- that is all\n",
        "SELECT COUNT(*) FROM visits; /* done */",
        "SELECT COUNT(*) FROM visits -- no newline at the end",
        "/* leading */ SELECT -- names\n COUNT(*) /* inline */ FROM visits",
        "SELECT COUNT(*)/**/FROM/*\n*/visits",
        "SELECT COUNT(*) FROM visits /* a -- inside */",
        "SELECT COUNT(*) FROM visits -- a /* inside",
    ])
    func commentsAndSemicolonAreIgnored(query: String) throws {
        let statement = try SQLParser.parse(query)
        #expect(statement.from.name == "visits")
        #expect(statement.items.map(\.heading) == ["count(*)"])
    }

    @Test func positionAfterMultiLineComment() throws {
        let statement = try SQLParser.parse("SELECT /* one\ntwo\n  three */ COUNT(*) FROM visits")
        #expect(statement.items[0].position == SQLPosition(line: 3, column: 12, offset: 29))
    }
}

// MARK: - Select list

struct ParserAggregateCase: Sendable, CustomTestStringConvertible {
    var call: String
    var function: AggregateFunction
    var arguments: [String]
    var heading: String

    init(_ call: String, _ function: AggregateFunction, _ arguments: [String], _ heading: String) {
        self.call = call
        self.function = function
        self.arguments = arguments
        self.heading = heading
    }

    var testDescription: String { call }
}

@Suite("SQL parser: select list")
struct ParserSelectListTests {
    static let aggregates: [ParserAggregateCase] = [
        ParserAggregateCase("COUNT(*)", .countRows, [], "count(*)"),
        ParserAggregateCase("COUNT( * )", .countRows, [], "count(*)"),
        ParserAggregateCase("COUNT(cost)", .count, ["cost"], "count(cost)"),
        ParserAggregateCase("SUM(cost)", .sum, ["cost"], "sum(cost)"),
        ParserAggregateCase("AVG(Cost)", .avg, ["cost"], "avg(cost)"),
        ParserAggregateCase("VAR_SAMP(cost)", .varSamp, ["cost"], "var_samp(cost)"),
        ParserAggregateCase("VARIANCE(cost)", .varSamp, ["cost"], "var_samp(cost)"),
        ParserAggregateCase("VAR_POP(cost)", .varPop, ["cost"], "var_pop(cost)"),
        ParserAggregateCase("STDDEV_SAMP(cost)", .stddevSamp, ["cost"], "stddev_samp(cost)"),
        ParserAggregateCase("STDDEV(cost)", .stddevSamp, ["cost"], "stddev_samp(cost)"),
        ParserAggregateCase("STDDEV_POP(cost)", .stddevPop, ["cost"], "stddev_pop(cost)"),
        ParserAggregateCase("COVAR_SAMP(y, x)", .covarSamp, ["y", "x"], "covar_samp(y, x)"),
        ParserAggregateCase("COVAR_POP(y, x)", .covarPop, ["y", "x"], "covar_pop(y, x)"),
        ParserAggregateCase("CORR(cost,age)", .corr, ["cost", "age"], "corr(cost, age)"),
        ParserAggregateCase("REGR_SLOPE(y, x)", .regrSlope, ["y", "x"], "regr_slope(y, x)"),
        ParserAggregateCase("REGR_INTERCEPT(y, x)", .regrIntercept, ["y", "x"], "regr_intercept(y, x)"),
        ParserAggregateCase("REGR_R2(y, x)", .regrR2, ["y", "x"], "regr_r2(y, x)"),
        ParserAggregateCase("REGR_COUNT(y, x)", .regrCount, ["y", "x"], "regr_count(y, x)"),
        ParserAggregateCase("LINREG(y, x)", .linreg, ["y", "x"], "linreg(y, x)"),
        ParserAggregateCase("LinReg(y, X1, x2, x3)", .linreg, ["y", "x1", "x2", "x3"], "linreg(y, x1, x2, x3)"),
        ParserAggregateCase("sum(\"Net Cost\")", .sum, ["Net Cost"], "sum(\"Net Cost\")"),
        ParserAggregateCase("sum(\"a\"\"b\")", .sum, ["a\"b"], "sum(\"a\"\"b\")"),
        ParserAggregateCase("sum(\"select\")", .sum, ["select"], "sum(\"select\")"),
        ParserAggregateCase("sum(\"plain\")", .sum, ["plain"], "sum(plain)"),
    ]

    @Test(arguments: aggregates)
    func aggregateAndHeading(_ example: ParserAggregateCase) throws {
        let statement = try SQLParser.parse("SELECT \(example.call) FROM visits")
        let item = try #require(statement.items.first)
        guard case .aggregate(let aggregate) = item.expression else {
            Issue.record("not an aggregate: \(item.expression)")
            return
        }
        #expect(aggregate.function == example.function)
        #expect(aggregate.arguments.map(\.name) == example.arguments)
        #expect(aggregate.position == col(8))
        #expect(item.heading == example.heading)
        #expect(item.alias == nil)
        #expect(item.position == col(8))
    }

    @Test func everyAggregateFunctionIsReachable() {
        #expect(Set(Self.aggregates.map(\.function)) == Set(AggregateFunction.allCases))
    }

    @Test func argumentPositions() throws {
        let statement = try SQLParser.parse("SELECT corr( y ,x) FROM t")
        #expect(statement.items[0].expression == .aggregate(Aggregate(
            function: .corr, arguments: [Identifier("y", at: col(14)), Identifier("x", at: col(17))],
            position: col(8))))
    }

    @Test func aliases() throws {
        let statement = try SQLParser.parse(
            "SELECT district AS d, COUNT(*) n, AVG(cost) AS \"Mean Cost\", SUM(cost) \"Total\" FROM visits")
        #expect(statement.items.map(\.alias) == [
            Identifier("d", at: col(20)), Identifier("n", at: col(32)), Identifier("Mean Cost", at: col(48)),
            Identifier("Total", at: col(71)),
        ])
        // An alias does not change the heading: it is the text the alias replaces.
        #expect(statement.items.map(\.heading) == ["district", "count(*)", "avg(cost)", "sum(cost)"])
    }

    @Test func groupColumnsAndQuotedNames() throws {
        let statement = try SQLParser.parse("SELECT \"Ward \"\"7\"\"\", ward, COUNT(*) FROM \"Visits 2024\"")
        #expect(statement.items[0].expression == .column(Identifier("Ward \"7\"", at: col(8))))
        #expect(statement.items[0].heading == "Ward \"7\"")
        #expect(statement.items[1].expression == .column(Identifier("ward", at: col(22))))
        #expect(statement.from == Identifier("Visits 2024", at: col(42)))
    }

    @Test func functionNamesAreUsableAsColumns() throws {
        let statement = try SQLParser.parse("SELECT count, sum, COUNT(width_bucket) FROM t")
        #expect(statement.items.map(\.heading) == ["count", "sum", "count(width_bucket)"])
    }

    @Test(arguments: [
        ("WIDTH_BUCKET(age, 0, 100, 10)", "width_bucket(age, 0, 100, 10)"),
        ("width_bucket(age, -12.50, +1., 4)", "width_bucket(age, -12.50, 1, 4)"),
        ("width_bucket(Age, .5, 007.250, 10)", "width_bucket(age, 0.5, 7.250, 10)"),
        ("width_bucket(age, - 0.050, 0, 3)", "width_bucket(age, -0.050, 0, 3)"),
    ])
    func widthBucketHeading(call: String, heading: String) throws {
        let statement = try SQLParser.parse("SELECT \(call), COUNT(*) FROM t GROUP BY \(call)")
        #expect(statement.items[0].heading == heading)
        guard case .widthBucket(let selected) = statement.items[0].expression,
            case .widthBucket(let grouped) = statement.groupBy.first
        else {
            Issue.record("not a WIDTH_BUCKET")
            return
        }
        #expect(selected.position == col(8))
        #expect(selected.column.name == "age")
        #expect(grouped.low.value == selected.low.value)
        #expect(grouped.high.value == selected.high.value)
        #expect(grouped.buckets.value == selected.buckets.value)
    }

    @Test func widthBucketLiterals() throws {
        let statement = try SQLParser.parse("SELECT WIDTH_BUCKET(age, -0.050, 1., 10) FROM t")
        let expected = WidthBucket(
            column: Identifier("age", at: col(21)), low: number(-50, scale: 3, at: col(26)),
            high: number(1, at: col(34)), buckets: number(10, at: col(38)), position: col(8))
        #expect(statement.items[0].expression == .widthBucket(expected))
    }
}

// MARK: - Literals

@Suite("SQL parser: literals")
struct ParserLiteralTests {
    @Test(arguments: [
        ("123", "123", 0),
        ("-12.50", "-1250", 2),
        ("-0.050", "-50", 3),
        (".5", "5", 1),
        ("1.", "1", 0),
        ("+7", "7", 0),
        ("007.10", "710", 2),
        ("0", "0", 0),
        ("0.000", "0", 3),
        ("123456789012345678901234567890.123456789", "123456789012345678901234567890123456789", 9),
        ("-98765432109876543210987654321", "-98765432109876543210987654321", 0),
    ])
    func numbersAreExact(text: String, significand: String, scale: Int) throws {
        let predicate = try condition("x = \(text)")
        let expected = NumberLiteral(significand: try #require(BigInt(significand)), scale: scale, position: col(34))
        #expect(predicate == .comparison(
            .column(Identifier("x", at: col(30))), .equal, .number(expected), position: col(30)))
    }

    @Test func signSeparatedByBlanksBelongsToTheNumber() throws {
        let predicate = try condition("x > - 2.5")
        #expect(predicate == .comparison(
            .column(Identifier("x", at: col(30))), .greater, .number(number(-25, scale: 1, at: col(34))),
            position: col(30)))
    }

    @Test func exactValue() throws {
        guard case .comparison(_, _, .number(let literal), _) = try condition("x = -0.050") else {
            Issue.record("not a number comparison")
            return
        }
        #expect(literal.value == BigRational(numerator: BigInt(-1), denominator: BigInt(20)))
    }

    @Test func stringsAndOtherLiterals() throws {
        let predicate = try condition("a IN ('O''Brien', '', 'it''''s', TRUE, false, NULL, \"Q\"\"x\")")
        #expect(predicate == .inList(
            .column(Identifier("a", at: col(30))),
            [
                .string("O'Brien", position: col(36)), .string("", position: col(48)),
                .string("it''s", position: col(52)), .boolean(true, position: col(63)),
                .boolean(false, position: col(69)), .null(position: col(76)),
                .column(Identifier("Q\"x", at: col(82))),
            ],
            negated: false, position: col(30)))
    }

    @Test func stringsKeepCaseAndSpanLines() throws {
        let statement = try SQLParser.parse("SELECT COUNT(*) FROM t WHERE name = 'Ab\nc' AND x = 1")
        guard case .and(.comparison(_, _, let text, _), .comparison(let x, _, _, _)) = statement.predicate else {
            Issue.record("unexpected shape")
            return
        }
        #expect(text == .string("Ab\nc", position: col(37)))
        #expect(x.position == SQLPosition(line: 2, column: 8, offset: 47))
    }
}

// MARK: - WHERE

@Suite("SQL parser: conditions")
struct ParserConditionTests {
    @Test(arguments: [
        ("a OR b AND c", "(or a (and b c))"),
        ("a AND b OR c", "(or (and a b) c)"),
        ("a OR b OR c", "(or (or a b) c)"),
        ("a AND b AND c", "(and (and a b) c)"),
        ("NOT a AND b", "(and (not a) b)"),
        ("NOT a OR NOT b AND c", "(or (not a) (and (not b) c))"),
        ("NOT (a OR b)", "(not (or a b))"),
        ("(a OR b) AND c", "(and (or a b) c)"),
        ("a AND (b OR c)", "(and a (or b c))"),
        ("NOT NOT a", "(not (not a))"),
        ("((a))", "a"),
        ("NOT x = 1", "(not (= x 1))"),
        ("x = 1 AND y <> 'b' OR z != 2", "(or (and (= x 1) (<> y 'b')) (<> z 2))"),
        ("x < 1 OR x <= 2 OR x > 3 OR x >= 4", "(or (or (or (< x 1) (<= x 2)) (> x 3)) (>= x 4))"),
        ("1 < x", "(< 1 x)"),
        ("a = b", "(= a b)"),
        ("x BETWEEN 1 AND 5 AND y", "(and (between x 1 5) y)"),
        ("x NOT BETWEEN -1 AND 2.5", "(not-between x -1 25e-1)"),
        ("NOT x BETWEEN a AND b OR c", "(or (not (between x a b)) c)"),
        ("x IN (1)", "(in x 1)"),
        ("x IN (1, -2, 'three')", "(in x 1 -2 'three')"),
        ("x NOT IN ('a', b)", "(not-in x 'a' b)"),
        ("x IS NULL", "(is-null x)"),
        ("x IS NOT NULL AND y IS NULL", "(and (is-not-null x) (is-null y))"),
        ("NOT x IS NULL", "(not (is-null x))"),
        ("TRUE", "TRUE"),
        ("insured", "insured"),
        ("insured = FALSE", "(= insured FALSE)"),
        ("x = NULL", "(= x NULL)"),
        ("\"Is Open\" OR \"x\" = 'y'", "(or Is Open (= x 'y'))"),
    ])
    func shape(text: String, expected: String) throws {
        #expect(render(try condition(text)) == expected)
    }

    @Test func everyComparisonOperator() throws {
        let pairs: [(String, ComparisonOperator)] = [
            ("=", .equal), ("<>", .notEqual), ("!=", .notEqual), ("<", .less), ("<=", .lessOrEqual),
            (">", .greater), (">=", .greaterOrEqual),
        ]
        for (symbol, expected) in pairs {
            guard case .comparison(_, let found, _, _) = try condition("x\(symbol)1") else {
                Issue.record("no comparison for \(symbol)")
                continue
            }
            #expect(found == expected, "\(symbol)")
        }
    }

    @Test func nodesCarryTheirFirstTokenPosition() throws {
        // col:   30  34  38 42   47   52      60  64  68          80
        let text = "NOT x = 1 OR y BETWEEN 1 AND 2 OR z IN (3) OR w IS NOT NULL"
        let predicate = try condition(text)
        let expected = Predicate.or(
            .or(
                .or(
                    .not(
                        .comparison(
                            .column(Identifier("x", at: col(34))), .equal, .number(number(1, at: col(38))),
                            position: col(34)),
                        position: col(30)),
                    .between(
                        .column(Identifier("y", at: col(43))), low: .number(number(1, at: col(53))),
                        high: .number(number(2, at: col(59))), negated: false, position: col(43))),
                .inList(
                    .column(Identifier("z", at: col(64))), [.number(number(3, at: col(70)))], negated: false,
                    position: col(64))),
            .isNull(.column(Identifier("w", at: col(76))), negated: true, position: col(76)))
        #expect(predicate == expected)
    }

    @Test func literalOperandPositions() throws {
        #expect(try condition("TRUE") == .operand(.boolean(true, position: col(30))))
        #expect(try condition("  FALSE") == .operand(.boolean(false, position: col(32))))
        #expect(try condition("x IS NULL") == .isNull(.column(Identifier("x", at: col(30))), negated: false,
            position: col(30)))
    }
}

// MARK: - GROUP BY

@Suite("SQL parser: GROUP BY")
struct ParserGroupByTests {
    @Test func columnsAndBuckets() throws {
        let statement = try SQLParser.parse(
            "SELECT COUNT(*) FROM t GROUP BY District, \"Ward\", WIDTH_BUCKET(age, 18, 65.5, 5)")
        #expect(statement.groupBy == [
            .column(Identifier("district", at: col(33))),
            .column(Identifier("Ward", at: col(43))),
            .widthBucket(WidthBucket(
                column: Identifier("age", at: col(64)), low: number(18, at: col(69)),
                high: number(655, scale: 1, at: col(73)), buckets: number(5, at: col(79)), position: col(51))),
        ])
    }

    @Test func afterWhere() throws {
        let statement = try SQLParser.parse("SELECT a, COUNT(*) FROM t WHERE b GROUP BY a;")
        #expect(statement.predicate == .operand(.column(Identifier("b", at: col(33)))))
        #expect(statement.groupBy == [.column(Identifier("a", at: col(44)))])
    }
}

// MARK: - Errors

@Suite("SQL parser: unsupported constructs")
struct ParserUnsupportedTests {
    static let queries: [ParserFailingQuery] = [
        // SELECT *
        Failing("SELECT * FROM visits", 1, 8, "SELECT * is not supported", "aggregates"),
        Failing("SELECT district, * FROM visits", 1, 18, "SELECT *"),
        // MIN, MAX and other functions.
        Failing("SELECT MIN(cost) FROM visits", 1, 8, "function min is not supported", "the aggregates are"),
        Failing("SELECT max(cost) FROM visits", 1, 8, "function max is not supported"),
        Failing("SELECT median(cost) FROM visits", 1, 8, "function median is not supported", "AVG"),
        Failing("SELECT COUNT(*), left(name, 1) FROM visits", 1, 18, "function left is not supported"),
        // Joins.
        Failing("SELECT COUNT(*) FROM visits JOIN people ON a = b", 1, 29, "joins are not supported"),
        Failing("SELECT COUNT(*) FROM visits INNER JOIN people ON a = b", 1, 29, "joins"),
        Failing("SELECT COUNT(*) FROM visits LEFT OUTER JOIN people ON a = b", 1, 29, "joins"),
        Failing("SELECT COUNT(*) FROM visits RIGHT JOIN people USING (id)", 1, 29, "joins"),
        Failing("SELECT COUNT(*) FROM visits FULL JOIN people ON a = b", 1, 29, "joins"),
        Failing("SELECT COUNT(*) FROM visits CROSS JOIN people", 1, 29, "joins"),
        Failing("SELECT COUNT(*) FROM visits NATURAL JOIN people", 1, 29, "joins"),
        Failing("SELECT COUNT(*) FROM visits, people", 1, 28, "joins are not supported"),
        Failing("SELECT COUNT(*)\nFROM visits\n  , people", 3, 3, "joins"),
        // Subqueries.
        Failing("SELECT COUNT(*) FROM (SELECT * FROM visits)", 1, 22, "subqueries are not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE x IN (SELECT y FROM u)", 1, 35, "subqueries"),
        Failing("SELECT COUNT(*) FROM t WHERE x NOT IN (SELECT y FROM u)", 1, 39, "subqueries"),
        Failing("SELECT COUNT(*) FROM t WHERE EXISTS (SELECT 1 FROM u)", 1, 30, "subqueries (EXISTS)"),
        Failing("SELECT COUNT(*) FROM t WHERE NOT EXISTS (SELECT 1 FROM u)", 1, 34, "EXISTS"),
        Failing("SELECT COUNT(*) FROM t WHERE x = (SELECT MAX(y) FROM u)", 1, 34, "subqueries"),
        Failing("SELECT COUNT(*) FROM t WHERE (SELECT 1) = x", 1, 30, "subqueries"),
        Failing("SELECT (SELECT COUNT(*) FROM u) FROM t", 1, 8, "subqueries"),
        Failing("SELECT SUM((SELECT y FROM u)) FROM t", 1, 12, "subqueries"),
        Failing("(SELECT COUNT(*) FROM t)", 1, 1, "parenthesised queries are not supported"),
        // Clauses.
        Failing("SELECT a, COUNT(*) FROM t GROUP BY a HAVING COUNT(*) > 5", 1, 38, "HAVING is not supported"),
        Failing("SELECT COUNT(*) FROM t HAVING COUNT(*) > 5", 1, 24, "HAVING"),
        Failing("SELECT a, COUNT(*) FROM t GROUP BY a ORDER BY a", 1, 38, "ORDER BY is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE x ORDER BY 1", 1, 32, "ORDER BY"),
        Failing("SELECT COUNT(*) FROM t ORDER BY 1", 1, 24, "ORDER BY"),
        Failing("SELECT COUNT(*) FROM t LIMIT 10", 1, 24, "LIMIT is not supported"),
        Failing("SELECT COUNT(*) FROM t OFFSET 10", 1, 24, "OFFSET is not supported"),
        Failing("SELECT COUNT(*) FROM t FETCH FIRST 1 ROWS ONLY", 1, 24, "FETCH"),
        Failing("SELECT COUNT(*) FROM t UNION SELECT COUNT(*) FROM u", 1, 24, "UNION is not supported"),
        Failing("SELECT COUNT(*) FROM t UNION ALL SELECT COUNT(*) FROM u", 1, 24, "UNION"),
        Failing("SELECT COUNT(*) FROM t INTERSECT SELECT COUNT(*) FROM u", 1, 24, "INTERSECT is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE x EXCEPT SELECT COUNT(*) FROM u", 1, 32, "EXCEPT"),
        Failing("WITH v AS (SELECT * FROM t) SELECT COUNT(*) FROM v", 1, 1, "WITH"),
        Failing("SELECT COUNT(*) INTO n FROM t", 1, 17, "SELECT INTO"),
        // Windows.
        Failing("SELECT SUM(cost) OVER (PARTITION BY a) FROM t", 1, 18, "window functions (OVER)"),
        Failing("SELECT COUNT(*) OVER w FROM t WINDOW w AS ()", 1, 17, "OVER"),
        Failing("SELECT COUNT(*) FROM t WINDOW w AS ()", 1, 24, "WINDOW"),
        Failing("SELECT COUNT(*) FILTER (WHERE x) FROM t", 1, 17, "FILTER"),
        // CASE, LIKE, CAST.
        Failing("SELECT CASE WHEN a THEN 1 END, COUNT(*) FROM t", 1, 8, "CASE expressions are not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE CASE WHEN a THEN b END", 1, 30, "CASE"),
        Failing("SELECT SUM(CASE WHEN a THEN b ELSE 0 END) FROM t", 1, 12, "CASE"),
        Failing("SELECT COUNT(*) FROM t WHERE x = CASE WHEN a THEN 1 END", 1, 34, "CASE"),
        Failing("SELECT COUNT(*) FROM t WHERE name LIKE 'A%'", 1, 35, "LIKE is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE name NOT LIKE 'A%'", 1, 39, "LIKE"),
        Failing("SELECT COUNT(*) FROM t WHERE name ILIKE 'a%'", 1, 35, "ILIKE is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE name SIMILAR TO 'a'", 1, 35, "SIMILAR TO"),
        Failing("SELECT COUNT(*) FROM t WHERE name ~ 'a'", 1, 35, "operator ~ is not supported"),
        Failing("SELECT CAST(a AS int), COUNT(*) FROM t", 1, 8, "CAST is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE CAST(a AS int) = 1", 1, 30, "CAST"),
        Failing("SELECT SUM(CAST(a AS int)) FROM t", 1, 12, "CAST"),
        Failing("SELECT COUNT(*) FROM t WHERE a::int = 1", 1, 31, "casts (::)"),
        Failing("SELECT COUNT(*) FROM t WHERE a = '1'::int", 1, 37, "casts (::)"),
        Failing("SELECT SUM(a)::int FROM t", 1, 14, "casts (::)"),
        Failing("SELECT SUM(a::int) FROM t", 1, 13, "casts (::)"),
        Failing("SELECT COUNT(*) FROM t GROUP BY a::text", 1, 34, "casts (::)"),
        // DISTINCT and ALL.
        Failing("SELECT DISTINCT a FROM t", 1, 8, "DISTINCT is not supported"),
        Failing("SELECT COUNT(DISTINCT a) FROM t", 1, 14, "DISTINCT is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE a IS DISTINCT FROM b", 1, 35, "IS DISTINCT FROM"),
        Failing("SELECT COUNT(*) FROM t GROUP BY DISTINCT a", 1, 33, "GROUP BY DISTINCT"),
        Failing("SELECT ALL COUNT(*) FROM t", 1, 8, "SELECT ALL"),
        Failing("SELECT SUM(ALL a) FROM t", 1, 12, "ALL"),
        // More than one statement.
        Failing("SELECT COUNT(*) FROM a; SELECT COUNT(*) FROM b", 1, 25, "multiple statements"),
        Failing("SELECT COUNT(*) FROM a;;", 1, 24, "multiple statements"),
        Failing("SELECT COUNT(*) FROM a; -- one\n/* two */ DROP TABLE a", 2, 11, "multiple statements"),
        // Arithmetic in the select list.
        Failing("SELECT SUM(a) / COUNT(*) FROM t", 1, 15, "arithmetic in the select list"),
        Failing("SELECT cost + 1, COUNT(*) FROM t", 1, 13, "arithmetic in the select list"),
        Failing("SELECT -cost FROM t", 1, 8, "arithmetic in the select list"),
        Failing("SELECT a || b FROM t", 1, 10, "arithmetic in the select list"),
        Failing("SELECT a = 1, COUNT(*) FROM t", 1, 10, "conditions in the select list"),
        Failing("SELECT NOT a, COUNT(*) FROM t", 1, 8, "conditions in the select list"),
        Failing("SELECT a IS NULL FROM t", 1, 10, "conditions in the select list"),
        Failing("SELECT 1, COUNT(*) FROM t", 1, 8, "constants in the select list"),
        Failing("SELECT 'x', COUNT(*) FROM t", 1, 8, "constants"),
        Failing("SELECT -1.5, COUNT(*) FROM t", 1, 8, "constants"),
        Failing("SELECT NULL FROM t", 1, 8, "constants"),
        Failing("SELECT (SUM(a)) FROM t", 1, 8, "parenthesised expressions"),
        // Arithmetic and other expressions in conditions.
        Failing("SELECT COUNT(*) FROM t WHERE cost + 1 > 3", 1, 35, "arithmetic is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE 3 < cost * 2", 1, 39, "arithmetic is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE -cost > 1", 1, 30, "arithmetic is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE x = - y", 1, 34, "arithmetic is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE x BETWEEN 1 AND 2 * 3", 1, 48, "arithmetic"),
        Failing("SELECT COUNT(*) FROM t WHERE x IN (1, 2 + 3)", 1, 41, "arithmetic"),
        Failing("SELECT COUNT(*) FROM t WHERE a || b = 'xy'", 1, 32, "operator || is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE lower(name) = 'x'", 1, 30, "function lower is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE (a) = 1", 1, 30, "parenthesised expressions"),
        Failing("SELECT COUNT(*) FROM t WHERE a = (1)", 1, 34, "parenthesised expressions"),
        Failing("SELECT COUNT(*) FROM t WHERE a = ANY (b)", 1, 34, "ANY comparisons"),
        Failing("SELECT COUNT(*) FROM t WHERE a IS TRUE", 1, 35, "IS TRUE is not supported"),
        Failing("SELECT COUNT(*) FROM t WHERE a IS NOT FALSE", 1, 39, "IS NOT FALSE"),
        Failing("SELECT COUNT(*) FROM t WHERE a BETWEEN SYMMETRIC 1 AND 2", 1, 40, "BETWEEN SYMMETRIC"),
        Failing("SELECT COUNT(*) FROM t WHERE t.a = 1", 1, 30, "qualified names (t.a)"),
        Failing("SELECT COUNT(*) FROM t WHERE (a, b) IN ((1, 2))", 1, 30, "row values"),
        Failing("SELECT COUNT(*) FROM t WHERE day < DATE '2024-01-01'", 1, 36, "typed literals (DATE '…')"),
        // Expressions inside aggregates.
        Failing("SELECT SUM(cost * 2) FROM t", 1, 12, "expressions inside aggregates are not supported"),
        Failing("SELECT SUM(1) FROM t", 1, 12, "expressions inside aggregates", "aggregate a column"),
        Failing("SELECT COUNT(1) FROM t", 1, 14, "expressions inside aggregates"),
        Failing("SELECT SUM(-cost) FROM t", 1, 12, "expressions inside aggregates"),
        Failing("SELECT SUM(abs(cost)) FROM t", 1, 12, "expressions inside aggregates"),
        Failing("SELECT SUM('a') FROM t", 1, 12, "expressions inside aggregates"),
        Failing("SELECT SUM((cost)) FROM t", 1, 12, "expressions inside aggregates"),
        Failing("SELECT CORR(y, x + 1) FROM t", 1, 16, "expressions inside aggregates"),
        Failing("SELECT SUM(a IS NULL) FROM t", 1, 12, "expressions inside aggregates"),
        Failing("SELECT SUM(t.cost) FROM t", 1, 12, "qualified names (t.cost)"),
        Failing("SELECT WIDTH_BUCKET(age * 2, 0, 1, 2) FROM t", 1, 21, "expressions inside WIDTH_BUCKET"),
        Failing("SELECT WIDTH_BUCKET(3, 0, 1, 2) FROM t", 1, 21, "first argument of WIDTH_BUCKET"),
        Failing("SELECT WIDTH_BUCKET(age, low, 1, 2) FROM t", 1, 26, "must be number literals"),
        Failing("SELECT WIDTH_BUCKET(age, 0, 1, 'x') FROM t", 1, 32, "must be number literals"),
        // Table aliases and qualified names.
        Failing("SELECT COUNT(*) FROM visits v", 1, 29, "table aliases are not supported"),
        Failing("SELECT COUNT(*) FROM visits AS v", 1, 29, "table aliases"),
        Failing("SELECT COUNT(*) FROM visits v WHERE v.x = 1", 1, 29, "table aliases"),
        Failing("SELECT COUNT(*) FROM visits v;", 1, 29, "table aliases"),
        Failing("SELECT COUNT(*) FROM public.visits", 1, 22, "qualified dataset names"),
        Failing("SELECT v.district, COUNT(*) FROM visits", 1, 8, "qualified names (v.district)"),
        Failing("SELECT COUNT(*) FROM generate_series(1, 3)", 1, 22, "table functions"),
        // Other statements.
        Failing("INSERT INTO visits VALUES (1)", 1, 1, "only SELECT queries are supported"),
        Failing("update visits SET a = 1", 1, 1, "only SELECT queries are supported"),
        Failing("DELETE FROM visits", 1, 1, "only SELECT queries"),
        Failing("  DROP TABLE visits", 1, 3, "only SELECT queries"),
        Failing("CREATE TABLE t (a int)", 1, 1, "only SELECT queries"),
        Failing("ALTER TABLE t ADD b int", 1, 1, "only SELECT queries"),
        Failing("TRUNCATE t", 1, 1, "only SELECT queries"),
        Failing("-- explain it\nEXPLAIN SELECT COUNT(*) FROM t", 2, 1, "only SELECT queries"),
        // GROUP BY.
        Failing("SELECT COUNT(*) FROM t GROUP BY 1", 1, 33, "GROUP BY a position"),
        Failing("SELECT a, COUNT(*) FROM t GROUP BY a, 2", 1, 39, "GROUP BY a position"),
        Failing("SELECT COUNT(*) FROM t GROUP BY a + 1", 1, 33, "expressions in GROUP BY"),
        Failing("SELECT COUNT(*) FROM t GROUP BY lower(a)", 1, 33, "function lower is not supported in GROUP BY"),
        Failing("SELECT COUNT(*) FROM t GROUP BY ROLLUP (a, b)", 1, 33, "ROLLUP"),
        Failing("SELECT COUNT(*) FROM t GROUP BY GROUPING SETS ((a), (b))", 1, 33, "GROUPING SETS"),
        Failing("SELECT COUNT(*) FROM t GROUP BY (a, b)", 1, 33, "parenthesised GROUP BY items"),
        Failing("SELECT COUNT(*) FROM t GROUP BY 'a'", 1, 33, "constants in GROUP BY"),
    ]

    @Test(arguments: queries)
    func isRefusedAsUnsupported(_ query: ParserFailingQuery) {
        query.check(.unsupported)
    }
}

@Suite("SQL parser: invalid calls")
struct ParserInvalidTests {
    static let queries: [ParserFailingQuery] = [
        Failing("SELECT CORR(y) FROM t", 1, 8, "corr takes 2 columns (y, x), found 1"),
        Failing("SELECT corr(a, b, c) FROM t", 1, 8, "corr takes 2 columns (y, x), found 3"),
        Failing("SELECT REGR_COUNT() FROM t", 1, 8, "regr_count takes 2 columns (y, x), found 0"),
        Failing("SELECT SUM() FROM t", 1, 8, "sum takes 1 column, found 0"),
        Failing("SELECT VARIANCE(a, b) FROM t", 1, 8, "variance takes 1 column, found 2"),
        Failing("SELECT LINREG(y) FROM t", 1, 8, "linreg takes 2 or more columns (y, x1, …, xk), found 1"),
        Failing("SELECT COUNT(a, b) FROM t", 1, 8, "count takes 1 column or *, found 2"),
        Failing("SELECT COUNT() FROM t", 1, 8, "count takes 1 column or *, found 0"),
        Failing("SELECT COUNT(*, a) FROM t", 1, 8, "count(*) takes no other arguments"),
        Failing("SELECT SUM(*) FROM t", 1, 12, "only COUNT accepts *"),
        Failing("SELECT WIDTH_BUCKET(age, 0, 100) FROM t", 1, 8, "width_bucket takes 4 arguments", "found 3"),
        Failing("SELECT WIDTH_BUCKET(*, 0, 1, 2) FROM t", 1, 21, "only accepted by COUNT(*)"),
        Failing("SELECT COUNT(*) FROM t WHERE SUM(x) > 3", 1, 30, "aggregates are not allowed in WHERE"),
        Failing("SELECT COUNT(*) FROM t WHERE x = avg(y)", 1, 34, "aggregates are not allowed in WHERE"),
        Failing("SELECT COUNT(*) FROM t GROUP BY SUM(x)", 1, 33, "aggregates are not allowed in GROUP BY"),
    ]

    @Test(arguments: queries)
    func isRefusedAsInvalid(_ query: ParserFailingQuery) {
        query.check(.invalid)
    }
}

@Suite("SQL parser: syntax errors")
struct ParserSyntaxErrorTests {
    static let queries: [ParserFailingQuery] = [
        // The select list and FROM.
        Failing("SELECT COUNT(*) FORM visits", 1, 17, "expected FROM", "found FORM"),
        Failing("SELECT COUNT(*) c FORM visits", 1, 19, "expected FROM", "found FORM"),
        Failing("SELECT COUNT(*) AS c FORM visits WHERE x", 1, 22, "expected FROM", "found FORM"),
        Failing("SELECT COUNT(*)", 1, 16, "expected ',' or FROM", "found end of query"),
        Failing("SELECT COUNT(*) visits", 1, 23, "FROM", "found end of query"),
        Failing("SELECT COUNT(*) WHERE x = 1", 1, 17, "FROM", "found WHERE"),
        Failing("SELECT district COUNT(*) FROM t", 1, 17, "expected ',' or FROM", "found COUNT"),
        Failing("SELECT COUNT(*)) FROM t", 1, 16, "expected ',' or FROM", "found ')'"),
        Failing("SELECT FROM visits", 1, 8, "expected a column or an aggregate", "found FROM"),
        Failing("SELECT COUNT(*), FROM visits", 1, 18, "expected a column or an aggregate", "found FROM"),
        Failing("SELECT COUNT(*),, a FROM visits", 1, 17, "expected a column or an aggregate", "found ','"),
        Failing("SELECT", 1, 7, "expected a column or an aggregate", "found end of query"),
        Failing("", 1, 1, "expected SELECT", "found end of query"),
        Failing("  \n\t -- nothing\n", 3, 1, "expected SELECT", "found end of query"),
        Failing("SELCT COUNT(*) FROM visits", 1, 1, "expected SELECT", "found SELCT"),
        Failing("42", 1, 1, "expected SELECT", "found 42"),
        Failing("SELECT COUNT(*) AS FROM visits", 1, 20, "expected an alias after AS", "found FROM"),
        Failing("SELECT COUNT(* FROM visits", 1, 16, "expected ',' or ')'", "found FROM"),
        Failing("SELECT COUNT(*", 1, 15, "expected ',' or ')'", "found end of query"),
        Failing("SELECT SUM(FROM) FROM visits", 1, 12, "expected a column", "found FROM"),
        Failing("SELECT SUM(a b) FROM visits", 1, 14, "expected ',' or ')'", "found b"),
        Failing("SELECT SUM(a,) FROM visits", 1, 14, "expected a column", "found ')'"),
        Failing("SELECT COUNT(*) FROM", 1, 21, "expected a dataset name", "found end of query"),
        Failing("SELECT COUNT(*) FROM WHERE x = 1", 1, 22, "expected a dataset name", "found WHERE"),
        Failing("SELECT COUNT(*) FROM 'visits'", 1, 22, "expected a dataset name", "found 'visits'"),
        Failing("SELECT COUNT(*) FROM visits WHRE x = 1", 1, 29, "expected WHERE, GROUP BY", "found WHRE"),
        Failing("SELECT COUNT(*) FROM visits )", 1, 29, "expected WHERE, GROUP BY or end of query", "found ')'"),
        // WHERE.
        Failing("SELECT COUNT(*) FROM t WHERE", 1, 29, "expected a condition", "found end of query"),
        Failing("SELECT COUNT(*) FROM t WHERE GROUP BY a", 1, 30, "expected a condition", "found GROUP"),
        Failing("SELECT COUNT(*) FROM t WHERE x =", 1, 33, "expected a value", "found end of query"),
        Failing("SELECT COUNT(*) FROM t WHERE x = AND y", 1, 34, "expected a value", "found AND"),
        Failing("SELECT COUNT(*) FROM t WHERE x AND", 1, 35, "expected a condition", "found end of query"),
        Failing("SELECT COUNT(*) FROM t WHERE x BETWEEN 1 5", 1, 42, "expected AND", "found 5"),
        Failing("SELECT COUNT(*) FROM t WHERE x BETWEEN 1 OR 5", 1, 42, "expected AND", "found OR"),
        Failing("SELECT COUNT(*) FROM t WHERE x IN 1", 1, 35, "expected '('", "found 1"),
        Failing("SELECT COUNT(*) FROM t WHERE x IN ()", 1, 36, "expected a value", "found ')'"),
        Failing("SELECT COUNT(*) FROM t WHERE x IN (1, 2", 1, 40, "expected ',' or ')'", "found end of query"),
        Failing("SELECT COUNT(*) FROM t WHERE x IN (1,)", 1, 38, "expected a value", "found ')'"),
        Failing("SELECT COUNT(*) FROM t WHERE x IS 5", 1, 35, "expected NULL or NOT NULL", "found 5"),
        Failing("SELECT COUNT(*) FROM t WHERE x IS NOT 5", 1, 39, "expected NULL", "found 5"),
        Failing("SELECT COUNT(*) FROM t WHERE (x = 1", 1, 36, "expected AND, OR or ')'", "found end of query"),
        Failing("SELECT COUNT(*) FROM t WHERE x = 1)", 1, 35, "expected AND, OR, GROUP BY", "found ')'"),
        Failing("SELECT COUNT(*) FROM t WHERE x = 1 y = 2", 1, 36, "expected AND, OR, GROUP BY", "found y"),
        Failing("SELECT COUNT(*) FROM t WHERE x NOT y", 1, 32, "expected AND, OR", "found NOT"),
        Failing("SELECT COUNT(*) FROM t WHERE a < b < c", 1, 36, "expected AND, OR", "found '<'"),
        Failing("SELECT COUNT(*) FROM t WHERE x = 1 WHERE y", 1, 36, "expected AND, OR", "found WHERE"),
        Failing(
            "SELECT COUNT(*) FROM t WHERE x = 1 'a string literal that goes on and on for a while'", 1, 36,
            "found 'a string literal that goes on and on…"),
        Failing("SELECT COUNT(*) FROM t WHERE x = 1.2.3", 1, 37, "found .3"),
        // GROUP BY.
        Failing("SELECT COUNT(*) FROM t GROUP a", 1, 30, "expected BY", "found a"),
        Failing("SELECT COUNT(*) FROM t GROUP BY", 1, 32, "expected a column or WIDTH_BUCKET", "end of query"),
        Failing("SELECT COUNT(*) FROM t GROUP BY a,", 1, 35, "expected a column or WIDTH_BUCKET"),
        Failing("SELECT COUNT(*) FROM t GROUP BY a WHERE x", 1, 35, "expected ',' or end of query", "found WHERE"),
        Failing("SELECT COUNT(*) FROM t GROUP BY a b", 1, 35, "expected ',' or end of query", "found b"),
        Failing("SELECT COUNT(*) FROM t GROUP BY \"a\" \"b\"", 1, 37, "expected ','", "found \"b\""),
        // The lexer.
        Failing("SELECT COUNT(*) FROM t WHERE name = 'abc", 1, 37, "unterminated string", "expected a closing '"),
        Failing("SELECT COUNT(*) FROM t WHERE name = 'it''s", 1, 37, "unterminated string"),
        Failing("SELECT COUNT(*) FROM t WHERE \"name = 1", 1, 30, "unterminated quoted name"),
        Failing("SELECT COUNT(*) FROM t WHERE \"\" = 1", 1, 30, "expected a name between the quotes"),
        Failing("SELECT COUNT(*) FROM t WHERE x = 1e3", 1, 34, "exponents are not supported", "1000"),
        Failing("SELECT COUNT(*) FROM t WHERE x = -2.5E-2", 1, 35, "exponents are not supported", "0.025"),
        Failing("SELECT COUNT(*) FROM t WHERE x = .5e+1", 1, 34, "(.5e+1)", "e.g. 5"),
        Failing("SELECT WIDTH_BUCKET(a, 0, 1e2, 4) FROM t", 1, 27, "exponents are not supported", "100"),
        Failing("SELECT COUNT(*) FROM t WHERE x = 12abc", 1, 34, "expected a number", "found 12abc"),
        Failing("SELECT COUNT(*) FROM t WHERE x @ 1", 1, 32, "unexpected character '@'"),
        Failing("SELECT COUNT(*) FROM t WHERE x = ?", 1, 34, "unexpected character '?'"),
        Failing("SELECT COUNT(*) FROM t WHERE x = $1", 1, 34, "unexpected character '$'"),
        Failing("SELECT COUNT(*) FROM t WHERE x ! 1", 1, 32, "unexpected character '!'"),
        Failing("SELECT COUNT(*) FROM t\n  /* never\n closed", 2, 3, "unclosed comment", "*/"),
        Failing("SELECT COUNT(*) FROM t; /* never closed", 1, 25, "unclosed comment"),
        Failing("SELECT COUNT(*)\n\tFROM visits\n\tWHERE cost >\n\t\t", 4, 3, "expected a value", "end of query"),
        Failing("SELECT COUNT(*)\n\tFROM visits\n\tWHERE cost > 'x\n", 3, 15, "unterminated string"),
        // The first error in the text wins, whether the lexer's or the parser's.
        Failing("SELECT COUNT(*) FORM visits WHERE name = 'x", 1, 17, "expected FROM", "found FORM"),
        Failing("SELECT # FROM visits", 1, 8, "unexpected character '#'"),
    ]

    @Test(arguments: queries)
    func isASyntaxError(_ query: ParserFailingQuery) {
        query.check(.syntax)
    }

    @Test func messageAndDescription() throws {
        let error = try #require(parseError("SELECT COUNT(*) FORM visits"))
        #expect(error == SQLError(.syntax, at: col(17), "expected FROM, found FORM"))
        #expect(error.description == "line 1, column 17: expected FROM, found FORM")
    }

    @Test func positionsCountScalarsOnLaterLines() throws {
        let error = try #require(parseError("SELECT COUNT(*)\nFROM t\nWHERE 'ü' = 'e\u{301}' @"))
        #expect(error.position == SQLPosition(line: 3, column: 18, offset: 40))
        #expect(error.code == .syntax)
    }
}
