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
/// keys): created with mode 0600 and never overwritten; refused when read if they are
/// not a regular file owned by the reading user with no access for group or others.
/// Defends against a key that other local users could read, or could have planted or
/// replaced (a file they own, or a symbolic link to one), being used silently.
public enum SecretFile {
    /// Writes `bytes` to a new file at `path` with mode 0600 and flushes it to disk.
    /// Fails with `exists` if anything exists at `path` (a symbolic link included); a
    /// partly written file is removed.
    public static func write(_ bytes: [UInt8], to path: String) throws(SecretFileError) {
        // O_EXCL | O_NOFOLLOW: never follow a link or truncate an existing file; the
        // mode is set at creation (and again with fchmod, whatever the umask) so the
        // key is never readable by others, not even briefly.
        let fd = retrying { open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard fd >= 0 else {
            let code: SecretFileError.Code = errno == EEXIST ? .exists : .io
            throw SecretFileError(
                code: code, path: path,
                message: code == .exists ? "refusing to overwrite an existing key file" : "cannot create key file: \(errnoText())")
        }
        var completed = false
        defer {
            close(fd)
            if !completed { unlink(path) }
        }
        guard fchmod(fd, 0o600) == 0 else {
            throw SecretFileError(code: .io, path: path, message: "cannot set mode 0600: \(errnoText())")
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                retrying { Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset) }
            }
            guard written > 0 else {
                throw SecretFileError(code: .io, path: path, message: "cannot write key file: \(errnoText())")
            }
            offset += written
        }
        guard fsync(fd) == 0 else {
            throw SecretFileError(code: .io, path: path, message: "cannot flush key file: \(errnoText())")
        }
        completed = true
    }

    /// Reads a key file. Refused unless it is a regular file (not reached through a
    /// symbolic link) owned by this process's user with no permission for group or
    /// others.
    public static func read(_ path: String) throws(SecretFileError) -> [UInt8] {
        let fd = retrying { open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link; point the configuration at the key file itself" : errnoText()
            throw SecretFileError(code: errno == ELOOP ? .permissions : .io, path: path, message: "cannot open key file: \(reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SecretFileError(code: .io, path: path, message: "cannot stat key file: \(errnoText())")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SecretFileError(code: .permissions, path: path, message: "key file is not a regular file")
        }
        guard info.st_uid == geteuid() else {
            throw SecretFileError(
                code: .permissions, path: path,
                message: "key file belongs to user \(info.st_uid), not to this process's user \(geteuid()); chown it or run as its owner")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw SecretFileError(
                code: .permissions, path: path,
                message: "key file has mode \(String(mode, radix: 8)); it must be 0600 (run: chmod 600 \(path))")
        }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var offset = 0
        while offset < size {
            let count = bytes.withUnsafeMutableBytes { raw in
                retrying { Glibc.read(fd, raw.baseAddress! + offset, raw.count - offset) }
            }
            guard count > 0 else {
                throw SecretFileError(code: .io, path: path, message: count == 0 ? "key file shrank while being read" : "cannot read key file: \(errnoText())")
            }
            offset += count
        }
        return bytes
    }

    /// Repeats a system call interrupted by a signal.
    private static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
