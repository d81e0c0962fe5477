import Foundation
import TestSupport
import Testing

/// The example city (Examples/city) as real node processes: every demo query's answer,
/// under both protocols, equals the pooled computation (the same check `make demo`
/// runs, here with debug builds and a small test Paillier key).
@Suite("Example city processes", .serialized, .timeLimit(.minutes(10)))
struct ExampleCityProcessTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let departments = ["north-hospital", "south-hospital", "east-clinic"]

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func everyDemoAnswerEqualsThePooledComputation() async throws {
        let city = Self.repository + "/Examples/city"
        let federation = try ProcessFederation(
            nodes: Self.departments, catalog: try String(contentsOfFile: city + "/catalog.yaml", encoding: .utf8)
        ) { name, folder in
            for policy in try FileManager.default.contentsOfDirectory(atPath: city + "/nodes/\(name)/policies") {
                try FileManager.default.copyItem(atPath: city + "/nodes/\(name)/policies/\(policy)", toPath: folder + "/policies/\(policy)")
            }
            try ProcessFederation.useCSV(city + "/nodes/\(name)/visits.csv", forVisitsIn: folder + "/node.yaml")
        }
        try await federation.waitUntilReady()

        var check = ["python3", Self.repository + "/scripts/demo-queries.py", "--fedquery", fedqueryPath, "--config", federation.analystConfig]
        for name in Self.departments { check += ["--data", city + "/nodes/\(name)"] }
        let demo = try run("/usr/bin/env", check, timeout: .seconds(300))
        #expect(demo.status == 0, "\(demo.output)\n\(demo.error)")
        #expect(demo.output.contains("every answer equals the pooled computation"))
        #expect(demo.output.contains("[paillier]"))
        #expect(demo.output.contains("refused, as expected"))
    }
}
