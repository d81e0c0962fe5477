import Analyst
import Testing
import Wire

/// The three renderings of a result, byte for byte.
@Suite("Result rendering")
struct RenderingTests {
    static func timings() -> Fedstat_V1_Timings {
        var timings = Fedstat_V1_Timings()
        timings.planMs = 1
        timings.proposeMs = 5
        timings.computeMs = 4
        timings.aggregateMs = 1
        timings.finaliseMs = 2
        timings.totalMs = 16
        return timings
    }

    static let costs = ResultView(
        queryID: Array(repeating: 0xAB, count: 16),
        columns: [.init(name: "district", type: "category"), .init(name: "n", type: "decimal"), .init(name: "avg(cost)", type: "decimal")],
        rows: [
            [.label("Nörth"), .number("1204"), .number("1041.5")],
            [.label("south, old town"), .suppressed, .null],
            [.label("east \"B\""), .number("37"), .number("-12.125")],
        ],
        participants: ["north", "south", "east"], aggregationProtocol: "secure-sum", timings: timings())

    @Test func aTableAlignsNumbersRightAndLabelsLeft() {
        #expect(
            Self.costs.tableText(elapsedMilliseconds: 23) == """
                district                  n  avg(cost)
                ---------------  ----------  ---------
                Nörth                  1204     1041.5
                south, old town  suppressed       NULL
                east "B"                 37    -12.125

                (3 rows; participants: north, south, east; protocol: secure-sum; 23 ms)
                suppressed: computed from fewer rows than a participant's min_group_size allows to show

                """)
    }

    @Test func jsonIsOneObjectWithExactDecimalStrings() {
        #expect(
            Self.costs.jsonText(elapsedMilliseconds: 23) == """
                {
                  "query_id": "abababababababababababababababab",
                  "protocol": "secure-sum",
                  "participants": ["north", "south", "east"],
                  "columns": [{"name": "district", "type": "category"}, {"name": "n", "type": "decimal"}, {"name": "avg(cost)", "type": "decimal"}],
                  "rows": [
                    ["Nörth", "1204", "1041.5"],
                    ["south, old town", null, null],
                    ["east \\"B\\"", "37", "-12.125"]
                  ],
                  "suppressed_cells": [[1, 1]],
                  "timings_ms": {"plan": 1, "propose": 5, "compute": 4, "aggregate": 1, "finalise": 2, "total": 16},
                  "elapsed_ms": 23
                }

                """)
    }

    @Test func csvQuotesWhatNeedsQuotingAndLeavesMissingCellsEmpty() {
        #expect(
            Self.costs.csvText() == #"""
                district,n,avg(cost)
                Nörth,1204,1041.5
                "south, old town",,
                "east ""B""",37,-12.125

                """#)
    }

    @Test func aHistogramIsAlsoDrawnAsBars() {
        let view = ResultView(
            queryID: [], columns: [.init(name: "age_band", type: "bucket"), .init(name: "count", type: "decimal")],
            rows: [
                [.label("0"), .number("3")], [.label("1"), .number("40")], [.label("2"), .number("10")],
                [.label("10"), .suppressed], [.null, .number("0")],
            ],
            participants: ["north"], aggregationProtocol: "paillier", timings: Self.timings())
        let text = view.tableText(elapsedMilliseconds: 5)
        #expect(
            text.hasSuffix(
                """
                count by age_band:
                   0 |███ 3
                   1 |████████████████████████████████████████ 40
                   2 |██████████ 10
                  10 | suppressed
                NULL | 0

                """))
        // Without a bucket column, no chart.
        #expect(!Self.costs.tableText(elapsedMilliseconds: 1).contains("|"))
    }

    @Test func anEmptyResultStillHasItsHeader() {
        let view = ResultView(
            queryID: [1], columns: [.init(name: "n", type: "decimal")], rows: [], participants: ["a", "b"],
            aggregationProtocol: "secure-sum", timings: Self.timings())
        #expect(view.csvText() == "n\n")
        #expect(view.tableText(elapsedMilliseconds: 0).hasPrefix("n\n-\n\n(0 rows; participants: a, b;"))
        #expect(view.jsonText(elapsedMilliseconds: 0).contains("\"rows\": [],"))
    }

    @Test func aWireResultBecomesAView() {
        var table = Fedstat_V1_ResultTable()
        var column = Fedstat_V1_ResultColumn()
        column.name = "n"
        column.type = "decimal"
        table.columns = [column]
        var cells: [Fedstat_V1_ResultCell] = []
        for value in [Fedstat_V1_ResultCell.OneOf_Value.decimal("5"), .text("x"), .null(true), .suppressed(true)] {
            var cell = Fedstat_V1_ResultCell()
            cell.value = value
            cells.append(cell)
        }
        table.rows = cells.map { cell in
            var row = Fedstat_V1_ResultRow()
            row.cells = [cell]
            return row
        }
        table.participants = ["a"]
        table.protocol = .paillier
        let view = ResultView(table, queryID: [9])
        #expect(view.rows == [[.number("5")], [.label("x")], [.null], [.suppressed]])
        #expect(view.aggregationProtocol == "paillier")
        #expect(view.suppressedCells.map(\.row) == [3])
    }
}
