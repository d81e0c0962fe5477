import GRPCCore
import Query
import Wire

/// A step of the query lifecycle (DESIGN.md, "Query lifecycle"): what a failure names
/// together with the node.
public enum QueryStep: String, Sendable, Hashable, CaseIterable {
    case plan, propose, contribute, aggregate, decrypt, finalise, release
}

/// Why a query failed, naming the node and the step where there is one.
///
/// Messages never contain a plaintext, a share, a mask, a key or a contribution: only
/// names, counts, lengths and hashes.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The SQL does not parse or plan (with its position).
        case sql
        /// At least one node denied the proposal.
        case denied
        /// A node could not be reached or failed a step.
        case nodeFailed = "node_failed"
        /// A node sent something malformed or inconsistent (wrong length, out-of-range
        /// ciphertext, bad signature, bad proof, another query's id).
        case malformed
        /// The secure sum lies outside the bounds the plan proves: a masking key does not
        /// match (or a node sent a wrong vector).
        case maskMismatch = "mask_mismatch"
        /// A deadline passed.
        case timeout
        /// The query id was seen before.
        case replay
        /// This node cannot run the query (e.g. no Paillier key).
        case unavailable
        /// A bug: a check that should never fail did.
        case `internal`
    }

    public var code: Code
    public var message: String
    /// The node that failed, if one did.
    public var node: String?
    public var step: QueryStep?
    /// Where in the SQL text, for an SQL error.
    public var sqlPosition: SQLPosition?

    public init(_ code: Code, _ message: String, node: String? = nil, step: QueryStep? = nil, sqlPosition: SQLPosition? = nil) {
        self.code = code
        self.message = message
        self.node = node
        self.step = step
        self.sqlPosition = sqlPosition
    }

    public var description: String {
        var parts: [String] = []
        if let node { parts.append("node \(node)") }
        if let step { parts.append("step \(step.rawValue)") }
        return parts.isEmpty ? message : "\(message) (\(parts.joined(separator: ", ")))"
    }

    /// The failure as the analyst receives it.
    var wire: Fedstat_V1_QueryFailure {
        var failure = Fedstat_V1_QueryFailure()
        failure.code = code.rawValue
        failure.message = message
        failure.node = node ?? ""
        failure.step = step?.rawValue ?? ""
        if let sqlPosition {
            failure.sqlLine = UInt32(sqlPosition.line)
            failure.sqlColumn = UInt32(sqlPosition.column)
        }
        return failure
    }
}

/// Why a participant refuses a request of the coordinator: sent back as a gRPC error
/// (the coordinator names this node and the step in the query's failure).
struct Refusal: Error, Sendable, CustomStringConvertible {
    var code: RPCError.Code
    var message: String

    init(_ code: RPCError.Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
    var rpcError: RPCError { RPCError(code: code, message: message) }
}
