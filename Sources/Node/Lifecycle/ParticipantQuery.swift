import BigNum
import Crypto
import Foundation
import Paillier
import Policy
import Query
import Wire

/// One query as a participant sees it, from the proposal it approved to the release or
/// abort: a pure state machine (no I/O). `ParticipantEngine` drives it from the
/// `Federation` service and does the I/O (state store, data, encryption).
///
/// approved → contributed → (Paillier: decrypted) → released | aborted
struct ParticipantQuery: Sendable {
    enum Phase: String, Sendable, Equatable {
        /// `released`: the release is recorded; kept (until the table forgets old
        /// queries) so that an abort after it is recorded too.
        case approved, contributed, decrypted, denied, released
    }

    let queryID: [UInt8]
    let plan: Plan
    let planHash: [UInt8]
    let coordinator: String
    let analyst: String
    let participants: [String]
    let aggregationProtocol: Policy.AggregationProtocol
    let deadline: Date
    /// The approving rule's `min_parties` (0 when denied).
    let minParties: Int
    private(set) var phase: Phase
    /// The digest of this node's own encrypted contribution, once sent (Protocol B).
    private(set) var ownDigest: [UInt8]?

    init(
        queryID: [UInt8], plan: Plan, planHash: [UInt8], coordinator: String, analyst: String, participants: [String],
        aggregationProtocol: Policy.AggregationProtocol, deadline: Date, minParties: Int, approved: Bool
    ) {
        self.queryID = queryID
        self.plan = plan
        self.planHash = planHash
        self.coordinator = coordinator
        self.analyst = analyst
        self.participants = participants
        self.aggregationProtocol = aggregationProtocol
        self.deadline = deadline
        self.minParties = minParties
        phase = approved ? .approved : .denied
    }

    /// The longest a proposal may ask a node to keep a query open.
    static let maximumLifetime: TimeInterval = 3600

    /// What a proposal asks, once checked.
    struct CheckedProposal: Sendable {
        var plan: Plan
        /// SHA-256 of the plan's canonical encoding (computed once: with a 10,000-bucket
        /// histogram the encoding is long).
        var planHash: [UInt8]
        var aggregationProtocol: Policy.AggregationProtocol
        var deadline: Date
    }

    /// Checks a proposal before any policy sees it: a well-formed query id; distinct
    /// participants that are exactly the nodes holding the dataset (every node unless the
    /// catalog says `held_by`), this node among them; a protocol; a deadline
    /// in the future and within an hour; and a plan that this node, planning the SQL
    /// itself with its own catalog, finds identical (same canonical encoding, same
    /// hash).
    ///
    /// Defends against a coordinator that sends a plan other than the SQL says (e.g. one
    /// that sums a column the policy would not allow to be aggregated, under an
    /// innocent-looking SQL text in the audit log): the node never trusts the
    /// coordinator's plan, only its own.
    static func check(
        _ proposal: Fedstat_V1_Proposal, ownName: String, members: [String], catalog: Catalog, now: Date
    ) throws(Refusal) -> CheckedProposal {
        guard proposal.queryID.count == 16 else {
            throw Refusal(.invalidArgument, "a query id has 16 bytes, this one \(proposal.queryID.count)")
        }
        guard proposal.planHash.count == 32 else {
            throw Refusal(.invalidArgument, "a plan hash has 32 bytes, this one \(proposal.planHash.count)")
        }
        let participants = proposal.participants
        guard Set(participants).count == participants.count else {
            throw Refusal(.invalidArgument, "the participant list names a node twice")
        }
        if let stranger = participants.first(where: { !members.contains($0) }) {
            throw Refusal(.invalidArgument, "participant \(stranger) is not a member of the federation")
        }
        guard participants.contains(ownName) else {
            throw Refusal(.invalidArgument, "this node (\(ownName)) is not among the participants")
        }
        let aggregationProtocol: Policy.AggregationProtocol
        switch proposal.protocol {
        case .secureSum: aggregationProtocol = .secureSum
        case .paillier: aggregationProtocol = .paillier
        default: throw Refusal(.invalidArgument, "the proposal names no aggregation protocol")
        }
        let deadline = Date(timeIntervalSince1970: Double(proposal.deadlineUnixMs) / 1000)
        guard deadline > now else {
            throw Refusal(.deadlineExceeded, "the proposal's deadline has already passed")
        }
        guard deadline.timeIntervalSince(now) <= maximumLifetime else {
            throw Refusal(.invalidArgument, "the proposal's deadline is more than an hour away")
        }
        let plan: Plan
        do {
            plan = try Planner.plan(sql: proposal.sql, catalog: catalog, participants: participants.count)
        } catch {
            throw Refusal(.invalidArgument, "this node cannot plan the query with its catalog: \(error.description)")
        }
        // Exactly the nodes that hold the dataset take part. Defends against a
        // coordinator that asks the same question of all holders and again of all but
        // one: the difference of the two answers would be that one department's subtotal.
        let holders = catalog.dataset(named: plan.dataset).map { $0.participants(amongNodes: members) } ?? members
        guard Set(participants) == Set(holders) else {
            throw Refusal(
                .invalidArgument,
                "the participants (\(participants.joined(separator: ", "))) are not the nodes that hold dataset \(plan.dataset) (\(holders.joined(separator: ", ")))")
        }
        let (encoding, planHash) = plan.encodingAndHash
        guard planHash == Array(proposal.planHash), encoding == Array(proposal.plan) else {
            throw Refusal(
                .invalidArgument,
                "the proposed plan is not the plan this node makes of the SQL (are the catalogs in federation.yaml the same?)")
        }
        return CheckedProposal(plan: plan, planHash: planHash, aggregationProtocol: aggregationProtocol, deadline: deadline)
    }

    /// Checks that `caller` may drive this query further: only its coordinator, for this
    /// plan, before the deadline.
    func checkCaller(_ caller: String, planHash: Data, now: Date) throws(Refusal) {
        guard caller == coordinator else {
            throw Refusal(.permissionDenied, "only the query's coordinator (\(coordinator)) may drive it, not \(caller)")
        }
        guard Array(planHash) == self.planHash else {
            throw Refusal(.invalidArgument, "the plan hash is not the one this query was proposed with")
        }
        guard now < deadline else {
            throw Refusal(.deadlineExceeded, "the query's deadline has passed")
        }
    }

    /// The coordinator asks for this node's contribution: allowed once, after approval.
    ///
    /// Defends against a second contribution of the same query: with Protocol A the two
    /// masked vectors would share their mask, and their difference would reveal the
    /// difference of two computations over this node's rows.
    mutating func beginContribution(from caller: String, planHash: Data, now: Date) throws(Refusal) {
        try checkCaller(caller, planHash: planHash, now: now)
        switch phase {
        case .approved: phase = .contributed
        case .denied: throw Refusal(.failedPrecondition, "this node denied the query")
        case .contributed, .decrypted, .released: throw Refusal(.failedPrecondition, "this node has already contributed to the query")
        }
    }

    /// Remembers the digest of this node's own encrypted contribution, to find it again
    /// in a decryption request.
    mutating func contributed(digest: [UInt8]) {
        ownDigest = digest
    }

    /// The guard of a partial decryption (DESIGN.md, Protocol B): returns the aggregate
    /// ciphertexts to decrypt, or refuses.
    ///
    /// Releases a partial decryption only for an aggregate that is exactly the product of
    /// the contributions of every participant of the proposal — each signed for this
    /// query and plan by the node it names (`signerKeys`: the keys of their certificates,
    /// already validated against the federation CA), this node's own among them and
    /// identical to what it sent — and at least the policy's `min_parties` of them.
    ///
    /// Defends against a coordinator that asks for the decryption of a single
    /// department's vector (or of a product missing some participants, or including a
    /// vector of its own making under another node's name): any of those would let the
    /// coordinator read less than the joint total.
    mutating func checkDecryption(
        _ request: Fedstat_V1_PartialDecryptionRequest, from caller: String, ownName: String,
        signerKeys: [String: P256.Signing.PublicKey], key: PublicKey, now: Date
    ) throws(Refusal) -> [Ciphertext] {
        try checkCaller(caller, planHash: request.planHash, now: now)
        guard aggregationProtocol == .paillier else {
            throw Refusal(.failedPrecondition, "the query runs under secure sum; there is nothing to decrypt")
        }
        switch phase {
        case .contributed: break
        case .approved: throw Refusal(.failedPrecondition, "this node has not contributed to the query")
        case .decrypted: throw Refusal(.failedPrecondition, "this node has already decrypted the query's aggregate")
        case .denied: throw Refusal(.failedPrecondition, "this node denied the query")
        case .released: throw Refusal(.failedPrecondition, "this node has already recorded the query's release")
        }
        guard let ownDigest else { throw Refusal(.failedPrecondition, "this node has not contributed to the query") }

        let layout: PackingLayout
        do {
            layout = try Lifecycle.layout(for: plan, key: key)
        } catch {
            throw Refusal(.internalError, "the plan's values cannot be packed under the federation key")
        }
        let ciphertextCount = layout.plaintextCount(for: plan.vectorLength)
        var seen = Set<String>()
        var product: [Ciphertext]?
        for contribution in request.contributions {
            let node = contribution.node
            guard participants.contains(node) else {
                throw Refusal(.permissionDenied, "the aggregate includes a contribution of \(node), which is not a participant of the query")
            }
            guard seen.insert(node).inserted else {
                throw Refusal(.invalidArgument, "the aggregate includes two contributions of \(node)")
            }
            guard Array(contribution.queryID) == queryID, Array(contribution.planHash) == planHash else {
                throw Refusal(.invalidArgument, "the contribution of \(node) is for another query or plan")
            }
            guard case .encrypted(let vector) = contribution.payload else {
                throw Refusal(.invalidArgument, "the contribution of \(node) is not encrypted")
            }
            guard Int(vector.count) == plan.vectorLength, vector.ciphertexts.count == ciphertextCount else {
                throw Refusal(.invalidArgument, "the contribution of \(node) does not have the plan's length")
            }
            let digest = ContributionCodec.digest(count: Int(vector.count), ciphertexts: vector.ciphertexts.map { Array($0) })
            guard let signer = signerKeys[node],
                ContributionCodec.verify(
                    signature: Array(vector.signature), queryID: queryID, planHash: planHash, node: node, digest: digest, key: signer)
            else {
                throw Refusal(.permissionDenied, "the contribution of \(node) is not signed by \(node) for this query")
            }
            if node == ownName, digest != ownDigest {
                throw Refusal(.permissionDenied, "the contribution under this node's name is not the one it sent")
            }
            var ciphertexts: [Ciphertext] = []
            for bytes in vector.ciphertexts {
                guard let ciphertext = try? key.ciphertext(serialized: Array(bytes)) else {
                    throw Refusal(.invalidArgument, "the contribution of \(node) holds a ciphertext outside the key's range")
                }
                ciphertexts.append(ciphertext)
            }
            product = Lifecycle.multiply(product, ciphertexts)
        }
        guard seen.contains(ownName) else {
            throw Refusal(.permissionDenied, "this node's own contribution is not among those aggregated")
        }
        if let missing = participants.first(where: { !seen.contains($0) }) {
            throw Refusal(.permissionDenied, "the aggregate lacks the contribution of participant \(missing)")
        }
        guard seen.count >= minParties else {
            throw Refusal(
                .permissionDenied, "the aggregate combines \(seen.count) contributions; this node's policy requires at least \(minParties)")
        }
        guard let product, request.aggregate.count == product.count,
            zip(request.aggregate, product).allSatisfy({ Array($0.0) == $0.1.serialized() })
        else {
            throw Refusal(.permissionDenied, "the aggregate is not the product of the contributions sent with it")
        }
        phase = .decrypted
        return product
    }

    /// The release is recorded: nothing but an abort may follow.
    mutating func markReleased() {
        phase = .released
    }
}

/// Helpers both roles share.
enum Lifecycle {
    /// The packing of a plan's vectors under the federation key: each participant's
    /// value of term t lies within the plan's range for t divided by the number of
    /// participants (the planner's overflow proof multiplies a node's range by it), and
    /// the layout leaves headroom for the sum of every participant's vector.
    static func layout(for plan: Plan, key: PublicKey) throws(PaillierError) -> PackingLayout {
        var bound = BigInt(1)
        let parties = BigInt(Int64(plan.participants))
        for range in plan.termRanges {
            let largest = Swift.max(range.lowerBound.magnitude, range.upperBound.magnitude)
            let perNode = (largest + parties - BigInt(1)) / parties
            if perNode > bound { bound = perNode }
        }
        return try PackingLayout(publicKey: key, bound: bound, additions: plan.participants)
    }

    /// The position-wise homomorphic sum of two encrypted vectors (`ciphertexts` alone
    /// when there is no sum yet).
    static func multiply(_ product: [Ciphertext]?, _ ciphertexts: [Ciphertext]) -> [Ciphertext] {
        product.map { zip($0, ciphertexts).map { $0 + $1 } } ?? ciphertexts
    }

    /// Whether every summed value lies within the range the plan proves for its term.
    /// Returns the index of the first that does not.
    static func firstOutOfBounds(_ sums: [UInt128], plan: Plan) -> Int? {
        let termCount = plan.terms.count
        // The planner proves every range fits 128 bits (or refuses the query), so the
        // comparison runs on machine integers; big integers only if one ever did not.
        let small = plan.termRanges.compactMap { range -> ClosedRange<Int128>? in
            guard let low = Int128(exactly: range.lowerBound), let high = Int128(exactly: range.upperBound) else { return nil }
            return low...high
        }
        if small.count == termCount {
            for (index, value) in sums.enumerated() where !small[index % termCount].contains(Int128(bitPattern: value)) {
                return index
            }
            return nil
        }
        for (index, value) in sums.enumerated()
        where !plan.termRanges[index % termCount].contains(BigInt(Int128(bitPattern: value))) {
            return index
        }
        return nil
    }
}
