import Crypto
import Foundation

/// What a node records in its audit log, before the log seals it (``StateStore/append(_:at:)``
/// adds `seq`, `time` and `prev` and hashes the result). Format: `Protocols/audit-log.md` §3.
///
/// A record is a kind, the query it concerns, and kind-specific fields. The four kinds of
/// the query lifecycle have constructors (``proposal(queryID:planHash:analyst:coordinator:participants:protocol:dataset:)``,
/// ``approval(queryID:rule:requirements:purpose:)``, ``denial(queryID:reason:rule:purpose:)``,
/// ``abort(queryID:reason:by:)``, ``release(queryID:resultHash:participants:)``); later kinds
/// (budget spends, key events) use ``init(kind:queryID:fields:)`` with new field names,
/// and old verifiers still verify them, since the hash covers the bytes.
public struct AuditRecord: Sendable, Hashable {
    /// The kind of a record: lowercase ASCII letters, digits and `_`.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A coordinator proposed a query to this node (lifecycle step 3).
        public static let proposal = Kind(rawValue: "proposal")
        /// This node approved or denied a proposal (step 3).
        public static let decision = Kind(rawValue: "decision")
        /// A query ended without a result (a deny elsewhere, a dropout, a deadline).
        public static let abort = Kind(rawValue: "abort")
        /// A result was released to the analyst (step 7).
        public static let release = Kind(rawValue: "release")

        var isWellFormed: Bool {
            !rawValue.isEmpty && rawValue.utf8.count <= 64
                && rawValue.utf8.allSatisfy {
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
                }
        }
    }

    /// Keys the log itself sets; ``fields`` must not use them.
    public static let reservedKeys: Set<String> = ["kind", "query_id", "seq", "time", "prev", "hash"]

    /// What happened.
    public var kind: Kind
    /// The 16-byte query id the record concerns, if it concerns one.
    public var queryID: [UInt8]?
    /// The kind-specific fields, by key (`snake_case` ASCII by convention).
    public var fields: [String: CanonicalJSON]

    /// A record of any kind. The store refuses it at append time if `kind` is not
    /// lowercase ASCII, `queryID` is not 16 bytes, or a field uses a reserved key.
    public init(kind: Kind, queryID: [UInt8]?, fields: [String: CanonicalJSON] = [:]) {
        self.kind = kind
        self.queryID = queryID
        self.fields = fields
    }

    /// The value of field `key`, if present.
    public subscript(field key: String) -> CanonicalJSON? { fields[key] }

    /// A proposal received (or, at the coordinator, sent): what was asked, by whom, of whom.
    public static func proposal(
        queryID: [UInt8],
        planHash: [UInt8],
        analyst: String,
        coordinator: String,
        participants: [String],
        protocol: String,
        dataset: String
    ) -> AuditRecord {
        AuditRecord(
            kind: .proposal,
            queryID: queryID,
            fields: [
                "plan_hash": .string(Hex.encode(planHash)),
                "analyst": .string(analyst),
                "coordinator": .string(coordinator),
                "participants": .array(participants.map(CanonicalJSON.string)),
                "protocol": .string(`protocol`),
                "dataset": .string(dataset),
            ]
        )
    }

    /// This node approved a proposal under policy rule `rule`, demanding `requirements`
    /// (e.g. `min_group_size`).
    public static func approval(
        queryID: [UInt8],
        rule: String,
        requirements: [String: CanonicalJSON],
        purpose: String?
    ) -> AuditRecord {
        var fields: [String: CanonicalJSON] = [
            "decision": .string("approve"), "rule": .string(rule), "requirements": .object(requirements),
        ]
        if let purpose { fields["purpose"] = .string(purpose) }
        return AuditRecord(kind: .decision, queryID: queryID, fields: fields)
    }

    /// This node denied a proposal, with the reason the analyst is shown.
    public static func denial(
        queryID: [UInt8],
        reason: String,
        rule: String? = nil,
        purpose: String? = nil
    )
        -> AuditRecord
    {
        var fields: [String: CanonicalJSON] = ["decision": .string("deny"), "reason": .string(reason)]
        if let rule { fields["rule"] = .string(rule) }
        if let purpose { fields["purpose"] = .string(purpose) }
        return AuditRecord(kind: .decision, queryID: queryID, fields: fields)
    }

    /// A query ended without a result; `by` names who ended it (a node or the analyst).
    public static func abort(queryID: [UInt8], reason: String, by: String) -> AuditRecord {
        AuditRecord(kind: .abort, queryID: queryID, fields: ["reason": .string(reason), "by": .string(by)])
    }

    /// A result was released: the hash of the result the analyst got and who took part.
    public static func release(queryID: [UInt8], resultHash: [UInt8], participants: [String]) -> AuditRecord {
        AuditRecord(
            kind: .release,
            queryID: queryID,
            fields: [
                "result_hash": .string(Hex.encode(resultHash)),
                "participants": .array(participants.map(CanonicalJSON.string)),
            ]
        )
    }

    /// Why this record cannot be appended, or nil if it can.
    func problem() -> String? {
        if !kind.isWellFormed { return "record kind '\(kind)' is not lowercase ASCII letters, digits and '_'" }
        if let queryID, queryID.count != StateStore.queryIDLength {
            return "query id has \(queryID.count) bytes, expected \(StateStore.queryIDLength)"
        }
        if let key = fields.keys.first(where: Self.reservedKeys.contains) {
            return "field '\(key)' is reserved for the log itself"
        }
        return nil
    }
}

/// One sealed audit record: the record with its place in the chain.
///
/// `canonicalBytes` is the source of truth: the canonical JSON (`Protocols/audit-log.md` §2)
/// of the record's fields plus `kind`, `query_id`, `seq`, `time` and `prev`, and
/// `hash = SHA-256(canonicalBytes)`.
public struct AuditEntry: Sendable, Hashable {
    /// Position in the log, from 1, without gaps.
    public var seq: Int64
    /// When the record was appended, as stored (`yyyy-mm-ddThh:mm:ss.fffZ`, UTC).
    public var time: String
    /// The hash of the previous entry; 32 zero bytes for the first.
    public var prev: [UInt8]
    /// SHA-256 of ``canonicalBytes`` for a sealed entry; for one read back by
    /// ``StateStore/records(since:queryID:)``, the stored hash, which differs only if the
    /// record was tampered with (``StateStore/verify()`` reports it).
    public var hash: [UInt8]
    /// The record as appended.
    public var record: AuditRecord
    /// The hashed bytes.
    public var canonicalBytes: [UInt8]

    /// The `prev` of the first entry.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    /// Seals `record` at position `seq` after the entry whose hash is `prev`.
    public init(sealing record: AuditRecord, seq: Int64, time: String, prev: [UInt8]) {
        let object = Self.object(of: record, seq: seq, time: time, prev: prev)
        self.seq = seq
        self.time = time
        self.prev = prev
        self.record = record
        self.canonicalBytes = CanonicalJSON.object(object).bytes
        self.hash = Array(SHA256.hash(data: canonicalBytes))
    }

    /// When the record was appended.
    public var date: Date { UTCTime.parseTimestamp(time) ?? Date(timeIntervalSince1970: 0) }

    /// The export line: the canonical JSON of the hashed object with `"hash"` added
    /// (itself canonical; remove `hash` and re-encode to check it).
    public var jsonLine: String {
        guard case .object(var object)? = CanonicalJSON(canonical: canonicalBytes) else {
            preconditionFailure("an AuditEntry always holds canonical bytes")
        }
        object["hash"] = .string(Hex.encode(hash))
        return CanonicalJSON.object(object).text
    }

    static func object(of record: AuditRecord, seq: Int64, time: String, prev: [UInt8]) -> [String: CanonicalJSON] {
        var object = record.fields
        object["kind"] = .string(record.kind.rawValue)
        if let queryID = record.queryID { object["query_id"] = .string(Hex.encode(queryID)) }
        object["seq"] = .integer(seq)
        object["time"] = .string(time)
        object["prev"] = .string(Hex.encode(prev))
        return object
    }

    /// Reads an entry back from stored canonical bytes; the reason it cannot, otherwise.
    /// Checks form only (canonical, the log's own keys present and well formed), not the
    /// chain: that is ``StateStore/verify()``'s job.
    static func decode(canonical bytes: [UInt8]) -> Result<AuditEntry, DecodeFailure> {
        guard case .object(var object)? = CanonicalJSON(canonical: bytes) else {
            return .failure(DecodeFailure("stored bytes are not canonical JSON of an object"))
        }
        guard case .integer(let seq)? = object.removeValue(forKey: "seq") else {
            return .failure(DecodeFailure("no integer 'seq'"))
        }
        guard case .string(let time)? = object.removeValue(forKey: "time"), UTCTime.parseTimestamp(time) != nil else {
            return .failure(DecodeFailure("no valid 'time'"))
        }
        guard case .string(let prevText)? = object.removeValue(forKey: "prev"), let prev = Hex.decode(prevText),
            prev.count == 32
        else { return .failure(DecodeFailure("no valid 'prev'")) }
        guard case .string(let kindText)? = object.removeValue(forKey: "kind") else {
            return .failure(DecodeFailure("no 'kind'"))
        }
        var queryID: [UInt8]?
        if let value = object.removeValue(forKey: "query_id") {
            guard case .string(let text) = value, let id = Hex.decode(text), id.count == StateStore.queryIDLength else {
                return .failure(DecodeFailure("malformed 'query_id'"))
            }
            queryID = id
        }
        if object["hash"] != nil { return .failure(DecodeFailure("a hashed record must not contain 'hash'")) }
        let record = AuditRecord(kind: AuditRecord.Kind(rawValue: kindText), queryID: queryID, fields: object)
        if let problem = record.problem() { return .failure(DecodeFailure(problem)) }
        return .success(AuditEntry(sealing: record, seq: seq, time: time, prev: prev))
    }

    struct DecodeFailure: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

/// The outcome of ``StateStore/verify()``: how much of the chain is intact, and the
/// first record that is not.
public struct AuditVerification: Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with a record.
    public struct Problem: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The stored bytes are not a canonical audit record.
        public static let malformed = Problem("malformed")
        /// The stored bytes do not hash to the stored hash: the record was modified.
        public static let modified = Problem("modified")
        /// Records are missing before this sequence number: deleted.
        public static let missing = Problem("missing")
        /// A record with a sequence number that cannot occur (below 1): inserted.
        public static let inserted = Problem("inserted")
        /// The record's `prev` is not the hash of the record before it: the previous
        /// record was replaced or this one was inserted or moved.
        public static let brokenLink = Problem("brokenLink")
        /// The indexed columns (seq, time, kind, query id, prev) disagree with the
        /// stored bytes: rows renumbered, swapped or edited.
        public static let columnMismatch = Problem("columnMismatch")
    }

    /// The first bad record.
    public struct Failure: Sendable, Hashable {
        /// The sequence number of the first bad record (for ``Problem/missing``, the
        /// first missing one).
        public var seq: Int64
        /// What is wrong with it.
        public var problem: Problem
        /// A sentence for the operator.
        public var detail: String
    }

    /// How many records, from seq 1, were checked and found intact.
    public var intactCount: Int
    /// Hash of the last intact record (the chain head when the log is intact); 32 zero
    /// bytes for an empty log. Keep it somewhere else to detect a truncated log later.
    public var head: [UInt8]
    /// The first bad record, or nil if the whole chain is intact.
    public var failure: Failure?

    /// True if every record is intact.
    public var isIntact: Bool { failure == nil }

    public var description: String {
        if let failure {
            return "record \(failure.seq): \(failure.problem): \(failure.detail)"
        }
        return "ok: \(intactCount) records, chain intact, head \(Hex.encode(head))"
    }
}
