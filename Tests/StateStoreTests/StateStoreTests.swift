import Foundation
import GRDB
import Testing

@testable import StateStore

@Suite("State store")
struct StateStoreTests {
    let now = Date(timeIntervalSince1970: 1_772_357_400)

    @Test("the database is created mode 0600 in WAL mode with synchronous = FULL")
    func fileAndPragmas() throws {
        try withTemporaryDirectory { directory in
            let stateDirectory = directory + "/state"
            let store = try StateStore(directory: stateDirectory)
            try store.claimQueryID(queryID(1), at: now)
            let attributes = try FileManager.default.attributesOfItem(atPath: stateDirectory + "/node.sqlite")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let walAttributes = try FileManager.default.attributesOfItem(atPath: stateDirectory + "/node.sqlite-wal")
            #expect((walAttributes[.posixPermissions] as? Int) == 0o600)
            let directoryAttributes = try FileManager.default.attributesOfItem(atPath: stateDirectory)
            #expect((directoryAttributes[.posixPermissions] as? Int) == 0o700)
            let (mode, synchronous) = try store.database.read { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
            }
            #expect(mode == "wal")
            #expect(synchronous == 2)  // FULL
            try store.close()
        }
    }

    @Test("an existing database readable by others is tightened to 0600")
    func tightensMode() throws {
        try withTemporaryDirectory { directory in
            try StateStore(directory: directory).close()
            let path = directory + "/node.sqlite"
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            try StateStore(directory: directory).close()
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }

    @Test("opening without create refuses a missing database")
    func missingDatabase() throws {
        try withTemporaryDirectory { directory in
            #expect(throws: StateStoreError.self) { try StateStore(directory: directory + "/nowhere", create: false) }
            let error = #expect(throws: StateStoreError.self, "opened a database that does not exist") {
                _ = try StateStore(directory: directory, create: false)
            }
            #expect(error?.code == .cannotOpen)
            #expect(!FileManager.default.fileExists(atPath: directory + "/node.sqlite"))
        }
    }

    @Test("a query id is accepted once, also after the store is closed and reopened")
    func replayRefusedAcrossRestart() throws {
        try withTemporaryDirectory { directory in
            let store = try StateStore(directory: directory)
            try store.claimQueryID(queryID(7), at: now)
            #expect(try store.hasSeenQueryID(queryID(7)))
            #expect(try !store.hasSeenQueryID(queryID(8)))
            let error = #expect(throws: StateStoreError.self, "a replayed query id was accepted") {
                try store.claimQueryID(queryID(7), at: now)
            }
            #expect(error?.code == .replayedQueryID)
            try store.close()

            let reopened = try StateStore(directory: directory)
            let afterRestart = #expect(throws: StateStoreError.self, "a replayed query id was accepted after a restart")
            {
                try reopened.claimQueryID(queryID(7), at: now.addingTimeInterval(86_400))
            }
            #expect(afterRestart?.code == .replayedQueryID)
            #expect(afterRestart?.message.contains(Hex.encode(queryID(7))) == true)
            try reopened.claimQueryID(queryID(8), at: now)
            try reopened.close()
        }
    }

    @Test("a query id must have 16 bytes")
    func queryIDLength() throws {
        try withTemporaryDirectory { directory in
            let store = try StateStore(directory: directory)
            let error = #expect(throws: StateStoreError.self, "a 3-byte query id was accepted") {
                try store.claimQueryID([1, 2, 3], at: now)
            }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test("daily counters count per rule and day, persist, and enforce a limit")
    func dailyCounters() throws {
        try withTemporaryDirectory { directory in
            let store = try StateStore(directory: directory)
            #expect(try store.queriesToday(rule: "r1", day: "2026-03-01") == 0)
            #expect(try store.countQuery(rule: "r1", day: "2026-03-01") == 1)
            #expect(try store.countQuery(rule: "r1", day: "2026-03-01") == 2)
            #expect(try store.countQuery(rule: "r2", day: "2026-03-01") == 1)
            #expect(try store.countQuery(rule: "r1", day: "2026-03-02") == 1)
            #expect(try store.claimDailyQuery(rule: "r1", day: "2026-03-01", limit: 3) == 3)
            let error = #expect(throws: StateStoreError.self, "a fourth query was counted under a limit of 3") {
                try store.claimDailyQuery(rule: "r1", day: "2026-03-01", limit: 3)
            }
            #expect(error?.code == .dailyLimitReached)
            #expect(try store.queriesToday(rule: "r1", day: "2026-03-01") == 3)
            try store.close()

            let reopened = try StateStore(directory: directory)
            #expect(try reopened.queriesToday(rule: "r1", day: "2026-03-01") == 3)
            #expect(try reopened.queriesToday(rule: "r2", day: "2026-03-01") == 1)
            #expect(try reopened.queriesToday(rule: "r1", day: "2026-03-02") == 1)
            let badDay = #expect(throws: StateStoreError.self, "a malformed day was accepted") {
                _ = try reopened.queriesToday(rule: "r1", day: "2026-3-1")
            }
            #expect(badDay?.code == .invalidArgument)
        }
    }

    @Test("concurrent claims under a limit never exceed it")
    func concurrentClaims() async throws {
        let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("statestore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Two stores on one file: two SQLite connections, as two processes would have.
        let stores = [try StateStore(directory: directory), try StateStore(directory: directory)]
        let granted = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<40 {
                let store = stores[index % 2]
                group.addTask { (try? store.claimDailyQuery(rule: "r", day: "2026-03-01", limit: 25)) != nil }
            }
            var granted = 0
            for await ok in group where ok { granted += 1 }
            return granted
        }
        #expect(granted == 25)
        #expect(try stores[1].queriesToday(rule: "r", day: "2026-03-01") == 25)
    }
}
