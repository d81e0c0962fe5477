import Crypto
import Foundation
import Testing

@testable import StateStore

/// The worked example of `Protocols/audit-log.md` §7: keep the two in sync.
enum WorkedExample {
    static let queryID: [UInt8] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    ]
    static let proposal = AuditRecord.proposal(
        queryID: queryID,
        planHash: [UInt8](repeating: 0x9f, count: 32),
        analyst: "spiffe://city/analyst/alice",
        coordinator: "health-commission",
        participants: ["civil-affairs", "health-commission", "hospital-north"],
        protocol: "secure_sum",
        dataset: "patients"
    )
    static let approval = AuditRecord.approval(
        queryID: queryID,
        rule: "monthly-cost",
        requirements: ["min_group_size": .integer(5), "min_parties": .integer(3)],
        purpose: "Q1 \"Kosten\" für Ärzte\\Pflege\n"
    )
    static let time1 = UTCTime.parseTimestamp("2026-03-01T09:30:00.250Z")!
    static let time2 = UTCTime.parseTimestamp("2026-03-01T09:30:00.731Z")!

    static let canonical1 =
        #"{"analyst":"spiffe://city/analyst/alice","coordinator":"health-commission","dataset":"patients","kind":"proposal","participants":["civil-affairs","health-commission","hospital-north"],"plan_hash":"9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f","prev":"0000000000000000000000000000000000000000000000000000000000000000","protocol":"secure_sum","query_id":"00112233445566778899aabbccddeeff","seq":1,"time":"2026-03-01T09:30:00.250Z"}"#
    static let hash1 = "ccc4dbce7ca842b69674d6d25fca536c5540db6815b4ac215780bf21d8cb873f"
    static let canonical2 =
        #"{"decision":"approve","kind":"decision","prev":"ccc4dbce7ca842b69674d6d25fca536c5540db6815b4ac215780bf21d8cb873f","purpose":"Q1 \"Kosten\" für Ärzte\\Pflege\u000a","query_id":"00112233445566778899aabbccddeeff","requirements":{"min_group_size":5,"min_parties":3},"rule":"monthly-cost","seq":2,"time":"2026-03-01T09:30:00.731Z"}"#
    static let hash2 = "673c70a8dea12b0025751ab3d1e49929fd443154b6d58994aa67d24dd1c32dcb"
}

@Suite("Audit log")
struct AuditLogTests {
    let start = Date(timeIntervalSince1970: 1_772_357_400)

    @Test("the worked example of the spec: exact bytes and hashes")
    func workedExample() throws {
        try withTemporaryDirectory { directory in
            let store = try StateStore(directory: directory)
            let first = try store.append(WorkedExample.proposal, at: WorkedExample.time1)
            let second = try store.append(WorkedExample.approval, at: WorkedExample.time2)
            #expect(first.canonicalBytes == Array(WorkedExample.canonical1.utf8))
            #expect(Hex.encode(first.hash) == WorkedExample.hash1)
            #expect(second.canonicalBytes == Array(WorkedExample.canonical2.utf8))
            #expect(Hex.encode(second.hash) == WorkedExample.hash2)
            // Independently of the sealing code: SHA-256 of the documented bytes.
            #expect(Hex.encode(SHA256.hash(data: Array(WorkedExample.canonical2.utf8))) == WorkedExample.hash2)
            #expect(second.prev == first.hash)
            #expect(first.prev == AuditEntry.genesisHash)

            let lines = try store.exportJSONLines()
            // "hash" sorts just before "kind" in both records.
            let expectedFirst = WorkedExample.canonical1.replacingOccurrences(
                of: #""kind":"#,
                with: #""hash":"\#(WorkedExample.hash1)","kind":"#
            )
            let expectedSecond = WorkedExample.canonical2.replacingOccurrences(
                of: #""kind":"#,
                with: #""hash":"\#(WorkedExample.hash2)","kind":"#
            )
            #expect(lines == expectedFirst + "\n" + expectedSecond + "\n")
        }
    }

    @Test("records and the chain survive closing and reopening, and verify")
    func chainVerifies() throws {
        try withTemporaryDirectory { directory in
            let store = try StateStore(directory: directory)
            #expect(try store.verify() == AuditVerification(intactCount: 0, head: AuditEntry.genesisHash, failure: nil))
            var last: AuditEntry?
            for index in 0..<5 {
                last = try store.append(sampleRecord(index), at: start.addingTimeInterval(Double(index) * 60))
            }
            try store.close()

            let reopened = try StateStore(directory: directory)
            let sixth = try reopened.append(
                .abort(queryID: queryID(9), reason: "deadline passed", by: "hospital-north")
            )
            #expect(sixth.seq == 6)
            #expect(sixth.prev == last?.hash)
            let verification = try reopened.verify()
            #expect(verification.isIntact)
            #expect(verification.intactCount == 6)
            #expect(verification.head == sixth.hash)
            #expect(verification.description.hasPrefix("ok: 6 records, chain intact"))
        }
    }

    @Test("records filter by time and query id and read back what was appended")
    func recordsFilter() throws {
        try withTemporaryDirectory { directory in
            let store = try StateStore(directory: directory)
            var appended: [AuditEntry] = []
            for index in 0..<5 {
                appended.append(try store.append(sampleRecord(index), at: start.addingTimeInterval(Double(index) * 60)))
            }
            #expect(try store.records() == appended)
            #expect(try store.records(since: start.addingTimeInterval(120)).map(\.seq) == [3, 4, 5])
            #expect(try store.records(queryID: queryID(1)).map(\.seq) == [2, 3])
            #expect(try store.records(since: start.addingTimeInterval(150), queryID: queryID(1)).map(\.seq) == [])
            #expect(try store.records()[1].record == sampleRecord(1))

            let lines = try store.exportJSONLines().split(separator: "\n")
            #expect(lines.count == 5)
            for (line, entry) in zip(lines, appended) {
                guard case .object(var object)? = CanonicalJSON(canonical: Array(line.utf8)) else {
                    Issue.record("export line is not canonical JSON: \(line)")
                    continue
                }
                #expect(object.removeValue(forKey: "hash") == .string(Hex.encode(entry.hash)))
                #expect(CanonicalJSON.object(object).bytes == entry.canonicalBytes)
            }
        }
    }

    @Test("new record kinds append and verify; reserved keys and bad ids are refused")
    func extensibleKinds() throws {
        try withTemporaryDirectory { directory in
            let store = try StateStore(directory: directory)
            let spend = AuditRecord(
                kind: AuditRecord.Kind(rawValue: "budget_spend"),
                queryID: nil,
                fields: ["analyst": .string("alice"), "epsilon_micro": .integer(500_000)]
            )
            let entry = try store.append(spend, at: start)
            #expect(try store.records() == [entry])
            #expect(try store.verify().isIntact)

            let refused: [AuditRecord] = [
                AuditRecord(kind: .abort, queryID: queryID(1), fields: ["seq": .integer(99)]),
                AuditRecord(kind: .abort, queryID: [1, 2], fields: [:]),
                AuditRecord(kind: AuditRecord.Kind(rawValue: "Bad Kind"), queryID: nil, fields: [:]),
            ]
            for record in refused {
                let error = #expect(throws: StateStoreError.self, "appended an invalid record \(record)") {
                    try store.append(record, at: start)
                }
                #expect(error?.code == .invalidArgument)
            }
            #expect(try store.records().count == 1)
        }
    }

    // MARK: Tampering from outside, with the sqlite3 tool

    struct Tampering: Sendable, CustomStringConvertible {
        var description: String
        /// SQL for sqlite3, given the log as appended.
        var sql: @Sendable ([AuditEntry]) -> String
        var seq: Int64
        var problem: AuditVerification.Problem
    }

    static let tamperings: [Tampering] = [
        Tampering(
            description: "a field of record 3 edited",
            sql: { _ in "UPDATE audit_log SET canonical = replace(canonical, 'analyst-2', 'analyst-X') WHERE seq = 3;"
            },
            seq: 3,
            problem: .modified
        ),
        Tampering(
            description: "record 3 edited and its hash recomputed",
            sql: { log in
                let forged = forgedEntry(log[2].record, seq: 3, time: log[2].time, prev: log[1].hash)
                return
                    "UPDATE audit_log SET canonical = '\(sqlText(forged.canonicalBytes))', hash = '\(Hex.encode(forged.hash))' WHERE seq = 3;"
            },
            seq: 4,
            problem: .brokenLink
        ),
        Tampering(
            description: "the kind column of record 2 edited",
            sql: { _ in "UPDATE audit_log SET kind = 'release' WHERE seq = 2;" },
            seq: 2,
            problem: .columnMismatch
        ),
        Tampering(
            description: "record 3 deleted",
            sql: { _ in "DELETE FROM audit_log WHERE seq = 3;" },
            seq: 3,
            problem: .missing
        ),
        Tampering(
            description: "record 1 deleted",
            sql: { _ in "DELETE FROM audit_log WHERE seq = 1;" },
            seq: 1,
            problem: .missing
        ),
        Tampering(
            description: "a forged record with a made-up hash appended",
            sql: { log in
                let forged = forgedEntry(log[4].record, seq: 6, time: log[4].time, prev: log[4].hash)
                return insertSQL(forged, hash: String(repeating: "ab", count: 32))
            },
            seq: 6,
            problem: .modified
        ),
        Tampering(
            description: "a forged record with a correct hash but the wrong prev appended",
            sql: { log in
                insertSQL(forgedEntry(log[4].record, seq: 6, time: log[4].time, prev: log[2].hash))
            },
            seq: 6,
            problem: .brokenLink
        ),
        Tampering(
            description: "a forged record inserted before the first",
            sql: { log in insertSQL(forgedEntry(log[0].record, seq: 0, time: log[0].time, prev: AuditEntry.genesisHash))
            },
            seq: 0,
            problem: .inserted
        ),
        Tampering(
            description: "a forged record inserted as 3, later records renumbered",
            sql: { log in
                let forged = forgedEntry(log[2].record, seq: 3, time: log[2].time, prev: log[1].hash)
                return
                    "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3; UPDATE audit_log SET seq = seq - 99 WHERE seq >= 100; "
                    + insertSQL(forged)
            },
            seq: 4,
            problem: .columnMismatch
        ),
        Tampering(
            description: "records 2 and 4 swapped by their seq",
            sql: { _ in
                "UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = -1;"
            },
            seq: 2,
            problem: .columnMismatch
        ),
        Tampering(
            description: "the stored bytes of record 5 replaced by non-canonical JSON",
            sql: { _ in "UPDATE audit_log SET canonical = replace(canonical, ',', ', ') WHERE seq = 5;" },
            seq: 5,
            problem: .malformed
        ),
    ]

    @Test("tampering with the database file is detected at the right record", arguments: tamperings)
    func tamperingDetected(_ tampering: Tampering) throws {
        try withTemporaryDirectory { directory in
            let store = try StateStore(directory: directory)
            var log: [AuditEntry] = []
            for index in 0..<5 {
                log.append(try store.append(sampleRecord(index), at: start.addingTimeInterval(Double(index) * 60)))
            }
            #expect(try store.verify().isIntact)
            try store.close()

            try sqlite3(directory + "/node.sqlite", tampering.sql(log))

            let reopened = try StateStore(directory: directory)
            let verification = try reopened.verify()
            #expect(verification.failure?.seq == tampering.seq, "\(verification)")
            #expect(verification.failure?.problem == tampering.problem, "\(verification)")
            #expect(verification.intactCount == Int(max(0, min(tampering.seq, 6) - 1)))
        }
    }

    @Test("removing the last record is caught only against a head kept elsewhere")
    func truncation() throws {
        try withTemporaryDirectory { directory in
            let store = try StateStore(directory: directory)
            for index in 0..<5 { try store.append(sampleRecord(index), at: start) }
            let kept = try store.verify().head
            try store.close()
            try sqlite3(directory + "/node.sqlite", "DELETE FROM audit_log WHERE seq = 5;")
            let verification = try StateStore(directory: directory).verify()
            #expect(verification.isIntact)
            #expect(verification.intactCount == 4)
            #expect(verification.head != kept)
        }
    }
}

/// Record `index` of the sample log: proposals and decisions for query ids 0, 1, 1, 2, 2.
func sampleRecord(_ index: Int) -> AuditRecord {
    let id = queryID(UInt8((index + 1) / 2))
    if index % 2 == 0 {
        return .proposal(
            queryID: id,
            planHash: [UInt8](repeating: UInt8(index), count: 32),
            analyst: "analyst-\(index)",
            coordinator: "health-commission",
            participants: ["a", "b"],
            protocol: "paillier",
            dataset: "visits"
        )
    }
    return .denial(queryID: id, reason: "no rule allows analyst-\(index + 1) to group by \"district\"")
}

/// A forged entry as an attacker with the spec would compute it: `record` with its
/// analyst changed, sealed with a correct SHA-256.
func forgedEntry(_ record: AuditRecord, seq: Int64, time: String, prev: [UInt8]) -> AuditEntry {
    var record = record
    record.fields["analyst"] = .string("mallory")
    record.fields["reason"] = .string("approved by mallory")
    return AuditEntry(sealing: record, seq: seq, time: time, prev: prev)
}

/// `bytes` as the body of an SQL string literal.
func sqlText(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "'", with: "''")
}

/// An INSERT of `entry` with the columns filled in as `append` would (and `hash` if given).
func insertSQL(_ entry: AuditEntry, hash: String? = nil) -> String {
    let queryID = entry.record.queryID.map { "'\(Hex.encode($0))'" } ?? "NULL"
    return """
        INSERT INTO audit_log (seq, time, kind, query_id, prev, hash, canonical) VALUES (\(entry.seq), '\(entry.time)', \
        '\(entry.record.kind)', \(queryID), '\(Hex.encode(entry.prev))', '\(hash ?? Hex.encode(entry.hash))', \
        '\(sqlText(entry.canonicalBytes))');
        """
}
