import Foundation
import Testing

/// A fresh directory under the system's temporary directory, removed by `body`'s end.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("statestore-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// An executable found on `PATH`, or nil.
func executableOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

struct CommandFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs `sqlite3 <database> <sql>` as an outside attacker with write access to the file
/// would, and returns its standard output.
@discardableResult
func sqlite3(_ database: String, _ sql: String) throws -> String {
    guard let tool = executableOnPath("sqlite3") else {
        throw CommandFailure(
            description: "the sqlite3 command-line tool is missing: apt-get install -y sqlite3 (make deps)"
        )
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = ["-bail", database, sql]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CommandFailure(
            description: "sqlite3 failed (\(process.terminationStatus)): \(String(decoding: err, as: UTF8.self))"
        )
    }
    return String(decoding: out, as: UTF8.self)
}

/// A query id whose bytes are all `byte`.
func queryID(_ byte: UInt8) -> [UInt8] {
    [UInt8](repeating: byte, count: 16)
}
