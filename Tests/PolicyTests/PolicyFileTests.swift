import Config
import Foundation
import Policy
import Query
import TestSupport
import Testing

@Suite("Policy files")
struct PolicyFileTests {
    let file = "/etc/fedstat/policies/health.yaml"

    /// A valid rule whose keys can be replaced; `rules[0]` starts on line 2.
    func rule(replacing key: String? = nil, with text: String? = nil, adding extra: String? = nil) -> String {
        var lines = [
            "rules:",
            "  - id: costs",
            "    who: [spiffe://city/analyst/alice]",
            "    datasets: [visits]",
            "    aggregates: [count, sum]",
            "    columns:",
            "      aggregate: [cost]",
            "    min_group_size: 5",
            "    min_parties: 2",
            "    protocols: [secure_sum]",
            "    purpose: Costs",
        ]
        if let key, let index = lines.firstIndex(where: { $0.drop(while: { " -".contains($0) }).hasPrefix("\(key):") })
        {
            if let text { lines[index] = text } else { lines.remove(at: index) }
        }
        if let extra { lines.append(extra) }
        return lines.joined(separator: "\n") + "\n"
    }

    func parse(_ yaml: String) throws {
        _ = try PolicyFiles.parse(yaml: yaml, file: file)
    }

    @Test func readsTheExampleFormat() throws {
        let yaml = """
            groups:
              health-analysts: [spiffe://city/analyst/alice, spiffe://city/analyst/carol]
            rules:
              - id: costs-by-district
                who: [group:health-analysts, spiffe://city/analyst/dave]
                datasets: [visits]
                aggregates: [count, sum, avg, var_samp, stddev_samp]
                columns:
                  aggregate: [cost, age]
                  filter: [age, district, insured]
                  group: [district, age]
                min_group_size: 10
                min_parties: 2
                protocols: [secure_sum, paillier]
                max_queries_per_day: 50
                expires: 2027-12-31
                purpose: "Yearly health cost report for the city council"
            """
        let set = try PolicyFiles.parse(yaml: yaml, file: file)
        #expect(
            set.groups == [
                PolicyGroup(
                    name: "health-analysts",
                    members: [Analysts.alice, Analysts.carol],
                    origin: PolicyOrigin(file: file, keyPath: "groups.health-analysts", line: 2)
                )
            ]
        )
        #expect(set.groupMembers == ["health-analysts": [Analysts.alice, Analysts.carol]])
        let first = try #require(set.rules.first)
        #expect(first.id == "costs-by-district")
        #expect(first.who == [.group("health-analysts"), .analyst("spiffe://city/analyst/dave")])
        #expect(first.datasets == ["visits"])
        #expect(first.aggregates == [.countRows, .count, .sum, .avg, .varSamp, .stddevSamp])
        #expect(
            first.columns
                == ColumnPermissions(
                    aggregate: ["cost", "age"],
                    filter: ["age", "district", "insured"],
                    group: ["district", "age"]
                )
        )
        #expect(
            first.requirements
                == PolicyRequirements(
                    minGroupSize: 10,
                    minParties: 2,
                    protocols: [.secureSum, .paillier],
                    maxQueriesPerDay: 50,
                    expires: PolicyExpiry(iso8601: "2027-12-31"),
                    purpose: "Yearly health cost report for the city council"
                )
        )
        #expect(first.requirements.expires?.end == PolicyExpiry(iso8601: "2028-01-01T00:00:00Z")?.end)
        #expect(first.origin == PolicyOrigin(file: file, keyPath: "rules[0]", line: 4))
        #expect(set.principals(of: first) == [Analysts.alice, Analysts.carol, "spiffe://city/analyst/dave"])

        // `count(*)` alone, the aliases, an empty file.
        let narrow = try PolicyFiles.parse(
            yaml: rule(replacing: "aggregates", with: "    aggregates: [count(*), variance, stddev, linreg]"),
            file: file
        )
        #expect(narrow.rules[0].aggregates == Set<AggregateFunction>([.countRows, .varSamp, .stddevSamp, .linreg]))
        #expect(try PolicyFiles.parse(yaml: "", file: file) == PolicySet())
        #expect(try PolicyFiles.parse(yaml: "# nothing yet\nrules: []\n", file: file).rules.isEmpty)
    }

    @Test func dates() {
        let cases: [(String, String?)] = [
            ("2027-12-31", "2028-01-01T00:00:00Z"),
            ("2028-02-29", "2028-03-01T00:00:00Z"),
            ("2027-06-30T18:30:00Z", "2027-06-30T18:30:00Z"),
            ("2027-06-30T18:30Z", "2027-06-30T18:30:00Z"),
            ("2027-06-30T01:30:00+02:00", "2027-06-29T23:30:00Z"),
            ("2027-06-30T22:30:00-05:30", "2027-07-01T04:00:00Z"),
            ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
            ("2027-06-30T18:30:00.5Z", "2027-06-30T18:30:00Z"),
            ("2027-02-29", nil),
            ("2027-13-01", nil),
            ("2027-6-30", nil),
            ("2027-06-30T18:30:00", nil),
            ("2027-06-30T24:00:00Z", nil),
            ("2027-06-30 18:30:00Z", nil),
            ("2027-06-30T18:30:00Zjunk", nil),
            ("tomorrow", nil),
        ]
        for (text, expected) in cases {
            let expiry = PolicyExpiry(iso8601: text)
            #expect(expiry.map { PolicyExpiry(end: $0.end).text } == expected, "\(text)")
        }
        #expect(
            PolicyExpiry(iso8601: "2027-06-30T18:30:00.5Z")!.end.timeIntervalSince1970.truncatingRemainder(
                dividingBy: 1
            ) == 0.5
        )
    }

    @Test func unknownAndMissingKeys() {
        expectConfigError(.unknownKey, file: file, keyPath: "polices", line: 1, mentioning: ["`rules`"]) {
            try parse("polices: []\n")
        }
        expectConfigError(
            .unknownKey,
            file: file,
            keyPath: "rules[0].aggregate",
            line: 12,
            mentioning: ["did you mean `aggregates`"]
        ) { try parse(rule(adding: "    aggregate: [avg]")) }
        expectConfigError(.unknownKey, file: file, keyPath: "rules[0].columns.grouping", line: 7) {
            try parse(rule(replacing: "aggregate", with: "      grouping: [district]"))
        }
        expectConfigError(
            .missingKey,
            file: file,
            keyPath: "rules[0].purpose",
            line: 2,
            mentioning: ["audit"]
        ) { try parse(rule(replacing: "purpose")) }
        expectConfigError(.missingKey, file: file, keyPath: "rules[0].id", line: 2) {
            try parse(rule().replacingOccurrences(of: "  - id: costs\n    who", with: "  - who"))
        }
        for key in ["who", "datasets", "aggregates", "min_group_size", "min_parties", "protocols"] {
            expectConfigError(.missingKey, file: file, keyPath: "rules[0].\(key)", line: 2) {
                try parse(rule(replacing: key))
            }
        }
        expectConfigError(.missingKey, file: file, keyPath: "rules[0].purpose", line: 11) {
            try parse(rule(replacing: "purpose", with: "    purpose:"))
        }
    }

    @Test func badValues() {
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "rules[0].aggregates[1]",
            line: 5,
            mentioning: ["unknown aggregate `summ`", "did you mean `sum`?"]
        ) { try parse(rule(replacing: "aggregates", with: "    aggregates: [count, summ]")) }
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "rules[0].aggregates[0]",
            line: 5,
            mentioning: ["Fedstat does not compute max"]
        ) { try parse(rule(replacing: "aggregates", with: "    aggregates: [max]")) }
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "rules[0].aggregates[0]",
            line: 5,
            mentioning: ["lower case"]
        ) { try parse(rule(replacing: "aggregates", with: "    aggregates: [SUM]")) }
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "rules[0].protocols[1]",
            line: 10,
            mentioning: ["`secure_sum`, `paillier`"]
        ) { try parse(rule(replacing: "protocols", with: "    protocols: [secure_sum, homomorphic]")) }
        expectConfigError(.invalidValue, file: file, keyPath: "rules[0].protocols", line: 10, mentioning: ["is empty"])
        {
            try parse(rule(replacing: "protocols", with: "    protocols: []"))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "rules[0].who", line: 3, mentioning: ["is empty"]) {
            try parse(rule(replacing: "who", with: "    who: []"))
        }
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "rules[0].min_parties",
            line: 9,
            mentioning: ["at least 1"]
        ) {
            try parse(rule(replacing: "min_parties", with: "    min_parties: 0"))
        }
        expectConfigError(.wrongType, file: file, keyPath: "rules[0].min_group_size", line: 8) {
            try parse(rule(replacing: "min_group_size", with: "    min_group_size: ten"))
        }
        expectConfigError(
            .wrongType,
            file: file,
            keyPath: "rules[0].min_group_size",
            line: 8,
            mentioning: ["without quotes"]
        ) {
            try parse(rule(replacing: "min_group_size", with: "    min_group_size: \"10\""))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "rules[0].max_queries_per_day", line: 12) {
            try parse(rule(adding: "    max_queries_per_day: -1"))
        }
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "rules[0].expires",
            line: 12,
            mentioning: ["no time zone", "`Z`"]
        ) { try parse(rule(adding: "    expires: 2027-12-31T18:00:00")) }
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "rules[0].expires",
            line: 12,
            mentioning: ["not an ISO-8601 date"]
        ) { try parse(rule(adding: "    expires: 31.12.2027")) }
        expectConfigError(.invalidValue, file: file, keyPath: "rules[0].purpose", line: 11, mentioning: ["is empty"]) {
            try parse(rule(replacing: "purpose", with: "    purpose: \"  \""))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "rules[0].id", line: 2, mentioning: ["lowercase"]) {
            try parse(rule(replacing: "id", with: "  - id: Costs"))
        }
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "rules[0].datasets[0]",
            line: 4,
            mentioning: ["lowercase"]
        ) {
            try parse(rule(replacing: "datasets", with: "    datasets: [Visits]"))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "rules[0].columns.aggregate[1]", line: 7) {
            try parse(rule(replacing: "aggregate", with: "      aggregate: [cost, \"total cost\"]"))
        }
        expectConfigError(
            .duplicateValue,
            file: file,
            keyPath: "rules[0].datasets[1]",
            line: 4,
            mentioning: ["`rules[0].datasets[0]`"]
        ) { try parse(rule(replacing: "datasets", with: "    datasets: [visits, visits]")) }
        expectConfigError(.wrongType, file: file, keyPath: "rules[0].who", line: 3, mentioning: ["expected a list"]) {
            try parse(rule(replacing: "who", with: "    who: spiffe://city/analyst/alice"))
        }
        expectConfigError(.wrongType, file: file, keyPath: "rules", line: 1) {
            try parse("rules: {id: x}\n")
        }
        expectConfigError(.wrongType, file: file, keyPath: "groups", line: 1) {
            try parse("groups: [a, b]\n")
        }
        expectConfigError(.invalidValue, file: file, keyPath: "groups.Health", line: 2, mentioning: ["group name"]) {
            try parse("groups:\n  Health: [spiffe://city/analyst/alice]\n")
        }
        expectConfigError(.syntax, file: file, keyPath: "", line: 3) {
            try parse("rules:\n  - id: [unclosed\n")
        }
        expectConfigError(.duplicateKey, file: file, keyPath: "id", line: 2) {
            try parse(rule(adding: "    id: again"))
        }
    }

    @Test func duplicateRuleIdsAndGroups() throws {
        let twice = rule() + rule().replacingOccurrences(of: "rules:\n", with: "")
        expectConfigError(
            .duplicateValue,
            file: file,
            keyPath: "rules[1].id",
            line: 12,
            mentioning: ["\(file):2: rules[0]"]
        ) { try parse(twice) }

        let directory = try PolicyDirectory()
        try directory.write(rule(), to: "10-first.yaml")
        try directory.write(
            "groups:\n  team: []\n" + rule().replacingOccurrences(of: "costs", with: "other"),
            to: "20-second.yaml"
        )
        try directory.write("# a comment\n\n" + rule(), to: "30-third.yaml")
        let first = directory.path + "/10-first.yaml"
        let third = directory.path + "/30-third.yaml"
        expectConfigError(
            .duplicateValue,
            file: third,
            keyPath: "rules[0].id",
            line: 4,
            mentioning: [first + ":2", "unique across"]
        ) { _ = try PolicyFiles.load(directory: directory.path) }

        try FileManager.default.removeItem(atPath: third)
        try directory.write("groups:\n  other: []\n  team: [spiffe://city/analyst/bob]\n", to: "40-groups.yaml")
        expectConfigError(
            .duplicateValue,
            file: directory.path + "/40-groups.yaml",
            keyPath: "groups.team",
            line: 3,
            mentioning: [directory.path + "/20-second.yaml:2"]
        ) { _ = try PolicyFiles.load(directory: directory.path) }

        // An error inside one file of a directory names that file.
        try FileManager.default.removeItem(atPath: directory.path + "/40-groups.yaml")
        try directory.write(rule(replacing: "min_parties", with: "    min_parties: 0"), to: "50-bad.yml")
        expectConfigError(.invalidValue, file: directory.path + "/50-bad.yml", keyPath: "rules[0].min_parties", line: 9)
        {
            _ = try PolicyFiles.load(directory: directory.path)
        }
        try FileManager.default.removeItem(atPath: directory.path + "/50-bad.yml")
        #expect(try PolicyFiles.load(directory: directory.path).rules.map(\.id) == ["costs", "other"])
    }

    @Test func missingDirectory() {
        let path = "/nonexistent/fedstat/policies"
        expectConfigError(.io, file: path, keyPath: "", line: nil, mentioning: ["policy directory", "`policies`"]) {
            _ = try PolicyFiles.load(directory: path)
        }
    }
}
