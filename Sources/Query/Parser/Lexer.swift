/// One token of a query, with the text it was read from.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// An unquoted name or keyword; `value` is folded to lowercase.
        case word
        /// A `"quoted"` name; `value` is the name as written, `""` undone.
        case quotedName
        /// A `'string'`; `value` is the text, `''` undone.
        case string
        /// Unsigned decimal digits with at most one `.`; `value` is the text as written.
        case number
        /// Punctuation or an operator; `value` is the symbol.
        case symbol
        /// The end of the query text.
        case end
        /// Text the lexer could not read. It ends the token array, so the parser reports
        /// it only if every token before it was acceptable.
        case error(SQLError)
    }

    var kind: Kind
    /// The token exactly as written in the query.
    var text: String
    var value: String
    var position: SQLPosition

    func isSymbol(_ symbol: String) -> Bool { kind == .symbol && value == symbol }

    /// Whether this is the unquoted keyword `keyword` (given in lowercase).
    func isKeyword(_ keyword: String) -> Bool { kind == .word && value == keyword }

    /// Whether this is an unquoted word among `keywords` (given in lowercase).
    func isKeyword(in keywords: Set<String>) -> Bool { kind == .word && keywords.contains(value) }

    /// Whether the token can name a column, dataset or alias: a quoted name or an unquoted
    /// word that is not reserved.
    var isName: Bool { kind == .quotedName || (kind == .word && !SQLKeywords.reserved.contains(value)) }

    /// How an error message shows the token: as written, symbols in quotes.
    var found: String {
        switch kind {
        case .end: return "end of query"
        case .symbol: return "'\(text)'"
        default:
            let scalars = text.unicodeScalars
            guard scalars.count > 40 else { return text }
            return String(String.UnicodeScalarView(scalars.prefix(37))) + "…"
        }
    }
}

/// Words that cannot be unquoted names or bare aliases (write `"left"` for a column called
/// left). Keeping them out of names is what lets the parser recognise a clause, a join or an
/// unsupported construct instead of mistaking it for an alias.
enum SQLKeywords {
    static let reserved: Set<String> = [
        "all", "and", "any", "as", "asc", "between", "by", "case", "cast", "collate", "cross", "desc",
        "distinct", "else", "end", "except", "exists", "false", "fetch", "from", "full", "group",
        "having", "ilike", "in", "inner", "intersect", "into", "is", "join", "lateral", "left",
        "like", "limit", "natural", "not", "null", "offset", "on", "or", "order", "outer", "over",
        "right", "select", "similar", "some", "then", "true", "union", "using", "when", "where",
        "window", "with",
    ]
}

/// Splits query text into tokens. Positions count Unicode scalars: a tab is one column.
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    private init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    /// The tokens of `text`, ending with an `.end` token, or with an `.error` token at the
    /// first text that is not a token (an unclosed string or comment, an unknown character,
    /// a number in exponent notation).
    static func tokenize(_ text: String) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = lexer.next()
            tokens.append(token)
            switch token.kind {
            case .end, .error: return tokens
            default: continue
            }
        }
    }

    private var position: SQLPosition { SQLPosition(line: line, column: column, offset: index) }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        index + ahead < scalars.count ? scalars[index + ahead] : nil
    }

    private mutating func advance() {
        let scalar = scalars[index]
        index += 1
        // "\r\n" is one line break: the "\r" moves a column, the "\n" starts the line.
        if scalar == "\n" || (scalar == "\r" && peek() != "\n") {
            line += 1
            column = 1
        } else {
            column += 1
        }
    }

    private func text(from start: SQLPosition) -> String {
        String(String.UnicodeScalarView(scalars[start.offset..<index]))
    }

    private func token(_ kind: Token.Kind, from start: SQLPosition, value: String? = nil) -> Token {
        let written = text(from: start)
        return Token(kind: kind, text: written, value: value ?? written, position: start)
    }

    private func failure(_ message: String, at start: SQLPosition) -> Token {
        token(.error(SQLError(.syntax, at: start, message)), from: start)
    }

    private mutating func next() -> Token {
        if let error = skipSpaceAndComments() { return error }
        let start = position
        guard let scalar = peek() else { return Token(kind: .end, text: "", value: "", position: start) }
        if Self.isDigit(scalar) || (scalar == "." && peek(1).map(Self.isDigit) == true) {
            return number()
        }
        if Self.isNameStart(scalar) {
            while let next = peek(), Self.isNameContinuation(next) { advance() }
            return token(.word, from: start, value: text(from: start).lowercased())
        }
        switch scalar {
        case "'":
            guard let value = quoted(by: "'") else {
                return failure("unterminated string: expected a closing ' before the end of the query", at: start)
            }
            return token(.string, from: start, value: value)
        case "\"":
            guard let value = quoted(by: "\"") else {
                return failure(
                    "unterminated quoted name: expected a closing \" before the end of the query", at: start)
            }
            guard !value.isEmpty else { return failure("expected a name between the quotes, found \"\"", at: start) }
            return token(.quotedName, from: start, value: value)
        default:
            return symbol() ?? failure("unexpected character \(Self.describe(scalar))", at: start)
        }
    }

    /// Skips whitespace and comments; returns an error token for a comment left open.
    private mutating func skipSpaceAndComments() -> Token? {
        while let scalar = peek() {
            if scalar.properties.isWhitespace {
                advance()
            } else if scalar == "-" && peek(1) == "-" {
                while let next = peek(), next != "\n", next != "\r" { advance() }
            } else if scalar == "/" && peek(1) == "*" {
                let start = position
                advance()
                advance()
                while !(peek() == "*" && peek(1) == "/") {
                    guard peek() != nil else {
                        return failure("unclosed comment: expected */ before the end of the query", at: start)
                    }
                    advance()
                }
                advance()
                advance()
            } else {
                return nil
            }
        }
        return nil
    }

    /// Reads a string or quoted name whose delimiter is doubled inside it; nil if unclosed.
    private mutating func quoted(by delimiter: Unicode.Scalar) -> String? {
        advance()
        var value = String.UnicodeScalarView()
        while let scalar = peek() {
            advance()
            if scalar == delimiter {
                guard peek() == delimiter else { return String(value) }
                advance()
            }
            value.append(scalar)
        }
        return nil
    }

    private mutating func number() -> Token {
        let start = position
        var integer = ""
        var fraction = ""
        while let digit = peek(), Self.isDigit(digit) {
            integer.unicodeScalars.append(digit)
            advance()
        }
        if peek() == "." {
            advance()
            while let digit = peek(), Self.isDigit(digit) {
                fraction.unicodeScalars.append(digit)
                advance()
            }
        }
        if peek() == "e" || peek() == "E" {
            let hasSign = peek(1) == "+" || peek(1) == "-"
            if let digit = peek(hasSign ? 2 : 1), Self.isDigit(digit) {
                advance()
                var exponent = ""
                if hasSign, let sign = peek() {
                    exponent.unicodeScalars.append(sign)
                    advance()
                }
                while let digit = peek(), Self.isDigit(digit) {
                    exponent.unicodeScalars.append(digit)
                    advance()
                }
                var message = "exponents are not supported (\(text(from: start))); write the number as a decimal"
                if let decimal = Self.decimal(integer: integer, fraction: fraction, exponent: exponent) {
                    message += ", e.g. \(decimal)"
                }
                return failure(message, at: start)
            }
        }
        if let next = peek(), Self.isNameContinuation(next) {
            while let next = peek(), Self.isNameContinuation(next) { advance() }
            return failure("expected a number, found \(text(from: start))", at: start)
        }
        return token(.number, from: start)
    }

    /// `integer.fraction × 10^exponent` written without an exponent, for the error message;
    /// nil when that would be unreasonably long.
    private static func decimal(integer: String, fraction: String, exponent: String) -> String? {
        guard let shift = Int(exponent), abs(shift) <= 30 else { return nil }
        var digits = Array(integer + fraction)
        var point = integer.count + shift
        if point < 0 {
            digits.insert(contentsOf: repeatElement("0", count: -point), at: 0)
            point = 0
        }
        if point > digits.count { digits.append(contentsOf: repeatElement("0", count: point - digits.count)) }
        var whole = String(digits[..<point]).drop { $0 == "0" }
        if whole.isEmpty { whole = "0" }
        let decimals = String(digits[point...]).reversed().drop { $0 == "0" }.reversed()
        return decimals.isEmpty ? String(whole) : "\(whole).\(String(decimals))"
    }

    private mutating func symbol() -> Token? {
        let start = position
        guard let first = peek() else { return nil }
        let second = peek(1)
        let length: Int
        switch (first, second) {
        case ("<", "="), ("<", ">"), (">", "="), ("!", "="), (":", ":"), ("|", "|"):
            length = 2
        case ("(", _), (")", _), (",", _), (";", _), ("*", _), ("+", _), ("-", _), ("/", _), ("%", _),
            ("=", _), ("<", _), (">", _), (".", _), ("^", _), ("&", _), ("|", _), ("~", _):
            length = 1
        default:
            return nil
        }
        for _ in 0..<length { advance() }
        return token(.symbol, from: start)
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    private static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic
    }

    private static func isNameContinuation(_ scalar: Unicode.Scalar) -> Bool {
        isNameStart(scalar) || isDigit(scalar) || scalar == "$"
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        let code = String(scalar.value, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - code.count)) + code
        if scalar.properties.generalCategory == .control || scalar.properties.isWhitespace {
            return "U+\(padded)"
        }
        return "'\(scalar)' (U+\(padded))"
    }
}
