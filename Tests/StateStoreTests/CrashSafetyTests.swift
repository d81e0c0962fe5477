import Foundation
import Testing

@testable import StateStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash safety: the helper executable `fedstate-stress` (Sources/fedstate-stress) appends
/// audit records in a loop and prints each sequence number once `append` has returned;
/// the test SIGKILLs it mid-loop, twice, and checks that the log verifies and holds
/// every record the helper reported written.
@Suite("Crash safety")
struct CrashSafetyTests {
    @Test("a writer killed with SIGKILL mid-loop leaves an intact chain with every committed record")
    func killedWriter() throws {
        let helper = try stressHelperPath()
        try withTemporaryDirectory { directory in
            var reported: Int64 = 0
            for _ in 0..<2 {
                let writer = try StressWriter(helper: helper, directory: directory)
                // Wait, by reading its output (no sleeping), until it has committed 150 more.
                let target = reported + 150
                while reported < target {
                    guard let seq = try writer.nextCommittedSeq() else {
                        Issue.record("the writer stopped before being killed: \(writer.errorOutput())")
                        return
                    }
                    // Consecutive, except that a record committed just before a kill may
                    // not have been printed.
                    #expect(seq > reported && seq <= reported + 2)
                    reported = seq
                }
                let status = writer.killAndWait()
                #expect(status == SIGKILL, "the writer was not killed by SIGKILL but ended with \(status)")
                // Numbers it printed between our last read and the kill were committed too.
                while let seq = try writer.nextCommittedSeq() { reported = seq }
            }

            let store = try StateStore(directory: directory)
            let verification = try store.verify()
            #expect(verification.isIntact, "\(verification)")
            #expect(Int64(verification.intactCount) >= reported)
            // An append that had not returned may or may not have committed, but no more than one.
            #expect(Int64(verification.intactCount) <= reported + 1)
            let records = try store.records()
            #expect(records.map(\.seq) == Array(1...Int64(records.count)))
            #expect(records.allSatisfy { $0.record.kind == .proposal && $0.record.queryID?.count == 16 })
            // The store stays usable after the crashes.
            let next = try store.append(.abort(queryID: queryID(1), reason: "after the crash", by: "test"))
            #expect(next.seq == Int64(records.count) + 1)
            #expect(try store.verify().isIntact)
        }
    }
}

/// The `fedstate-stress` executable beside this test binary (both are in SwiftPM's
/// build directory), or `$FEDSTATE_STRESS`.
func stressHelperPath() throws -> String {
    if let path = ProcessInfo.processInfo.environment["FEDSTATE_STRESS"] { return path }
    var candidates: [String] = []
    if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        candidates.append((executable as NSString).deletingLastPathComponent)
    }
    if let url = Bundle.main.executableURL { candidates.append(url.deletingLastPathComponent().path) }
    // On Darwin the tests run inside an .xctest bundle under the build directory.
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().path)
    for directory in candidates {
        let path = directory + "/fedstate-stress"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw CommandFailure(
        description:
            "fedstate-stress not found in \(candidates); build it (swift build --build-tests) or set FEDSTATE_STRESS"
    )
}

/// A running `fedstate-stress` child and its output, read line by line.
final class StressWriter {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private var buffer: [UInt8] = []

    init(helper: String, directory: String) throws {
        process.executableURL = URL(fileURLWithPath: helper)
        process.arguments = [directory, "100000"]
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    /// The next sequence number the writer reported committed; nil at end of output.
    func nextCommittedSeq() throws -> Int64? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                guard let seq = Int64(line) else { throw CommandFailure(description: "unexpected output: \(line)") }
                return seq
            }
            // Blocks until the child writes or exits.
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { return nil }
            buffer.append(contentsOf: data)
        }
    }

    /// Sends SIGKILL, waits for the child, and returns the signal that ended it (0 if it
    /// exited normally).
    func killAndWait() -> Int32 {
        _ = kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? process.terminationStatus : 0
    }

    func errorOutput() -> String {
        String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
    }
}
