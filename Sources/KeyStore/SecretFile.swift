import Glibc

/// An error reading or writing a file of key material. Names the file, never its
/// contents.
public struct SecretFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The file already exists (secret files are never overwritten).
        case exists
        /// Group or others may access the file.
        case permissions
        /// The operating system refused an operation.
        case io
    }

    public var code: Code
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

/// Files of key material (Paillier keys, threshold key shares, later TLS and masking
/// keys): created with mode 0600 and never overwritten; refused when read if their
/// mode grants any access to group or others, which defends against a key that other
/// local users could read (or have replaced) being used silently.
public enum SecretFile {
    /// Writes `bytes` to a new file at `path` with mode 0600 and flushes it to disk.
    /// Fails with `exists` if the file exists.
    public static func write(_ bytes: [UInt8], to path: String) throws(SecretFileError) {
        // O_EXCL: never follow or truncate an existing file; the mode is set at
        // creation (and again with fchmod, whatever the umask) so the key is never
        // readable by others, not even briefly.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code: SecretFileError.Code = errno == EEXIST ? .exists : .io
            throw SecretFileError(
                code: code, path: path,
                message: code == .exists ? "refusing to overwrite an existing key file" : "cannot create key file: \(errnoText())")
        }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else {
            throw SecretFileError(code: .io, path: path, message: "cannot set mode 0600: \(errnoText())")
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            guard written > 0 else {
                throw SecretFileError(code: .io, path: path, message: "cannot write key file: \(errnoText())")
            }
            offset += written
        }
        guard fsync(fd) == 0 else {
            throw SecretFileError(code: .io, path: path, message: "cannot flush key file: \(errnoText())")
        }
    }

    /// Reads a key file, refusing it if group or others have any permission on it.
    public static func read(_ path: String) throws(SecretFileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SecretFileError(code: .io, path: path, message: "cannot open key file: \(errnoText())")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SecretFileError(code: .io, path: path, message: "cannot stat key file: \(errnoText())")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw SecretFileError(
                code: .permissions, path: path,
                message: "key file has mode \(String(mode, radix: 8)); it must be 0600 (run: chmod 600 \(path))")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            guard count >= 0 else {
                throw SecretFileError(code: .io, path: path, message: "cannot read key file: \(errnoText())")
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        buffer.withUnsafeMutableBytes { _ = memset($0.baseAddress!, 0, $0.count) }
        return bytes
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
