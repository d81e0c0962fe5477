import Foundation
import TestSupport
import Testing

/// The built executable `name` next to this test binary (`swift build --build-tests`
/// builds every product into the same folder).
func builtExecutable(_ name: String) -> String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [beside, beside.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/\(name)").path
}

/// The built `fednode`.
let fednodePath = builtExecutable("fednode")

struct ProcessResult {
    let status: Int32
    let output: String
    let error: String
}

/// Runs a command to completion (with a generous deadline) and captures its output.
func run(_ executable: String, _ arguments: [String], input: Data? = nil, timeout: Duration = .seconds(120)) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    let stdin = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(input) }
    try? stdin.fileHandleForWriting.close()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
        error: String(decoding: errorData, as: UTF8.self))
}

/// A `fednode serve` process, stopped with SIGTERM when the test is done with it.
final class ServeProcess {
    let process = Process()
    let log: String

    convenience init(config: String, log: String) throws {
        try self.init(executable: fednodePath, arguments: ["serve", "--config", config], log: log)
    }

    /// `fednode serve` started by another command line (e.g. `ip netns exec NS fednode
    /// serve …`, which becomes fednode itself, so signals reach the node).
    init(executable: String, arguments: [String], log: String) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// SIGTERM, then the exit status (waits at most 60 s, then kills).
    func terminate() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { _ = terminate() }
}

/// Runs `openssl s_client` (an implementation that is not ours) against a node, sends
/// the HTTP/2 client preface, and reports whether the server answered with an HTTP/2
/// SETTINGS frame: the server accepted the connection and speaks gRPC's transport.
func openSSLProbe(port: Int, tlsVersion: String, ca: String, certificate: String? = nil, key: String? = nil) throws -> (accepted: Bool, diagnostics: String) {
    var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-\(tlsVersion)", "-CAfile", ca, "-alpn", "h2", "-quiet"]
    if let certificate, let key { arguments += ["-cert", certificate, "-key", key] }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    process.arguments = arguments
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // Client connection preface and an empty SETTINGS frame (RFC 9113 §3.4).
    let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0]
    stdin.fileHandleForWriting.write(Data(preface))
    // Read until a SETTINGS frame header arrives, the server closes, or 30 s pass
    // (poll, so a silent connection cannot block the test).
    var received: [UInt8] = []
    var accepted = false
    let descriptor = stdout.fileHandleForReading.fileDescriptor
    let deadline = Date().addingTimeInterval(30)
    var buffer = [UInt8](repeating: 0, count: 4096)
    while Date() < deadline {
        var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
        guard poll(&ready, 1, remaining) > 0 else { continue }
        let count = read(descriptor, &buffer, buffer.count)
        if count <= 0 { break }  // end of stream: the server closed the connection
        received += buffer[0..<count]
        if received.count >= 9 && received[3] == 4 {
            accepted = true
            break
        }
    }
    // SIGKILL: a child of the test runner inherits its blocked-signal mask, so
    // openssl would never see a SIGTERM.
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    try? stdin.fileHandleForWriting.close()
    process.waitUntilExit()
    let diagnostics = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return (accepted, diagnostics)
}

/// The real ceremony for federation `city` into `out`: analyst alice, threshold 2, a
/// 512-bit test Paillier key, `nodes` (name and `host:port`) in order.
func testCeremony(out: String, nodes: [(name: String, address: String)], extra: [String] = []) throws -> ProcessResult {
    var arguments = [
        "federation", "init", "--id", "city", "--out", out, "--analyst", "alice", "--threshold", "2", "--insecure-test-paillier-bits", "512",
    ]
    for node in nodes { arguments += ["--node", "\(node.name)=\(node.address)"] }
    return try run(fednodePath, arguments + extra)
}

/// The audit records `fednode audit show` prints for the node at `config` (one line
/// each: seq, time, kind, query id, fields), read while the node may run.
func auditLines(config: String) throws -> [String] {
    let shown = try run(fednodePath, ["audit", "show", "--config", config])
    try #require(shown.status == 0, "\(shown.error)")
    return shown.output.split(separator: "\n").map(String.init)
}

@Suite("fednode processes", .serialized, .timeLimit(.minutes(10)))
struct ProcessTests {
    func initFederation(
        _ directory: TemporaryDirectory, ports: [Int], names: [String] = ["north", "south", "civil"], extra: [String] = []
    ) throws -> ProcessResult {
        try testCeremony(out: directory.path + "/city", nodes: zip(names, ports).map { ($0, "127.0.0.1:\($1)") }, extra: extra)
    }

    /// The acceptance path: the ceremony, then three `fednode serve` processes
    /// that see each other in status; SIGTERM drains each and exits 0.
    @Test func ceremonyThenThreeNodesThatSeeEachOther() async throws {
        let directory = try TemporaryDirectory()
        let ports = try (0..<3).map { _ in try freePort() }
        let ceremony = try initFederation(directory, ports: ports)
        #expect(ceremony.status == 0, "\(ceremony.error)")
        let root = directory.path + "/city"
        let nodes = try ["north", "south", "civil"].map { name in
            try ServeProcess(config: root + "/nodes/\(name)/node.yaml", log: directory.path + "/\(name).log")
        }
        // Wait (polling status, not sleeping a fixed time) until every node sees both peers.
        for name in ["north", "south", "civil"] {
            let deadline = Date().addingTimeInterval(90)
            var last = ProcessResult(status: -1, output: "", error: "")
            while Date() < deadline {
                last = try run(fednodePath, ["status", "--config", root + "/nodes/\(name)/node.yaml"])
                if last.status == 0 && last.output.components(separatedBy: ": reachable").count == 3 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(last.status == 0, "\(last.error)")
            #expect(last.output.contains("node \(name) of federation city"))
            #expect(last.output.components(separatedBy: ": reachable").count == 3, "\(name): \(last.output)")
        }
        for node in nodes {
            #expect(node.terminate() == 0)
            let log = try String(contentsOfFile: node.log, encoding: .utf8)
            #expect(log.contains("node serving"))
            #expect(log.contains("draining"))
        }
    }

    /// openssl s_client: no certificate is refused; a federation certificate over TLS
    /// 1.3 is accepted (the server speaks HTTP/2); the same certificate limited to TLS
    /// 1.2 is refused.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func aClientThatIsNotOursIsAcceptedOnlyWithACertificateAndTLS13() async throws {
        let directory = try TemporaryDirectory()
        let port = try freePort()
        #expect(try initFederation(directory, ports: [port, try freePort(), try freePort()]).status == 0)
        let root = directory.path + "/city"
        let node = try ServeProcess(config: root + "/nodes/north/node.yaml", log: directory.path + "/north.log")
        let ca = root + "/ca/ca.pem"
        let certificate = root + "/analysts/alice/tls.pem"
        let key = root + "/analysts/alice/tls.key"

        // Wait until the node accepts a good client.
        var accepted = false
        let deadline = Date().addingTimeInterval(90)
        while !accepted && Date() < deadline {
            accepted = try openSSLProbe(port: port, tlsVersion: "tls1_3", ca: ca, certificate: certificate, key: key).accepted
            if !accepted { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(accepted, "a federation certificate over TLS 1.3 was not accepted")

        let anonymous = try openSSLProbe(port: port, tlsVersion: "tls1_3", ca: ca)
        #expect(!anonymous.accepted)
        #expect(anonymous.diagnostics.contains("certificate required"), "\(anonymous.diagnostics)")

        let oldTLS = try openSSLProbe(port: port, tlsVersion: "tls1_2", ca: ca, certificate: certificate, key: key)
        #expect(!oldTLS.accepted, "a client limited to TLS 1.2 was served")
        #expect(node.terminate() == 0)
    }

    @Test func checkRefusesAKeyOthersCanReadWithExitCode1() throws {
        let directory = try TemporaryDirectory()
        #expect(try initFederation(directory, ports: [try freePort(), try freePort(), try freePort()]).status == 0)
        let config = directory.path + "/city/nodes/south/node.yaml"
        let good = try run(fednodePath, ["check", "--config", config])
        #expect(good.status == 0)
        #expect(good.output.contains("ok: spiffe://city/node/south"))
        let key = directory.path + "/city/nodes/south/tls.key"
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let bad = try run(fednodePath, ["check", "--config", config])
        #expect(bad.status == 1)
        #expect(bad.error.contains("tls.key"))
        #expect(bad.error.contains("0600") || bad.error.contains("chmod 600"))
        let serve = try run(fednodePath, ["serve", "--config", config])
        #expect(serve.status == 1)
        #expect(serve.error.contains("refusing to start"))
    }

    /// `fednode check` reads every row against the catalog: a good file reports its row
    /// count; a bad row exits 1 naming file, line and column.
    @Test func checkReadsTheData() throws {
        let directory = try TemporaryDirectory()
        #expect(try initFederation(directory, ports: [try freePort(), try freePort(), try freePort()]).status == 0)
        let root = directory.path + "/city"
        let federationFile = root + "/federation.yaml"
        let catalog = """
            catalog:
              visits:
                max_rows_per_node: 1000
                columns:
                  district: {type: category, values: [north, south]}
                  age: {type: integer, min: 0, max: 120}
            """
        try String(contentsOfFile: federationFile, encoding: .utf8).replacingOccurrences(of: "catalog: {}", with: catalog)
            .write(toFile: federationFile, atomically: true, encoding: .utf8)
        let config = root + "/nodes/north/node.yaml"
        try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "datasets: {}", with: "datasets:\n  visits: {csv: visits.csv}")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let csv = root + "/nodes/north/visits.csv"
        try "district,age\nnorth,70\nsouth,12\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let good = try run(fednodePath, ["check", "--config", config])
        #expect(good.status == 0, "\(good.error)")
        #expect(good.output.contains("visits: 2 rows"), "\(good.output)")
        try "district,age\nnorth,70\nsouth,130\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let bad = try run(fednodePath, ["check", "--config", config])
        #expect(bad.status == 1)
        #expect(bad.error.contains("visits.csv:3"), "\(bad.error)")
        #expect(bad.error.contains("age"), "\(bad.error)")
    }

    /// The example city's catalog and a department's policies: `policy check` lints them,
    /// `policy explain` approves by rule and denies with the reason; a broken rule is an
    /// error naming file and line.
    @Test func policyCheckAndExplainOnTheExampleCity() throws {
        let directory = try TemporaryDirectory()
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/city").path
        let names = ["north-hospital", "south-hospital", "east-clinic", "civil-affairs", "housing-office"]
        let ports = try names.map { _ in try freePort() }
        let ceremony = try initFederation(directory, ports: ports, names: names, extra: ["--catalog", examples + "/catalog.yaml"])
        #expect(ceremony.status == 0, "\(ceremony.error)")
        let node = directory.path + "/city/nodes/north-hospital"
        // The same catalog for a federation whose nodes are named otherwise: `held_by`
        // names no node of it, and the ceremony says where.
        let other = try TemporaryDirectory()
        let stranger = try initFederation(other, ports: [try freePort(), try freePort()], names: ["north", "south"], extra: ["--catalog", examples + "/catalog.yaml"])
        #expect(stranger.status != 0)
        #expect(stranger.error.contains("catalog.yaml"), "\(stranger.error)")
        #expect(stranger.error.contains("visits.held_by[0]"), "\(stranger.error)")
        #expect(stranger.error.contains("`north-hospital` is not a node of this federation"), "\(stranger.error)")
        // Refused before any key was made: nothing written at all.
        #expect(!FileManager.default.fileExists(atPath: other.path + "/city"))
        try FileManager.default.copyItem(
            atPath: examples + "/nodes/north-hospital/policies/health-reporting.yaml", toPath: node + "/policies/health-reporting.yaml")
        let check = try run(fednodePath, ["policy", "check", "--config", node + "/node.yaml"])
        #expect(check.status == 0, "\(check.output) \(check.error)")
        #expect(check.output.contains("ok: 2 rules"))

        let approve = try run(
            fednodePath,
            ["policy", "explain", "--config", node + "/node.yaml", "--analyst", "spiffe://city/analyst/alice",
             "SELECT district, AVG(cost) FROM visits WHERE age > 65 GROUP BY district"])
        #expect(approve.status == 0, "\(approve.output) \(approve.error)")
        #expect(approve.output.contains("approved by rule `costs-by-district`"))
        #expect(approve.output.contains("min_group_size 10"))
        // The participants a coordinator would propose: the holders of `visits`, not every node.
        #expect(approve.output.contains("participants: north-hospital, south-hospital, east-clinic\n"), "\(approve.output)")
        let deny = try run(
            fednodePath,
            ["policy", "explain", "--config", node + "/node.yaml", "--analyst", "spiffe://city/analyst/alice",
             "SELECT sex, AVG(cost) FROM visits GROUP BY sex"])
        #expect(deny.status == 1)
        #expect(deny.output.contains("column `sex` may not be grouped"), "\(deny.output)")

        try "rules:\n  - id: broken\n    who: [spiffe://city/analyst/alice]\n    datasets: [visits]\n    aggregates: [count]\n    columns: {group: [shoe_size]}\n    min_group_size: 5\n    min_parties: 2\n    protocols: [paillier]\n    purpose: test\n"
            .write(toFile: node + "/policies/broken.yaml", atomically: true, encoding: .utf8)
        let broken = try run(fednodePath, ["policy", "check", "--config", node + "/node.yaml"])
        #expect(broken.status == 1)
        #expect(broken.output.contains("broken.yaml:"), "\(broken.output)")
        #expect(broken.output.contains("shoe_size"), "\(broken.output)")
    }

    /// `fednode audit verify` on a node's log: intact, then tampered with by the sqlite3
    /// tool (an outside attacker), which it detects naming the record.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")))
    func auditVerifyDetectsTampering() throws {
        let directory = try TemporaryDirectory()
        #expect(try initFederation(directory, ports: [try freePort(), try freePort(), try freePort()]).status == 0)
        let config = directory.path + "/city/nodes/south/node.yaml"
        let state = directory.path + "/city/nodes/south/state"
        let stress = URL(fileURLWithPath: fednodePath).deletingLastPathComponent().appendingPathComponent("fedstate-stress").path
        let append = try run(stress, [state, "5"])
        #expect(append.status == 0, "\(append.error)")
        let intact = try run(fednodePath, ["audit", "verify", "--config", config])
        #expect(intact.status == 0, "\(intact.error)")
        #expect(intact.output.contains("5 records"), "\(intact.output)")
        let exported = try run(fednodePath, ["audit", "export", "--config", config, "--format", "jsonl"])
        #expect(exported.output.split(separator: "\n").count == 5)

        let tamper = try run("/usr/bin/sqlite3", [state + "/node.sqlite", "DELETE FROM audit_log WHERE seq = 3;"])
        #expect(tamper.status == 0, "\(tamper.error)")
        let broken = try run(fednodePath, ["audit", "verify", "--config", config])
        #expect(broken.status == 1)
        #expect((broken.output + broken.error).contains("record 3"), "\(broken.output) \(broken.error)")
    }

    @Test func theCeremonyNeverOverwritesWithoutForce() throws {
        let directory = try TemporaryDirectory()
        let ports = [try freePort(), try freePort(), try freePort()]
        #expect(try initFederation(directory, ports: ports).status == 0)
        let share = directory.path + "/city/nodes/north/paillier-share.bin"
        let before = try Data(contentsOf: URL(fileURLWithPath: share))
        let again = try initFederation(directory, ports: ports)
        #expect(again.status == 1)
        #expect(again.error.contains("--force"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: share)) == before)
        let forced = try initFederation(directory, ports: ports, extra: ["--force"])
        #expect(forced.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: share)) != before)
    }

    /// The CSR path: the member's keys stay where they were made; the admin signs; the
    /// certificate names the member. `keys inspect` describes files without secrets.
    @Test func signingRequestPathAndInspection() throws {
        let directory = try TemporaryDirectory()
        #expect(try initFederation(directory, ports: [try freePort(), try freePort(), try freePort()]).status == 0)
        let member = directory.path + "/east"
        let request = try run(fednodePath, ["keys", "csr", "--federation", "city", "--name", "east", "--role", "node", "--out", member])
        #expect(request.status == 0, "\(request.error)")
        #expect(request.output.contains("public masking key for federation.yaml"))
        let keyMode = try FileManager.default.attributesOfItem(atPath: member + "/tls.key")[.posixPermissions] as? NSNumber
        #expect(keyMode?.intValue == 0o600)
        let signed = try run(
            fednodePath,
            ["federation", "sign", member + "/east.csr", "--ca", directory.path + "/city/ca", "--federation", "city", "--out", member + "/tls.pem"])
        #expect(signed.status == 0, "\(signed.error)")
        #expect(signed.output.contains("spiffe://city/node/east"))

        let certificate = try run(fednodePath, ["keys", "inspect", member + "/tls.pem"])
        #expect(certificate.output.contains("spiffe://city/node/east"))
        let key = try run(fednodePath, ["keys", "inspect", member + "/tls.key"])
        let keyText = try String(contentsOfFile: member + "/tls.key", encoding: .utf8)
        let keyBody = keyText.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
        #expect(key.output.contains("secret, not shown"))
        #expect(!key.output.contains(keyBody))
        let share = try run(fednodePath, ["keys", "inspect", directory.path + "/city/nodes/north/paillier-share.bin"])
        #expect(share.output.contains("party 1 of 3"))
        #expect(share.output.contains("secret, not shown"))

        // A CSR for another federation is refused.
        let foreign = directory.path + "/foreign"
        #expect(try run(fednodePath, ["keys", "csr", "--federation", "town", "--name", "east", "--role", "node", "--out", foreign]).status == 0)
        let refused = try run(
            fednodePath,
            ["federation", "sign", foreign + "/east.csr", "--ca", directory.path + "/city/ca", "--federation", "city", "--out", foreign + "/tls.pem"])
        #expect(refused.status == 1)
        #expect(!FileManager.default.fileExists(atPath: foreign + "/tls.pem"))
    }
}
