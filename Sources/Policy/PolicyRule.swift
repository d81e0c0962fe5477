import Query

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The aggregation protocol a query runs under (DESIGN.md, "Protocol A" and "Protocol B").
public enum AggregationProtocol: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Protocol A: additive masks from pairwise keys.
    case secureSum = "secure_sum"
    /// Protocol B: threshold Paillier.
    case paillier

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One entry of a rule's `who`: an analyst's SPIFFE id or a group of them.
public enum PolicySubject: Sendable, Hashable, CustomStringConvertible {
    /// An analyst principal, compared exactly with the SPIFFE id of the analyst's
    /// certificate (`spiffe://city/analyst/alice`).
    case analyst(String)
    /// A group defined in the policy files, written `group:<name>`.
    case group(String)

    /// The prefix that marks a group in a `who` entry.
    public static let groupPrefix = "group:"

    /// Reads a `who` entry: `group:<name>` is a group, anything else an analyst id
    /// (checked by ``PolicySet/lint(catalog:now:)``, never here: an entry that is not a
    /// valid id matches nobody, so a mistake can only deny).
    public init(_ text: String) {
        if text.hasPrefix(Self.groupPrefix) {
            self = .group(String(text.dropFirst(Self.groupPrefix.count)))
        } else {
            self = .analyst(text)
        }
    }

    /// The entry as written: the analyst id or `group:<name>`.
    public var description: String {
        switch self {
        case .analyst(let id): id
        case .group(let name): Self.groupPrefix + name
        }
    }

    /// Whether `text` is a canonical analyst SPIFFE id, `spiffe://<federation>/analyst/<name>`
    /// with both parts DNS-label-like (1–63 of `a`–`z`, `0`–`9`, `-`, not starting or
    /// ending with `-`), as the PKI issues them.
    ///
    /// A policy entry is compared with the certificate's id as a string, so an entry in
    /// any other spelling (upper case, a port, a trailing slash) would silently match
    /// nobody; lint reports such entries.
    public static func isAnalystID(_ text: String) -> Bool {
        let prefix = "spiffe://"
        guard text.hasPrefix(prefix) else { return false }
        let parts = text.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[1] == "analyst" && isLabel(parts[0]) && isLabel(parts[2])
    }

    /// Whether `text` is DNS-label-like (group names follow the same rule).
    public static func isLabel(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-")
        else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }
}

/// Where a rule or group was written: file, key path and line. Empty for one built in code.
public struct PolicyOrigin: Sendable, Hashable, CustomStringConvertible {
    /// The file as it was named when loaded or parsed.
    public var file: String
    /// The key path within the file (`rules[2]`, `groups.health-analysts`).
    public var keyPath: String
    /// Line, counted from 1, if known.
    public var line: Int?

    public init(file: String = "", keyPath: String = "", line: Int? = nil) {
        self.file = file
        self.keyPath = keyPath
        self.line = line
    }

    /// `file:line: keyPath`, leaving out what is unknown.
    public var description: String {
        var text = file.isEmpty ? "(built in code)" : file
        if let line { text += ":\(line)" }
        return keyPath.isEmpty ? text : text + ": " + keyPath
    }
}

/// When a rule stops being in force.
public struct PolicyExpiry: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first instant at which the rule no longer matches. A rule matches only while
    /// `now < end`.
    public var end: Date
    /// The expiry as the policy file wrote it (`2027-12-31`), for messages.
    public var text: String

    public init(end: Date, text: String? = nil) {
        self.end = end
        self.text = text ?? PolicyTime.format(end)
    }

    /// Parses an ISO-8601 date or date-time:
    /// - `2027-12-31`: the rule is in force through that whole day in UTC, so `end` is
    ///   `2028-01-01T00:00:00Z`;
    /// - `2027-12-31T18:00:00Z`, `2027-12-31T18:00+01:00`, optionally with fractional
    ///   seconds: `end` is that instant. A time without `Z` or an offset is refused (nil),
    ///   because its meaning would depend on the node's time zone.
    public init?(iso8601 text: String) {
        guard let end = PolicyTime.parse(text) else { return nil }
        self.end = end
        self.text = text
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.end < rhs.end }

    public var description: String { text }
}

/// The columns a rule lets a query use, by role. A column named in one role is allowed
/// in that role only.
public struct ColumnPermissions: Sendable, Hashable {
    /// Columns that may be aggregate arguments (`SUM(cost)`, `CORR(y, x)`, `COUNT(c)`).
    public var aggregate: Set<String>
    /// Columns that may appear in `WHERE`.
    public var filter: Set<String>
    /// Columns that may appear in `GROUP BY`, directly or in a `WIDTH_BUCKET`.
    public var group: Set<String>

    public init(aggregate: Set<String> = [], filter: Set<String> = [], group: Set<String> = []) {
        self.aggregate = aggregate
        self.filter = filter
        self.group = group
    }
}

/// What a node demands of a query it approves, and the purpose recorded in its audit log.
public struct PolicyRequirements: Sendable, Hashable {
    /// The smallest group a released value may come from (small-cell suppression,
    /// Protocols/query.md §4.1); at least 1.
    public var minGroupSize: Int
    /// The fewest participants the query must have; at least 1.
    public var minParties: Int
    /// The protocols the query may run under; not empty.
    public var protocols: Set<AggregationProtocol>
    /// The most queries a day this rule approves; nil for no limit.
    public var maxQueriesPerDay: Int?
    /// When the rule stops being in force; nil for never.
    public var expires: PolicyExpiry?
    /// Why the data may be used this way; written to the audit record.
    public var purpose: String

    public init(
        minGroupSize: Int,
        minParties: Int,
        protocols: Set<AggregationProtocol>,
        maxQueriesPerDay: Int? = nil,
        expires: PolicyExpiry? = nil,
        purpose: String
    ) {
        precondition(minGroupSize >= 1 && minParties >= 1, "minimums are at least 1")
        precondition(maxQueriesPerDay.map { $0 >= 1 } ?? true, "a daily limit is at least 1")
        self.minGroupSize = minGroupSize
        self.minParties = minParties
        self.protocols = protocols
        self.maxQueriesPerDay = maxQueriesPerDay
        self.expires = expires
        self.purpose = purpose
    }
}

/// One rule of a node's policy: who may run which computations on which datasets, and
/// what the node then requires.
///
/// A rule matches a request only if it allows every part of it: the analyst (directly or
/// through a group), the dataset, every aggregate function, every aggregated, filtered and
/// grouped column, the protocol, the number of participants (≥ `minParties`), and today's
/// count of queries approved under it (< `maxQueriesPerDay`); and only while it has not
/// expired. Everything a rule does not name is denied.
public struct PolicyRule: Sendable, Hashable {
    /// Unique among all the node's policy files; recorded with every decision.
    public var id: String
    /// The analysts and groups the rule applies to.
    public var who: [PolicySubject]
    /// The datasets the rule covers (catalog names).
    public var datasets: Set<String>
    /// The aggregate functions a query may use.
    public var aggregates: Set<AggregateFunction>
    /// The columns a query may use, by role.
    public var columns: ColumnPermissions
    /// What the node requires when it approves under this rule.
    public var requirements: PolicyRequirements
    /// Where the rule was written.
    public var origin: PolicyOrigin

    public init(
        id: String,
        who: [PolicySubject],
        datasets: Set<String>,
        aggregates: Set<AggregateFunction>,
        columns: ColumnPermissions,
        requirements: PolicyRequirements,
        origin: PolicyOrigin = PolicyOrigin()
    ) {
        self.id = id
        self.who = who
        self.datasets = datasets
        self.aggregates = aggregates
        self.columns = columns
        self.requirements = requirements
        self.origin = origin
    }

    /// How aggregates are written in a rule's `aggregates`, and what each allows. `count`
    /// allows both `COUNT(*)` and `COUNT(column)`; `count(*)` only the former; `variance`
    /// and `stddev` are the SQL aliases of `var_samp` and `stddev_samp`. Every other
    /// function is written as its SQL name in lower case.
    public static let aggregateSpellings: [String: Set<AggregateFunction>] = {
        var spellings: [String: Set<AggregateFunction>] = [:]
        for function in AggregateFunction.allCases { spellings[function.rawValue] = [function] }
        spellings["count"] = [.count, .countRows]
        spellings["variance"] = [.varSamp]
        spellings["stddev"] = [.stddevSamp]
        return spellings
    }()

    /// Whether the rule is in force at `now`.
    public func isInForce(at now: Date) -> Bool {
        requirements.expires.map { now < $0.end } ?? true
    }
}
