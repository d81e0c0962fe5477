import Analyst
import Testing
import Wire

/// What fedquery says about failures, byte for byte.
@Suite("Failure explanations")
struct ExplanationTests {
    @Test func anSQLErrorPointsAtItsPosition() {
        var failure = Fedstat_V1_QueryFailure()
        failure.code = "sql"
        failure.message = "line 2, column 7: unknown column `cots`"
        failure.sqlLine = 2
        failure.sqlColumn = 7
        #expect(
            Explanation.failure(failure, sql: "SELECT AVG(cost)\nWHERE cots > 3") == """
                SQL error at line 2, column 7: unknown column `cots`
                  WHERE cots > 3
                        ^
                """)
        // Explain's errors carry the position in the message only.
        #expect(
            Explanation.withCaret("north answered invalidArgument: line 1, column 3: expected SELECT", sql: "SEL x")
                == "north answered invalidArgument: line 1, column 3: expected SELECT\n  SEL x\n    ^")
        #expect(Explanation.withCaret("no position here", sql: "SELECT") == "no position here")
    }

    @Test func aNodeFailureNamesTheNodeAndTheStep() {
        var failure = Fedstat_V1_QueryFailure()
        failure.code = "node_failed"
        failure.message = "south did not answer before the deadline"
        failure.node = "south"
        failure.step = "contribute"
        #expect(
            Explanation.failure(failure, sql: "")
                == "the query failed (node south, step contribute): node_failed: south did not answer before the deadline")
    }

    @Test func aDenialListsEveryNode() {
        var failure = Fedstat_V1_QueryFailure()
        failure.code = "denied"
        var north = Fedstat_V1_NodeDecision()
        north.node = "north"
        north.approved = true
        north.ruleID = "costs"
        north.minGroupSize = 10
        north.minParties = 2
        var east = Fedstat_V1_NodeDecision()
        east.node = "east"
        east.reason = "column `age` may not be grouped by"
        east.ruleID = "clinic"
        failure.decisions = [north, east]
        #expect(
            Explanation.failure(failure, sql: "") == """
                the query was denied; each node's decision:
                  north approves (rule costs, min_group_size 10, min_parties 2)
                  east denies: column `age` may not be grouped by (closest rule: clinic)
                """)
    }
}
