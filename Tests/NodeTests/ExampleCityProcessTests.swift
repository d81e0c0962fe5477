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
        let directory = try TemporaryDirectory()
        let city = Self.repository + "/Examples/city"
        let root = directory.path + "/city"
        var arguments = [
            "federation", "init", "--id", "city", "--out", root, "--threshold", "2", "--catalog", city + "/catalog.yaml",
            "--analyst", "alice", "--insecure-test-paillier-bits", "512",
        ]
        for name in Self.departments { arguments += ["--node", "\(name)=127.0.0.1:\(try freePort())"] }
        let ceremony = try run(fednodePath, arguments)
        try #require(ceremony.status == 0, "\(ceremony.error)")
        var nodes: [ServeProcess] = []
        defer { for node in nodes { _ = node.terminate() } }
        for name in Self.departments {
            let node = root + "/nodes/\(name)"
            for policy in try FileManager.default.contentsOfDirectory(atPath: city + "/nodes/\(name)/policies") {
                try FileManager.default.copyItem(atPath: city + "/nodes/\(name)/policies/\(policy)", toPath: node + "/policies/\(policy)")
            }
            let config = try String(contentsOfFile: node + "/node.yaml", encoding: .utf8)
            try config.replacingOccurrences(of: "datasets: {}", with: "datasets:\n  visits: {csv: \(city)/nodes/\(name)/visits.csv}")
                .write(toFile: node + "/node.yaml", atomically: true, encoding: .utf8)
            nodes.append(try ServeProcess(config: node + "/node.yaml", log: directory.path + "/\(name).log"))
        }
        let analyst = root + "/analysts/alice/fedquery.yaml"
        let deadline = Date().addingTimeInterval(90)
        var status = ProcessResult(status: -1, output: "", error: "")
        while Date() < deadline {
            status = try run(fedqueryPath, ["status", "--config", analyst])
            if status.status == 0, status.output.components(separatedBy: "  reachable").count == Self.departments.count + 1 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        try #require(status.output.components(separatedBy: "  reachable").count == Self.departments.count + 1, "\(status.output)")

        var check = ["python3", Self.repository + "/scripts/demo-queries.py", "--fedquery", fedqueryPath, "--config", analyst]
        for name in Self.departments { check += ["--data", city + "/nodes/\(name)"] }
        let demo = try run("/usr/bin/env", check, timeout: .seconds(300))
        #expect(demo.status == 0, "\(demo.output)\n\(demo.error)")
        #expect(demo.output.contains("every answer equals the pooled computation"))
        #expect(demo.output.contains("[paillier]"))
        #expect(demo.output.contains("refused, as expected"))
    }
}
