import Foundation

/// The three output formats of `fedquery` (`--format table|json|csv`).
public enum ResultFormat: String, Sendable, CaseIterable {
    case table, json, csv
}

extension ResultView {
    /// The result in `format`; `elapsedMilliseconds` is the time the analyst waited
    /// (shown in the table's footer and in JSON).
    public func rendered(as format: ResultFormat, elapsedMilliseconds: Int) -> String {
        switch format {
        case .table: tableText(elapsedMilliseconds: elapsedMilliseconds)
        case .json: jsonText(elapsedMilliseconds: elapsedMilliseconds)
        case .csv: csvText()
        }
    }

    /// How a cell reads in a table or a chart.
    static func shown(_ cell: Cell) -> String {
        switch cell {
        case .number(let text), .label(let text): text
        case .null: "NULL"
        case .suppressed: "suppressed"
        }
    }

    // MARK: Table

    /// Aligned columns (numbers to the right), a rule under the headings, a footer with
    /// the row count, participants, protocol and elapsed time; a note when cells are
    /// suppressed; and, for a `WIDTH_BUCKET` histogram, a bar chart under the table.
    public func tableText(elapsedMilliseconds: Int) -> String {
        let texts = rows.map { $0.map(Self.shown) }
        let widths = columns.indices.map { index in
            ([columns[index].name] + texts.map { $0[index] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String], numeric: [Bool]) -> String {
            zip(cells, zip(widths, numeric)).map { text, layout in
                let padding = String(repeating: " ", count: layout.0 - text.count)
                return layout.1 ? padding + text : text + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        let numeric = columns.map(\.isNumeric)
        var out = [line(columns.map(\.name), numeric: numeric)]
        out.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for row in texts { out.append(line(row, numeric: numeric)) }
        out.append("")
        let count = rows.count == 1 ? "1 row" : "\(rows.count) rows"
        out.append(
            "(\(count); participants: \(participants.joined(separator: ", ")); protocol: \(aggregationProtocol); "
                + "\(elapsedMilliseconds) ms)")
        if rows.contains(where: { $0.contains(.suppressed) }) {
            out.append("suppressed: computed from fewer rows than a participant's min_group_size allows to show")
        }
        if let chart = histogram() {
            out.append("")
            out += chart
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The longest bar of a histogram, in characters.
    static let barWidth = 40

    /// A text bar chart of the first numeric column over the rows' labels, when the
    /// result groups by a `WIDTH_BUCKET` (nil otherwise, or with nothing to draw).
    /// Bar lengths are for the eye only: they are the one place a value is turned into
    /// a floating-point number, and the exact value is printed beside every bar.
    func histogram() -> [String]? {
        guard columns.contains(where: { $0.type == "bucket" }),
            let valueColumn = columns.firstIndex(where: \.isNumeric)
        else { return nil }
        let labelColumns = columns.indices.filter { !columns[$0].isNumeric }
        let values: [Double?] = rows.map { row in
            if case .number(let text) = row[valueColumn], let value = Double(text), value >= 0 { value } else { nil }
        }
        guard let largest = values.compactMap({ $0 }).max(), largest > 0 else { return nil }
        let labels = rows.map { row in labelColumns.map { Self.shown(row[$0]) }.joined(separator: " / ") }
        let labelWidth = max(labels.map(\.count).max() ?? 0, 1)
        var out = ["\(columns[valueColumn].name) by \(labelColumns.map { columns[$0].name }.joined(separator: " / ")):"]
        for (index, row) in rows.enumerated() {
            let label = String(repeating: " ", count: labelWidth - labels[index].count) + labels[index]
            let shown = Self.shown(row[valueColumn])
            if let value = values[index] {
                let length = Int((value / largest * Double(Self.barWidth)).rounded())
                let bar = String(repeating: "█", count: length)
                out.append("\(label) |\(bar) \(shown)")
            } else {
                out.append("\(label) | \(shown)")
            }
        }
        return out
    }

    // MARK: JSON

    /// One JSON object (keys in this order): `query_id` (hex), `protocol`,
    /// `participants`, `columns` (`name`, `type`), `rows` (numbers as exact decimal
    /// strings, labels as strings, NULL and suppressed cells as null),
    /// `suppressed_cells` ([row, column] pairs, 0-based), `timings_ms` (the
    /// coordinator's plan, propose, compute, aggregate, finalise and total) and
    /// `elapsed_ms` (as the analyst waited).
    public func jsonText(elapsedMilliseconds: Int) -> String {
        func string(_ text: String) -> String { JSONText.quoted(text) }
        let columnsJSON = columns.map { "{\"name\": \(string($0.name)), \"type\": \(string($0.type))}" }
        let rowsJSON = rows.map { row in
            "[" + row.map { cell -> String in
                switch cell {
                case .number(let text), .label(let text): string(text)
                case .null, .suppressed: "null"
                }
            }.joined(separator: ", ") + "]"
        }
        let suppressed = suppressedCells.map { "[\($0.row), \($0.column)]" }
        let t = timings
        let lines = [
            "  \"query_id\": \(string(queryID.map { String(format: "%02x", $0) }.joined())),",
            "  \"protocol\": \(string(aggregationProtocol)),",
            "  \"participants\": [\(participants.map(string).joined(separator: ", "))],",
            "  \"columns\": [\(columnsJSON.joined(separator: ", "))],",
            "  \"rows\": [" + (rowsJSON.isEmpty ? "" : "\n    " + rowsJSON.joined(separator: ",\n    ") + "\n  ") + "],",
            "  \"suppressed_cells\": [\(suppressed.joined(separator: ", "))],",
            "  \"timings_ms\": {\"plan\": \(t.planMs), \"propose\": \(t.proposeMs), \"compute\": \(t.computeMs), "
                + "\"aggregate\": \(t.aggregateMs), \"finalise\": \(t.finaliseMs), \"total\": \(t.totalMs)},",
            "  \"elapsed_ms\": \(elapsedMilliseconds)",
        ]
        return "{\n" + lines.joined(separator: "\n") + "\n}\n"
    }

    // MARK: CSV

    /// RFC 4180 with Unix line ends: a header of column names, then one line per row;
    /// NULL and suppressed cells are empty (JSON tells them apart). Fields with a comma,
    /// quote or line break are quoted, quotes doubled.
    public func csvText() -> String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = [columns.map { field($0.name) }.joined(separator: ",")]
        for row in rows {
            lines.append(
                row.map { cell in
                    switch cell {
                    case .number(let text), .label(let text): field(text)
                    case .null, .suppressed: ""
                    }
                }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// JSON string literals.
enum JSONText {
    /// `text` as a JSON string: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
