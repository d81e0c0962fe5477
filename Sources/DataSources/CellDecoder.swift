import Config
import Query

/// Why a cell was refused, before the source adds where it is.
enum CellProblem: Error, Equatable {
    /// Not text of the column's type.
    case wrongType
    /// A number with more decimals than the column's scale (it is never rounded).
    case tooManyDecimals
    /// A number outside the column's bounds, or too large for 64 bits once scaled.
    case outOfBounds
    /// Text that is not one of the category's values.
    case unknownCategory
}

/// Decodes and checks the cells of one column: text (a CSV field, SQLite TEXT) or
/// numbers (SQLite INTEGER and REAL) to the column's ``Cell`` encoding.
///
/// Never allocates while decoding text, and never rounds: a number with more decimals
/// than the column's scale is refused. A class, so the inner loops pass one reference
/// rather than copy a column's description cell by cell.
final class CellDecoder: Sendable {
    enum Kind: Sendable {
        case number
        case boolean
        case category(CategoryMatcher)
    }

    let column: Column
    let kind: Kind
    /// Decimal scale (0 for integers).
    let scale: Int
    let minimum: Int64
    let maximum: Int64

    init(column: Column) {
        self.column = column
        switch column.type {
        case .integer(let min, let max):
            (kind, scale, minimum, maximum) = (.number, 0, min, max)
        case .decimal(let scale, let min, let max):
            (kind, self.scale, minimum, maximum) = (.number, scale, min, max)
        case .boolean:
            (kind, scale, minimum, maximum) = (.boolean, 0, 0, 1)
        case .category(let values):
            (kind, scale, minimum, maximum) = (.category(CategoryMatcher(values)), 0, 0, Int64(values.count) - 1)
        }
    }

    /// The cell for non-empty text.
    @inline(__always)
    func decode(_ text: UnsafeRawBufferPointer) throws(CellProblem) -> Int64 {
        switch kind {
        case .number:
            let value: Int64
            do {
                value = try NumberText.parse(text, scale: scale)
            } catch {
                switch error {
                case .syntax: throw .wrongType
                // An integer with a decimal point is simply not an integer.
                case .tooManyDecimals: throw scale == 0 ? .wrongType : .tooManyDecimals
                case .overflow: throw .outOfBounds
                }
            }
            return try checked(value)
        case .boolean:
            guard let value = NumberText.boolean(text) else { throw .wrongType }
            return value
        case .category(let matcher):
            guard let index = matcher.index(of: text) else { throw .unknownCategory }
            return Int64(index)
        }
    }

    /// The cell for an integer (SQLite INTEGER): scaled for a decimal column, 0/1 for a
    /// boolean; a category is text, so an integer is the wrong type.
    @inline(__always)
    func decode(integer: Int64) throws(CellProblem) -> Int64 {
        switch kind {
        case .number:
            let (scaled, overflow) = integer.multipliedReportingOverflow(by: NumberText.powersOfTen[scale])
            guard !overflow else { throw .outOfBounds }
            return try checked(scaled)
        case .boolean:
            guard integer == 0 || integer == 1 else { throw .wrongType }
            return integer
        case .category:
            throw .wrongType
        }
    }

    /// The cell for a floating-point number (SQLite REAL) in a number column.
    ///
    /// This is the only place Fedstat reads a floating-point value, and it never rounds
    /// it: the double is written as Swift's shortest text that reads back as the same
    /// double (`Double.description`, so 12.34 stored as REAL is "12.34"), and that text
    /// is parsed exactly as a decimal. A REAL whose shortest text has more decimals
    /// than the column's scale (12.345 in a `decimal(2)` column, or 0.1 + 0.2, which is
    /// 0.30000000000000004) is refused, never rounded.
    func decode(real: Double) throws(CellProblem) -> Int64 {
        guard case .number = kind, real.isFinite else { throw .wrongType }
        // The same result without formatting text, when it is provably the same: with
        // |real × 10^s| < 2^52, doubles near `real` are less than 10^-s apart, so at
        // most one decimal with s decimals (r / 10^s) reads back as `real`; if it does,
        // it is the shortest text's value (which, with at most s decimals, is such a
        // decimal too). `r / p` is exact division correctly rounded, i.e. what reading
        // the decimal r / 10^s gives.
        let power = Self.doublePowersOfTen[scale]
        let scaled = real * power
        if abs(scaled) < 4_503_599_627_370_496 {  // 2^52
            let rounded = scaled.rounded()
            if rounded / power == real { return try checked(Int64(rounded)) }
        }
        var text = real.description
        let parsed = text.withUTF8 { bytes in
            Result { () throws(NumberText.Problem) -> Int64 in
                try NumberText.parseShortestDouble(UnsafeRawBufferPointer(bytes), scale: scale)
            }
        }
        let value: Int64
        switch parsed {
        case .success(let number): value = number
        case .failure(.tooManyDecimals): throw .tooManyDecimals
        case .failure(.overflow): throw .outOfBounds
        case .failure(.syntax): throw .wrongType
        }
        return try checked(value)
    }

    /// 10^0 … 10^18 as doubles (all exact).
    private static let doublePowersOfTen: [Double] = NumberText.powersOfTen.map { Double($0) }

    @inline(__always)
    private func checked(_ value: Int64) throws(CellProblem) -> Int64 {
        guard value >= minimum, value <= maximum else { throw .outOfBounds }
        return value
    }

    // MARK: Messages

    /// What the column holds, for messages: "an integer", "a decimal with at most 2
    /// decimals", "a boolean", "one of the 3 values of the category".
    var expectation: String {
        switch column.type {
        case .integer: "an integer (digits with an optional + or -)"
        case .decimal(let scale, _, _):
            "a decimal with at most \(Self.decimals(scale)) (digits with an optional + or - and '.', as \(DecimalText.format(123_456, scale: scale)))"
        case .boolean: "a boolean (true/false, t/f or 1/0, in any case)"
        case .category(let values): "one of the column's categories (\(Self.list(values)))"
        }
    }

    /// The message for `problem` (the value itself is never included: it may be
    /// sensitive).
    func message(for problem: CellProblem) -> String {
        switch problem {
        case .wrongType:
            return "the value is not \(expectation); correct it in the source"
        case .tooManyDecimals:
            return
                "the value has more than \(Self.decimals(scale)); values are never rounded, so write it with at most \(Self.decimals(scale)), or ask the federation admin for a larger scale"
        case .outOfBounds:
            return
                "the value is outside the column's bounds \(DecimalText.format(minimum, scale: scale)) … \(DecimalText.format(maximum, scale: scale)) in the catalog; correct it, or ask the federation admin to widen the bounds"
        case .unknownCategory:
            guard case .category(let values) = column.type else { return "the value is not a category value" }
            return
                "the value is not one of the column's categories (\(Self.list(values))); categories match exactly (case and spaces count): correct it, or ask the federation admin to add the value to the catalog"
        }
    }

    static func decimals(_ scale: Int) -> String {
        scale == 1 ? "1 decimal" : "\(scale) decimals"
    }

    private static func list(_ values: [String]) -> String {
        let shown = values.prefix(8).joined(separator: ", ")
        return values.count > 8 ? "\(shown), … \(values.count) in all" : shown
    }
}

/// Finds a category value by its exact UTF-8 bytes, without allocating: an
/// open-addressing hash table over the values' bytes.
final class CategoryMatcher: Sendable {
    /// Every value's bytes, one after the other.
    private let bytes: [UInt8]
    /// Where value i starts in `bytes`; `offsets[i + 1]` is where it ends.
    private let offsets: [Int]
    /// Value index + 1 in each slot (0: empty); the count is a power of two.
    private let slots: [Int32]

    init(_ values: [String]) {
        var bytes: [UInt8] = []
        var offsets = [0]
        for value in values {
            bytes.append(contentsOf: value.utf8)
            offsets.append(bytes.count)
        }
        var size = 8
        while size < values.count * 2 { size *= 2 }
        var slots = [Int32](repeating: 0, count: size)
        bytes.withUnsafeBytes { all in
            for index in values.indices {
                let value = UnsafeRawBufferPointer(rebasing: all[offsets[index]..<offsets[index + 1]])
                var slot = Self.hash(value) & (size - 1)
                while slots[slot] != 0 {
                    // The catalog reader refuses duplicates; keep the first if any remain.
                    let other = slots[slot] - 1
                    if all[offsets[Int(other)]..<offsets[Int(other) + 1]].elementsEqual(value) { break }
                    slot = (slot + 1) & (size - 1)
                }
                if slots[slot] == 0 { slots[slot] = Int32(index + 1) }
            }
        }
        self.bytes = bytes
        self.offsets = offsets
        self.slots = slots
    }

    /// The index of the value whose bytes are exactly `text`, or nil.
    @inline(__always)
    func index(of text: UnsafeRawBufferPointer) -> Int? {
        let mask = slots.count - 1
        var slot = Self.hash(text) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            let start = offsets[entry - 1]
            let end = offsets[entry]
            if end - start == text.count {
                let equal = bytes.withUnsafeBytes { all in
                    text.count == 0 || memoryEqual(all.baseAddress! + start, text.baseAddress!, text.count)
                }
                if equal { return entry - 1 }
            }
            slot = (slot + 1) & mask
        }
    }

    /// FNV-1a.
    @inline(__always)
    private static func hash(_ text: UnsafeRawBufferPointer) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }
}

@inline(__always)
private func memoryEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    for offset in 0..<count
    where a.load(fromByteOffset: offset, as: UInt8.self) != b.load(fromByteOffset: offset, as: UInt8.self) {
        return false
    }
    return true
}

/// Exact parsing of numbers and booleans written as text.
enum NumberText {
    enum Problem: Error, Equatable {
        /// Not `[+-]?digits[.digits]`.
        case syntax
        /// More fraction digits than the scale.
        case tooManyDecimals
        /// Does not fit in an `Int64` once scaled.
        case overflow
    }

    /// 10^0 … 10^18 (10^18 < 2^63).
    static let powersOfTen: [Int64] = {
        var powers: [Int64] = [1]
        for _ in 1...ColumnType.maximumScale { powers.append(powers.last! * 10) }
        return powers
    }()

    /// `[+-]?digits[.digits]` times 10^`scale`, exactly.
    @inline(__always)
    static func parse(_ text: UnsafeRawBufferPointer, scale: Int) throws(Problem) -> Int64 {
        let count = text.count
        var index = 0
        var negative = false
        if count > 0 {
            let first = text[0]
            if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
                negative = first == UInt8(ascii: "-")
                index = 1
            }
        }
        var magnitude: UInt64 = 0
        var overflow = false
        let integerStart = index
        while index < count {
            let digit = text[index] &- UInt8(ascii: "0")
            if digit > 9 { break }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            overflow = overflow || o1 || o2
            magnitude = sum
            index += 1
        }
        guard index > integerStart else { throw .syntax }
        var fractionDigits = 0
        if index < count {
            guard text[index] == UInt8(ascii: ".") else { throw .syntax }
            index += 1
            let fractionStart = index
            while index < count {
                let digit = text[index] &- UInt8(ascii: "0")
                guard digit <= 9 else { throw .syntax }
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
                overflow = overflow || o1 || o2
                magnitude = sum
                index += 1
            }
            fractionDigits = index - fractionStart
            guard fractionDigits > 0 else { throw .syntax }
            guard fractionDigits <= scale else { throw .tooManyDecimals }
        }
        if fractionDigits < scale {
            let (scaled, o) = magnitude.multipliedReportingOverflow(by: UInt64(powersOfTen[scale - fractionDigits]))
            overflow = overflow || o
            magnitude = scaled
        }
        guard !overflow, magnitude <= UInt64(Int64.max) else { throw .overflow }
        return negative ? -Int64(magnitude) : Int64(magnitude)
    }

    /// A number as `Double.description` writes it (`12.34`, `5.0`, `-1.5e-05`,
    /// `1e+16`) times 10^`scale`, exactly. Trailing zeros of the fraction are not
    /// decimals of the value (`5.0` is the integer 5).
    static func parseShortestDouble(_ text: UnsafeRawBufferPointer, scale: Int) throws(Problem) -> Int64 {
        var index = 0
        var negative = false
        if index < text.count, text[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var digits: UInt64 = 0
        var digitCount = 0
        var fractionDigits = 0
        var seenPoint = false
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { throw .syntax }
                seenPoint = true
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                // A shortest round-trip double has at most 17 significant digits.
                guard digitCount < 19 else { throw .syntax }
                digits = digits * 10 + UInt64(byte - UInt8(ascii: "0"))
                if digits > 0 { digitCount += 1 }
                if seenPoint { fractionDigits += 1 }
            } else {
                break
            }
            index += 1
        }
        var exponent = 0
        if index < text.count {
            guard text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") else { throw .syntax }
            index += 1
            var exponentNegative = false
            if index < text.count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
                exponentNegative = text[index] == UInt8(ascii: "-")
                index += 1
            }
            let start = index
            while index < text.count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9"),
                index - start < 4
            {
                exponent = exponent * 10 + Int(text[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard index > start, index == text.count else { throw .syntax }
            if exponentNegative { exponent = -exponent }
        }
        guard digits != 0 else { return 0 }
        // digits × 10^power, with the trailing zeros of `digits` moved into `power`.
        var power = exponent - fractionDigits
        while digits % 10 == 0 {
            digits /= 10
            power += 1
        }
        guard power >= -scale else { throw .tooManyDecimals }
        let shift = power + scale
        guard shift <= ColumnType.maximumScale else { throw .overflow }
        let (scaled, overflow) = digits.multipliedReportingOverflow(by: UInt64(powersOfTen[shift]))
        guard !overflow, scaled <= UInt64(Int64.max) else { throw .overflow }
        return negative ? -Int64(scaled) : Int64(scaled)
    }

    /// `true`/`false`/`t`/`f`/`1`/`0` in any case: 1 or 0.
    @inline(__always)
    static func boolean(_ text: UnsafeRawBufferPointer) -> Int64? {
        // ASCII letters compare case-insensitively once bit 0x20 is set.
        func lower(_ byte: UInt8) -> UInt8 { byte | 0x20 }
        switch text.count {
        case 1:
            switch text[0] {
            case UInt8(ascii: "1"): return 1
            case UInt8(ascii: "0"): return 0
            default:
                switch lower(text[0]) {
                case UInt8(ascii: "t"): return 1
                case UInt8(ascii: "f"): return 0
                default: return nil
                }
            }
        case 4:
            let isTrue =
                lower(text[0]) == UInt8(ascii: "t") && lower(text[1]) == UInt8(ascii: "r")
                && lower(text[2]) == UInt8(ascii: "u") && lower(text[3]) == UInt8(ascii: "e")
            return isTrue ? 1 : nil
        case 5:
            let isFalse =
                lower(text[0]) == UInt8(ascii: "f") && lower(text[1]) == UInt8(ascii: "a")
                && lower(text[2]) == UInt8(ascii: "l") && lower(text[3]) == UInt8(ascii: "s")
                && lower(text[4]) == UInt8(ascii: "e")
            return isFalse ? 0 : nil
        default:
            return nil
        }
    }
}

/// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
enum UTF8Check {
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        @inline(__always) func continuation(_ offset: Int) -> Bool {
            index + offset < count && bytes[index + offset] & 0xC0 == 0x80
        }
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
            } else if lead < 0xC2 {
                return false
            } else if lead < 0xE0 {
                guard continuation(1) else { return false }
                index += 2
            } else if lead < 0xF0 {
                guard continuation(1), continuation(2) else { return false }
                let second = bytes[index + 1]
                if lead == 0xE0 && second < 0xA0 { return false }  // overlong
                if lead == 0xED && second > 0x9F { return false }  // surrogate
                index += 3
            } else if lead < 0xF5 {
                guard continuation(1), continuation(2), continuation(3) else { return false }
                let second = bytes[index + 1]
                if lead == 0xF0 && second < 0x90 { return false }  // overlong
                if lead == 0xF4 && second > 0x8F { return false }  // above U+10FFFF
                index += 4
            } else {
                return false
            }
        }
        return true
    }
}
