import BigNum

/// A place in SQL text: line and column counted from 1 (columns in Unicode scalars),
/// and the offset in Unicode scalars from the start, counted from 0.
public struct SQLPosition: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public static func < (lhs: SQLPosition, rhs: SQLPosition) -> Bool { lhs.offset < rhs.offset }

    public var description: String { "line \(line), column \(column)" }
}

/// An error in a query: what is wrong, where, and (for syntax errors) what was expected.
/// `description` reads `line 1, column 8: expected …`.
public struct SQLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// Not SQL this dialect can read: an unexpected token, an unclosed string.
        case syntax
        /// SQL that is valid elsewhere but which Fedstat does not run (MIN/MAX, joins,
        /// subqueries, `SELECT *`, `ORDER BY`, grouping by a numeric column, …).
        case unsupported
        /// A dataset the catalog does not have.
        case unknownDataset
        /// A column the dataset does not have.
        case unknownColumn
        /// A column or literal of a type the construct does not accept (`SUM` of a
        /// category, a string compared with a number, a category value not in the list).
        case typeMismatch
        /// A construct used wrongly (a selected column missing from `GROUP BY`, a bad
        /// `WIDTH_BUCKET`, a literal with more decimals than the column has).
        case invalid
        /// The planner cannot prove that the sums stay exact (they could overflow).
        case overflow
    }

    public var code: Code
    /// Where in the query text.
    public var position: SQLPosition
    public var message: String

    public init(_ code: Code, at position: SQLPosition, _ message: String) {
        self.code = code
        self.position = position
        self.message = message
    }

    public var description: String { "\(position): \(message)" }
}

/// `SELECT items FROM dataset [WHERE predicate] [GROUP BY groups]`, as written.
public struct SelectStatement: Sendable, Equatable {
    public var items: [SelectItem]
    public var from: Identifier
    public var predicate: Predicate?
    public var groupBy: [GroupItem]

    public init(items: [SelectItem], from: Identifier, predicate: Predicate?, groupBy: [GroupItem]) {
        self.items = items
        self.from = from
        self.predicate = predicate
        self.groupBy = groupBy
    }
}

/// A name: a column or dataset. Unquoted names are folded to lowercase (as SQL does);
/// `"Quoted"` names are kept as written.
public struct Identifier: Sendable, Equatable, Hashable {
    public var name: String
    public var position: SQLPosition

    public init(_ name: String, at position: SQLPosition) {
        self.name = name
        self.position = position
    }
}

/// One entry of the select list.
public struct SelectItem: Sendable, Equatable {
    public var expression: SelectExpression
    /// `AS alias`, if given.
    public var alias: Identifier?
    /// The default column heading when there is no alias: the expression in canonical
    /// form (`avg(cost)`, `count(*)`, `width_bucket(age, 0, 100, 10)`, `district`).
    public var heading: String
    public var position: SQLPosition

    public init(expression: SelectExpression, alias: Identifier?, heading: String, position: SQLPosition) {
        self.expression = expression
        self.alias = alias
        self.heading = heading
        self.position = position
    }
}

public enum SelectExpression: Sendable, Equatable {
    /// A group column.
    case column(Identifier)
    /// `WIDTH_BUCKET(…)` that is also a `GROUP BY` item.
    case widthBucket(WidthBucket)
    case aggregate(Aggregate)
}

/// An aggregate call: `COUNT(*)`, `SUM(cost)`, `CORR(y, x)`, `LINREG(y, x1, x2)`.
public struct Aggregate: Sendable, Equatable {
    public var function: AggregateFunction
    /// The column arguments in order; empty for `COUNT(*)`.
    public var arguments: [Identifier]
    public var position: SQLPosition

    public init(function: AggregateFunction, arguments: [Identifier], position: SQLPosition) {
        self.function = function
        self.arguments = arguments
        self.position = position
    }
}

/// The aggregates of the dialect. `VARIANCE` is read as `var_samp`, `STDDEV` as
/// `stddev_samp` (as PostgreSQL does).
public enum AggregateFunction: String, Sendable, Equatable, Hashable, CaseIterable {
    /// `COUNT(*)`: rows.
    case countRows = "count(*)"
    /// `COUNT(col)`: non-NULL values.
    case count
    case sum
    case avg
    case varSamp = "var_samp"
    case varPop = "var_pop"
    case stddevSamp = "stddev_samp"
    case stddevPop = "stddev_pop"
    case covarSamp = "covar_samp"
    case covarPop = "covar_pop"
    case corr
    case regrSlope = "regr_slope"
    case regrIntercept = "regr_intercept"
    case regrR2 = "regr_r2"
    case regrCount = "regr_count"
    /// `LINREG(y, x1, …, xk)`: multiple ordinary least squares with an intercept.
    case linreg
}

/// `WIDTH_BUCKET(column, low, high, buckets)` with PostgreSQL semantics: values below
/// `low` go to bucket 0, values at or above `high` to `buckets + 1`.
public struct WidthBucket: Sendable, Equatable {
    public var column: Identifier
    public var low: NumberLiteral
    public var high: NumberLiteral
    public var buckets: NumberLiteral
    public var position: SQLPosition

    public init(column: Identifier, low: NumberLiteral, high: NumberLiteral, buckets: NumberLiteral, position: SQLPosition) {
        self.column = column
        self.low = low
        self.high = high
        self.buckets = buckets
        self.position = position
    }
}

/// A `GROUP BY` entry.
public enum GroupItem: Sendable, Equatable {
    case column(Identifier)
    case widthBucket(WidthBucket)
}

/// A number as written, exactly: `significand / 10^scale` (`-12.50` is −1250 with
/// scale 2). Never a floating-point value.
public struct NumberLiteral: Sendable, Equatable {
    public var significand: BigInt
    public var scale: Int
    public var position: SQLPosition

    public init(significand: BigInt, scale: Int, position: SQLPosition) {
        self.significand = significand
        self.scale = scale
        self.position = position
    }

    /// The exact value.
    public var value: BigRational {
        BigRational(numerator: significand, denominator: BigInt(10).power(scale))
    }
}

/// A `WHERE` condition.
public indirect enum Predicate: Sendable, Equatable {
    case comparison(Operand, ComparisonOperator, Operand, position: SQLPosition)
    /// `x [NOT] BETWEEN low AND high`.
    case between(Operand, low: Operand, high: Operand, negated: Bool, position: SQLPosition)
    /// `x [NOT] IN (a, b, …)`.
    case inList(Operand, [Operand], negated: Bool, position: SQLPosition)
    /// `x IS [NOT] NULL`.
    case isNull(Operand, negated: Bool, position: SQLPosition)
    case and(Predicate, Predicate)
    case or(Predicate, Predicate)
    case not(Predicate, position: SQLPosition)
    /// A boolean column or literal used as a condition (`WHERE insured`, `WHERE TRUE`).
    case operand(Operand)
}

public enum ComparisonOperator: String, Sendable, Equatable, CaseIterable {
    case equal = "="
    case notEqual = "<>"
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// A value in a condition.
public enum Operand: Sendable, Equatable {
    case column(Identifier)
    case number(NumberLiteral)
    /// `'text'` (a category value).
    case string(String, position: SQLPosition)
    case boolean(Bool, position: SQLPosition)
    case null(position: SQLPosition)

    public var position: SQLPosition {
        switch self {
        case .column(let identifier): identifier.position
        case .number(let literal): literal.position
        case .string(_, let position), .boolean(_, let position), .null(let position): position
        }
    }
}
