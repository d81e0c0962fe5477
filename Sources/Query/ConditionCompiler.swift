import BigNum

/// Compiles a `WHERE` predicate to a `Condition` over plan columns: literals are
/// checked against the column types and turned into exact integer comparisons on the
/// scaled cells, so no row is ever compared in floating point.
struct ConditionCompiler {
    let columns: [Column]
    /// Plan column index of a (resolved) column name.
    let planIndex: (String) -> Int

    /// A resolved operand.
    private enum Value {
        case column(Int, SQLPosition)
        case number(BigRational, SQLPosition)
        case string(String, SQLPosition)
        case boolean(Bool, SQLPosition)
        case null(SQLPosition)

        var position: SQLPosition {
            switch self {
            case .column(_, let p), .number(_, let p), .string(_, let p), .boolean(_, let p), .null(let p): p
            }
        }
    }

    func compile(_ predicate: Predicate) throws(SQLError) -> Condition {
        switch predicate {
        case .and(let a, let b): return .and(try compile(a), try compile(b))
        case .or(let a, let b): return .or(try compile(a), try compile(b))
        case .not(let a, _): return .not(try compile(a))
        case .comparison(let left, let op, let right, _):
            return try compare(value(left), op, value(right))
        case .between(let operand, let low, let high, let negated, _):
            let x = value(operand)
            let condition = Condition.and(
                try compare(x, .greaterOrEqual, value(low)), try compare(x, .lessOrEqual, value(high)))
            return negated ? .not(condition) : condition
        case .inList(let operand, let list, let negated, let position):
            let condition = try inList(value(operand), list.map(value), at: position)
            return negated ? .not(condition) : condition
        case .isNull(let operand, let negated, _):
            switch value(operand) {
            case .column(let index, _): return .isNull(column: index, negated: negated)
            case .null: return .constant(!negated)
            default: return .constant(negated)
            }
        case .operand(let operand):
            switch value(operand) {
            case .boolean(let truth, _): return .constant(truth)
            case .null: return .constant(nil)
            case .column(let index, let position):
                guard columns[index].type == .boolean else {
                    throw SQLError(
                        .typeMismatch, at: position,
                        "\(columns[index].name) is \(columns[index].type.name), not boolean, so it cannot be a condition on its own; compare it with a value")
                }
                return .compare(column: index, .equal, 1)
            case .number(_, let position), .string(_, let position):
                throw SQLError(.typeMismatch, at: position, "a condition must be true or false; compare this value with a column")
            }
        }
    }

    private func value(_ operand: Operand) -> Value {
        switch operand {
        case .column(let identifier): .column(planIndex(identifier.name), identifier.position)
        case .number(let literal): .number(literal.value, literal.position)
        case .string(let text, let position): .string(text, position)
        case .boolean(let truth, let position): .boolean(truth, position)
        case .null(let position): .null(position)
        }
    }

    private func compare(_ left: Value, _ op: ComparisonOperator, _ right: Value) throws(SQLError) -> Condition {
        switch (left, right) {
        case (.null, _), (_, .null):
            // Any comparison with NULL is unknown, whatever the other side.
            return .constant(nil)
        case (.column(let a, let position), .column(let b, _)):
            return try compareColumns(a, op, b, at: position)
        case (.column(let index, _), _):
            return try compare(column: index, op, right)
        case (_, .column(let index, _)):
            return try compare(column: index, Self.mirrored(op), left)
        case (.number(let a, _), .number(let b, _)):
            return .constant(Self.holds(op, a < b ? -1 : (a == b ? 0 : 1)))
        case (.string(let a, _), .string(let b, _)):
            guard op == .equal || op == .notEqual else {
                throw SQLError(.unsupported, at: left.position, "ordering comparisons of text are not supported")
            }
            return .constant((a == b) == (op == .equal))
        case (.boolean(let a, _), .boolean(let b, _)):
            guard op == .equal || op == .notEqual else {
                throw SQLError(.unsupported, at: left.position, "ordering comparisons of booleans are not supported")
            }
            return .constant((a == b) == (op == .equal))
        default:
            throw SQLError(.typeMismatch, at: right.position, "these two values have different types and cannot be compared")
        }
    }

    /// `cell op literal`, exactly, on the scaled integer cell.
    private func compare(column index: Int, _ op: ComparisonOperator, _ literal: Value) throws(SQLError) -> Condition {
        let column = columns[index]
        switch column.type {
        case .integer, .decimal:
            guard case .number(let number, _) = literal else {
                throw mismatch(column, literal)
            }
            let (scale, _, _) = column.type.numeric!
            let scaled = number * BigRational(BigInt(10).power(scale))
            return Self.compareScaled(index, op, scaled)
        case .category(let values):
            guard case .string(let text, let position) = literal else { throw mismatch(column, literal) }
            guard op == .equal || op == .notEqual else {
                throw SQLError(.unsupported, at: position, "category \(column.name) has no order: compare it with = or <>")
            }
            guard let code = values.firstIndex(of: text) else {
                throw SQLError(
                    .typeMismatch, at: position,
                    "'\(text)' is not a value of \(column.name) (values: \(values.joined(separator: ", ")))")
            }
            return .compare(column: index, op, Int64(code))
        case .boolean:
            guard case .boolean(let truth, let position) = literal else { throw mismatch(column, literal) }
            guard op == .equal || op == .notEqual else {
                throw SQLError(.unsupported, at: position, "booleans have no order: compare \(column.name) with = or <>")
            }
            return .compare(column: index, op, truth ? 1 : 0)
        }
    }

    /// `v op x` for an integer cell v and an exact rational x, as one integer comparison.
    /// Where no Int64 cell can satisfy (or fail) it, a comparison with an extreme value
    /// that is false (true) for every cell but still unknown for NULL.
    static func compareScaled(_ index: Int, _ op: ComparisonOperator, _ x: BigRational) -> Condition {
        let never = Condition.compare(column: index, .less, Int64.min)
        let always = Condition.compare(column: index, .lessOrEqual, Int64.max)
        func fits(_ value: BigInt) -> Int64? {
            value >= BigInt(Int64.min) && value <= BigInt(Int64.max) ? Int64(Int(exactly: value)!) : nil
        }
        switch op {
        case .equal, .notEqual:
            guard x.isInteger, let value = fits(x.numerator) else { return op == .equal ? never : always }
            return .compare(column: index, op, value)
        case .less, .greaterOrEqual:
            // v < x ⇔ v < ceil(x);  v >= x ⇔ v >= ceil(x).
            let edge = x.rounded(.up)
            if edge > BigInt(Int64.max) { return op == .less ? always : never }
            if edge <= BigInt(Int64.min) { return op == .less ? never : always }
            return .compare(column: index, op, fits(edge)!)
        case .lessOrEqual, .greater:
            // v <= x ⇔ v <= floor(x);  v > x ⇔ v > floor(x).
            let edge = x.rounded(.down)
            if edge >= BigInt(Int64.max) { return op == .lessOrEqual ? always : never }
            if edge < BigInt(Int64.min) { return op == .lessOrEqual ? never : always }
            return .compare(column: index, op, fits(edge)!)
        }
    }

    private func compareColumns(_ a: Int, _ op: ComparisonOperator, _ b: Int, at position: SQLPosition) throws(SQLError) -> Condition {
        let left = columns[a]
        let right = columns[b]
        if let (sa, _, _) = left.type.numeric, let (sb, _, _) = right.type.numeric {
            let common = Swift.max(sa, sb)
            return .compareColumns(left: a, op, right: b, leftShift: common - sa, rightShift: common - sb)
        }
        let sameKind: Bool
        switch (left.type, right.type) {
        case (.category(let x), .category(let y)): sameKind = x == y
        case (.boolean, .boolean): sameKind = true
        default: sameKind = false
        }
        guard sameKind else {
            throw SQLError(
                .typeMismatch, at: position,
                "\(left.name) (\(left.type.name)) and \(right.name) (\(right.type.name)) cannot be compared")
        }
        guard op == .equal || op == .notEqual else {
            throw SQLError(.unsupported, at: position, "\(left.name) and \(right.name) have no order: compare them with = or <>")
        }
        return .compareColumns(left: a, op, right: b, leftShift: 0, rightShift: 0)
    }

    private func inList(_ subject: Value, _ list: [Value], at position: SQLPosition) throws(SQLError) -> Condition {
        guard case .column(let index, _) = subject else {
            // A literal on the left: the same as an OR of equalities.
            var result = Condition.constant(false)
            for item in list { result = .or(result, try compare(subject, .equal, item)) }
            return result
        }
        var codes: [Int64] = []
        var containsNull = false
        for item in list {
            if case .null = item {
                containsNull = true
                continue
            }
            // Each item compiled as an equality; one that no cell can equal is dropped.
            switch try compare(column: index, .equal, item) {
            case .compare(_, .equal, let code): codes.append(code)
            default: continue
            }
        }
        return .inSet(column: index, values: Array(Set(codes)).sorted(), containsNull: containsNull)
    }

    private func mismatch(_ column: Column, _ literal: Value) -> SQLError {
        let what: String
        switch literal {
        case .number: what = "a number"
        case .string: what = "text"
        case .boolean: what = "a boolean"
        case .null, .column: what = "this value"
        }
        return SQLError(
            .typeMismatch, at: literal.position,
            "\(column.name) is \(column.type.name) and cannot be compared with \(what)")
    }

    static func mirrored(_ op: ComparisonOperator) -> ComparisonOperator {
        switch op {
        case .equal, .notEqual: op
        case .less: .greater
        case .lessOrEqual: .greaterOrEqual
        case .greater: .less
        case .greaterOrEqual: .lessOrEqual
        }
    }

    /// Whether `op` holds for an ordering result (−1, 0, 1).
    static func holds(_ op: ComparisonOperator, _ order: Int) -> Bool {
        switch op {
        case .equal: order == 0
        case .notEqual: order != 0
        case .less: order < 0
        case .lessOrEqual: order <= 0
        case .greater: order > 0
        case .greaterOrEqual: order >= 0
        }
    }
}
