import BigNum
import Crypto
import Foundation
import Paillier
import Policy
import Query
import Synchronization
import Wire

/// One query as its coordinator runs it: a pure state machine (no I/O). `Coordinator`
/// drives it from the `Analyst` service and does the calls.
///
/// proposing → contributing → (Paillier: decrypting) → finalised, or failed from any step.
/// Every message of a participant is checked here before it counts: the query id, the
/// plan hash, the node it claims to come from (which must be the node that answered the
/// call), the vector's length and range, signatures and decryption proofs. A failure
/// names the node and the step.
struct CoordinatorQuery: Sendable {
    enum Phase: String, Sendable, Equatable {
        case proposing, contributing, decrypting, finalised, failed
    }

    let queryID: [UInt8]
    let plan: Plan
    /// The plan's canonical encoding, computed once: the proposal carries it and the
    /// plan hash is its SHA-256.
    let planEncoding: [UInt8]
    let planHash: [UInt8]
    let sql: String
    let analyst: String
    let participants: [String]
    let aggregationProtocol: Fedstat_V1_AggregationProtocol
    let deadline: Date
    private(set) var phase: Phase = .proposing
    private(set) var decisions: [String: Fedstat_V1_NodeDecision] = [:]
    private var masked: [String: [UInt128]] = [:]
    private var encrypted: [String: (contribution: Fedstat_V1_Contribution, ciphertexts: [Ciphertext])] = [:]
    private var partials: [String: [VerifiedPartialDecryption]] = [:]

    init(
        queryID: [UInt8], plan: Plan, sql: String, analyst: String, participants: [String],
        aggregationProtocol: Fedstat_V1_AggregationProtocol, deadline: Date
    ) {
        self.queryID = queryID
        self.plan = plan
        (planEncoding, planHash) = plan.encodingAndHash
        self.sql = sql
        self.analyst = analyst
        self.participants = participants
        self.aggregationProtocol = aggregationProtocol
        self.deadline = deadline
    }

    /// The proposal every participant receives.
    var proposal: Fedstat_V1_Proposal {
        var proposal = Fedstat_V1_Proposal()
        proposal.queryID = Data(queryID)
        proposal.plan = Data(planEncoding)
        proposal.planHash = Data(planHash)
        proposal.analyst = analyst
        proposal.participants = participants
        proposal.protocol = aggregationProtocol
        proposal.deadlineUnixMs = Int64((deadline.timeIntervalSince1970 * 1000).rounded(.down))
        proposal.sql = sql
        return proposal
    }

    var contributionRequest: Fedstat_V1_ContributionRequest {
        var request = Fedstat_V1_ContributionRequest()
        request.queryID = Data(queryID)
        request.planHash = Data(planHash)
        return request
    }

    mutating func fail(_ error: QueryError) -> QueryError {
        phase = .failed
        return error
    }

    /// The query id a node answered for must be this query's.
    static func checkQueryID(_ received: Data, is expected: [UInt8], from node: String, step: QueryStep) throws(QueryError) {
        guard Array(received) == expected else {
            throw QueryError(.malformed, "\(node) answered for another query id", node: node, step: step)
        }
    }

    private func checkIDs(_ queryID: Data, _ planHash: Data?, from node: String, step: QueryStep) throws(QueryError) {
        try Self.checkQueryID(queryID, is: self.queryID, from: node, step: step)
        if let planHash, Array(planHash) != self.planHash {
            throw QueryError(.malformed, "\(node) answered for another plan", node: node, step: step)
        }
    }

    // MARK: Propose

    /// Records the decision of `node` (the node that answered the call).
    mutating func record(decision: Fedstat_V1_Decision, from node: String) throws(QueryError) {
        guard phase == .proposing, participants.contains(node), decisions[node] == nil else {
            throw fail(QueryError(.internal, "unexpected decision of \(node)", node: node, step: .propose))
        }
        do {
            try checkIDs(decision.queryID, decision.planHash, from: node, step: .propose)
        } catch { throw fail(error) }
        guard decision.decision.node == node else {
            throw fail(QueryError(.malformed, "\(node) answered with the decision of \(decision.decision.node)", node: node, step: .propose))
        }
        decisions[node] = decision.decision
    }

    /// Every participant's decision, in participant order (for a denial and for explain).
    var orderedDecisions: [Fedstat_V1_NodeDecision] { participants.compactMap { decisions[$0] } }

    /// After every decision: the smallest group size any participant demands, or the
    /// denial listing every node's reason.
    mutating func approval() throws(QueryError) -> Int {
        guard decisions.count == participants.count else {
            throw fail(QueryError(.internal, "not every participant has decided", step: .propose))
        }
        let denials = orderedDecisions.filter { !$0.approved }
        guard denials.isEmpty else {
            let reasons = denials.map { "\($0.node): \($0.reason)" }.joined(separator: "; ")
            throw fail(QueryError(.denied, "denied by \(denials.map(\.node).joined(separator: ", ")) — \(reasons)", step: .propose))
        }
        phase = .contributing
        return decisions.values.map { Int($0.minGroupSize) }.max() ?? 0
    }

    // MARK: Contribute

    /// Records the contribution of `node`, checking it against the plan (and, under
    /// Paillier, its signature with `signer`, the key of the certificate it carries,
    /// already validated as `node`'s).
    mutating func record(
        contribution: Fedstat_V1_Contribution, from node: String, key: PublicKey?, signer: P256.Signing.PublicKey?
    ) throws(QueryError) {
        guard phase == .contributing, participants.contains(node), masked[node] == nil, encrypted[node] == nil else {
            throw fail(QueryError(.internal, "unexpected contribution of \(node)", node: node, step: .contribute))
        }
        do {
            try checkIDs(contribution.queryID, contribution.planHash, from: node, step: .contribute)
        } catch { throw fail(error) }
        guard contribution.node == node else {
            throw fail(
                QueryError(.malformed, "\(node) sent a contribution under the name of \(contribution.node)", node: node, step: .contribute))
        }
        switch (aggregationProtocol, contribution.payload) {
        case (.secureSum, .masked(let vector)):
            guard let values = ContributionCodec.decode(Array(vector.values), count: plan.vectorLength) else {
                throw fail(
                    QueryError(
                        .malformed, "\(node) sent a vector of \(vector.values.count) bytes; the plan needs \(plan.vectorLength * 16)",
                        node: node, step: .contribute))
            }
            masked[node] = values
        case (.paillier, .encrypted(let vector)):
            guard let key else { throw fail(QueryError(.internal, "no Paillier key", step: .contribute)) }
            let layout: PackingLayout
            do {
                layout = try Lifecycle.layout(for: plan, key: key)
            } catch {
                throw fail(QueryError(.internal, "the plan cannot be packed under the federation key", step: .contribute))
            }
            guard Int(vector.count) == plan.vectorLength,
                vector.ciphertexts.count == layout.plaintextCount(for: plan.vectorLength)
            else {
                throw fail(
                    QueryError(
                        .malformed, "\(node) sent \(vector.ciphertexts.count) ciphertexts for \(vector.count) values; the plan needs \(plan.vectorLength) values",
                        node: node, step: .contribute))
            }
            var ciphertexts: [Ciphertext] = []
            for bytes in vector.ciphertexts {
                guard let ciphertext = try? key.ciphertext(serialized: Array(bytes)) else {
                    throw fail(QueryError(.malformed, "\(node) sent a ciphertext outside the key's range", node: node, step: .contribute))
                }
                ciphertexts.append(ciphertext)
            }
            let digest = ContributionCodec.digest(count: Int(vector.count), ciphertexts: vector.ciphertexts.map { Array($0) })
            guard let signer,
                ContributionCodec.verify(
                    signature: Array(vector.signature), queryID: queryID, planHash: planHash, node: node, digest: digest, key: signer)
            else {
                throw fail(QueryError(.malformed, "the contribution of \(node) is not validly signed by \(node)", node: node, step: .contribute))
            }
            encrypted[node] = (contribution, ciphertexts)
        default:
            throw fail(
                QueryError(.malformed, "\(node) sent a contribution of the wrong protocol", node: node, step: .contribute))
        }
    }

    /// Protocol A: the sum of every masked vector, checked against the bounds the plan
    /// proves. The masks cancel only if every participant used the same masking keys; a
    /// mismatched key leaves a uniformly random mask in the sum, which falls inside the
    /// bounds with negligible probability, so a misconfigured node fails the query
    /// instead of giving a wrong answer.
    mutating func secureSumTotal() throws(QueryError) -> [UInt128] {
        guard phase == .contributing, masked.count == participants.count else {
            throw fail(QueryError(.internal, "not every participant has contributed", step: .aggregate))
        }
        var total = [UInt128](repeating: 0, count: plan.vectorLength)
        for vector in masked.values {
            for index in total.indices { total[index] &+= vector[index] }
        }
        if Lifecycle.firstOutOfBounds(total, plan: plan) != nil {
            throw fail(
                QueryError(
                    .maskMismatch,
                    "the secure sum lies outside the bounds the plan proves: a node's masking key likely does not match federation.yaml (check `fednode check` and the masking keys on every node)",
                    step: .aggregate))
        }
        phase = .finalised
        return total
    }

    /// Protocol B: the product of every contribution, and the request every decrypting
    /// node receives.
    mutating func decryptionRequest() throws(QueryError) -> (request: Fedstat_V1_PartialDecryptionRequest, aggregate: [Ciphertext]) {
        guard phase == .contributing, encrypted.count == participants.count else {
            throw fail(QueryError(.internal, "not every participant has contributed", step: .aggregate))
        }
        var request = Fedstat_V1_PartialDecryptionRequest()
        request.queryID = Data(queryID)
        request.planHash = Data(planHash)
        var product: [Ciphertext]?
        for node in participants {
            let (contribution, ciphertexts) = encrypted[node]!
            request.contributions.append(contribution)
            product = Lifecycle.multiply(product, ciphertexts)
        }
        request.aggregate = product!.map { Data($0.serialized()) }
        phase = .decrypting
        return (request, product!)
    }

    /// Parses and verifies the partial decryptions of `node` (share `index`), every
    /// proof, spread over the machine's cores: with a 2048-bit key each proof costs two
    /// 4096-bit exponentiations, and a large histogram has many ciphertexts per node.
    /// Pure and heavy: the coordinator runs it off the concurrency pool and hands the
    /// result to `record(verified:from:)`.
    ///
    /// Defends against a node that sends a wrong partial decryption (to corrupt the
    /// result), one made with another party's share index, or one for another
    /// ciphertext or query: any of them fails the query naming the node.
    static func verify(
        partials response: Fedstat_V1_PartialDecryptionResponse, from node: String, index: Int,
        key: ThresholdPublicKey, aggregate: [Ciphertext], queryID: [UInt8]
    ) -> Result<[VerifiedPartialDecryption], QueryError> {
        do {
            try checkQueryID(response.queryID, is: queryID, from: node, step: .decrypt)
        } catch {
            return .failure(error)
        }
        guard response.partialDecryptions.count == aggregate.count else {
            return .failure(
                QueryError(
                    .malformed, "\(node) sent \(response.partialDecryptions.count) partial decryptions for \(aggregate.count) ciphertexts",
                    node: node, step: .decrypt))
        }
        let count = aggregate.count
        let results = Mutex([VerifiedPartialDecryption?](repeating: nil, count: count))
        let encoded = response.partialDecryptions
        DispatchQueue.concurrentPerform(iterations: count) { position in
            guard let partial = try? PartialDecryption(serialized: Array(encoded[position]), for: key), partial.index == index,
                let verified = try? key.verify(partial, of: aggregate[position], queryID: queryID)
            else { return }
            results.withLock { $0[position] = verified }
        }
        let verified = results.withLock { $0 }.compactMap { $0 }
        guard verified.count == count else {
            return .failure(
                QueryError(.malformed, "the partial decryption of \(node) failed its proof of correctness", node: node, step: .decrypt))
        }
        return .success(verified)
    }

    /// Records the verified partial decryptions of `node` (from `verify(partials:…)`).
    mutating func record(verified: Result<[VerifiedPartialDecryption], QueryError>, from node: String) throws(QueryError) {
        guard phase == .decrypting, participants.contains(node), partials[node] == nil else {
            throw fail(QueryError(.internal, "unexpected partial decryption of \(node)", node: node, step: .decrypt))
        }
        switch verified {
        case .success(let verified): partials[node] = verified
        case .failure(let error): throw fail(error)
        }
    }

    /// Whether enough verified partial decryptions are in.
    func canCombine(threshold: Int) -> Bool { partials.count >= threshold }

    /// Protocol B: the decrypted sums, checked against the plan's bounds.
    mutating func combine(key: ThresholdPublicKey, aggregate: [Ciphertext]) throws(QueryError) -> [UInt128] {
        guard phase == .decrypting, partials.count >= key.threshold else {
            throw fail(
                QueryError(.nodeFailed, "\(partials.count) partial decryptions; \(key.threshold) are needed", step: .decrypt))
        }
        let used = participants.compactMap { partials[$0] }.prefix(key.threshold)
        var plaintexts: [BigInt] = []
        do {
            for (position, ciphertext) in aggregate.enumerated() {
                plaintexts.append(try key.combine(used.map { $0[position] }, of: ciphertext, queryID: queryID))
            }
        } catch {
            throw fail(QueryError(.internal, "verified partial decryptions do not combine", step: .decrypt))
        }
        let values: [BigInt]
        do {
            let layout = try Lifecycle.layout(for: plan, key: key.publicKey)
            values = try layout.unpack(plaintexts, count: plan.vectorLength, summands: participants.count)
        } catch {
            throw fail(QueryError(.maskMismatch, "the decrypted aggregate does not unpack into the plan's slots", step: .decrypt))
        }
        var sums: [UInt128] = []
        for value in values {
            guard let exact = Int128(exactly: value) else {
                throw fail(QueryError(.maskMismatch, "a decrypted sum exceeds 128 bits", step: .decrypt))
            }
            sums.append(UInt128(bitPattern: exact))
        }
        if Lifecycle.firstOutOfBounds(sums, plan: plan) != nil {
            throw fail(QueryError(.maskMismatch, "the decrypted sum lies outside the bounds the plan proves", step: .decrypt))
        }
        phase = .finalised
        return sums
    }
}
