import Config
import Foundation
import Policy
import Query
import Testing

@Suite("Policy lint")
struct PolicyLintTests {
    let file = "lint.yaml"

    func findings(_ yaml: String) throws -> [PolicyLintFinding] {
        lint(try PolicyFiles.parse(yaml: yaml, file: file), catalog: PolicyCatalog.catalog, now: referenceNow)
    }

    @Test func aCleanPolicyHasNoFindings() throws {
        #expect(try findings(basePolicy) == [])
    }

    @Test func everyKindOfFinding() throws {
        let yaml = """
            groups:
              analysts: [spiffe://city/analyst/alice, spiffe://city/analyst/Bob]
              unused: [spiffe://city/analyst/carol]
            rules:
              - id: broad
                who: [group:analysts, spiffe://city/analyst/dave]
                datasets: [visits]
                aggregates: [count, sum, avg]
                columns: {aggregate: [cost, age], filter: [age, district], group: [district]}
                min_group_size: 5
                min_parties: 2
                protocols: [secure_sum, paillier]
                purpose: Broad
              - id: narrow
                who: [spiffe://city/analyst/alice]
                datasets: [visits]
                aggregates: [sum]
                columns: {aggregate: [cost], group: [district]}
                min_group_size: 20
                min_parties: 3
                protocols: [secure_sum]
                expires: 2027-06-20
                purpose: Narrow
              - id: typos
                who: [spiffe://city/analysts/erin, group:nobody, "SPIFFE://city/analyst/frank"]
                datasets: [visits, vists]
                aggregates: [count]
                columns: {aggregate: [salary], filter: [age], group: [distrct]}
                min_group_size: 5
                min_parties: 1
                protocols: [secure_sum]
                expires: 2027-01-01
                purpose: Typos
            """
        let found = try findings(yaml)
        let summary = found.map { "\($0.code.rawValue) \($0.ruleID ?? $0.group ?? "-") \($0.origin.line ?? 0)" }
        #expect(
            summary == [
                "expiringRule narrow 14",
                "unreachableRule narrow 14",
                "unknownDataset typos 24",
                "unknownColumn typos 24",
                "unknownColumn typos 24",
                "invalidPrincipal typos 24",
                "unknownGroup typos 24",
                "invalidPrincipal typos 24",
                "expiredRule typos 24",
                "invalidPrincipal analysts 2",
                "unusedGroup unused 3",
            ]
        )
        let messages = found.map(\.message)
        #expect(messages[1].contains("the earlier rule `broad` (lint.yaml:5: rules[0])"))
        #expect(messages[2].contains("dataset `vists`"))
        #expect(messages[3].contains("column `salary` under `columns.aggregate`"))
        #expect(messages[4].contains("column `distrct` under `columns.group`"))
        #expect(messages[5].contains("`spiffe://city/analysts/erin`"))
        #expect(messages[6].contains("`group:nobody`"))
        #expect(messages[7].contains("`SPIFFE://city/analyst/frank`"))
        #expect(messages[9].contains("`spiffe://city/analyst/Bob`"))
        #expect(found[0].severity == .warning)
        #expect(found[2].severity == .error)
        #expect(found[0].description.hasPrefix("lint.yaml:14: rules[1]: warning: rule `narrow` expires within 30 days"))
    }

    /// Each line of `tweaks` makes the earlier rule narrower in one dimension than the later
    /// one, so the later rule stays reachable; with no tweak it is unreachable.
    @Test(arguments: [
        ("", true),
        ("who: [spiffe://city/analyst/bob]", false),
        ("datasets: [payroll]", false),
        ("aggregates: [count]", false),
        ("columns: {aggregate: [cost], filter: [age]}", false),
        ("columns: {aggregate: [cost], group: [district]}", false),
        ("columns: {filter: [age], group: [district]}", false),
        ("protocols: [paillier]", false),
        ("min_parties: 4", false),
        ("max_queries_per_day: 100", false),
        ("expires: 2027-12-30", false),
    ])
    func reachability(tweak: String, unreachable: Bool) throws {
        var earlier: [String: String] = [
            "who": "[group:team, spiffe://city/analyst/bob]",
            "datasets": "[visits, payroll]",
            "aggregates": "[count, sum]",
            "columns": "{aggregate: [cost, salary], filter: [age], group: [district]}",
            "protocols": "[secure_sum, paillier]",
            "min_parties": "2",
            "expires": "2027-12-31",
        ]
        if !tweak.isEmpty {
            let parts = tweak.split(separator: ":", maxSplits: 1).map(String.init)
            earlier[parts[0]] = parts[1]
        }
        let earlierKeys = earlier.keys.sorted().map { "    \($0): \(earlier[$0]!)" }.joined(separator: "\n")
        let yaml = """
            groups:
              team: [spiffe://city/analyst/alice]
            rules:
              - id: earlier
            \(earlierKeys)
                min_group_size: 1
                purpose: Earlier
              - id: later
                who: [spiffe://city/analyst/alice]
                datasets: [visits]
                aggregates: [sum]
                columns: {aggregate: [cost], filter: [age], group: [district]}
                min_group_size: 50
                min_parties: 3
                protocols: [secure_sum]
                expires: 2027-12-31
                purpose: Later
            """
        let set = try PolicyFiles.parse(yaml: yaml, file: file)
        #expect((set.shadowingRule(of: 1)?.id == "earlier") == unreachable, "\(tweak)")
        #expect(set.shadowingRule(of: 0) == nil)
        let codes = lint(set, catalog: PolicyCatalog.catalog, now: referenceNow).map(\.code)
        #expect(codes.contains(.unreachableRule) == unreachable, "\(codes)")
    }

    @Test func aLaterRuleWithoutExpiryIsReachableAfterTheEarlierExpires() throws {
        let yaml = """
            rules:
              - {id: a, who: [\(Analysts.alice)], datasets: [visits], aggregates: [count], min_group_size: 1,
                 min_parties: 1, protocols: [secure_sum], expires: 2030-01-01, purpose: a}
              - {id: b, who: [\(Analysts.alice)], datasets: [visits], aggregates: [count], min_group_size: 1,
                 min_parties: 1, protocols: [secure_sum], purpose: b}
              - {id: c, who: [\(Analysts.alice)], datasets: [visits], aggregates: [count], min_group_size: 1,
                 min_parties: 1, protocols: [secure_sum], expires: 2029-01-01, purpose: c}
            """
        let set = try PolicyFiles.parse(yaml: yaml, file: file)
        #expect(set.shadowingRule(of: 1) == nil)
        #expect(set.shadowingRule(of: 2)?.id == "a")
    }
}
