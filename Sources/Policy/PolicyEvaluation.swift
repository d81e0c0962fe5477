import Query

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A proposed query as a node's policy sees it (DESIGN.md, "Query lifecycle" step 3).
///
/// Evaluation is pure: everything that changes over time is passed in — the clock as
/// `now`, and the node's state store's daily counters as `queriesToday`.
public struct PolicyRequest: Sendable {
    /// The proposed plan (as this node built it from the SQL and its own catalog).
    public var plan: Plan
    /// The analyst's SPIFFE id, taken from the analyst's certificate, never from a field
    /// of the request.
    public var analyst: String
    /// The participants' node names, if known (empty when only the count was given).
    public var participants: [String]
    /// The number of distinct participants, compared with a rule's `min_parties`.
    public var participantCount: Int
    /// The protocol the query runs under.
    public var aggregationProtocol: AggregationProtocol
    /// The time of the decision.
    public var now: Date
    /// How many queries were already approved today under the rule with this id (what
    /// counts as "today" is the state store's business). Called only for rules with a
    /// `max_queries_per_day`.
    public var queriesToday: @Sendable (String) -> Int

    /// A request naming its participants. A name listed twice counts once, so a
    /// coordinator cannot satisfy `min_parties` by repeating a node.
    public init(
        plan: Plan,
        analyst: String,
        participants: [String],
        aggregationProtocol: AggregationProtocol,
        now: Date,
        queriesToday: @escaping @Sendable (String) -> Int = { _ in 0 }
    ) {
        self.plan = plan
        self.analyst = analyst
        self.participants = participants
        self.participantCount = Set(participants).count
        self.aggregationProtocol = aggregationProtocol
        self.now = now
        self.queriesToday = queriesToday
    }

    /// A request giving only the number of distinct participants.
    public init(
        plan: Plan,
        analyst: String,
        participantCount: Int,
        aggregationProtocol: AggregationProtocol,
        now: Date,
        queriesToday: @escaping @Sendable (String) -> Int = { _ in 0 }
    ) {
        self.plan = plan
        self.analyst = analyst
        self.participants = []
        self.participantCount = participantCount
        self.aggregationProtocol = aggregationProtocol
        self.now = now
        self.queriesToday = queriesToday
    }
}

/// The parts of a plan a rule must allow, each list in order of first appearance.
public struct PlanUsage: Sendable, Hashable {
    public var dataset: String
    /// Aggregate functions, in output order.
    public var aggregates: [AggregateFunction]
    /// Columns that are aggregate arguments.
    public var aggregatedColumns: [String]
    /// Columns the `WHERE` condition reads.
    public var filteredColumns: [String]
    /// Columns of `GROUP BY` keys (plain or in a `WIDTH_BUCKET`).
    public var groupedColumns: [String]

    /// The parts of `plan`.
    ///
    /// The filtered columns are those the compiled condition reads, plus every column the
    /// plan reads that is neither aggregated nor grouped: the planner may fold a
    /// comparison to a constant (`cost = 12.345` on a `decimal(2)` column is false), yet
    /// the column was named in `WHERE` and is still read, so it still needs permission.
    public init(plan: Plan) {
        func appending(_ name: String, to list: inout [String]) {
            if !list.contains(name) { list.append(name) }
        }
        dataset = plan.dataset
        aggregates = []
        aggregatedColumns = []
        filteredColumns = []
        groupedColumns = []
        for output in plan.outputs {
            guard case .aggregate(let function, let arguments, _) = output.kind else { continue }
            if !aggregates.contains(function) { aggregates.append(function) }
            for argument in arguments { appending(plan.columns[argument].name, to: &aggregatedColumns) }
        }
        for key in plan.groups { appending(plan.columns[key.column].name, to: &groupedColumns) }
        var read: [Int] = []
        if let filter = plan.filter { Self.columns(of: filter, into: &read) }
        for index in read { appending(plan.columns[index].name, to: &filteredColumns) }
        for column in plan.columns
        where !aggregatedColumns.contains(column.name) && !groupedColumns.contains(column.name) {
            appending(column.name, to: &filteredColumns)
        }
    }

    private static func columns(of condition: Condition, into read: inout [Int]) {
        switch condition {
        case .constant: break
        case .isNull(let column, _), .compare(let column, _, _), .inSet(let column, _, _): read.append(column)
        case .compareColumns(let left, _, let right, _, _): read += [left, right]
        case .and(let a, let b), .or(let a, let b):
            columns(of: a, into: &read)
            columns(of: b, into: &read)
        case .not(let a): columns(of: a, into: &read)
        }
    }
}

/// One part of a request that a rule does not allow. The cases are in the order parts
/// are checked, which is the order in which a denial names them.
public enum PolicyMismatch: Sendable, Hashable, CustomStringConvertible {
    /// The rule does not name the analyst, directly or through a group.
    case analyst(String)
    /// The rule does not list the dataset.
    case dataset(String)
    /// The rule has expired.
    case expired(PolicyExpiry)
    /// The rule does not allow this aggregate function.
    case aggregate(AggregateFunction)
    /// The rule does not let this column be an aggregate argument.
    case aggregatedColumn(String)
    /// The rule does not let this column appear in `WHERE`.
    case filteredColumn(String)
    /// The rule does not let the query group by this column.
    case groupedColumn(String)
    /// The rule does not allow the protocol.
    case aggregationProtocol(AggregationProtocol)
    /// The query has fewer participants than the rule requires.
    case tooFewParties(participants: Int, required: Int)
    /// Today's queries under the rule have reached its daily limit.
    case dailyLimitReached(limit: Int, used: Int)

    /// What the rule does not allow, as said of one rule ("column `income` may not be
    /// grouped").
    public var description: String {
        switch self {
        case .analyst(let analyst): "it does not apply to \(analyst)"
        case .dataset(let dataset): "it does not cover dataset `\(dataset)`"
        case .expired(let expiry): "it expired (expires: \(expiry.text))"
        case .aggregate(let function): "aggregate `\(function.rawValue)` is not allowed"
        case .aggregatedColumn(let column): "column `\(column)` may not be aggregated"
        case .filteredColumn(let column): "column `\(column)` may not be used in WHERE"
        case .groupedColumn(let column): "column `\(column)` may not be grouped"
        case .aggregationProtocol(let value): "protocol `\(value)` is not allowed"
        case .tooFewParties(let participants, let required):
            "it requires at least \(required) participants and the query has \(participants)"
        case .dailyLimitReached(let limit, let used):
            "its limit of \(limit) queries a day is reached (\(used) today)"
        }
    }
}

/// How one rule fared against a request: one line of a decision trail.
public struct RuleEvaluation: Sendable, Hashable, CustomStringConvertible {
    public var ruleID: String
    public var origin: PolicyOrigin
    /// Every part of the request the rule does not allow, in check order; empty when the
    /// rule matched.
    public var mismatches: [PolicyMismatch]

    public init(ruleID: String, origin: PolicyOrigin, mismatches: [PolicyMismatch]) {
        self.ruleID = ruleID
        self.origin = origin
        self.mismatches = mismatches
    }

    public var matched: Bool { mismatches.isEmpty }

    /// `rule `id` (file:line): matches` or `… does not match: reason; reason`.
    public var description: String {
        let head = "rule `\(ruleID)` (\(origin))"
        if matched { return head + ": matches" }
        return head + ": does not match: " + mismatches.map(\.description).joined(separator: "; ")
    }
}

/// Why a node denies a query: the first part of the plan that no rule allows, in words
/// an analyst understands.
public struct PolicyDenial: Sendable, Hashable, CustomStringConvertible {
    /// The part that is not allowed.
    public var mismatch: PolicyMismatch
    /// The rule that came closest, when rules for the analyst and dataset exist and each
    /// allows this part but none allows every part; nil when no rule allows the part.
    public var closestRule: String?
    /// The sentence the analyst reads.
    public var message: String

    public init(mismatch: PolicyMismatch, closestRule: String?, message: String) {
        self.mismatch = mismatch
        self.closestRule = closestRule
        self.message = message
    }

    public var description: String { message }
}

/// A node's answer to a proposal, with the trail that led to it.
public struct PolicyDecision: Sendable, Hashable, CustomStringConvertible {
    public enum Verdict: Sendable, Hashable {
        /// The rule `ruleID` allows every part of the query; the node requires `requirements`.
        case approve(ruleID: String, requirements: PolicyRequirements)
        /// No rule allows the query.
        case deny(PolicyDenial)
    }

    public var verdict: Verdict
    /// The rules considered, in evaluation order, up to and including the one that
    /// approved (rules after it are not evaluated); every rule when denied. For the audit
    /// log and `fednode policy explain`.
    public var trail: [RuleEvaluation]

    public init(verdict: Verdict, trail: [RuleEvaluation]) {
        self.verdict = verdict
        self.trail = trail
    }

    public var isApproved: Bool {
        if case .approve = verdict { return true }
        return false
    }

    /// The approving rule's id, or nil if denied.
    public var approvingRule: String? {
        if case .approve(let ruleID, _) = verdict { return ruleID }
        return nil
    }

    /// The denial, or nil if approved.
    public var denial: PolicyDenial? {
        if case .deny(let denial) = verdict { return denial }
        return nil
    }

    /// The verdict and the trail, one line each.
    public var description: String {
        let head: String
        switch verdict {
        case .approve(let ruleID, _): head = "approved by rule `\(ruleID)`"
        case .deny(let denial): head = "denied: \(denial.message)"
        }
        return ([head] + trail.map { "  " + $0.description }).joined(separator: "\n")
    }
}

extension PolicySet {
    /// Decides whether this node approves `request`. Default deny.
    ///
    /// Every rule is checked against every part of the request (``PolicyMismatch`` lists
    /// the parts in check order). The **first matching rule in evaluation order** (files
    /// sorted by name, rules in file order) approves, so the choice among several matching
    /// rules is deterministic and an operator controls it by ordering rules.
    ///
    /// A denial names the first part that no rule allows, narrowing step by step: no rule
    /// names the analyst; else no rule for the analyst lists the dataset; else every rule
    /// for analyst and dataset has expired; else, among the rules in force for analyst
    /// and dataset, the first part (in check order) that none of them allows. When each
    /// part is allowed by some rule but no rule allows all, the denial names the **closest
    /// rule** — the one with the fewest parts not allowed, the earliest on a tie — and the
    /// first part it does not allow.
    public func evaluate(_ request: PolicyRequest) -> PolicyDecision {
        let usage = PlanUsage(plan: request.plan)
        let members = groupMembers
        var trail: [RuleEvaluation] = []
        for rule in rules {
            let evaluation = RuleEvaluation(
                ruleID: rule.id,
                origin: rule.origin,
                mismatches: Self.mismatches(rule, request, usage, members)
            )
            trail.append(evaluation)
            if evaluation.matched {
                return PolicyDecision(verdict: .approve(ruleID: rule.id, requirements: rule.requirements), trail: trail)
            }
        }
        return PolicyDecision(verdict: .deny(Self.denial(request, usage, trail)), trail: trail)
    }

    private static func mismatches(
        _ rule: PolicyRule,
        _ request: PolicyRequest,
        _ usage: PlanUsage,
        _ members: [String: [String]]
    ) -> [PolicyMismatch] {
        var found: [PolicyMismatch] = []
        // Identities are compared as exact strings with the certificate's canonical id;
        // no normalisation, so two spellings can never be made to name one analyst.
        let named = rule.who.contains { subject in
            switch subject {
            case .analyst(let id): id == request.analyst
            case .group(let name): members[name]?.contains(request.analyst) ?? false
            }
        }
        if !named { found.append(.analyst(request.analyst)) }
        if !rule.datasets.contains(usage.dataset) { found.append(.dataset(usage.dataset)) }
        // A grant given for a while must end by itself, even if nobody remembers to remove it.
        if let expiry = rule.requirements.expires, request.now >= expiry.end { found.append(.expired(expiry)) }
        for function in usage.aggregates where !rule.aggregates.contains(function) {
            found.append(.aggregate(function))
        }
        for column in usage.aggregatedColumns where !rule.columns.aggregate.contains(column) {
            found.append(.aggregatedColumn(column))
        }
        for column in usage.filteredColumns where !rule.columns.filter.contains(column) {
            found.append(.filteredColumn(column))
        }
        for column in usage.groupedColumns where !rule.columns.group.contains(column) {
            found.append(.groupedColumn(column))
        }
        if !rule.requirements.protocols.contains(request.aggregationProtocol) {
            found.append(.aggregationProtocol(request.aggregationProtocol))
        }
        if request.participantCount < rule.requirements.minParties {
            found.append(.tooFewParties(participants: request.participantCount, required: rule.requirements.minParties))
        }
        if let limit = rule.requirements.maxQueriesPerDay {
            let used = request.queriesToday(rule.id)
            if used >= limit { found.append(.dailyLimitReached(limit: limit, used: used)) }
        }
        return found
    }

    private static func denial(_ request: PolicyRequest, _ usage: PlanUsage, _ trail: [RuleEvaluation]) -> PolicyDenial
    {
        let analyst = request.analyst
        let dataset = usage.dataset
        func fails(_ evaluation: RuleEvaluation, _ test: (PolicyMismatch) -> Bool) -> Bool {
            evaluation.mismatches.contains(where: test)
        }
        let forAnalyst = trail.filter { !fails($0) { if case .analyst = $0 { true } else { false } } }
        guard !forAnalyst.isEmpty else {
            return PolicyDenial(
                mismatch: .analyst(analyst),
                closestRule: nil,
                message: "no rule on this node lets \(analyst) run queries"
            )
        }
        let forDataset = forAnalyst.filter { !fails($0) { if case .dataset = $0 { true } else { false } } }
        guard !forDataset.isEmpty else {
            return PolicyDenial(
                mismatch: .dataset(dataset),
                closestRule: nil,
                message: "no rule lets \(analyst) query dataset `\(dataset)`"
            )
        }
        let inForce = forDataset.filter { !fails($0) { if case .expired = $0 { true } else { false } } }
        guard !inForce.isEmpty else {
            let latest = forDataset.compactMap { evaluation -> PolicyExpiry? in
                for case .expired(let expiry) in evaluation.mismatches { return expiry }
                return nil
            }.max()!
            return PolicyDenial(
                mismatch: .expired(latest),
                closestRule: nil,
                message: "every rule that lets \(analyst) query dataset `\(dataset)` has expired "
                    + "(the last on \(latest.text))"
            )
        }

        // The first part, in check order, that no rule in force for analyst and dataset
        // allows.
        var parts: [PolicyMismatch] = usage.aggregates.map { .aggregate($0) }
        parts += usage.aggregatedColumns.map { .aggregatedColumn($0) }
        parts += usage.filteredColumns.map { .filteredColumn($0) }
        parts += usage.groupedColumns.map { .groupedColumn($0) }
        parts.append(.aggregationProtocol(request.aggregationProtocol))
        parts.append(.tooFewParties(participants: request.participantCount, required: 0))
        parts.append(.dailyLimitReached(limit: 0, used: 0))
        for part in parts where inForce.allSatisfy({ $0.mismatches.contains(where: { Self.samePart($0, part) }) }) {
            let widest = Self.widest(part, in: inForce)
            return PolicyDenial(
                mismatch: widest,
                closestRule: nil,
                message: Self.noRuleMessage(widest, analyst: analyst, dataset: dataset)
            )
        }

        // Each part is allowed by some rule, but no rule allows every part.
        let closest = inForce.min { $0.mismatches.count < $1.mismatches.count }!
        let first = closest.mismatches[0]
        let others = closest.mismatches.count - 1
        let more = others == 0 ? "" : " (and \(others) other part\(others == 1 ? "" : "s") of the query)"
        return PolicyDenial(
            mismatch: first,
            closestRule: closest.ruleID,
            message: "no single rule allows every part of this query for \(analyst); the closest, rule "
                + "`\(closest.ruleID)`, does not allow it: \(first)\(more)"
        )
    }

    /// Whether two mismatches are about the same part of the request (the numbers a
    /// limit or minimum carries differ from rule to rule).
    private static func samePart(_ a: PolicyMismatch, _ b: PolicyMismatch) -> Bool {
        switch (a, b) {
        case (.tooFewParties, .tooFewParties), (.dailyLimitReached, .dailyLimitReached), (.expired, .expired): true
        default: a == b
        }
    }

    /// The rules' own version of `part` (which carries their numbers): for a minimum no
    /// rule meets, the least demanding rule's; for a daily limit, the first rule's.
    private static func widest(_ part: PolicyMismatch, in evaluations: [RuleEvaluation]) -> PolicyMismatch {
        let versions = evaluations.flatMap(\.mismatches).filter { samePart($0, part) }
        return versions.min { lhs, rhs in
            if case .tooFewParties(_, let a) = lhs, case .tooFewParties(_, let b) = rhs { return a < b }
            return false
        } ?? part
    }

    private static func noRuleMessage(_ part: PolicyMismatch, analyst: String, dataset: String) -> String {
        switch part {
        case .analyst, .dataset, .expired:
            preconditionFailure("analyst, dataset and expiry are decided before the other parts")
        case .aggregate(let function):
            return
                "aggregate `\(function.rawValue)` may not be used by \(analyst) on dataset `\(dataset)` under any rule"
        case .aggregatedColumn(let column):
            return "column `\(column)` may not be aggregated by \(analyst) under any rule"
        case .filteredColumn(let column):
            return "column `\(column)` may not be used in WHERE by \(analyst) under any rule"
        case .groupedColumn(let column):
            return "column `\(column)` may not be grouped by \(analyst) under any rule"
        case .aggregationProtocol(let value):
            return "protocol `\(value)` may not be used by \(analyst) on dataset `\(dataset)` under any rule"
        case .tooFewParties(let participants, let required):
            return "the query has \(participants) participant\(participants == 1 ? "" : "s"), but every rule that "
                + "lets \(analyst) query dataset `\(dataset)` requires at least \(required)"
        case .dailyLimitReached:
            return "\(analyst) has used up today's queries on dataset `\(dataset)` under every rule that allows them; "
                + "try again tomorrow"
        }
    }
}
