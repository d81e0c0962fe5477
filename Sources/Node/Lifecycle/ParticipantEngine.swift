import BigNum
import Config
import Crypto
import DataSources
import Foundation
import GRPCCore
import Logging
import PKI
import Paillier
import Policy
import Query
import SecureSum
import StateStore
import Synchronization
import Wire
import X509

/// The participant side of the query lifecycle at one node: it answers the
/// coordinator's proposal, contribution, decryption, release and abort requests,
/// driving a `ParticipantQuery` per query and doing the I/O (state store, audit log,
/// data sources, encryption). The `Federation` service calls it for remote
/// coordinators; a coordinating node calls it directly for its own part.
final class ParticipantEngine: Sendable {
    let setup: NodeSetup
    let store: StateStore
    private let logger: Logger
    private let queries = Mutex<[[UInt8]: ParticipantQuery]>([:])
    private let signingKey: P256.Signing.PrivateKey
    private let certificateDER: [UInt8]
    private let encryptor: Encryptor?
    /// Benchmark baseline only (`fedbench e2e --protocol plaintext`): send secure-sum
    /// vectors without masks. Reachable only from inside the package, never from
    /// configuration or the command line.
    private let unmaskedBaseline: Bool

    init(setup: NodeSetup, store: StateStore, logger: Logger, unmaskedBaseline: Bool = false) throws {
        self.unmaskedBaseline = unmaskedBaseline
        self.setup = setup
        self.store = store
        self.logger = logger
        signingKey = try PEM.privateKey(from: setup.identity.privateKeyPEM)
        certificateDER = try PEM.der(PEM.certificate(from: setup.identity.certificatePEM))
        encryptor = setup.paillierShare.map { Encryptor(publicKey: $0.publicKey.publicKey) }
    }

    var name: String { setup.config.name }

    // MARK: Propose

    func propose(_ proposal: Fedstat_V1_Proposal, from coordinator: String, now: Date = Date()) throws(Refusal) -> Fedstat_V1_Decision {
        let members = setup.federation.nodes.map(\.name)
        let checked = try ParticipantQuery.check(proposal, ownName: name, members: members, catalog: setup.catalog, now: now)
        let queryID = Array(proposal.queryID)
        let day = UTCTime.day(now)
        let store = self.store
        let request = PolicyRequest(
            plan: checked.plan, analyst: proposal.analyst, participants: proposal.participants,
            aggregationProtocol: checked.aggregationProtocol, now: now,
            queriesToday: { rule in (try? store.queriesToday(rule: rule, day: day)) ?? Int.max })
        let decision = setup.policies.evaluate(request)
        var localDenial: String?
        if !setup.sources.contains(where: { $0.dataset == checked.plan.dataset }) {
            localDenial = "this node holds no data for dataset \(checked.plan.dataset)"
        } else if checked.aggregationProtocol == .paillier && setup.paillierShare == nil {
            localDenial = "this node has no share of a Paillier key"
        }

        if proposal.dryRun {
            return answer(proposal, decision: decision, localDenial: localDenial)
        }

        // Replay protection first: a query id is claimed (persistently) before anything
        // else is recorded or computed, so the same masks are never used twice.
        do {
            try store.claimQueryID(queryID, at: now)
        } catch {
            if error.code == .replayedQueryID {
                throw Refusal(.alreadyExists, "query id \(Hex.encode(queryID)) was already seen: refusing the replayed proposal")
            }
            throw Refusal(.unavailable, "this node's state store failed: \(error.message)")
        }
        try audit(
            .proposal(
                queryID: queryID, planHash: checked.planHash, analyst: proposal.analyst, coordinator: coordinator,
                participants: proposal.participants, protocol: checked.aggregationProtocol.rawValue, dataset: checked.plan.dataset),
            at: now)

        // The daily limit is claimed atomically with the count, so two concurrent
        // proposals cannot both take the last query of the day.
        if localDenial == nil, case .approve(let rule, let requirements) = decision.verdict, let limit = requirements.maxQueriesPerDay {
            do {
                try store.claimDailyQuery(rule: rule, day: day, limit: limit)
            } catch {
                localDenial =
                    error.code == .dailyLimitReached
                    ? "rule \(rule) allows \(limit) queries a day and today's are used up" : "this node's state store failed"
            }
        }
        let answer = answer(proposal, decision: decision, localDenial: localDenial)
        let node = answer.decision
        if node.approved, case .approve(let rule, let requirements) = decision.verdict {
            try audit(
                .approval(
                    queryID: queryID, rule: rule,
                    requirements: [
                        "min_group_size": .integer(Int64(requirements.minGroupSize)),
                        "min_parties": .integer(Int64(requirements.minParties)),
                    ],
                    purpose: requirements.purpose),
                at: now)
        } else {
            try audit(.denial(queryID: queryID, reason: node.reason, rule: node.ruleID.isEmpty ? nil : node.ruleID), at: now)
        }
        let query = ParticipantQuery(
            queryID: queryID, plan: checked.plan, planHash: checked.planHash, coordinator: coordinator, analyst: proposal.analyst,
            participants: proposal.participants, aggregationProtocol: checked.aggregationProtocol, deadline: checked.deadline,
            minParties: Int(node.minParties), approved: node.approved)
        queries.withLock { table in
            // Forget queries long past their deadline (their coordinator never ended them).
            table = table.filter { $0.value.deadline.addingTimeInterval(600) > now }
            table[queryID] = query
        }
        return answer
    }

    private func answer(_ proposal: Fedstat_V1_Proposal, decision: PolicyDecision, localDenial: String?) -> Fedstat_V1_Decision {
        var node = Fedstat_V1_NodeDecision()
        node.node = name
        switch decision.verdict {
        case .approve(let rule, let requirements):
            node.ruleID = rule
            if let localDenial {
                node.reason = localDenial
            } else {
                node.approved = true
                node.minGroupSize = UInt32(clamping: requirements.minGroupSize)
                node.minParties = UInt32(clamping: requirements.minParties)
            }
        case .deny(let denial):
            node.ruleID = denial.closestRule ?? ""
            node.reason = localDenial ?? denial.message
        }
        var answer = Fedstat_V1_Decision()
        answer.queryID = proposal.queryID
        answer.planHash = proposal.planHash
        answer.decision = node
        return answer
    }

    // MARK: Contribute

    func contribute(_ request: Fedstat_V1_ContributionRequest, from caller: String, now: Date = Date()) async throws(Refusal) -> Fedstat_V1_Contribution {
        let queryID = Array(request.queryID)
        let query: ParticipantQuery = try queries.withLock { table throws(Refusal) in
            guard var query = table[queryID] else { throw Refusal(.notFound, "unknown query id") }
            try query.beginContribution(from: caller, planHash: request.planHash, now: now)
            table[queryID] = query
            return query
        }
        let sums = try await computeSums(query)
        var contribution = Fedstat_V1_Contribution()
        contribution.queryID = request.queryID
        contribution.planHash = request.planHash
        contribution.node = name
        switch query.aggregationProtocol {
        case .secureSum:
            let peers = query.participants.filter { $0 != name }.compactMap { peer in
                setup.federation.node(named: peer).map { (name: peer, publicKey: $0.maskingKey) }
            }
            var mask = [UInt128](repeating: 0, count: sums.count)
            do {
                if !unmaskedBaseline {
                    mask = try PairwiseMasks.mask(
                    ownName: name, ownKey: setup.maskingKey, peers: peers, queryID: queryID, planHash: query.planHash,
                    count: sums.count)
                }
            } catch {
                throw Refusal(.failedPrecondition, "cannot derive the masks: \(error.message)")
            }
            var vector = Fedstat_V1_MaskedVector()
            vector.values = Data(ContributionCodec.encode(zip(sums, mask).map { $0 &+ $1 }))
            contribution.payload = .masked(vector)
        case .paillier:
            guard let encryptor else { throw Refusal(.failedPrecondition, "this node has no Paillier key") }
            let encrypted: [[UInt8]]
            do {
                encrypted = try await offPool {
                    let layout = try Lifecycle.layout(for: query.plan, key: encryptor.publicKey)
                    let values = sums.map { BigInt(Int128(bitPattern: $0)) }
                    return try encryptor.encrypt(vector: values, layout: layout).ciphertexts.map { $0.serialized() }
                }
            } catch {
                logger.error("encrypting a contribution failed", metadata: ["error": "\(error)"])
                throw Refusal(.internalError, "encrypting the contribution failed")
            }
            let digest = ContributionCodec.digest(count: sums.count, ciphertexts: encrypted)
            var vector = Fedstat_V1_EncryptedVector()
            vector.ciphertexts = encrypted.map { Data($0) }
            vector.count = UInt32(sums.count)
            do {
                vector.signature = Data(
                    try ContributionCodec.sign(queryID: queryID, planHash: query.planHash, node: name, digest: digest, key: signingKey))
            } catch {
                throw Refusal(.internalError, "signing the contribution failed")
            }
            vector.certificate = Data(certificateDER)
            contribution.payload = .encrypted(vector)
            queries.withLock { table in table[queryID]?.contributed(digest: digest) }
        }
        return contribution
    }

    /// Runs the plan over this node's rows, on a thread of its own (a scan of a million
    /// rows must not hold a thread of Swift's cooperative pool).
    private func computeSums(_ query: ParticipantQuery) async throws(Refusal) -> [UInt128] {
        let plan = query.plan
        guard let source = setup.sources.first(where: { $0.dataset == plan.dataset }),
            let dataset = setup.catalog.dataset(named: plan.dataset)
        else {
            throw Refusal(.failedPrecondition, "this node holds no data for dataset \(plan.dataset)")
        }
        do {
            return try await offPool {
                var rows = try openSource(source, dataset: dataset, columns: plan.columns.map(\.name))
                return try LocalAggregation.run(plan, over: &rows)
            }
        } catch {
            // The details (file, line, column) stay in this node's log: a data error can
            // quote a cell, and a cell must not leave the node.
            logger.error("reading a dataset failed", metadata: ["dataset": "\(plan.dataset)", "error": "\(error)"])
            throw Refusal(.failedPrecondition, "reading dataset \(plan.dataset) failed on this node; its operator can see why in the node's log")
        }
    }

    // MARK: Decrypt

    func partialDecrypt(
        _ request: Fedstat_V1_PartialDecryptionRequest, from caller: String, now: Date = Date()
    ) async throws(Refusal) -> Fedstat_V1_PartialDecryptionResponse {
        guard let share = setup.paillierShare else { throw Refusal(.failedPrecondition, "this node has no Paillier key share") }
        let queryID = Array(request.queryID)
        // The signers' certificates must be node certificates of this federation, each
        // for the node the contribution names.
        var signerKeys: [String: P256.Signing.PublicKey] = [:]
        for contribution in request.contributions {
            guard case .encrypted(let vector) = contribution.payload,
                let key = await validatedSigner(vector.certificate, node: contribution.node, now: now)
            else { continue }
            signerKeys[contribution.node] = key
        }
        let aggregate: [Ciphertext] = try queries.withLock { table throws(Refusal) in
            guard var query = table[queryID] else { throw Refusal(.notFound, "unknown query id") }
            let aggregate = try query.checkDecryption(
                request, from: caller, ownName: name, signerKeys: signerKeys, key: share.publicKey.publicKey, now: now)
            table[queryID] = query
            return aggregate
        }
        do {
            let partials = try await offPool {
                try aggregate.map { try share.partialDecrypt($0, queryID: queryID).serialized(for: share.publicKey) }
            }
            var response = Fedstat_V1_PartialDecryptionResponse()
            response.queryID = request.queryID
            response.partialDecryptions = partials.map { Data($0) }
            return response
        } catch {
            throw Refusal(.internalError, "partial decryption failed")
        }
    }

    /// The public key of a node certificate, if it is `node`'s, issued by the
    /// federation's CA and valid now.
    func validatedSigner(_ der: Data, node: String, now: Date) async -> P256.Signing.PublicKey? {
        guard let certificate = try? Certificate(derEncoded: Array(der)),
            (try? await setup.identity.trust.validate(
                chain: [certificate], presentedAs: .server, at: now, expectedRole: .node, expectedName: node)) != nil
        else { return nil }
        return P256.Signing.PublicKey(certificate.publicKey)
    }

    // MARK: Release and abort

    func release(_ record: Fedstat_V1_ReleaseRecord, from caller: String, now: Date = Date()) throws(Refusal) {
        let queryID = Array(record.queryID)
        let query: ParticipantQuery = try queries.withLock { table throws(Refusal) in
            guard let query = table[queryID] else { throw Refusal(.notFound, "unknown query id") }
            guard caller == query.coordinator else {
                throw Refusal(.permissionDenied, "only the query's coordinator (\(query.coordinator)) may release it")
            }
            guard Array(record.planHash) == query.planHash else {
                throw Refusal(.invalidArgument, "the plan hash is not the one this query was proposed with")
            }
            guard query.phase != .released else {
                throw Refusal(.failedPrecondition, "this node has already recorded the query's release")
            }
            guard query.phase == .contributed || query.phase == .decrypted else {
                throw Refusal(.failedPrecondition, "this node has not contributed to the query")
            }
            guard record.resultHash.count == 32 else { throw Refusal(.invalidArgument, "a result hash has 32 bytes") }
            // Kept, not forgotten: if another participant cannot record the release, the
            // coordinator withholds the result and its abort must reach this log too.
            table[queryID]?.markReleased()
            return query
        }
        try audit(.release(queryID: query.queryID, resultHash: Array(record.resultHash), participants: record.participants), at: now)
    }

    func abort(_ request: Fedstat_V1_AbortRequest, from caller: String, now: Date = Date()) throws(Refusal) {
        let queryID = Array(request.queryID)
        let released = try queries.withLock { table throws(Refusal) in
            guard let query = table[queryID] else { throw Refusal(.notFound, "unknown query id") }
            guard caller == query.coordinator else {
                throw Refusal(.permissionDenied, "only the query's coordinator (\(query.coordinator)) may abort it")
            }
            table[queryID] = nil
            return query.phase == .released
        }
        var reason = (released ? "result withheld after its release was recorded: " : "") + String(request.reason.prefix(1000))
        if !request.failedNode.isEmpty { reason += " (node \(request.failedNode), step \(request.step))" }
        try audit(.abort(queryID: queryID, reason: reason, by: caller), at: now)
    }

    /// The phase of a query, for tests.
    func phase(of queryID: [UInt8]) -> ParticipantQuery.Phase? {
        queries.withLock { $0[queryID]?.phase }
    }

    private func audit(_ record: AuditRecord, at date: Date) throws(Refusal) {
        do {
            _ = try store.append(record, at: date)
        } catch {
            logger.error("appending to the audit log failed", metadata: ["error": "\(error)"])
            throw Refusal(.unavailable, "this node cannot append to its audit log")
        }
    }
}

/// Runs `body` on a thread outside Swift's cooperative pool and returns its result.
func offPool<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Swift.Result { try body() })
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
