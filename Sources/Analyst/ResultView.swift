import Foundation
import Wire

/// A query result as `fedquery` shows it: the columns, the cells as text, and what the
/// coordinator said about the query. Built from the wire's `ResultTable`; the three
/// renderings (`TableRendering`, `JSONRendering`, `CSVRendering`) read only this.
public struct ResultView: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        public var name: String
        /// `category`, `boolean`, `integer`, `decimal` or `bucket`, as the coordinator
        /// typed it.
        public var type: String

        public init(name: String, type: String) {
            self.name = name
            self.type = type
        }

        /// Whether the column holds numbers (right-aligned in a table).
        public var isNumeric: Bool { type == "decimal" || type == "integer" }
    }

    public enum Cell: Sendable, Equatable {
        /// An exact decimal, as the coordinator wrote it.
        case number(String)
        /// A category value, `true`/`false`, or a bucket number.
        case label(String)
        case null
        /// Hidden by small-cell suppression.
        case suppressed
    }

    public var queryID: [UInt8]
    public var columns: [Column]
    public var rows: [[Cell]]
    public var participants: [String]
    /// `secure-sum` or `paillier`.
    public var aggregationProtocol: String
    public var timings: Fedstat_V1_Timings

    public init(
        queryID: [UInt8], columns: [Column], rows: [[Cell]], participants: [String], aggregationProtocol: String,
        timings: Fedstat_V1_Timings
    ) {
        self.queryID = queryID
        self.columns = columns
        self.rows = rows
        self.participants = participants
        self.aggregationProtocol = aggregationProtocol
        self.timings = timings
    }

    /// The view of a result the coordinator sent for query `queryID`.
    public init(_ table: Fedstat_V1_ResultTable, queryID: [UInt8]) {
        self.queryID = queryID
        columns = table.columns.map { Column(name: $0.name, type: $0.type) }
        rows = table.rows.map { row in
            row.cells.map { cell in
                switch cell.value {
                case .decimal(let text): .number(text)
                case .text(let text): .label(text)
                case .null, nil: .null
                case .suppressed: .suppressed
                }
            }
        }
        participants = table.participants
        aggregationProtocol = Self.name(of: table.protocol)
        timings = table.timings
    }

    /// The protocol's name as the analyst writes it (`--protocol`).
    public static func name(of aggregationProtocol: Fedstat_V1_AggregationProtocol) -> String {
        switch aggregationProtocol {
        case .secureSum: "secure-sum"
        case .paillier: "paillier"
        default: "unspecified"
        }
    }

    /// The positions (row, column) of suppressed cells.
    public var suppressedCells: [(row: Int, column: Int)] {
        rows.enumerated().flatMap { index, row in
            row.enumerated().compactMap { column, cell in cell == .suppressed ? (index, column) : nil }
        }
    }
}
