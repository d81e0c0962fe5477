import Foundation
import TestSupport
import Testing

/// The example city (Examples/city) as real node processes, five departments with CSV
/// and SQLite data: every demo query's answer, under both protocols, equals the pooled
/// computation (the same check `make demo` runs, here with debug builds and a small test
/// Paillier key). Each department is a separate host (a network namespace of its own)
/// where the machine allows it.
@Suite("Example city processes", .serialized, .timeLimit(.minutes(10)))
struct ExampleCityProcessTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let departments = ["north-hospital", "south-hospital", "east-clinic", "civil-affairs", "housing-office"]

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func everyDemoAnswerEqualsThePooledComputation() async throws {
        let city = Self.repository + "/Examples/city"
        // The departments' data as `make demo` makes it: CSV files and SQLite databases.
        let data = try TemporaryDirectory()
        let generated = try run("/usr/bin/env", ["python3", Self.repository + "/scripts/make-example-data.py", "--out", data.path])
        try #require(generated.status == 0, "\(generated.error)")
        let federation = try ProcessFederation(
            nodes: Self.departments, catalog: try String(contentsOfFile: city + "/catalog.yaml", encoding: .utf8),
            network: .namespacesIfPossible
        ) { name, folder in
            let files = FileManager.default
            for policy in try files.contentsOfDirectory(atPath: city + "/nodes/\(name)/policies") {
                try files.copyItem(atPath: city + "/nodes/\(name)/policies/\(policy)", toPath: folder + "/policies/\(policy)")
            }
            for file in try files.contentsOfDirectory(atPath: data.path + "/\(name)") {
                try files.copyItem(atPath: data.path + "/\(name)/\(file)", toPath: folder + "/\(file)")
            }
            let splice = try run(
                "/usr/bin/env",
                ["python3", Self.repository + "/scripts/splice-datasets.py", city + "/nodes/\(name)/datasets.yaml", folder + "/node.yaml"])
            try #require(splice.status == 0, "\(splice.error)")
        }
        try await federation.waitUntilReady()
        if federation.networkDescription.hasPrefix("network namespaces") {
            // Separate hosts: every node process in a network namespace of its own, none
            // in the test's, each on its own address.
            func namespace(_ pid: Int32) throws -> String {
                try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
            }
            let own = try namespace(getpid())
            let theirs = try Self.departments.map { try namespace(federation.process($0).process.processIdentifier) }
            #expect(Set(theirs).count == Self.departments.count && !theirs.contains(own), "\(own) \(theirs)")
            #expect(Set(federation.hosts.values).count == Self.departments.count)
        }

        // The analyst sees which departments hold each dataset: the participants.
        let datasets = try federation.fedquery(["datasets"])
        #expect(
            datasets.output == """
                visits  (7 columns, up to 1000000 rows per node; held by north-hospital, south-hospital, east-clinic)
                assistance  (6 columns, up to 1000000 rows per node; held by civil-affairs, housing-office)

                """, "\(datasets.error)")

        var check = ["python3", Self.repository + "/scripts/demo-queries.py", "--fedquery", fedqueryPath, "--config", federation.analystConfig]
        for name in Self.departments { check += ["--data", federation.root + "/nodes/\(name)"] }
        let demo = try run("/usr/bin/env", check, timeout: .seconds(300))
        #expect(demo.status == 0, "\(demo.output)\n\(demo.error)")
        #expect(demo.output.contains("every answer equals the pooled computation"))
        #expect(demo.output.contains("[paillier]"))
        #expect(demo.output.contains("participants: civil-affairs, housing-office; protocol: secure-sum"))
        #expect(demo.output.contains("civil-affairs denies: protocol `paillier`"))
        #expect(demo.output.contains("refused, as expected"))
    }
}
