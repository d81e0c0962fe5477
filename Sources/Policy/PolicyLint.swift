import Query

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Something in a node's policy that is probably a mistake. Findings never change a
/// decision; `fednode check` and `fednode policy lint` show them.
public struct PolicyLintFinding: Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// A rule lists a dataset the catalog does not have.
        case unknownDataset
        /// A rule lists a column that none of its (known) datasets has.
        case unknownColumn
        /// An earlier rule approves every request this rule would approve.
        case unreachableRule
        /// A rule has expired.
        case expiredRule
        /// A rule expires within ``PolicySet/expiryWarning``.
        case expiringRule
        /// A group no rule refers to.
        case unusedGroup
        /// A `who` entry or group member that is not a canonical analyst SPIFFE id.
        case invalidPrincipal
        /// A `who` entry `group:<name>` naming no defined group.
        case unknownGroup
    }

    public enum Severity: String, Sendable, Hashable {
        /// The policy says something other than the operator meant (a name that matches
        /// nothing). Still never more permissive than intended.
        case error
        /// Worth a look.
        case warning
    }

    public var code: Code
    public var severity: Severity
    /// The rule the finding is about, if any.
    public var ruleID: String?
    /// The group the finding is about, if any.
    public var group: String?
    /// Where the rule or group was written.
    public var origin: PolicyOrigin
    /// What is wrong and what to do.
    public var message: String

    public init(
        code: Code,
        severity: Severity,
        ruleID: String? = nil,
        group: String? = nil,
        origin: PolicyOrigin,
        message: String
    ) {
        self.code = code
        self.severity = severity
        self.ruleID = ruleID
        self.group = group
        self.origin = origin
        self.message = message
    }

    /// `file:line: keyPath: warning: message`.
    public var description: String { "\(origin): \(severity.rawValue): \(message)" }
}

/// Checks `set` against `catalog` at time `now`; the same as ``PolicySet/lint(catalog:now:)``.
public func lint(_ set: PolicySet, catalog: Catalog, now: Date) -> [PolicyLintFinding] {
    set.lint(catalog: catalog, now: now)
}

extension PolicySet {
    /// How far ahead lint warns about a rule's expiry: 30 days.
    public static let expiryWarning: TimeInterval = 30 * 86_400

    /// Findings about this policy, rule by rule in evaluation order, then the groups:
    /// - a dataset not in `catalog`; a column that none of the rule's known datasets has
    ///   (columns are not checked for a rule none of whose datasets is known);
    /// - a `who` entry that is neither a canonical analyst SPIFFE id nor `group:<name>` of
    ///   a defined group, and a group member that is not a canonical analyst id;
    /// - a rule that has expired at `now`, or expires within 30 days of it;
    /// - an unreachable rule: see ``shadowingRule(of:)`` for the exact criterion;
    /// - a group no rule's `who` names.
    public func lint(catalog: Catalog, now: Date) -> [PolicyLintFinding] {
        var findings: [PolicyLintFinding] = []
        let defined = Set(groups.map(\.name))
        var used: Set<String> = []
        for (index, rule) in rules.enumerated() {
            func finding(_ code: PolicyLintFinding.Code, _ severity: PolicyLintFinding.Severity, _ message: String) {
                findings.append(
                    PolicyLintFinding(
                        code: code,
                        severity: severity,
                        ruleID: rule.id,
                        origin: rule.origin,
                        message: message
                    )
                )
            }
            var known: [Dataset] = []
            for name in rule.datasets.sorted() {
                if let dataset = catalog.dataset(named: name) {
                    known.append(dataset)
                } else {
                    let names = catalog.datasets.map { "`\($0.name)`" }.joined(separator: ", ")
                    finding(
                        .unknownDataset,
                        .error,
                        "rule `\(rule.id)` lists dataset `\(name)`, which is not in the catalog"
                            + (names.isEmpty ? "" : " (datasets: \(names))")
                    )
                }
            }
            if !known.isEmpty {
                let roles = [
                    ("aggregate", rule.columns.aggregate), ("filter", rule.columns.filter),
                    ("group", rule.columns.group),
                ]
                for (role, columns) in roles {
                    for column in columns.sorted() where !known.contains(where: { $0.column(named: column) != nil }) {
                        let datasets = known.map { "`\($0.name)`" }.joined(separator: ", ")
                        finding(
                            .unknownColumn,
                            .error,
                            "rule `\(rule.id)` lists column `\(column)` under `columns.\(role)`, but none of its "
                                + "datasets (\(datasets)) has it"
                        )
                    }
                }
            }
            for subject in rule.who {
                switch subject {
                case .analyst(let id) where !PolicySubject.isAnalystID(id):
                    finding(
                        .invalidPrincipal,
                        .error,
                        "rule `\(rule.id)` names `\(id)` in `who`, which is neither an analyst SPIFFE id "
                            + "(spiffe://<federation>/analyst/<name>, in lower case) nor `group:<name>`; "
                            + "it matches nobody"
                    )
                case .group(let name) where !defined.contains(name):
                    finding(
                        .unknownGroup,
                        .error,
                        "rule `\(rule.id)` names `group:\(name)` in `who`, but no group `\(name)` is defined; "
                            + "it matches nobody"
                    )
                case .group(let name): used.insert(name)
                case .analyst: break
                }
            }
            if let expiry = rule.requirements.expires {
                if now >= expiry.end {
                    finding(
                        .expiredRule,
                        .warning,
                        "rule `\(rule.id)` has expired (expires: \(expiry.text)) and approves nothing; "
                            + "renew or remove it"
                    )
                } else if expiry.end.timeIntervalSince(now) <= Self.expiryWarning {
                    finding(
                        .expiringRule,
                        .warning,
                        "rule `\(rule.id)` expires within 30 days (expires: \(expiry.text), at "
                            + "\(PolicyTime.format(expiry.end)))"
                    )
                }
            }
            if let earlier = shadowingRule(of: index) {
                finding(
                    .unreachableRule,
                    .warning,
                    "rule `\(rule.id)` can never approve a query: the earlier rule `\(earlier.id)` (\(earlier.origin)) "
                        + "allows everything it allows and is checked first, so its min_group_size and purpose never "
                        + "apply; remove it, narrow the earlier rule, or move this rule before it"
                )
            }
        }
        for group in groups {
            for member in group.members where !PolicySubject.isAnalystID(member) {
                findings.append(
                    PolicyLintFinding(
                        code: .invalidPrincipal,
                        severity: .error,
                        group: group.name,
                        origin: group.origin,
                        message: "group `\(group.name)` lists `\(member)`, which is not an analyst SPIFFE id "
                            + "(spiffe://<federation>/analyst/<name>, in lower case); it matches nobody"
                    )
                )
            }
            if !used.contains(group.name) {
                findings.append(
                    PolicyLintFinding(
                        code: .unusedGroup,
                        severity: .warning,
                        group: group.name,
                        origin: group.origin,
                        message: "group `\(group.name)` is not named by any rule (as `group:\(group.name)`)"
                    )
                )
            }
        }
        return findings
    }

    /// The first rule before `rules[index]` that makes it unreachable, or nil.
    ///
    /// Rule A (earlier) shadows rule B when A is at least as permissive in every
    /// dimension that decides a match:
    /// - A's analysts ⊇ B's analysts, both with groups expanded;
    /// - A's datasets ⊇ B's; A's aggregate functions ⊇ B's; A's aggregate, filter and
    ///   group columns ⊇ B's, role by role; A's protocols ⊇ B's;
    /// - A's `min_parties` ≤ B's;
    /// - A never expires, or B expires no later than A;
    /// - A has no `max_queries_per_day` (a limited A runs out, and then B can approve).
    ///
    /// Then every request B matches, A matches, and A is checked first. `min_group_size`
    /// and `purpose` do not decide a match and are not compared. The criterion is
    /// sufficient, not necessary: a rule covered only by several earlier rules together
    /// is not reported.
    public func shadowingRule(of index: Int) -> PolicyRule? {
        let later = rules[index]
        let laterPrincipals = principals(of: later)
        for earlier in rules[..<index] {
            let a = earlier.requirements
            let b = later.requirements
            let expiresLater: Bool =
                switch (a.expires, b.expires) {
                case (nil, _): true
                case (.some, nil): false
                case (.some(let x), .some(let y)): x.end >= y.end
                }
            if principals(of: earlier).isSuperset(of: laterPrincipals), earlier.datasets.isSuperset(of: later.datasets),
                earlier.aggregates.isSuperset(of: later.aggregates),
                earlier.columns.aggregate.isSuperset(of: later.columns.aggregate),
                earlier.columns.filter.isSuperset(of: later.columns.filter),
                earlier.columns.group.isSuperset(of: later.columns.group), a.protocols.isSuperset(of: b.protocols),
                a.minParties <= b.minParties, expiresLater, a.maxQueriesPerDay == nil
            {
                return earlier
            }
        }
        return nil
    }
}
