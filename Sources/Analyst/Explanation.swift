import Foundation
import Wire

/// What `fedquery` says about a query and the federation, as text a person can act on.
public enum Explanation {
    /// One line of progress for an event (nil for events that are not progress).
    public static func progress(_ event: Fedstat_V1_QueryEvent.OneOf_Event) -> String? {
        switch event {
        case .planned(let planned):
            return "planned: \(planned.summary) (\(planned.vectorLength) sums per node)"
        case .proposed(let proposed):
            return "proposed to \(proposed.participants.joined(separator: ", ")) (\(ResultView.name(of: proposed.protocol)))"
        case .decision(let decision):
            return decisionLine(decision)
        case .progress(let progress):
            return progress.node.isEmpty ? "\(progress.step)…" : "\(progress.step): \(progress.node)"
        case .result, .failure:
            return nil
        }
    }

    /// `north approved (rule r, min_group_size 10)` or `south denied: reason (closest rule r)`.
    public static func decisionLine(_ decision: Fedstat_V1_NodeDecision) -> String {
        if decision.approved {
            var requirements = ["rule \(decision.ruleID)"]
            if decision.minGroupSize > 1 { requirements.append("min_group_size \(decision.minGroupSize)") }
            if decision.minParties > 0 { requirements.append("min_parties \(decision.minParties)") }
            return "\(decision.node) approves (\(requirements.joined(separator: ", ")))"
        }
        let rule = decision.ruleID.isEmpty ? "" : " (closest rule: \(decision.ruleID))"
        return "\(decision.node) denies: \(decision.reason)\(rule)"
    }

    /// A failed query: what failed, where, and for an SQL error the query with a caret
    /// under the position; for a denial every node's decision.
    public static func failure(_ failure: Fedstat_V1_QueryFailure, sql: String) -> String {
        var lines: [String] = []
        switch failure.code {
        case "sql":
            if failure.sqlLine > 0 {
                // The message may already start with the position; say it once.
                let position = "line \(failure.sqlLine), column \(failure.sqlColumn)"
                var message = failure.message
                if message.hasPrefix(position + ": ") { message.removeFirst(position.count + 2) }
                lines.append("SQL error at \(position): \(message)")
                lines += caret(sql: sql, line: Int(failure.sqlLine), column: Int(failure.sqlColumn))
            } else {
                lines.append("SQL error: \(failure.message)")
            }
        case "denied" where !failure.decisions.isEmpty:
            lines.append("the query was denied; each node's decision:")
            lines += failure.decisions.map { "  " + decisionLine($0) }
        case "denied":
            lines.append("the query was denied: \(failure.message)")
        default:
            var place: [String] = []
            if !failure.node.isEmpty { place.append("node \(failure.node)") }
            if !failure.step.isEmpty { place.append("step \(failure.step)") }
            let at = place.isEmpty ? "" : " (\(place.joined(separator: ", ")))"
            lines.append("the query failed\(at): \(failure.code): \(failure.message)")
        }
        return lines.joined(separator: "\n")
    }

    /// `message` followed by the SQL with a caret under the first `line L, column C` the
    /// message names (the message alone if it names none).
    public static func withCaret(_ message: String, sql: String) -> String {
        guard let match = message.firstMatch(of: /line (\d+), column (\d+)/), let line = Int(match.1), let column = Int(match.2)
        else { return message }
        return ([message] + caret(sql: sql, line: line, column: column)).joined(separator: "\n")
    }

    /// The SQL line at `line` (1-based) and a caret under `column` (1-based, in
    /// characters), indented by two spaces.
    static func caret(sql: String, line: Int, column: Int) -> [String] {
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count else { return [] }
        let text = String(lines[line - 1])
        // Tabs stay tabs under the caret so that it lines up in any terminal.
        let lead = text.prefix(max(column - 1, 0)).map { $0 == "\t" ? "\t" : " " }.joined()
        return ["  " + text, "  " + lead + "^"]
    }

    /// `fedquery datasets`: name, columns, the row bound per node, who holds it, the
    /// description.
    public static func datasets(_ catalog: Fedstat_V1_CatalogResponse) -> String {
        var out = ""
        for dataset in catalog.datasets {
            out += "\(dataset.name)  (\(dataset.columns.count) columns, up to \(dataset.maxRowsPerNode) rows per node"
            out += dataset.heldBy.isEmpty ? ")" : "; held by \(dataset.heldBy.joined(separator: ", ")))"
            if !dataset.description_p.isEmpty { out += "  \(dataset.description_p)" }
            out += "\n"
        }
        return out
    }

    /// `fedquery describe`: every column with its type, bounds or values, and nullability.
    public static func describe(_ dataset: Fedstat_V1_Dataset) -> String {
        var out = "\(dataset.name): up to \(dataset.maxRowsPerNode) rows per node\n"
        if !dataset.heldBy.isEmpty { out += "held by \(dataset.heldBy.joined(separator: ", ")) (the participants of every query)\n" }
        if !dataset.description_p.isEmpty { out += dataset.description_p + "\n" }
        let width = dataset.columns.map(\.name.count).max() ?? 0
        for column in dataset.columns {
            var type = column.type
            switch column.type {
            case "integer": type += " \(column.min)…\(column.max)"
            case "decimal": type += "(\(column.scale)) \(column.min)…\(column.max)"
            case "category": type += " {\(column.values.joined(separator: ", "))}"
            default: break
            }
            let name = column.name + String(repeating: " ", count: width - column.name.count)
            out += "  \(name)  \(type)\(column.nullable ? ", nullable" : "")\n"
        }
        return out
    }

    /// `fedquery status`: the coordinator and every node, reachable or why not.
    public static func status(_ status: Fedstat_V1_FederationStatus) -> String {
        var out = "federation \(status.federation), coordinator \(status.coordinator)\n"
        let width = status.nodes.map(\.name.count).max() ?? 0
        for node in status.nodes {
            let name = node.name + String(repeating: " ", count: width - node.name.count)
            out += "  \(name)  \(node.address)  " + (node.reachable ? "reachable" : "unreachable: \(node.error)") + "\n"
        }
        return out
    }

    /// `fedquery explain`: the plan and each node's would-approve or would-deny.
    public static func explain(_ response: Fedstat_V1_ExplainResponse) -> String {
        var out = "plan: \(response.summary)\n"
        for decision in response.decisions { out += "  " + decisionLine(decision) + "\n" }
        return out
    }
}
