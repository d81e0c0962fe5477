import Foundation
import Glibc
import KeyStore
import Testing

@Suite("Secret files")
struct SecretFileTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fedstat-keystore-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func writesMode0600AndReadsBack() throws {
        let path = directory + "/share.bin"
        let previous = umask(0)  // the widest umask must not widen the file
        defer { umask(previous) }
        try SecretFile.write([1, 2, 3, 250], to: path)
        #expect(try mode(path) == 0o600)
        #expect(try SecretFile.read(path) == [1, 2, 3, 250])
    }

    @Test func neverOverwritesAnExistingFile() throws {
        let path = directory + "/existing.bin"
        try SecretFile.write([1], to: path)
        #expect(throws: SecretFileError.self) { try SecretFile.write([2], to: path) }
        do {
            try SecretFile.write([2], to: path)
        } catch {
            #expect(error.code == .exists)
            #expect(error.path == path)
        }
        #expect(try SecretFile.read(path) == [1])
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o700 | 0o004])
    func refusesFilesOthersCanAccess(permissions: Int) throws {
        let path = directory + "/open-\(permissions).bin"
        try SecretFile.write([9, 9], to: path)
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
        do {
            _ = try SecretFile.read(path)
            Issue.record("a key file with mode \(String(permissions, radix: 8)) was accepted")
        } catch {
            #expect(error.code == .permissions)
            #expect(error.description.contains(path))
            #expect(error.description.contains("chmod 600"))
            #expect(!error.description.contains("9, 9"))
        }
    }

    @Test func symbolicLinksAreRefusedBothWays() throws {
        let target = directory + "/real.bin"
        let link = directory + "/link.bin"
        try SecretFile.write([4, 2], to: target)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        do {
            _ = try SecretFile.read(link)
            Issue.record("a key file behind a symbolic link was read")
        } catch {
            #expect(error.code == .permissions)
            #expect(error.description.contains("symbolic link"))
        }
        // Writing through a link (even a dangling one) is refused too.
        let dangling = directory + "/dangling.bin"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: directory + "/nowhere.bin")
        #expect(throws: SecretFileError.self) { try SecretFile.write([1], to: dangling) }
        #expect(!FileManager.default.fileExists(atPath: directory + "/nowhere.bin"))
    }

    @Test func directoriesAreRefused() throws {
        let path = directory + "/adir"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        do {
            _ = try SecretFile.read(path)
            Issue.record("a directory was read as a key file")
        } catch {
            #expect(error.code == .permissions)
        }
    }

    /// A 0600 file that belongs to someone else could have been planted by them.
    @Test(.enabled(if: geteuid() == 0, "changing a file's owner needs root"))
    func filesOfAnotherUserAreRefused() throws {
        let path = directory + "/foreign.bin"
        try SecretFile.write([7], to: path)
        #expect(chown(path, 65534, 65534) == 0)
        do {
            _ = try SecretFile.read(path)
            Issue.record("a key file owned by another user was read")
        } catch {
            #expect(error.code == .permissions)
            #expect(error.description.contains("belongs to user 65534"))
        }
    }

    @Test func missingFileIsAnIOErrorNamingIt() {
        let path = directory + "/missing.bin"
        do {
            _ = try SecretFile.read(path)
            Issue.record("reading a missing file succeeded")
        } catch {
            #expect(error.code == .io)
            #expect(error.description.hasPrefix(path))
        }
    }
}
