import Foundation

/// A fresh directory under the system's temporary directory, removed with everything in
/// it when the value is released. Shared by the test targets.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "fedstat") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String { path + "/" + name }

    /// Writes `text` as UTF-8 to `name` (which may include subdirectories) and returns
    /// its path.
    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        try write(Array(text.utf8), to: name)
    }

    /// Writes `bytes` to `name` (which may include subdirectories) and returns its path.
    @discardableResult
    public func write(_ bytes: [UInt8], to name: String) throws -> String {
        let url = URL(fileURLWithPath: path(name))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }
}
