import Crypto
import Foundation
import GRDB

// The audit log: `Protocols/audit-log.md`.
//
// Each row stores the record's canonical JSON (`canonical`, the source of truth, the
// bytes that are hashed) plus copies of seq, time, kind, query id, prev and hash in
// indexed columns for lookups. `verify()` trusts only the bytes and the chain, and
// checks that the columns agree with them.
extension StateStore {
    /// Appends `record` to the audit log in one transaction: gives it the next sequence
    /// number, the time `date`, the previous record's hash as `prev`, and its own hash
    /// (`Protocols/audit-log.md` §4).
    ///
    /// When it returns, the record is on disk (WAL, `synchronous = FULL`).
    ///
    /// - Throws: ``StateStoreError/Code/invalidArgument`` for a record with a malformed
    ///   kind or query id or a reserved field key; ``StateStoreError/Code/corruptRecord``
    ///   if the current last record's stored hash is unreadable.
    @discardableResult
    public func append(_ record: AuditRecord, at date: Date = Date()) throws(StateStoreError) -> AuditEntry {
        if let problem = record.problem() {
            throw StateStoreError(code: .invalidArgument, message: "cannot append audit record: \(problem)", path: path)
        }
        let time = UTCTime.timestamp(date)
        let path = self.path
        return try write("appending an audit record") { db in
            // The write transaction is IMMEDIATE: no other writer can append between
            // reading the head and inserting after it, so the chain never forks.
            var seq: Int64 = 1
            var prev = AuditEntry.genesisHash
            if let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1") {
                let headSeq: Int64 = head["seq"]
                guard let hash = Self.text(head, "hash").flatMap(Hex.decode), hash.count == 32 else {
                    throw StateStoreError(
                        code: .corruptRecord,
                        message:
                            "audit record \(headSeq) has no readable hash, so nothing can be chained to it; run `fednode audit verify`",
                        path: path
                    )
                }
                seq = headSeq + 1
                prev = hash
            }
            let entry = AuditEntry(sealing: record, seq: seq, time: time, prev: prev)
            try db.execute(
                sql: """
                    INSERT INTO audit_log (seq, time, kind, query_id, prev, hash, canonical)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    seq, time, record.kind.rawValue, record.queryID.map { Hex.encode($0) }, Hex.encode(prev),
                    Hex.encode(entry.hash), String(decoding: entry.canonicalBytes, as: UTF8.self),
                ]
            )
            return entry
        }
    }

    /// The audit records appended at or after `since` and concerning `queryID` (each
    /// filter only if given), in sequence order.
    ///
    /// Reads the stored records without checking the chain (that is ``verify()``);
    /// an entry's `hash` is the stored one.
    ///
    /// - Throws: ``StateStoreError/Code/corruptRecord`` naming the first stored record
    ///   that cannot be read back.
    public func records(since: Date? = nil, queryID: [UInt8]? = nil) throws(StateStoreError) -> [AuditEntry] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let since {
            // Timestamps are fixed-width UTC text, so text order is time order.
            conditions.append("time >= ?")
            _ = arguments.append(contentsOf: [UTCTime.timestamp(since)])
        }
        if let queryID {
            conditions.append("query_id = ?")
            _ = arguments.append(contentsOf: [Hex.encode(queryID)])
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let path = self.path
        return try read("reading the audit log") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT seq, hash, canonical FROM audit_log\(filter) ORDER BY seq",
                arguments: arguments
            )
            var entries: [AuditEntry] = []
            while let row = try rows.next() {
                let seq: Int64 = row["seq"]
                guard case .success(var entry) = AuditEntry.decode(canonical: Self.bytes(row, "canonical")) else {
                    throw StateStoreError(
                        code: .corruptRecord,
                        message: "audit record \(seq) cannot be read; run `fednode audit verify`",
                        path: path
                    )
                }
                if let stored = Self.text(row, "hash").flatMap(Hex.decode) { entry.hash = stored }
                entries.append(entry)
            }
            return entries
        }
    }

    /// The whole log as JSON Lines: per record, in sequence order, its canonical JSON
    /// with `"hash"` added, then `\n` (`Protocols/audit-log.md` §5).
    public func exportJSONLines() throws(StateStoreError) -> String {
        try records().map { $0.jsonLine + "\n" }.joined()
    }

    /// Walks the audit chain from record 1 and reports the first record that is not
    /// intact: modified (content does not match its hash), deleted (a gap in the
    /// sequence), inserted or moved (`prev` does not match, or seq and columns disagree
    /// with the content), or malformed.
    ///
    /// Limits (`Protocols/audit-log.md` §6): removing records from the end, or rewriting
    /// a whole suffix with fresh hashes, is only detected against a head kept elsewhere
    /// (``AuditVerification/head``).
    ///
    /// - Throws: only if the database cannot be read; tampering is reported in the result.
    public func verify() throws(StateStoreError) -> AuditVerification {
        try read("verifying the audit log") { db in
            var expectedSeq: Int64 = 1
            var expectedPrev = AuditEntry.genesisHash
            var intact = 0
            func failure(_ seq: Int64, _ problem: AuditVerification.Problem, _ detail: String) -> AuditVerification {
                AuditVerification(
                    intactCount: intact,
                    head: expectedPrev,
                    failure: AuditVerification.Failure(seq: seq, problem: problem, detail: detail)
                )
            }
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT seq, time, kind, query_id, prev, hash, canonical FROM audit_log ORDER BY seq"
            )
            while let row = try rows.next() {
                let seq: Int64 = row["seq"]
                if seq < expectedSeq {
                    return failure(seq, .inserted, "sequence numbers start at 1; this record was inserted")
                }
                if seq > expectedSeq {
                    let range =
                        seq - 1 == expectedSeq ? "record \(expectedSeq) is" : "records \(expectedSeq)…\(seq - 1) are"
                    return failure(
                        expectedSeq,
                        .missing,
                        "\(range) missing (deleted); the next stored record is \(seq)"
                    )
                }
                let bytes = Self.bytes(row, "canonical")
                let entry: AuditEntry
                switch AuditEntry.decode(canonical: bytes) {
                case .success(let decoded):
                    entry = decoded
                case .failure(let why):
                    return failure(seq, .malformed, "stored record is not a canonical audit record: \(why.reason)")
                }
                guard entry.canonicalBytes == bytes else {
                    return failure(seq, .malformed, "stored record does not re-encode to the same bytes")
                }
                let storedHash = Self.text(row, "hash")
                guard storedHash == Hex.encode(entry.hash) else {
                    return failure(
                        seq,
                        .modified,
                        "the record's content does not match its stored hash: the record was modified"
                    )
                }
                guard entry.seq == seq else {
                    return failure(
                        seq,
                        .columnMismatch,
                        "the row is numbered \(seq) but its content says \(entry.seq): rows were renumbered or swapped"
                    )
                }
                guard entry.prev == expectedPrev else {
                    return failure(
                        seq,
                        .brokenLink,
                        seq == 1
                            ? "the first record's prev is not 64 zeros: records before it were removed or it was inserted"
                            : "prev is not the hash of record \(seq - 1): record \(seq - 1) was replaced or this record was inserted"
                    )
                }
                let columns: [(String, String?, String?)] = [
                    ("time", Self.text(row, "time"), entry.time),
                    ("kind", Self.text(row, "kind"), entry.record.kind.rawValue),
                    ("query_id", Self.text(row, "query_id"), entry.record.queryID.map { Hex.encode($0) }),
                    ("prev", Self.text(row, "prev"), Hex.encode(entry.prev)),
                ]
                if let (name, _, _) = columns.first(where: { $0.1 != $0.2 }) {
                    return failure(
                        seq,
                        .columnMismatch,
                        "the \(name) column disagrees with the record's content: edited"
                    )
                }
                expectedPrev = entry.hash
                expectedSeq += 1
                intact += 1
            }
            return AuditVerification(intactCount: intact, head: expectedPrev, failure: nil)
        }
    }

    // A column as text only if SQLite stores it as text: an attacker may store any
    // type, and the verifier must report it, not trap on a failed conversion.
    static func text(_ row: Row, _ column: String) -> String? {
        if case .string(let value) = (row[column] as DatabaseValue).storage { return value }
        return nil
    }

    static func bytes(_ row: Row, _ column: String) -> [UInt8] {
        switch (row[column] as DatabaseValue).storage {
        case .string(let value): return Array(value.utf8)
        case .blob(let data): return Array(data)
        default: return []
        }
    }
}
