import Config
import Foundation
import Policy
import Query
import TestSupport
import Testing

/// The policy most evaluation tests run against; line numbers are relied on.
let basePolicyFile = "/etc/fedstat/policies/base.yaml"
let basePolicy = """
    groups:
      health-analysts: [spiffe://city/analyst/carol]
    rules:
      - id: costs
        who: [spiffe://city/analyst/alice, group:health-analysts]
        datasets: [visits]
        aggregates: [count, sum, avg]
        columns:
          aggregate: [cost, age]
          filter: [age, district]
          group: [district, age]
        min_group_size: 5
        min_parties: 2
        protocols: [secure_sum]
        max_queries_per_day: 10
        expires: 2027-12-31
        purpose: "Cost report for the council"
    """

/// One cell of the matrix: a request that differs from an allowed one in one dimension.
struct MatrixCase: Sendable, CustomTestStringConvertible {
    var name: String
    var sql: String
    var analyst = Analysts.alice
    var participants = ["hospital", "clinic", "utility"]
    var aggregationProtocol = AggregationProtocol.secureSum
    var now = referenceNow
    var used = 0
    /// nil: approved by `costs`.
    var expected: PolicyMismatch?
    /// Words the denial's message must contain.
    var words: [String] = []

    var testDescription: String { name }
}

let alice = Analysts.alice
let matrix: [MatrixCase] = [
    // who
    MatrixCase(name: "analyst named", sql: "SELECT COUNT(*) FROM visits"),
    MatrixCase(name: "analyst through a group", sql: "SELECT COUNT(*) FROM visits", analyst: Analysts.carol),
    MatrixCase(
        name: "analyst not named",
        sql: "SELECT COUNT(*) FROM visits",
        analyst: Analysts.bob,
        expected: .analyst(Analysts.bob),
        words: ["no rule on this node lets spiffe://city/analyst/bob run queries"]
    ),
    MatrixCase(
        name: "analyst spelled differently",
        sql: "SELECT COUNT(*) FROM visits",
        analyst: "spiffe://city/analyst/Alice",
        expected: .analyst("spiffe://city/analyst/Alice")
    ),
    // dataset
    MatrixCase(
        name: "dataset not listed",
        sql: "SELECT COUNT(*) FROM payroll",
        expected: .dataset("payroll"),
        words: ["no rule lets \(alice) query dataset `payroll`"]
    ),
    // aggregates
    MatrixCase(name: "aggregate sum", sql: "SELECT SUM(cost), AVG(age) FROM visits"),
    MatrixCase(name: "count allows count(column)", sql: "SELECT COUNT(cost) FROM visits"),
    MatrixCase(
        name: "aggregate not allowed",
        sql: "SELECT SUM(cost), VAR_SAMP(cost) FROM visits",
        expected: .aggregate(.varSamp),
        words: ["aggregate `var_samp` may not be used by \(alice) on dataset `visits` under any rule"]
    ),
    MatrixCase(
        name: "variance is var_samp",
        sql: "SELECT VARIANCE(cost) FROM visits",
        expected: .aggregate(.varSamp)
    ),
    // aggregated columns
    MatrixCase(name: "aggregated column allowed", sql: "SELECT SUM(age) FROM visits"),
    MatrixCase(
        name: "aggregated column not allowed",
        sql: "SELECT SUM(age), SUM(income) FROM visits",
        expected: .aggregatedColumn("income"),
        words: ["column `income` may not be aggregated by \(alice) under any rule"]
    ),
    MatrixCase(
        name: "count(column) needs the column",
        sql: "SELECT COUNT(income) FROM visits",
        expected: .aggregatedColumn("income")
    ),
    // filtered columns
    MatrixCase(
        name: "filtered column allowed",
        sql: "SELECT COUNT(*) FROM visits WHERE age > 30 AND district = 'north'"
    ),
    MatrixCase(
        name: "filtered column not allowed",
        sql: "SELECT COUNT(*) FROM visits WHERE income > 5",
        expected: .filteredColumn("income"),
        words: ["column `income` may not be used in WHERE by \(alice) under any rule"]
    ),
    MatrixCase(
        name: "filtered column deep in the condition",
        sql: "SELECT COUNT(*) FROM visits WHERE NOT (district = 'north' OR (age < 3 AND insured IS NULL))",
        expected: .filteredColumn("insured")
    ),
    MatrixCase(
        name: "column compared with a column",
        sql: "SELECT COUNT(*) FROM visits WHERE age < income",
        expected: .filteredColumn("income")
    ),
    MatrixCase(
        name: "aggregated column is not thereby filterable",
        sql: "SELECT SUM(cost) FROM visits WHERE cost > 10",
        expected: .filteredColumn("cost")
    ),
    MatrixCase(
        name: "comparison folded to a constant still needs the column",
        sql: "SELECT COUNT(*) FROM visits WHERE cost = 12.345",
        expected: .filteredColumn("cost")
    ),
    // grouped columns
    MatrixCase(name: "grouped column allowed", sql: "SELECT district, COUNT(*) FROM visits GROUP BY district"),
    MatrixCase(name: "width bucket allowed", sql: "SELECT COUNT(*) FROM visits GROUP BY WIDTH_BUCKET(age, 0, 100, 10)"),
    MatrixCase(
        name: "grouped column not allowed",
        sql: "SELECT insured, COUNT(*) FROM visits GROUP BY insured",
        expected: .groupedColumn("insured"),
        words: ["column `insured` may not be grouped by \(alice) under any rule"]
    ),
    MatrixCase(
        name: "width bucket of a column not allowed",
        sql: "SELECT COUNT(*) FROM visits GROUP BY district, WIDTH_BUCKET(cost, 0, 1000, 4)",
        expected: .groupedColumn("cost")
    ),
    // protocol
    MatrixCase(
        name: "protocol not allowed",
        sql: "SELECT COUNT(*) FROM visits",
        aggregationProtocol: .paillier,
        expected: .aggregationProtocol(.paillier),
        words: ["protocol `paillier` may not be used by \(alice) on dataset `visits` under any rule"]
    ),
    // participants
    MatrixCase(name: "exactly min_parties", sql: "SELECT COUNT(*) FROM visits", participants: ["hospital", "clinic"]),
    MatrixCase(
        name: "fewer than min_parties",
        sql: "SELECT COUNT(*) FROM visits",
        participants: ["hospital"],
        expected: .tooFewParties(participants: 1, required: 2),
        words: ["the query has 1 participant, but every rule", "requires at least 2"]
    ),
    MatrixCase(
        name: "a repeated participant counts once",
        sql: "SELECT COUNT(*) FROM visits",
        participants: ["hospital", "hospital", "hospital"],
        expected: .tooFewParties(participants: 1, required: 2)
    ),
    // daily limit
    MatrixCase(name: "below the daily limit", sql: "SELECT COUNT(*) FROM visits", used: 9),
    MatrixCase(
        name: "daily limit reached",
        sql: "SELECT COUNT(*) FROM visits",
        used: 10,
        expected: .dailyLimitReached(limit: 10, used: 10),
        words: ["used up today's queries"]
    ),
    // expiry: `expires: 2027-12-31` is in force through that day, UTC
    MatrixCase(
        name: "last second before expiry",
        sql: "SELECT COUNT(*) FROM visits",
        now: PolicyExpiry(iso8601: "2027-12-31T23:59:59Z")!.end
    ),
    MatrixCase(
        name: "expired",
        sql: "SELECT COUNT(*) FROM visits",
        now: PolicyExpiry(iso8601: "2028-01-01T00:00:00Z")!.end,
        expected: .expired(PolicyExpiry(iso8601: "2027-12-31")!),
        words: ["has expired", "2027-12-31"]
    ),
]

@Suite("Policy evaluation")
struct PolicyEvaluationTests {
    let policy: PolicySet

    init() throws {
        policy = try PolicyFiles.parse(yaml: basePolicy, file: basePolicyFile)
    }

    @Test(arguments: matrix)
    func everyDimension(_ cell: MatrixCase) throws {
        let used = cell.used
        let decision = policy.evaluate(
            try request(
                cell.sql,
                analyst: cell.analyst,
                participants: cell.participants,
                protocol: cell.aggregationProtocol,
                now: cell.now,
                queriesToday: { id in id == "costs" ? used : 0 }
            )
        )
        guard let expected = cell.expected else {
            #expect(decision.approvingRule == "costs", "\(decision)")
            return
        }
        let denial = try #require(decision.denial, "\(decision)")
        #expect(denial.mismatch == expected, "\(denial)")
        #expect(denial.closestRule == nil)
        for word in cell.words { #expect(denial.message.contains(word), "\(denial.message) should say \(word)") }
        #expect(decision.trail.count == 1)
        #expect(decision.trail[0].mismatches.first == expected)
    }

    @Test func approvalCarriesTheRequirements() throws {
        let decision = policy.evaluate(try request("SELECT district, AVG(cost) FROM visits GROUP BY district"))
        guard case .approve(let ruleID, let requirements) = decision.verdict else {
            Issue.record("expected approval: \(decision)")
            return
        }
        #expect(ruleID == "costs")
        #expect(requirements.minGroupSize == 5)
        #expect(requirements.minParties == 2)
        #expect(requirements.protocols == [.secureSum])
        #expect(requirements.maxQueriesPerDay == 10)
        #expect(requirements.purpose == "Cost report for the council")
        #expect(requirements.expires?.text == "2027-12-31")
        #expect(decision.trail.map(\.description) == ["rule `costs` (\(basePolicyFile):4: rules[0]): matches"])
    }

    @Test func defaultDenyWithoutRules() throws {
        let decision = PolicySet().evaluate(try request("SELECT COUNT(*) FROM visits"))
        #expect(!decision.isApproved)
        #expect(decision.denial?.mismatch == .analyst(alice))
        #expect(decision.trail.isEmpty)

        let directory = try PolicyDirectory()
        try directory.write("not a policy", to: "README.txt")
        let loaded = try PolicyFiles.load(directory: directory.path)
        #expect(loaded.rules.isEmpty)
        #expect(!loaded.evaluate(try request("SELECT COUNT(*) FROM visits")).isApproved)
    }

    @Test func dailyCounterIsAskedPerRuleAndOnlyWhenLimited() throws {
        let yaml = """
            rules:
              - {id: limited, who: [\(alice)], datasets: [visits], aggregates: [count], min_group_size: 1,
                 min_parties: 1, protocols: [secure_sum], max_queries_per_day: 3, purpose: first}
              - {id: unlimited, who: [\(alice)], datasets: [visits], aggregates: [count], min_group_size: 1,
                 min_parties: 1, protocols: [secure_sum], purpose: second}
            """
        let set = try PolicyFiles.parse(yaml: yaml, file: "limits.yaml")
        let asked = Counter()
        let decision = set.evaluate(
            try request("SELECT COUNT(*) FROM visits") { id in
                asked.record(id)
                return 3
            }
        )
        // The first rule ran out today, so the second approves.
        #expect(decision.approvingRule == "unlimited")
        #expect(asked.ids == ["limited"])
        #expect(decision.trail[0].mismatches == [.dailyLimitReached(limit: 3, used: 3)])
    }

    @Test func trailExplainsEveryRuleConsidered() throws {
        let yaml = """
            rules:
              - id: bob-only
                who: [\(Analysts.bob)]
                datasets: [visits]
                aggregates: [sum]
                columns: {aggregate: [cost]}
                min_group_size: 3
                min_parties: 1
                protocols: [paillier]
                purpose: Bob's study
              - id: payroll
                who: [\(alice)]
                datasets: [payroll]
                aggregates: [count]
                min_group_size: 3
                min_parties: 1
                protocols: [secure_sum]
                purpose: Staffing
              - id: visits
                who: [\(alice)]
                datasets: [visits]
                aggregates: [sum]
                columns: {aggregate: [cost]}
                min_group_size: 3
                min_parties: 1
                protocols: [secure_sum]
                purpose: Costs
              - id: never-reached
                who: [\(alice)]
                datasets: [visits]
                aggregates: [sum]
                columns: {aggregate: [cost]}
                min_group_size: 3
                min_parties: 1
                protocols: [secure_sum]
                purpose: Costs again
            """
        let set = try PolicyFiles.parse(yaml: yaml, file: "trail.yaml")
        let decision = set.evaluate(try request("SELECT SUM(cost) FROM visits"))
        #expect(decision.approvingRule == "visits")
        #expect(decision.trail.map(\.ruleID) == ["bob-only", "payroll", "visits"])
        #expect(decision.trail[0].mismatches == [.analyst(alice), .aggregationProtocol(.secureSum)])
        #expect(decision.trail[1].mismatches == [.dataset("visits"), .aggregate(.sum), .aggregatedColumn("cost")])
        #expect(decision.trail[2].matched)
        #expect(
            decision.description == """
                approved by rule `visits`
                  rule `bob-only` (trail.yaml:2: rules[0]): does not match: it does not apply to \(alice); \
                protocol `secure_sum` is not allowed
                  rule `payroll` (trail.yaml:11: rules[1]): does not match: it does not cover dataset `visits`; \
                aggregate `sum` is not allowed; column `cost` may not be aggregated
                  rule `visits` (trail.yaml:19: rules[2]): matches
                """
        )

        // Denied: every rule is in the trail.
        let denied = set.evaluate(try request("SELECT SUM(cost) FROM visits", protocol: .paillier))
        #expect(denied.trail.map(\.ruleID) == ["bob-only", "payroll", "visits", "never-reached"])
        #expect(denied.denial?.mismatch == .aggregationProtocol(.paillier))
    }

    @Test func firstMatchingRuleInFileOrderApproves() throws {
        let rule = { (id: String, size: Int) in
            """
              - {id: \(id), who: [\(alice)], datasets: [visits], aggregates: [count], min_group_size: \(size),
                 min_parties: 1, protocols: [secure_sum], purpose: \(id)}

            """
        }
        let set = try PolicyFiles.parse(yaml: "rules:\n" + rule("first", 7) + rule("second", 2), file: "order.yaml")
        let decision = set.evaluate(try request("SELECT COUNT(*) FROM visits"))
        guard case .approve("first", let requirements) = decision.verdict else {
            Issue.record("expected `first`: \(decision)")
            return
        }
        #expect(requirements.minGroupSize == 7)
        #expect(decision.trail.count == 1)

        // Across files: sorted by the bytes of their names, so `a.yml` before `b.yaml`
        // and `B.yaml` before both; hidden files and other endings are not read.
        let directory = try PolicyDirectory()
        try directory.write("rules:\n" + rule("in-b", 2), to: "b.yaml")
        try directory.write("rules:\n" + rule("in-a", 3), to: "a.yml")
        try directory.write("rules:\n" + rule("in-capital-b", 4), to: "B.yaml")
        try directory.write("this is not: [valid", to: ".a.yaml.swp.yaml")
        try directory.write("rules:\n" + rule("in-txt", 5), to: "c.yaml.txt")
        let loaded = try PolicyFiles.load(directory: directory.path)
        #expect(loaded.rules.map(\.id) == ["in-capital-b", "in-a", "in-b"])
        #expect(loaded.rules[1].origin.file == directory.path + "/a.yml")
        #expect(loaded.evaluate(try request("SELECT COUNT(*) FROM visits")).approvingRule == "in-capital-b")
    }

    @Test func closestRuleIsNamedWhenEachPartIsAllowedSomewhere() throws {
        let yaml = """
            rules:
              - id: wide
                who: [\(alice)]
                datasets: [visits]
                aggregates: [sum, count]
                columns: {aggregate: [income, cost], filter: [age]}
                min_group_size: 3
                min_parties: 1
                protocols: [secure_sum]
                purpose: Income
              - id: grouped
                who: [\(alice)]
                datasets: [visits]
                aggregates: [count]
                columns: {group: [insured]}
                min_group_size: 3
                min_parties: 1
                protocols: [secure_sum, paillier]
                purpose: Insurance
            """
        let set = try PolicyFiles.parse(yaml: yaml, file: "closest.yaml")
        // `wide` lacks only the grouping; `grouped` lacks sum, income and age.
        let decision = set.evaluate(
            try request("SELECT insured, SUM(income) FROM visits WHERE age > 3 GROUP BY insured")
        )
        let denial = try #require(decision.denial)
        #expect(denial.closestRule == "wide")
        #expect(denial.mismatch == .groupedColumn("insured"))
        #expect(
            denial.message
                == "no single rule allows every part of this query for \(alice); the closest, rule `wide`, does not "
                + "allow it: column `insured` may not be grouped"
        )

        // `grouped` lacks only `income` as an argument; `wide` the grouping and the protocol.
        let paillier = set.evaluate(
            try request("SELECT insured, COUNT(income) FROM visits GROUP BY insured", protocol: .paillier)
        )
        #expect(paillier.denial?.closestRule == "grouped")
        #expect(paillier.denial?.mismatch == .aggregatedColumn("income"))
        // A tie goes to the earlier rule.
        let tie = set.evaluate(try request("SELECT insured, COUNT(income) FROM visits GROUP BY insured"))
        #expect(tie.denial?.closestRule == "wide")
        // The message counts the closest rule's other parts.
        let two = set.evaluate(
            try request("SELECT insured, SUM(income) FROM visits GROUP BY insured", protocol: .paillier)
        )
        #expect(two.denial?.closestRule == "wide")
        #expect(
            two.denial?.message.hasSuffix("column `insured` may not be grouped (and 1 other part of the query)")
                == true,
            "\(two)"
        )
    }

    @Test func firstPartNoRuleAllowsWinsOverTheClosestRule() throws {
        let yaml = """
            rules:
              - {id: one, who: [\(alice)], datasets: [visits], aggregates: [count], columns: {group: [district]},
                 min_group_size: 1, min_parties: 3, protocols: [secure_sum], purpose: one}
              - {id: two, who: [\(alice)], datasets: [visits], aggregates: [count], columns: {filter: [age]},
                 min_group_size: 1, min_parties: 5, protocols: [secure_sum], purpose: two}
            """
        let set = try PolicyFiles.parse(yaml: yaml, file: "parties.yaml")
        let decision = set.evaluate(
            try request(
                "SELECT district, COUNT(*) FROM visits WHERE income > 3 GROUP BY district",
                participants: ["a", "b"]
            )
        )
        // `income` in WHERE is allowed by no rule, and it comes before the participants.
        #expect(decision.denial?.mismatch == .filteredColumn("income"))
        // The least demanding minimum is the one reported.
        let parties = set.evaluate(try request("SELECT COUNT(*) FROM visits", participants: ["a", "b"]))
        #expect(parties.denial?.mismatch == .tooFewParties(participants: 2, required: 3))
        #expect(parties.denial?.message.contains("requires at least 3") == true)
    }

    @Test func onlyExpiredRulesForTheDataset() throws {
        let yaml = """
            rules:
              - {id: old, who: [\(alice)], datasets: [visits], aggregates: [count], min_group_size: 1,
                 min_parties: 1, protocols: [secure_sum], expires: 2026-01-31, purpose: old}
              - {id: older, who: [\(alice)], datasets: [visits], aggregates: [count], min_group_size: 1,
                 min_parties: 1, protocols: [secure_sum], expires: "2025-03-01T08:00:00+01:00", purpose: older}
              - {id: other, who: [\(alice)], datasets: [payroll], aggregates: [count], min_group_size: 1,
                 min_parties: 1, protocols: [secure_sum], purpose: other}
            """
        let set = try PolicyFiles.parse(yaml: yaml, file: "expired.yaml")
        #expect(set.rules[1].requirements.expires?.end == PolicyExpiry(iso8601: "2025-03-01T07:00:00Z")?.end)
        let decision = set.evaluate(try request("SELECT COUNT(*) FROM visits"))
        let denial = try #require(decision.denial)
        #expect(denial.mismatch == .expired(PolicyExpiry(iso8601: "2026-01-31")!))
        #expect(
            denial.message
                == "every rule that lets \(alice) query dataset `visits` has expired (the last on 2026-01-31)"
        )
        // An expired rule is never chosen, even before a valid one.
        let later = set.evaluate(
            try request("SELECT COUNT(*) FROM visits", now: PolicyExpiry(iso8601: "2026-01-31T23:00:00Z")!.end)
        )
        #expect(later.approvingRule == "old")
    }

    @Test func planUsageListsEveryPart() throws {
        let usage = PlanUsage(
            plan: try plan(
                """
                SELECT district, WIDTH_BUCKET(age, 0, 100, 5), COUNT(*), CORR(cost, income), AVG(cost)
                FROM visits WHERE insured AND age > 3
                GROUP BY district, WIDTH_BUCKET(age, 0, 100, 5)
                """
            )
        )
        #expect(usage.dataset == "visits")
        #expect(usage.aggregates == [.countRows, .corr, .avg])
        #expect(usage.aggregatedColumns == ["cost", "income"])
        #expect(usage.groupedColumns == ["district", "age"])
        #expect(usage.filteredColumns == ["insured", "age"])
    }

    @Test func requestFromACount() throws {
        let request = PolicyRequest(
            plan: try plan("SELECT COUNT(*) FROM visits"),
            analyst: alice,
            participantCount: 1,
            aggregationProtocol: .secureSum,
            now: referenceNow
        )
        #expect(policy.evaluate(request).denial?.mismatch == .tooFewParties(participants: 1, required: 2))
    }
}

/// Records the rule ids the evaluation asked about.
final class Counter: @unchecked Sendable {
    // Safe: guarded by the lock; evaluation may call the closure from any thread.
    private let lock = NSLock()
    private var asked: [String] = []

    func record(_ id: String) { lock.withLock { asked.append(id) } }
    var ids: [String] { lock.withLock { asked } }
}
