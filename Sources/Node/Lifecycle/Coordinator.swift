import BigNum
import Crypto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import PKI
import Paillier
import Query
import Wire
import StateStore
import X509

/// The coordinator side of the query lifecycle: plans an analyst's query, proposes it
/// to every node of the federation (itself included, in-process), collects the masked
/// or encrypted contributions, aggregates them, finalises the result and has every
/// participant record the release — or aborts everywhere, naming the node and step that
/// failed. Drives a `CoordinatorQuery`; this type only does the calls.
final class Coordinator: Sendable {
    let setup: NodeSetup
    let peers: PeerDirectory
    let local: ParticipantEngine
    let logger: Logger

    init(setup: NodeSetup, peers: PeerDirectory, local: ParticipantEngine, logger: Logger) {
        self.setup = setup
        self.peers = peers
        self.local = local
        self.logger = logger
    }

    var name: String { setup.config.name }

    typealias Emit = @Sendable (Fedstat_V1_QueryEvent.OneOf_Event) async throws -> Void

    /// The query's deadline: the analyst's timeout, or the node's RPC timeout, at most an hour.
    func deadline(for request: Fedstat_V1_QueryRequest, from now: Date) -> Date {
        let milliseconds = request.timeoutMs > 0 ? Int(request.timeoutMs) : setup.config.limits.rpcTimeoutSeconds * 1000
        return now.addingTimeInterval(Double(min(milliseconds, 3_600_000)) / 1000)
    }

    /// Plans the SQL for the nodes that hold its dataset (every node unless the catalog
    /// says `held_by`).
    func plan(_ sql: String) throws(QueryError) -> (plan: Plan, participants: [String]) {
        do {
            return try Planner.planForHolders(sql: sql, catalog: setup.catalog, nodes: setup.federation.nodes.map(\.name))
        } catch {
            throw QueryError(.sql, error.description, step: .plan, sqlPosition: error.position)
        }
    }

    // MARK: Submit

    /// Runs the query, emitting progress events and finally the result or the failure.
    /// Returns the query id.
    @discardableResult
    func run(_ request: Fedstat_V1_QueryRequest, analyst: String, queryID: [UInt8] = randomQueryID(), emit: Emit) async throws -> [UInt8] {
        let started = ContinuousClock.now
        var timings = Fedstat_V1_Timings()
        func milliseconds(since start: ContinuousClock.Instant) -> UInt32 {
            let elapsed = ContinuousClock.now - start
            return UInt32(clamping: elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        }

        // Plan.
        let planned: (plan: Plan, participants: [String])
        do {
            planned = try plan(request.sql)
        } catch {
            try await emit(.failure(error.wire))
            return queryID
        }
        let aggregationProtocol: Fedstat_V1_AggregationProtocol = request.protocol == .paillier ? .paillier : .secureSum
        if aggregationProtocol == .paillier && setup.paillierShare == nil {
            try await emit(.failure(QueryError(.unavailable, "this federation has no threshold Paillier key", step: .plan).wire))
            return queryID
        }
        if aggregationProtocol == .paillier, let share = setup.paillierShare, planned.participants.count < share.publicKey.threshold {
            let message = "dataset \(planned.plan.dataset) is held by \(planned.participants.count) of the federation's nodes, fewer than the \(share.publicKey.threshold) partial decryptions threshold Paillier needs (only participants decrypt); run it under secure sum"
            try await emit(.failure(QueryError(.unavailable, message, step: .plan).wire))
            return queryID
        }
        let deadline = deadline(for: request, from: Date())
        var query = CoordinatorQuery(
            queryID: queryID, plan: planned.plan, sql: request.sql, analyst: analyst, participants: planned.participants,
            aggregationProtocol: aggregationProtocol, deadline: deadline)
        timings.planMs = milliseconds(since: started)
        var plannedEvent = Fedstat_V1_Planned()
        plannedEvent.planHash = Data(query.planHash)
        plannedEvent.vectorLength = UInt32(planned.plan.vectorLength)
        plannedEvent.summary = summary(of: planned.plan)
        try await emit(.planned(plannedEvent))
        var proposed = Fedstat_V1_Proposed()
        proposed.participants = planned.participants
        proposed.protocol = aggregationProtocol
        try await emit(.proposed(proposed))

        do {
            // Propose.
            let proposeStart = ContinuousClock.now
            let proposal = query.proposal
            var firstFailure: QueryError?
            for (node, outcome) in await fanOut(
                planned.participants, step: .propose, deadline: deadline,
                local: { engine in try engine.propose(proposal, from: self.name) },
                remote: { client, options in try await client.propose(proposal, options: options) })
            {
                switch outcome {
                case .success(let decision):
                    try query.record(decision: decision, from: node)
                    try await emit(.decision(decision.decision))
                case .failure(let error):
                    firstFailure = firstFailure ?? error
                }
            }
            if let firstFailure { throw firstFailure }
            let minGroupSize = try query.approval()
            timings.proposeMs = milliseconds(since: proposeStart)

            // Contribute.
            let computeStart = ContinuousClock.now
            try await emit(.progress(progress(.contribute)))
            let contributionRequest = query.contributionRequest
            let key = setup.paillierShare?.publicKey
            for (node, outcome) in await fanOut(
                planned.participants, step: .contribute, deadline: deadline,
                local: { engine in try await engine.contribute(contributionRequest, from: self.name) },
                remote: { client, options in try await client.contribute(contributionRequest, options: options) })
            {
                let contribution = try outcome.get()
                var signer: P256.Signing.PublicKey?
                if case .encrypted(let vector) = contribution.payload {
                    signer = await local.validatedSigner(vector.certificate, node: node, now: Date())
                }
                try query.record(contribution: contribution, from: node, key: key?.publicKey, signer: signer)
            }
            timings.computeMs = milliseconds(since: computeStart)

            // Aggregate (and, under Paillier, decrypt).
            let aggregateStart = ContinuousClock.now
            try await emit(.progress(progress(.aggregate)))
            let sums: [UInt128]
            if aggregationProtocol == .secureSum {
                sums = try query.secureSumTotal()
            } else {
                guard let key else { throw QueryError(.unavailable, "no Paillier key", step: .aggregate) }
                let (decryptionRequest, aggregate) = try query.decryptionRequest()
                try await emit(.progress(progress(.decrypt)))
                for (node, outcome) in await fanOut(
                    planned.participants, step: .decrypt, deadline: deadline,
                    local: { engine in try await engine.partialDecrypt(decryptionRequest, from: self.name) },
                    remote: { client, options in try await client.partialDecrypt(decryptionRequest, options: options) })
                {
                    let response = try outcome.get()
                    guard let index = setup.federation.node(named: node)?.paillierIndex else {
                        throw QueryError(.internal, "\(node) has no Paillier share index", node: node, step: .decrypt)
                    }
                    let queryID = query.queryID
                    let verified = try await offPool {
                        CoordinatorQuery.verify(
                            partials: response, from: node, index: index, key: key, aggregate: aggregate, queryID: queryID)
                    }
                    try query.record(verified: verified, from: node)
                }
                sums = try query.combine(key: key, aggregate: aggregate)
            }
            timings.aggregateMs = milliseconds(since: aggregateStart)

            // Finalise.
            let finaliseStart = ContinuousClock.now
            try await emit(.progress(progress(.finalise)))
            let digits = request.digits == 0 ? 15 : Int(min(request.digits, 40))
            let table = Finaliser.finalise(planned.plan, sums: sums, minGroupSize: minGroupSize)
            var result = resultTable(table, plan: planned.plan, digits: digits)
            result.participants = planned.participants
            result.protocol = aggregationProtocol
            result.resultHash = Data(Self.resultHash(result, queryID: queryID, planHash: query.planHash))
            timings.finaliseMs = milliseconds(since: finaliseStart)

            // Release: every participant records what was released before the analyst
            // sees it. A participant that cannot record it fails the query (the result is
            // withheld and every participant records the abort), so no owner's log misses
            // a release.
            try await emit(.progress(progress(.release)))
            var record = Fedstat_V1_ReleaseRecord()
            record.queryID = Data(queryID)
            record.planHash = Data(query.planHash)
            record.resultHash = result.resultHash
            record.participants = planned.participants
            record.protocol = aggregationProtocol
            record.analyst = analyst
            record.releasedAtUnixMs = Int64(Date().timeIntervalSince1970 * 1000)
            let release = record
            for (node, outcome) in await fanOut(
                planned.participants, step: .release, deadline: Date().addingTimeInterval(30),
                local: { engine in try engine.release(release, from: self.name) },
                remote: { client, options in _ = try await client.release(release, options: options) })
            {
                if case .failure(let error) = outcome {
                    logger.warning("a participant did not record the release", metadata: ["node": "\(node)", "error": "\(error)"])
                    throw error
                }
            }
            timings.totalMs = milliseconds(since: started)
            result.timings = timings
            try await emit(.result(result))
        } catch let error as QueryError {
            await abortEverywhere(query, error)
            var failure = error.wire
            if error.code == .denied { failure.decisions = query.orderedDecisions }
            try await emit(.failure(failure))
        }
        return queryID
    }

    /// Tells every participant that the query failed (each records the abort), with a
    /// short deadline of its own.
    private func abortEverywhere(_ query: CoordinatorQuery, _ error: QueryError) async {
        var abort = Fedstat_V1_AbortRequest()
        abort.queryID = Data(query.queryID)
        abort.reason = error.message
        abort.failedNode = error.node ?? ""
        abort.step = error.step?.rawValue ?? ""
        let request = abort
        _ = await fanOut(
            query.participants, step: error.step ?? .propose, deadline: Date().addingTimeInterval(5), waitForReady: false,
            local: { engine in try engine.abort(request, from: self.name) },
            remote: { client, options in _ = try await client.abort(request, options: options) })
        logger.info("query aborted", metadata: ["query": "\(Hex.encode(query.queryID))", "reason": "\(error)"])
    }

    // MARK: Explain

    /// Asks every node whether it would approve the query (a dry run: nothing is
    /// claimed, counted or recorded).
    func explain(_ request: Fedstat_V1_QueryRequest, analyst: String) async throws(QueryError) -> Fedstat_V1_ExplainResponse {
        let (plan, participants) = try plan(request.sql)
        let aggregationProtocol: Fedstat_V1_AggregationProtocol = request.protocol == .paillier ? .paillier : .secureSum
        let query = CoordinatorQuery(
            queryID: Self.randomQueryID(), plan: plan, sql: request.sql, analyst: analyst, participants: participants,
            aggregationProtocol: aggregationProtocol, deadline: deadline(for: request, from: Date()))
        var dryRun = query.proposal
        dryRun.dryRun = true
        let proposal = dryRun
        var decisions: [String: Fedstat_V1_NodeDecision] = [:]
        for (node, outcome) in await fanOut(
            participants, step: .propose, deadline: query.deadline,
            local: { engine in try engine.propose(proposal, from: self.name) },
            remote: { client, options in try await client.propose(proposal, options: options) })
        {
            switch outcome {
            case .success(let decision) where decision.decision.node == node:
                decisions[node] = decision.decision
            case .success:
                decisions[node] = Self.unavailable(node, "answered with another node's decision")
            case .failure(let error):
                decisions[node] = Self.unavailable(node, error.message)
            }
        }
        var response = Fedstat_V1_ExplainResponse()
        response.decisions = participants.compactMap { decisions[$0] }
        response.planHash = Data(query.planHash)
        response.summary = summary(of: plan)
        return response
    }

    private static func unavailable(_ node: String, _ reason: String) -> Fedstat_V1_NodeDecision {
        var decision = Fedstat_V1_NodeDecision()
        decision.node = node
        decision.reason = reason
        return decision
    }

    // MARK: Calls

    /// Calls `nodes` concurrently — this node in-process through `local`, the others over
    /// mutual TLS through `remote` with the time left until `deadline` — and returns
    /// every outcome, in the order they arrive. A refusal, an unreachable node and a
    /// missed deadline all become a `QueryError` naming the node and the step.
    func fanOut<Value: Sendable>(
        _ nodes: [String], step: QueryStep, deadline: Date, waitForReady: Bool = true,
        local: @escaping @Sendable (ParticipantEngine) async throws -> Value,
        remote: @escaping @Sendable (Fedstat_V1_Federation.Client<HTTP2ClientTransport.Posix>, CallOptions) async throws -> Value
    ) async -> [(String, Result<Value, QueryError>)] {
        await withTaskGroup(of: (String, Result<Value, QueryError>).self) { group in
            for node in nodes {
                group.addTask {
                    (node, await self.call(node, step: step, deadline: deadline, waitForReady: waitForReady, local: local, remote: remote))
                }
            }
            var outcomes: [(String, Result<Value, QueryError>)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    private func call<Value: Sendable>(
        _ node: String, step: QueryStep, deadline: Date, waitForReady: Bool,
        local: @Sendable (ParticipantEngine) async throws -> Value,
        remote: @Sendable (Fedstat_V1_Federation.Client<HTTP2ClientTransport.Posix>, CallOptions) async throws -> Value
    ) async -> Result<Value, QueryError> {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else {
            return .failure(QueryError(.timeout, "the query's deadline passed before \(node) was asked", node: node, step: step))
        }
        do {
            if node == name {
                return .success(try await local(self.local))
            }
            guard let client = peers.client(of: node) else {
                return .failure(QueryError(.internal, "\(node) is not a peer of this node", node: node, step: step))
            }
            // A peer whose certificate this node refuses (another CA, expired, another
            // name) will not become reachable by waiting: fail now, saying why.
            if step == .propose, let refusal = peers.certificateRefusal(of: node) {
                return .failure(QueryError(.nodeFailed, "\(node) cannot take part: its certificate was refused: \(refusal)", node: node, step: step))
            }
            var options = CallOptions.defaults
            options.timeout = .milliseconds(Int64(remaining * 1000) + 1)
            // Wait for a connection until the deadline: a peer that has just started (or
            // restarted) is reached as soon as the connection's backoff lets it; a node
            // that stays down fails the query at the deadline, named with its last
            // health-check error. (Aborts are best effort and do not wait.)
            options.waitForReady = waitForReady
            return .success(try await remote(Fedstat_V1_Federation.Client(wrapping: client), options))
        } catch let refusal as Refusal {
            return .failure(QueryError(Self.code(refusal.code), "\(node) refused: \(refusal.message)", node: node, step: step))
        } catch let error as RPCError {
            switch error.code {
            case .deadlineExceeded:
                let health = peers.status.first { $0.name == node }.flatMap { $0.reachable ? nil : $0.error }
                let detail = health.map { " (its last health check: \($0))" } ?? ""
                return .failure(
                    QueryError(.timeout, "\(node) did not answer within the query's deadline\(detail)", node: node, step: step))
            case .unavailable:
                return .failure(QueryError(.nodeFailed, "\(node) is unreachable: \(error.message)", node: node, step: step))
            default:
                return .failure(QueryError(Self.code(error.code), "\(node) refused: \(error.message)", node: node, step: step))
            }
        } catch {
            return .failure(QueryError(.nodeFailed, "\(node) failed: \(error)", node: node, step: step))
        }
    }

    private static func code(_ code: RPCError.Code) -> QueryError.Code {
        switch code {
        case .alreadyExists: .replay
        case .invalidArgument, .permissionDenied: .malformed
        case .deadlineExceeded: .timeout
        default: .nodeFailed
        }
    }

    // MARK: Results

    static func randomQueryID() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    private func progress(_ step: QueryStep) -> Fedstat_V1_Progress {
        var progress = Fedstat_V1_Progress()
        progress.step = step.rawValue
        return progress
    }

    func summary(of plan: Plan) -> String {
        "dataset \(plan.dataset): \(plan.groupCount) group cell\(plan.groupCount == 1 ? "" : "s") × \(plan.terms.count) sum\(plan.terms.count == 1 ? "" : "s") = \(plan.vectorLength) value\(plan.vectorLength == 1 ? "" : "s") per node"
    }

    /// The result as the analyst receives it: every value as exact decimal text (rounded
    /// once, to `digits` significant digits, where it does not terminate).
    func resultTable(_ table: ResultTable, plan: Plan, digits: Int) -> Fedstat_V1_ResultTable {
        var types: [String] = []
        for output in plan.outputs {
            switch output.kind {
            case .group(let index):
                let key = plan.groups[index]
                if case .widthBucket = key.kind {
                    types.append("bucket")
                } else {
                    types.append(plan.columns[key.column].type == .boolean ? "boolean" : "category")
                }
            case .aggregate(.linreg, let arguments, _):
                let columns = 2 * arguments.count + 2
                types += Array(repeating: "decimal", count: columns)
            case .aggregate:
                types.append("decimal")
            }
        }
        var result = Fedstat_V1_ResultTable()
        result.columns = table.headings.enumerated().map { index, heading in
            var column = Fedstat_V1_ResultColumn()
            column.name = heading
            column.type = index < types.count ? types[index] : "decimal"
            return column
        }
        result.rows = table.rows.map { row in
            var out = Fedstat_V1_ResultRow()
            out.cells = row.map { value in
                var cell = Fedstat_V1_ResultCell()
                switch value {
                case .null: cell.value = .null(true)
                case .suppressed: cell.value = .suppressed(true)
                case .label(let text): cell.value = .text(text)
                case .exact, .squareRoot: cell.value = .decimal(value.text(significantDigits: digits))
                }
                return cell
            }
            return out
        }
        return result
    }

    /// SHA-256 of the released table (Protocols/query-lifecycle.md §4): the query id and
    /// plan hash in hex, then one line of tab-separated headings and one per row, each
    /// cell as shown (`NULL`, `suppressed`, a label or a decimal).
    static func resultHash(_ table: Fedstat_V1_ResultTable, queryID: [UInt8], planHash: [UInt8]) -> [UInt8] {
        // Hashed line by line (the same bytes as the lines joined, each ending in "\n"):
        // a result can have 10,000 rows and more.
        var hash = SHA256()
        func line(_ text: String) {
            hash.update(data: Array(text.utf8))
            hash.update(data: [UInt8(ascii: "\n")])
        }
        line("fedstat-result/v1")
        line(Hex.encode(queryID))
        line(Hex.encode(planHash))
        line(table.columns.map(\.name).joined(separator: "\t"))
        for row in table.rows {
            line(row.cells.map(\.shownText).joined(separator: "\t"))
        }
        return Array(hash.finalize())
    }
}

extension Fedstat_V1_ResultCell {
    /// The cell as shown: its decimal or label text, `NULL`, or `suppressed` (empty if
    /// the cell has no value).
    public var shownText: String {
        switch value {
        case .decimal(let text), .text(let text): text
        case .null: "NULL"
        case .suppressed: "suppressed"
        case nil: ""
        }
    }
}
