import BigNum
import Crypto

/// The canonical plan of a query: which rows count (the filter), how they are grouped,
/// which integer sums every participant computes per group, and how the summed vector
/// becomes the answer. Built by `Planner` from SQL and the catalog; every node that
/// builds it from the same SQL and catalog gets the same `canonicalEncoding` and so the
/// same `hash`, to which the protocols bind everything else (DESIGN.md, "Query
/// lifecycle" step 2).
///
/// The vector a participant contributes has `groupCount × terms.count` entries, group
/// major: entry `g × terms.count + t` is term `t` summed over the rows of group cell `g`,
/// in Z_{2^128}.
public struct Plan: Sendable, Equatable {
    /// The encoding's version; part of the encoding, so a change to it changes the hash.
    public static let encodingVersion = 2

    /// The dataset the query reads.
    public var dataset: String
    /// The dataset columns the plan reads, in the order a row source must yield them.
    public var columns: [Column]
    /// Which rows count; nil for all rows.
    public var filter: Condition?
    /// The group keys, outermost first.
    public var groups: [GroupKey]
    /// The integer sums computed for every group cell.
    public var terms: [Term]
    /// The result columns.
    public var outputs: [Output]
    /// The number of participants the overflow proof allows for.
    public var participants: Int
    /// The largest number of rows one participant may contribute (the catalog's).
    public var maxRowsPerNode: Int64
    /// Per term: the smallest and largest value the federation-wide sum can take.
    public var termRanges: [ClosedRange<BigInt>]

    /// Number of group cells: the product of every key's level count (1 without keys).
    public var groupCount: Int { groups.reduce(1) { $0 * $1.levelCount } }
    /// Length of every participant's vector.
    public var vectorLength: Int { groupCount * terms.count }
    /// The index of the `COUNT(*)` term (every plan has one: it decides which groups
    /// exist and which are small enough to suppress).
    public var rowCountTerm: Int { terms.firstIndex(of: Term(factors: [], present: []))! }

    /// Bits a signed slot needs to hold any term's federation-wide sum (two's
    /// complement): what a packed Paillier plaintext must reserve per value.
    public var slotBits: Int {
        termRanges.map { range in
            Swift.max(Self.signedBits(range.lowerBound), Self.signedBits(range.upperBound))
        }.max() ?? 1
    }

    static func signedBits(_ value: BigInt) -> Int {
        // x needs b bits in two's complement iff -2^(b-1) <= x < 2^(b-1).
        value.signum() >= 0 ? value.bitLength + 1 : (value + BigInt(1)).magnitude.bitLength + 1
    }
}

/// A boolean condition over a row, compiled to integer comparisons on cells (numbers
/// already scaled: `cost > 12.345` on a `decimal(2)` column is `cost >= 1235`). SQL's
/// three-valued logic: a comparison involving NULL is unknown (nil); `WHERE` keeps a
/// row only when the condition is true.
public indirect enum Condition: Sendable, Equatable {
    case constant(Bool?)
    /// `column IS NULL` (or `IS NOT NULL` when negated); never unknown.
    case isNull(column: Int, negated: Bool)
    /// `cell op value`.
    case compare(column: Int, ComparisonOperator, Int64)
    /// `cell(left) × 10^leftShift  op  cell(right) × 10^rightShift` (columns of
    /// different scales brought to a common one).
    case compareColumns(left: Int, ComparisonOperator, right: Int, leftShift: Int, rightShift: Int)
    /// `cell IN (values)`; `containsNull` makes a non-match unknown instead of false.
    case inSet(column: Int, values: [Int64], containsNull: Bool)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)
}

/// One group key.
public struct GroupKey: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A category or boolean column: one level per value (category order; false
        /// before true).
        case values(count: Int)
        /// `WIDTH_BUCKET(column, low, high, buckets)`: levels 0 … buckets + 1.
        case widthBucket(WidthBucketParameters)
    }

    /// The plan column the key reads.
    public var column: Int
    public var kind: Kind
    /// Whether NULL is a level of its own (the last), as SQL groups NULLs together.
    public var nullLevel: Bool

    /// Number of levels of this key.
    public var levelCount: Int {
        let base: Int
        switch kind {
        case .values(let count): base = count
        case .widthBucket(let parameters): base = parameters.buckets + 2
        }
        return base + (nullLevel ? 1 : 0)
    }
}

/// The exact parameters of a `WIDTH_BUCKET`, and the integer thresholds that implement
/// it on scaled cells.
public struct WidthBucketParameters: Sendable, Equatable {
    /// `low` and `high` exactly as written (in the column's units).
    public var low: BigRational
    public var high: BigRational
    public var buckets: Int
    /// Threshold `i` (0 … buckets) is the boundary `low + i × (high − low) / buckets`
    /// in scaled cell units, rounded so that integer comparisons are exact: for
    /// `low < high` a cell `v` is in a bucket `≥ i + 1` iff `v ≥ thresholds[i]`
    /// (ceilings); for `low > high` iff `v ≤ thresholds[i]` (floors). Clamped to the
    /// Int64 range (cells are Int64).
    public var thresholds: [Int64]

    public var ascending: Bool { low < high }

    /// PostgreSQL's `width_bucket` for a scaled cell: 0 below the range, `buckets + 1`
    /// at or above its end.
    @inlinable
    public func bucket(_ value: Int64) -> Int {
        // Number of thresholds the value has passed (thresholds are monotone).
        var lowIndex = 0
        var highIndex = thresholds.count
        if ascending {
            while lowIndex < highIndex {
                let middle = (lowIndex + highIndex) / 2
                if value >= thresholds[middle] { lowIndex = middle + 1 } else { highIndex = middle }
            }
        } else {
            while lowIndex < highIndex {
                let middle = (lowIndex + highIndex) / 2
                if value <= thresholds[middle] { lowIndex = middle + 1 } else { highIndex = middle }
            }
        }
        return lowIndex
    }
}

/// One integer sum per group: Σ over the rows of the group in which every column of
/// `present` is non-NULL, of the product of the `factors` cells (1 when there are no
/// factors: a count). `factors ⊆ present`, both sorted.
public struct Term: Sendable, Equatable, Hashable {
    public var factors: [Int]
    public var present: [Int]

    public init(factors: [Int], present: [Int]) {
        self.factors = factors.sorted()
        self.present = Array(Set(present + factors)).sorted()
    }
}

/// A result column: a group key's label or an aggregate computed from terms.
public struct Output: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The label of group key `index`.
        case group(Int)
        /// An aggregate over the plan columns `arguments` (empty for `COUNT(*)`), from
        /// the named terms.
        case aggregate(AggregateFunction, arguments: [Int], terms: AggregateTerms)
    }

    public var heading: String
    public var kind: Kind
}

/// The terms an aggregate reads (indices into `Plan.terms`), over the rows in which all
/// its arguments are non-NULL:
/// - `count`: the number of such rows;
/// - `sums[i]`: Σ argument i;
/// - `products[i][j]` (j ≥ i): Σ argument i × argument j.
public struct AggregateTerms: Sendable, Equatable {
    public var count: Int
    public var sums: [Int]
    public var products: [[Int]]
}

// MARK: - Canonical encoding

extension Plan {
    /// The plan as canonical text: one line per element, integers in decimal, no
    /// optional whitespace. Everything that influences which sums are computed or how
    /// they are finalised is in it, so two nodes agree on the hash only if they would
    /// compute and present the same thing.
    public var canonicalEncoding: [UInt8] {
        var lines = ["fedstat-plan \(Self.encodingVersion)", "dataset \(Self.quoted(dataset))"]
        lines.append("participants \(participants) max-rows-per-node \(maxRowsPerNode)")
        for (index, column) in columns.enumerated() {
            lines.append("column \(index) \(Self.quoted(column.name)) \(Self.encode(column.type)) \(column.nullable ? "nullable" : "not-null")")
        }
        lines.append("where " + (filter.map(Self.encode) ?? "all"))
        for key in groups {
            var line = "group \(key.column) "
            switch key.kind {
            case .values(let count): line += "values \(count)"
            case .widthBucket(let parameters):
                line += "width-bucket \(parameters.low) \(parameters.high) \(parameters.buckets) "
                line += "thresholds-sha256 " + Self.hex(Self.thresholdsDigest(parameters.thresholds))
            }
            lines.append(line + (key.nullLevel ? " null-level" : ""))
        }
        for (index, term) in terms.enumerated() {
            let factors = term.factors.map(String.init).joined(separator: ",")
            let present = term.present.map(String.init).joined(separator: ",")
            lines.append("term \(index) product [\(factors)] present [\(present)] range \(termRanges[index].lowerBound) \(termRanges[index].upperBound)")
        }
        for output in outputs {
            var line = "output \(Self.quoted(output.heading)) "
            switch output.kind {
            case .group(let index): line += "group \(index)"
            case .aggregate(let function, let arguments, let terms):
                line += "\(function.rawValue) [\(arguments.map(String.init).joined(separator: ","))] count \(terms.count)"
                line += " sums [\(terms.sums.map(String.init).joined(separator: ","))]"
                line += " products [" + terms.products.map { $0.map(String.init).joined(separator: ",") }.joined(separator: ";") + "]"
            }
            lines.append(line)
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// SHA-256 of the thresholds, each as 8 bytes big-endian two's complement, in order.
    ///
    /// The encoding carries this digest rather than the list: it still binds the exact
    /// integer edges every node computed (two implementations that rounded a boundary
    /// differently disagree on the hash instead of binning rows differently), while a
    /// 10,000-bucket histogram's plan stays a few hundred bytes instead of 60 KB that
    /// every node would write, send, parse and hash for every query.
    public static func thresholdsDigest(_ thresholds: [Int64]) -> [UInt8] {
        let bytes = [UInt8](unsafeUninitializedCapacity: thresholds.count * 8) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for (index, value) in thresholds.enumerated() {
                raw.storeBytes(of: value.bigEndian, toByteOffset: index * 8, as: Int64.self)
            }
            initialized = thresholds.count * 8
        }
        return Array(SHA256.hash(data: bytes))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// SHA-256 of `canonicalEncoding`.
    public var hash: [UInt8] { encodingAndHash.hash }

    /// `canonicalEncoding` and `hash` from one encoding, for callers that need both.
    public var encodingAndHash: (encoding: [UInt8], hash: [UInt8]) {
        let encoding = canonicalEncoding
        return (encoding, Array(SHA256.hash(data: encoding)))
    }

    /// `text` in double quotes with `\\`, `"` and control characters escaped, so no
    /// name can forge another line of the encoding.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func encode(_ type: ColumnType) -> String {
        switch type {
        case .integer(let min, let max): "integer \(min) \(max)"
        case .decimal(let scale, let min, let max): "decimal \(scale) \(min) \(max)"
        case .category(let values): "category [" + values.map(quoted).joined(separator: ",") + "]"
        case .boolean: "boolean"
        }
    }

    static func encode(_ condition: Condition) -> String {
        switch condition {
        case .constant(let value): value.map { $0 ? "true" : "false" } ?? "unknown"
        case .isNull(let column, let negated): "(\(negated ? "not-null" : "null") \(column))"
        case .compare(let column, let op, let value): "(cmp \(column) \(op.rawValue) \(value))"
        case .compareColumns(let left, let op, let right, let leftShift, let rightShift):
            "(cmp-columns \(left) \(leftShift) \(op.rawValue) \(right) \(rightShift))"
        case .inSet(let column, let values, let containsNull):
            "(in \(column) [\(values.map(String.init).joined(separator: ","))]\(containsNull ? " null" : ""))"
        case .and(let a, let b): "(and \(encode(a)) \(encode(b)))"
        case .or(let a, let b): "(or \(encode(a)) \(encode(b)))"
        case .not(let a): "(not \(encode(a)))"
        }
    }
}
