/// A named set of analysts that rules refer to as `group:<name>`.
public struct PolicyGroup: Sendable, Hashable {
    /// DNS-label-like (see ``PolicySubject/isLabel(_:)``); unique among the node's files.
    public var name: String
    /// Analyst SPIFFE ids, compared exactly. Groups do not nest.
    public var members: [String]
    /// Where the group was written.
    public var origin: PolicyOrigin

    public init(name: String, members: [String], origin: PolicyOrigin = PolicyOrigin()) {
        self.name = name
        self.members = members
        self.origin = origin
    }
}

/// A node's whole policy: its rules in evaluation order and its groups.
///
/// Built from the node's policy files (`PolicyFiles.load(directory:)` in `Config`): files
/// sorted by name, rules in the order each file lists them. The order decides which rule
/// approves a query several rules would allow: the first one (see ``evaluate(_:)``).
/// With no rules every query is denied.
public struct PolicySet: Sendable, Hashable {
    /// The rules in evaluation order. Rule ids are unique.
    public var rules: [PolicyRule]
    /// The groups, in file order. Group names are unique.
    public var groups: [PolicyGroup]

    public init(rules: [PolicyRule] = [], groups: [PolicyGroup] = []) {
        self.rules = rules
        self.groups = groups
    }

    /// Every group's members by group name.
    public var groupMembers: [String: [String]] {
        Dictionary(groups.map { ($0.name, $0.members) }, uniquingKeysWith: { first, _ in first })
    }

    /// The analyst ids a rule applies to, its groups expanded (an undefined group adds
    /// nobody).
    public func principals(of rule: PolicyRule) -> Set<String> {
        let members = groupMembers
        var principals: Set<String> = []
        for subject in rule.who {
            switch subject {
            case .analyst(let id): principals.insert(id)
            case .group(let name): principals.formUnion(members[name] ?? [])
            }
        }
        return principals
    }
}
