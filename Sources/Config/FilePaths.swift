#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading configuration files and resolving the paths written in them.
enum FilePaths {
    /// Configuration files are small; anything larger is a mistake (a key file or a data
    /// file named by accident) and is refused before it is read into memory.
    static let maximumFileBytes = 16 << 20

    /// The text of the configuration file at `path`, which must be UTF-8.
    static func read(_ path: String) throws(ConfigError) -> String {
        func failure(_ message: String) -> ConfigError {
            ConfigError(code: .io, file: path, keyPath: "", line: nil, column: nil, message: message)
        }
        guard let file = fopen(path, "rb") else {
            throw failure("cannot open the configuration file: \(errnoText())")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= maximumFileBytes else {
                throw failure("the file is larger than \(maximumFileBytes >> 20) MiB; is this the configuration file?")
            }
            if count < chunk.count {
                guard ferror(file) == 0 else { throw failure("cannot read the configuration file: \(errnoText())") }
                break
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw failure("the file is not UTF-8 text; save it as UTF-8")
        }
        return text
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path` made absolute against the working directory and normalized.
    static func absolute(_ path: String) -> String {
        resolve(path, against: path.hasPrefix("/") ? "/" : currentDirectory())
    }

    /// The absolute directory containing `file` (the working directory for text that
    /// names no file).
    static func directory(of file: String) -> String {
        guard !file.isEmpty else { return currentDirectory() }
        let path = absolute(file)
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// `path` joined to the absolute `directory` (unless it is absolute itself), with
    /// empty and `.` components removed and `..` applied lexically.
    static func resolve(_ path: String, against directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        var components: [Substring] = []
        for component in joined.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
