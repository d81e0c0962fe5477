import BigNum

/// The reader of Fedstat's query language (DESIGN.md, "Query language").
public enum SQLParser {
    /// Parses one `SELECT [group columns,] aggregates FROM dataset [WHERE …] [GROUP BY …] [;]`.
    ///
    /// Returns the statement as written: unquoted names folded to lowercase, numbers exact,
    /// every node carrying the position of its first token. Nothing is checked against the
    /// catalog here (datasets, columns, types, bucket bounds are the planner's).
    ///
    /// Throws `.syntax` for text that is not a query of the dialect ("expected X, found Y",
    /// at the offending token), `.unsupported` for SQL that Fedstat does not run (the
    /// message names the construct, the position is where it starts), and `.invalid` for an
    /// aggregate or `WIDTH_BUCKET` with the wrong arguments or an aggregate where none may be.
    public static func parse(_ text: String) throws(SQLError) -> SelectStatement {
        // Bounds on size and nesting defend a node against a query built to exhaust its
        // memory or its stack (the parser, the planner and the row filter recurse over
        // the condition tree).
        guard text.unicodeScalars.count <= maximumLength else {
            throw SQLError(
                .invalid, at: SQLPosition(line: 1, column: 1, offset: 0),
                "the query is longer than \(maximumLength) characters")
        }
        var parser = Parser(tokens: Lexer.tokenize(text))
        return try parser.statement()
    }

    /// The longest query text accepted, in Unicode scalars.
    public static let maximumLength = 100_000
    /// The most conditions (comparisons, IN, BETWEEN, IS NULL, boolean operands) a
    /// WHERE clause may hold.
    public static let maximumConditions = 1_000
    /// The deepest nesting of parentheses and NOT in a WHERE clause.
    public static let maximumNesting = 64
}

/// A recursive-descent parser over the token array of one query.
struct Parser {
    private let tokens: [Token]
    private var index = 0
    /// Conditions read so far and the current nesting depth (see `SQLParser`'s limits).
    private var conditions = 0
    private var nesting = 0

    /// `tokens` ends with an `.end` or `.error` token, as `Lexer.tokenize` makes it.
    init(tokens: [Token]) {
        precondition(!tokens.isEmpty, "the token array ends with .end or .error")
        self.tokens = tokens
    }

    // MARK: - Statement

    /// The whole query, up to the end of the text.
    mutating func statement() throws(SQLError) -> SelectStatement {
        try refuseOtherStatements()
        guard current.isKeyword("select") else { throw syntax("SELECT", at: current) }
        advance()
        let items = try selectList()
        let from = try dataset()
        try refuseClauses(afterFrom: true)
        var predicate: Predicate?
        var groupBy: [GroupItem] = []
        var expected = "WHERE, GROUP BY or end of query"
        if current.isKeyword("where") {
            advance()
            predicate = try condition()
            try refuseClauses()
            expected = "AND, OR, GROUP BY or end of query"
        }
        if current.isKeyword("group") {
            advance()
            guard current.isKeyword("by") else { throw syntax("BY", at: current) }
            advance()
            groupBy = try groupItems()
            try refuseClauses()
            expected = "',' or end of query"
        }
        if current.isSymbol(";") {
            advance()
            if case .error(let error) = current.kind { throw error }
            guard current.kind == .end else {
                throw unsupported("multiple statements are not supported; send one query at a time", at: current)
            }
        }
        guard current.kind == .end else { throw syntax(expected, at: current) }
        return SelectStatement(items: items, from: from, predicate: predicate, groupBy: groupBy)
    }

    private static let otherStatements: Set<String> = [
        "abort", "alter", "analyze", "attach", "begin", "call", "checkpoint", "cluster", "comment", "commit",
        "copy", "create", "deallocate", "declare", "delete", "describe", "detach", "discard", "do", "drop",
        "exec", "execute", "explain", "grant", "import", "insert", "listen", "load", "lock", "merge",
        "notify", "pragma", "prepare", "refresh", "reindex", "release", "replace", "reset", "revoke",
        "rollback", "savepoint", "set", "show", "start", "table", "truncate", "update", "upsert", "use",
        "vacuum", "values",
    ]

    private func refuseOtherStatements() throws(SQLError) {
        let first = current
        if first.isKeyword("with") {
            throw unsupported("WITH (common table expressions) is not supported", at: first)
        }
        if first.isSymbol("(") && peek(1).isKeyword("select") {
            throw unsupported(
                "parenthesised queries are not supported; write the SELECT without parentheses", at: first)
        }
        if first.kind == .word && Self.otherStatements.contains(first.value) {
            throw unsupported("only SELECT queries are supported, not \(first.text.uppercased())", at: first)
        }
    }

    /// Refuses the clauses Fedstat does not run, where one could follow `FROM`, `WHERE` or
    /// `GROUP BY`.
    private func refuseClauses(afterFrom: Bool = false) throws(SQLError) {
        let token = current
        guard token.kind == .word else {
            if afterFrom && token.isSymbol(",") {
                throw unsupported("joins are not supported: FROM names more than one dataset", at: token)
            }
            return
        }
        let message: String
        switch token.value {
        case "having": message = "HAVING is not supported"
        case "order": message = "ORDER BY is not supported"
        case "limit": message = "LIMIT is not supported"
        case "offset": message = "OFFSET is not supported"
        case "fetch": message = "FETCH FIRST is not supported"
        case "union", "intersect", "except":
            message = "\(token.value.uppercased()) is not supported; run the queries separately"
        case "window": message = "window functions (WINDOW) are not supported"
        case "join", "inner", "left", "right", "full", "cross", "natural", "outer":
            message = "joins are not supported; a query reads one dataset"
        case "for": message = "FOR UPDATE and other locking clauses are not supported"
        default: return
        }
        throw unsupported(message, at: token)
    }

    // MARK: - Select list

    private mutating func selectList() throws(SQLError) -> [SelectItem] {
        if current.isKeyword("all") {
            throw unsupported("SELECT ALL is not supported; leave ALL out (it is the default)", at: current)
        }
        var items: [SelectItem] = []
        while true {
            let (item, bareAlias) = try selectItem()
            items.append(item)
            if current.isSymbol(",") {
                advance()
                continue
            }
            if current.isKeyword("from") {
                advance()
                return items
            }
            if current.isKeyword("into") { throw unsupported("SELECT INTO is not supported", at: current) }
            // In `COUNT(*) FORM visits` the misspelt FROM reads as a bare alias; the word
            // before the last of a run of names is the one that should have been FROM.
            var run: [Token] = bareAlias.map { [$0] } ?? []
            var ahead = 0
            while peek(ahead).isName {
                run.append(peek(ahead))
                ahead += 1
            }
            if run.count >= 2 { throw syntax("FROM", at: run[run.count - 2]) }
            throw syntax("',' or FROM", at: current)
        }
    }

    /// One select item, and the token of its alias if written without `AS`.
    private mutating func selectItem() throws(SQLError) -> (SelectItem, bareAlias: Token?) {
        try refuseBadSignedNumber()
        let start = current
        if start.isKeyword("distinct") { throw unsupported("DISTINCT is not supported", at: start) }
        try refuseConstruct()
        let expression: SelectExpression
        let heading: String
        if start.isSymbol("*") {
            throw unsupported(
                "SELECT * is not supported: name the aggregates to compute, e.g. SELECT COUNT(*), AVG(cost) FROM …",
                at: start)
        } else if start.isFunctionName && peek(1).isSymbol("(") {
            (expression, heading) = try selectCall()
        } else if start.isName {
            let column = try columnName()
            (expression, heading) = (.column(column), column.name)
        } else if start.startsLiteral(next: peek(1)) {
            throw unsupported(
                "constants in the select list are not supported; select a column or an aggregate", at: start)
        } else if start.isSymbol("(") {
            throw unsupported(
                "parenthesised expressions in the select list are not supported; select a column or an aggregate",
                at: start)
        } else if start.isKeyword("not") {
            throw unsupported("conditions in the select list are not supported; use WHERE", at: start)
        } else if let kind = Continuation(start), kind == .arithmetic || kind == .otherOperator {
            throw unsupported(
                "arithmetic in the select list is not supported; select a column or an aggregate", at: start)
        } else {
            throw syntax("a column or an aggregate", at: start)
        }
        try refuseContinuation(in: .selectList, start: start)
        var alias: Identifier?
        var bareAlias: Token?
        if current.isKeyword("as") {
            advance()
            guard current.isName else { throw syntax("an alias after AS", at: current) }
            alias = identifier(advance())
        } else if current.isName && !peek(1).isSymbol("(") {
            bareAlias = current
            alias = identifier(advance())
        }
        let item = SelectItem(expression: expression, alias: alias, heading: heading, position: start.position)
        return (item, bareAlias)
    }

    private static let aggregates: [String: AggregateFunction] = [
        "count": .count, "sum": .sum, "avg": .avg, "var_samp": .varSamp, "variance": .varSamp,
        "var_pop": .varPop, "stddev_samp": .stddevSamp, "stddev": .stddevSamp, "stddev_pop": .stddevPop,
        "covar_samp": .covarSamp, "covar_pop": .covarPop, "corr": .corr, "regr_slope": .regrSlope,
        "regr_intercept": .regrIntercept, "regr_r2": .regrR2, "regr_count": .regrCount, "linreg": .linreg,
    ]

    private static let aggregateList =
        "COUNT, SUM, AVG, VAR_SAMP (VARIANCE), VAR_POP, STDDEV_SAMP (STDDEV), STDDEV_POP, COVAR_SAMP, "
        + "COVAR_POP, CORR, REGR_SLOPE, REGR_INTERCEPT, REGR_R2, REGR_COUNT and LINREG"

    /// A function call in the select list: an aggregate or `WIDTH_BUCKET`.
    private mutating func selectCall() throws(SQLError) -> (SelectExpression, heading: String) {
        let name = current
        if let function = Self.aggregates[name.value] {
            advance()
            let aggregate = try aggregateCall(function, name: name)
            if current.isKeyword("over") {
                throw unsupported("window functions (OVER) are not supported", at: current)
            }
            if current.isKeyword("filter") && peek(1).isSymbol("(") {
                throw unsupported("FILTER is not supported; restrict the rows with WHERE", at: current)
            }
            if current.isKeyword("within") && peek(1).isKeyword("group") {
                throw unsupported("WITHIN GROUP is not supported", at: current)
            }
            return (.aggregate(aggregate), Self.heading(aggregate))
        }
        if name.value == "width_bucket" {
            advance()
            let bucket = try widthBucket(name: name)
            return (.widthBucket(bucket), Self.heading(bucket))
        }
        throw unsupported("function \(name.value) is not supported; the aggregates are \(Self.aggregateList)", at: name)
    }

    /// The arguments of an aggregate whose name has been read, checked against its arity.
    private mutating func aggregateCall(_ function: AggregateFunction, name: Token) throws(SQLError) -> Aggregate {
        let arguments = try callArguments(.aggregate)
        var columns: [Identifier] = []
        for argument in arguments {
            switch argument {
            case .star(let position):
                guard function == .count else {
                    throw SQLError(.invalid, at: position, "\(name.value)(*) is not an aggregate; only COUNT accepts *")
                }
                guard arguments.count == 1 else {
                    throw SQLError(.invalid, at: name.position, "count(*) takes no other arguments")
                }
                return Aggregate(function: .countRows, arguments: [], position: name.position)
            case .column(let column):
                columns.append(column)
            case .number(let literal):
                throw unsupported(Argument.Context.aggregate.expressionMessage, at: literal.position)
            case .otherLiteral(let position):
                throw unsupported(Argument.Context.aggregate.expressionMessage, at: position)
            }
        }
        let expected: String?
        switch function {
        case .countRows, .count:
            expected = columns.count == 1 ? nil : "1 column or *"
        case .sum, .avg, .varSamp, .varPop, .stddevSamp, .stddevPop:
            expected = columns.count == 1 ? nil : "1 column"
        case .covarSamp, .covarPop, .corr, .regrSlope, .regrIntercept, .regrR2, .regrCount:
            expected = columns.count == 2 ? nil : "2 columns (y, x)"
        case .linreg:
            expected = columns.count >= 2 ? nil : "2 or more columns (y, x1, …, xk)"
        }
        if let expected {
            throw SQLError(.invalid, at: name.position, "\(name.value) takes \(expected), found \(columns.count)")
        }
        return Aggregate(function: function, arguments: columns, position: name.position)
    }

    /// The arguments of `WIDTH_BUCKET(column, low, high, buckets)` whose name has been read.
    private mutating func widthBucket(name: Token) throws(SQLError) -> WidthBucket {
        let arguments = try callArguments(.widthBucket)
        guard arguments.count == 4 else {
            throw SQLError(
                .invalid, at: name.position,
                "width_bucket takes 4 arguments (column, low, high, buckets), found \(arguments.count)")
        }
        for case .star(let position) in arguments {
            throw SQLError(.invalid, at: position, "* is only accepted by COUNT(*)")
        }
        guard case .column(let column) = arguments[0] else {
            throw unsupported("the first argument of WIDTH_BUCKET must be a column", at: arguments[0].position)
        }
        var numbers: [NumberLiteral] = []
        for argument in arguments.dropFirst() {
            guard case .number(let literal) = argument else {
                throw unsupported(
                    "the bounds and bucket count of WIDTH_BUCKET must be number literals", at: argument.position)
            }
            numbers.append(literal)
        }
        return WidthBucket(
            column: column, low: numbers[0], high: numbers[1], buckets: numbers[2], position: name.position)
    }

    /// One argument of a function call.
    private enum Argument {
        case column(Identifier)
        case number(NumberLiteral)
        case star(SQLPosition)
        /// A string, boolean or NULL.
        case otherLiteral(SQLPosition)

        enum Context {
            case aggregate
            case widthBucket

            var expressionMessage: String {
                switch self {
                case .aggregate: "expressions inside aggregates are not supported; aggregate a column"
                case .widthBucket:
                    "expressions inside WIDTH_BUCKET are not supported; give a column and number literals"
                }
            }
        }

        var position: SQLPosition {
            switch self {
            case .column(let column): column.position
            case .number(let literal): literal.position
            case .star(let position), .otherLiteral(let position): position
            }
        }
    }

    /// `( argument, … )`, possibly empty; anything but a name, a literal or `*` is refused.
    private mutating func callArguments(_ context: Argument.Context) throws(SQLError) -> [Argument] {
        guard current.isSymbol("(") else { throw syntax("'('", at: current) }
        advance()
        var arguments: [Argument] = []
        if current.isSymbol(")") {
            advance()
            return arguments
        }
        while true {
            arguments.append(try callArgument(context))
            if current.isSymbol(",") {
                advance()
            } else if current.isSymbol(")") {
                advance()
                return arguments
            } else {
                throw syntax("',' or ')'", at: current)
            }
        }
    }

    private mutating func callArgument(_ context: Argument.Context) throws(SQLError) -> Argument {
        let start = current
        if start.isKeyword("distinct") { throw unsupported("DISTINCT is not supported", at: start) }
        if start.isKeyword("all") {
            throw unsupported("ALL is not supported inside a call; leave it out (it is the default)", at: start)
        }
        try refuseConstruct()
        let argument: Argument
        if start.isSymbol("*") {
            advance()
            argument = .star(start.position)
        } else if start.isFunctionName && peek(1).isSymbol("(") {
            throw unsupported(context.expressionMessage, at: start)
        } else if let operand = try operand() {
            switch operand {
            case .column(let column): argument = .column(column)
            case .number(let literal): argument = .number(literal)
            case .string, .boolean, .null: argument = .otherLiteral(operand.position)
            }
        } else if start.isSymbol("(") || Continuation(start) != nil {
            throw unsupported(context.expressionMessage, at: start)
        } else {
            throw syntax("a column", at: start)
        }
        if current.isSymbol("::") { throw unsupported("casts (::) are not supported", at: current) }
        if Continuation(current) != nil || current.isSymbol("(") {
            throw unsupported(context.expressionMessage, at: start)
        }
        return argument
    }

    // MARK: - FROM

    private static let aliasFollowers: Set<String> = [
        "where", "group", "having", "order", "limit", "offset", "fetch", "union", "intersect", "except",
        "window", "join", "inner", "left", "right", "full", "cross", "natural", "on", "using",
    ]

    private mutating func dataset() throws(SQLError) -> Identifier {
        let start = current
        if start.isSymbol("(") {
            if peek(1).isKeyword("select") { throw unsupported("subqueries are not supported", at: start) }
            throw unsupported("parenthesised FROM items are not supported; name one dataset", at: start)
        }
        if start.isKeyword("lateral") { throw unsupported("LATERAL is not supported", at: start) }
        guard start.isName else { throw syntax("a dataset name", at: start) }
        advance()
        if current.isSymbol(".") {
            throw unsupported(
                "qualified dataset names (\(start.text).\(peek(1).text)) are not supported; name the dataset alone",
                at: start)
        }
        if current.isSymbol("(") {
            throw unsupported("table functions are not supported; name a dataset", at: start)
        }
        let name = identifier(start)
        if current.isKeyword("as") {
            throw unsupported("table aliases are not supported; refer to columns by their names", at: current)
        }
        // `FROM visits v` is an alias; `FROM visits WHRE x = 1` a misspelt keyword, left to
        // the caller's "expected WHERE …".
        if current.isName {
            let next = peek(1)
            let endsAlias: Bool
            switch next.kind {
            case .end, .error: endsAlias = true
            case .symbol: endsAlias = next.value == ";" || next.value == ","
            case .word: endsAlias = Self.aliasFollowers.contains(next.value)
            default: endsAlias = false
            }
            if endsAlias {
                throw unsupported("table aliases are not supported; refer to columns by their names", at: current)
            }
        }
        return name
    }

    // MARK: - WHERE

    /// `condition := conjunction (OR conjunction)*`: NOT binds tighter than AND, AND than OR.
    private mutating func condition() throws(SQLError) -> Predicate {
        var left = try conjunction()
        while current.isKeyword("or") {
            advance()
            left = .or(left, try conjunction())
        }
        return left
    }

    private mutating func conjunction() throws(SQLError) -> Predicate {
        var left = try negation()
        while current.isKeyword("and") {
            advance()
            left = .and(left, try negation())
        }
        return left
    }

    private mutating func negation() throws(SQLError) -> Predicate {
        guard current.isKeyword("not") else { return try primaryCondition() }
        let not = advance()
        try enter(at: not)
        defer { nesting -= 1 }
        return .not(try negation(), position: not.position)
    }

    /// One level deeper into the condition; refused beyond `SQLParser.maximumNesting`.
    private mutating func enter(at token: Token) throws(SQLError) {
        nesting += 1
        guard nesting <= SQLParser.maximumNesting else {
            throw SQLError(
                .invalid, at: token.position,
                "the condition is nested more than \(SQLParser.maximumNesting) levels deep; simplify it")
        }
    }

    private mutating func primaryCondition() throws(SQLError) -> Predicate {
        let start = current
        conditions += 1
        guard conditions <= SQLParser.maximumConditions else {
            throw SQLError(
                .invalid, at: start.position,
                "the condition has more than \(SQLParser.maximumConditions) parts; simplify it")
        }
        if start.isSymbol("(") && !peek(1).isKeyword("select") {
            advance()
            try enter(at: start)
            defer { nesting -= 1 }
            let inner = try condition()
            if current.isSymbol(",") {
                throw unsupported("row values such as (a, b) are not supported; compare columns one by one", at: start)
            }
            guard current.isSymbol(")") else { throw syntax("AND, OR or ')'", at: current) }
            advance()
            if let kind = Continuation(current), kind != .logic {
                throw unsupported(
                    "parenthesised expressions as values are not supported; compare a column with a literal",
                    at: start)
            }
            if current.isSymbol("::") { throw unsupported("casts (::) are not supported", at: current) }
            return inner
        }
        guard let left = try conditionOperand() else { throw syntax("a condition", at: start) }
        return try predicate(after: left)
    }

    private static let comparisons: [String: ComparisonOperator] = [
        "=": .equal, "<>": .notEqual, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater,
        ">=": .greaterOrEqual,
    ]

    /// What follows the first operand of a condition.
    private mutating func predicate(after left: Operand) throws(SQLError) -> Predicate {
        if current.kind == .symbol, let comparison = Self.comparisons[current.value] {
            advance()
            if current.isKeyword(in: ["any", "all", "some"]) {
                throw unsupported("\(current.value.uppercased()) comparisons are not supported", at: current)
            }
            let right = try value()
            return .comparison(left, comparison, right, position: left.position)
        }
        var negated = false
        if current.isKeyword("not") && peek(1).isKeyword(in: ["between", "in", "like", "ilike", "similar"]) {
            advance()
            negated = true
        }
        if current.isKeyword(in: ["like", "ilike"]) {
            throw unsupported("\(current.value.uppercased()) is not supported; compare with = or IN (…)", at: current)
        }
        if current.isKeyword("similar") {
            throw unsupported("SIMILAR TO is not supported; compare with = or IN (…)", at: current)
        }
        if current.isKeyword("between") {
            advance()
            if current.isKeyword(in: ["symmetric", "asymmetric"]) {
                throw unsupported("BETWEEN \(current.value.uppercased()) is not supported", at: current)
            }
            let low = try value()
            guard current.isKeyword("and") else { throw syntax("AND", at: current) }
            advance()
            let high = try value()
            return .between(left, low: low, high: high, negated: negated, position: left.position)
        }
        if current.isKeyword("in") {
            advance()
            guard current.isSymbol("(") else { throw syntax("'('", at: current) }
            if peek(1).isKeyword("select") { throw unsupported("subqueries are not supported", at: current) }
            advance()
            var list = [try value()]
            while current.isSymbol(",") {
                advance()
                list.append(try value())
            }
            guard current.isSymbol(")") else { throw syntax("',' or ')'", at: current) }
            advance()
            return .inList(left, list, negated: negated, position: left.position)
        }
        if current.isKeyword("is") {
            advance()
            var isNot = false
            if current.isKeyword("not") {
                advance()
                isNot = true
            }
            if current.isKeyword("null") {
                advance()
                return .isNull(left, negated: isNot, position: left.position)
            }
            if current.isKeyword(in: ["true", "false", "unknown"]) {
                throw unsupported(
                    "IS \(isNot ? "NOT " : "")\(current.value.uppercased()) is not supported; compare with = or <>",
                    at: current)
            }
            if current.isKeyword("distinct") {
                throw unsupported("IS DISTINCT FROM is not supported; compare with = or <>", at: current)
            }
            throw syntax(isNot ? "NULL" : "NULL or NOT NULL", at: current)
        }
        return .operand(left)
    }

    /// The operand after a comparison operator, `BETWEEN`, `AND` or inside `IN (…)`.
    private mutating func value() throws(SQLError) -> Operand {
        let start = current
        if start.isSymbol("(") && peek(1).isKeyword("select") {
            throw unsupported("subqueries are not supported", at: start)
        }
        guard let operand = try conditionOperand() else {
            if start.isSymbol("(") {
                throw unsupported(
                    "parenthesised expressions as values are not supported; compare a column with a literal",
                    at: start)
            }
            throw syntax("a value", at: start)
        }
        return operand
    }

    /// A column or literal in a condition, refusing calls, casts and arithmetic; nil if the
    /// current token does not start one.
    private mutating func conditionOperand() throws(SQLError) -> Operand? {
        let start = current
        try refuseConstruct()
        if start.isFunctionName && peek(1).isSymbol("(") {
            if Self.aggregates[start.value] != nil {
                throw SQLError(
                    .invalid, at: start.position,
                    "aggregates are not allowed in WHERE (found \(start.value)); WHERE filters rows before aggregation")
            }
            throw unsupported(
                "function \(start.value) is not supported in conditions; compare a column with a literal", at: start)
        }
        guard let operand = try operand() else {
            if let kind = Continuation(start), kind == .arithmetic || kind == .otherOperator {
                throw unsupported(Self.operatorMessage(start), at: start)
            }
            return nil
        }
        try refuseContinuation(in: .condition, start: start)
        return operand
    }

    private static func operatorMessage(_ token: Token) -> String {
        guard Continuation(token) == .arithmetic else {
            return "operator \(token.text) is not supported; compare a column with a literal"
        }
        return "arithmetic is not supported in conditions (found \(token.text)); compare a column with a literal"
    }

    // MARK: - GROUP BY

    private mutating func groupItems() throws(SQLError) -> [GroupItem] {
        if current.isKeyword(in: ["distinct", "all"]) {
            throw unsupported("GROUP BY \(current.value.uppercased()) is not supported", at: current)
        }
        var items = [try groupItem()]
        while current.isSymbol(",") {
            advance()
            items.append(try groupItem())
        }
        return items
    }

    private mutating func groupItem() throws(SQLError) -> GroupItem {
        try refuseBadSignedNumber()
        let start = current
        try refuseConstruct()
        let item: GroupItem
        if start.kind == .number || ((start.isSymbol("-") || start.isSymbol("+")) && peek(1).kind == .number) {
            throw unsupported("GROUP BY a position (GROUP BY 1) is not supported; name the column", at: start)
        } else if start.isFunctionName && peek(1).isSymbol("(") {
            switch start.value {
            case "width_bucket":
                advance()
                item = .widthBucket(try widthBucket(name: start))
            case _ where Self.aggregates[start.value] != nil:
                throw SQLError(.invalid, at: start.position, "aggregates are not allowed in GROUP BY")
            case "rollup", "cube", "grouping":
                throw unsupported("ROLLUP, CUBE and GROUPING SETS are not supported", at: start)
            default:
                throw unsupported(
                    "function \(start.value) is not supported in GROUP BY; group by a column or WIDTH_BUCKET(…)",
                    at: start)
            }
        } else if start.isKeyword("grouping") && peek(1).isKeyword("sets") {
            throw unsupported("ROLLUP, CUBE and GROUPING SETS are not supported", at: start)
        } else if start.isName {
            item = .column(try columnName())
        } else if start.isSymbol("(") {
            throw unsupported("parenthesised GROUP BY items are not supported; list the columns", at: start)
        } else if start.startsLiteral(next: peek(1)) {
            throw unsupported(
                "constants in GROUP BY are not supported; group by a column or WIDTH_BUCKET(…)", at: start)
        } else {
            throw syntax("a column or WIDTH_BUCKET(…)", at: start)
        }
        try refuseContinuation(in: .groupBy, start: start)
        return item
    }

    // MARK: - Operands and names

    /// A column, a (signed) number, a string, TRUE, FALSE or NULL; nil, consuming nothing,
    /// if the current token does not start one.
    private mutating func operand() throws(SQLError) -> Operand? {
        try refuseBadSignedNumber()
        let start = current
        switch start.kind {
        case .number:
            advance()
            return .number(Self.number(start, negative: false, at: start.position))
        case .symbol where (start.value == "-" || start.value == "+") && peek(1).kind == .number:
            advance()
            let digits = advance()
            return .number(Self.number(digits, negative: start.value == "-", at: start.position))
        case .string:
            advance()
            return .string(start.value, position: start.position)
        case .word where start.value == "true" || start.value == "false":
            advance()
            return .boolean(start.value == "true", position: start.position)
        case .word where start.value == "null":
            advance()
            return .null(position: start.position)
        case .word where Self.typedLiteralKeywords.contains(start.value) && peek(1).kind == .string:
            throw unsupported(
                "typed literals (\(start.text.uppercased()) '…') are not supported; compare with a plain literal",
                at: start)
        case .word, .quotedName:
            return start.isName ? .column(try columnName()) : nil
        default:
            return nil
        }
    }

    private static let typedLiteralKeywords: Set<String> = ["date", "time", "timestamp", "interval"]

    /// A name used as a column; refuses `table.column`.
    private mutating func columnName() throws(SQLError) -> Identifier {
        let name = advance()
        if current.isSymbol(".") {
            throw unsupported(
                "qualified names (\(name.text).\(peek(1).text)) are not supported; "
                    + "a query reads one dataset, so write the column name alone",
                at: name)
        }
        return identifier(name)
    }

    private func identifier(_ token: Token) -> Identifier {
        Identifier(token.value, at: token.position)
    }

    private static func number(_ token: Token, negative: Bool, at position: SQLPosition) -> NumberLiteral {
        let parts = token.value.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? parts[1] : ""
        // The lexer makes number tokens of digits and at most one "." with a digit beside it.
        guard let magnitude = BigInt(parts[0] + fraction) else { preconditionFailure("not a number token") }
        return NumberLiteral(significand: negative ? -magnitude : magnitude, scale: fraction.count, position: position)
    }

    // MARK: - Refusals shared by several places

    /// Refuses the constructs that can start a value anywhere: subqueries, CASE, CAST.
    private func refuseConstruct() throws(SQLError) {
        let token = current
        if token.isSymbol("(") && peek(1).isKeyword("select") || token.isKeyword("select") {
            throw unsupported("subqueries are not supported", at: token)
        }
        if token.isKeyword("exists") { throw unsupported("subqueries (EXISTS) are not supported", at: token) }
        if token.isKeyword("case") { throw unsupported("CASE expressions are not supported", at: token) }
        if token.isKeyword("cast") && peek(1).isSymbol("(") { throw unsupported("CAST is not supported", at: token) }
    }

    /// Reports the lexer's error for `-1e3`: the sign is a token of its own, and without this
    /// the parser would stop at it and call it arithmetic.
    private func refuseBadSignedNumber() throws(SQLError) {
        guard current.isSymbol("-") || current.isSymbol("+"), case .error(let error) = peek(1).kind else { return }
        throw error
    }

    /// Where an expression is being read, for `refuseContinuation`.
    private enum Place {
        case selectList
        case condition
        case groupBy
    }

    /// Refuses an operator, cast or condition continuing the item that began at `start`.
    private func refuseContinuation(in place: Place, start: Token) throws(SQLError) {
        let token = current
        if token.isSymbol("::") { throw unsupported("casts (::) are not supported", at: token) }
        if token.isKeyword("collate") { throw unsupported("COLLATE is not supported", at: token) }
        guard let kind = Continuation(token) else { return }
        switch (place, kind) {
        case (.selectList, .arithmetic), (.selectList, .otherOperator):
            throw unsupported(
                "arithmetic in the select list is not supported (found \(token.text)); "
                    + "select the aggregates and combine them afterwards",
                at: token)
        case (.selectList, .comparison), (.selectList, .predicate), (.selectList, .logic):
            throw unsupported("conditions in the select list are not supported; use WHERE", at: token)
        case (.condition, .arithmetic), (.condition, .otherOperator):
            throw unsupported(Self.operatorMessage(token), at: token)
        case (.groupBy, .arithmetic), (.groupBy, .otherOperator), (.groupBy, .comparison), (.groupBy, .predicate):
            throw unsupported(
                "expressions in GROUP BY are not supported; group by a column or WIDTH_BUCKET(…)", at: start)
        case (.condition, _), (.groupBy, .logic):
            return
        }
    }

    // MARK: - Tokens and errors

    private var current: Token { tokens[index] }

    /// The token `ahead` places after the current one (0 is the current one); the last
    /// token (end or error) past the end.
    private func peek(_ ahead: Int) -> Token { tokens[min(index + ahead, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    /// "expected …, found …" at `token`; a lexer error if the parser stopped at one.
    private func syntax(_ expected: String, at token: Token) -> SQLError {
        if case .error(let error) = token.kind { return error }
        return SQLError(.syntax, at: token.position, "expected \(expected), found \(token.found)")
    }

    private func unsupported(_ message: String, at token: Token) -> SQLError {
        unsupported(message, at: token.position)
    }

    private func unsupported(_ message: String, at position: SQLPosition) -> SQLError {
        SQLError(.unsupported, at: position, message)
    }

    // MARK: - Headings

    private static func heading(_ aggregate: Aggregate) -> String {
        guard aggregate.function != .countRows else { return AggregateFunction.countRows.rawValue }
        let arguments = aggregate.arguments.map { canonical($0.name) }.joined(separator: ", ")
        return "\(aggregate.function.rawValue)(\(arguments))"
    }

    private static func heading(_ bucket: WidthBucket) -> String {
        let arguments = [canonical(bucket.column.name)] + [bucket.low, bucket.high, bucket.buckets].map(canonical)
        return "width_bucket(\(arguments.joined(separator: ", ")))"
    }

    /// A name as SQL would write it: bare when it reads back as the same name, else quoted.
    static func canonical(_ name: String) -> String {
        let scalars = name.unicodeScalars
        let bare = name == name.lowercased() && !SQLKeywords.reserved.contains(name)
            && scalars.first.map { $0 == "_" || $0.properties.isAlphabetic } == true
            && scalars.allSatisfy { $0 == "_" || $0 == "$" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
        guard !bare else { return name }
        var quoted = "\""
        for character in name { quoted += character == "\"" ? "\"\"" : String(character) }
        return quoted + "\""
    }

    /// A number in plain decimal notation with exactly `scale` decimals (`-12.50`, `0.5`).
    static func canonical(_ literal: NumberLiteral) -> String {
        let negative = literal.significand < 0
        var digits = (negative ? -literal.significand : literal.significand).description
        if literal.scale > 0 {
            if digits.count <= literal.scale {
                digits = String(repeating: "0", count: literal.scale - digits.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -literal.scale))
        }
        return negative ? "-" + digits : digits
    }
}

/// What a token would make of the expression before it, if it continued one.
private enum Continuation: Equatable {
    /// `+ - * / % ^`
    case arithmetic
    /// `|| & | ~`
    case otherOperator
    /// `= <> != < <= > >=`
    case comparison
    /// `IS`, `IN`, `BETWEEN`, `LIKE`, `ILIKE`, `SIMILAR`, `NOT`
    case predicate
    /// `AND`, `OR`
    case logic

    init?(_ token: Token) {
        switch token.kind {
        case .symbol:
            switch token.value {
            case "+", "-", "*", "/", "%", "^": self = .arithmetic
            case "||", "&", "|", "~": self = .otherOperator
            case "=", "<>", "!=", "<", "<=", ">", ">=": self = .comparison
            default: return nil
            }
        case .word:
            switch token.value {
            case "is", "in", "between", "like", "ilike", "similar", "not": self = .predicate
            case "and", "or": self = .logic
            default: return nil
            }
        default:
            return nil
        }
    }
}

extension Token {
    /// Whether the token can name a function: a name, or the reserved words that are also
    /// SQL functions (so that `LEFT(x, 1)` is refused as a function, not misread).
    fileprivate var isFunctionName: Bool { isName || isKeyword(in: ["left", "right"]) }

    /// Whether the token starts a literal: a number (perhaps signed), a string, TRUE, FALSE
    /// or NULL.
    fileprivate func startsLiteral(next: Token) -> Bool {
        switch kind {
        case .number, .string: true
        case .symbol: (value == "-" || value == "+") && next.kind == .number
        case .word: value == "true" || value == "false" || value == "null"
        default: false
        }
    }
}
