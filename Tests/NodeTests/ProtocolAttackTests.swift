import Crypto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import KeyStore
import Paillier
import Query
import StateStore
import Testing
import Wire

@testable import Node

/// A coordinator that breaks the protocol: the test drives real participants over mutual
/// TLS with the identity of a node of the federation (north, which is not running) and
/// sends them what an attacker would.
@Suite("Protocol attacks", .serialized, .timeLimit(.minutes(10)))
struct ProtocolAttackTests {
    static func proposal(
        _ fixture: JointFixture, _ sql: String, participants: [String], protocol aggregationProtocol: Fedstat_V1_AggregationProtocol,
        queryID: [UInt8] = Coordinator.randomQueryID()
    ) throws -> Fedstat_V1_Proposal {
        try proposal(catalog: try fixture.catalog, sql, participants: participants, protocol: aggregationProtocol, queryID: queryID)
    }

    /// A well-formed proposal of `sql` by alice, planned with `catalog`, due in two minutes.
    static func proposal(
        catalog: Catalog, _ sql: String, participants: [String], protocol aggregationProtocol: Fedstat_V1_AggregationProtocol,
        queryID: [UInt8] = Coordinator.randomQueryID()
    ) throws -> Fedstat_V1_Proposal {
        let plan = try Planner.plan(sql: sql, catalog: catalog, participants: participants.count)
        var proposal = Fedstat_V1_Proposal()
        proposal.queryID = Data(queryID)
        proposal.plan = Data(plan.canonicalEncoding)
        proposal.planHash = Data(plan.hash)
        proposal.analyst = "spiffe://city/analyst/alice"
        proposal.participants = participants
        proposal.protocol = aggregationProtocol
        proposal.deadlineUnixMs = Int64(Date().addingTimeInterval(120).timeIntervalSince1970 * 1000)
        proposal.sql = sql
        return proposal
    }

    /// Runs `body` with Federation clients of `nodes`, authenticated as `caller`.
    static func asNode<Result: Sendable>(
        _ caller: String, _ fixture: JointFixture, to node: String,
        _ body: @Sendable (Fedstat_V1_Federation.Client<GRPCNIOTransportHTTP2.HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        try await FederationClients.withFederationClient(
            to: node, at: fixture.federation.addresses[node]!, as: try fixture.federation.setup(caller).identity, body)
    }

    @Test func theDecryptionGuardRefusesAnythingButTheFullProduct() async throws {
        let fixture = try JointFixture(nodes: ["north", "south", "east", "west"], holders: ["south", "east"], threshold: 2)
        try await withRunningNodes(fixture.federation, ["south", "east"]) { _ in
            let proposal = try Self.proposal(
                fixture, "SELECT COUNT(*), SUM(cost) FROM visits", participants: ["south", "east"], protocol: .paillier)
            var contributions: [String: Fedstat_V1_Contribution] = [:]
            for node in ["south", "east"] {
                let decision = try await Self.asNode("north", fixture, to: node) { try await $0.propose(proposal, options: testCallOptions) }
                #expect(decision.decision.approved)
                var ask = Fedstat_V1_ContributionRequest()
                ask.queryID = proposal.queryID
                ask.planHash = proposal.planHash
                let contributionRequest = ask
                contributions[node] = try await Self.asNode("north", fixture, to: node) {
                    try await $0.contribute(contributionRequest, options: testCallOptions)
                }
            }
            let key = try #require(try fixture.federation.setup("south").paillierShare).publicKey.publicKey
            @Sendable func request(_ parts: [Fedstat_V1_Contribution], aggregate: [Fedstat_V1_Contribution]? = nil) throws -> Fedstat_V1_PartialDecryptionRequest {
                var request = Fedstat_V1_PartialDecryptionRequest()
                request.queryID = proposal.queryID
                request.planHash = proposal.planHash
                request.contributions = parts
                var product: [Paillier.Ciphertext]?
                for part in aggregate ?? parts {
                    guard case .encrypted(let vector) = part.payload else { continue }
                    let ciphertexts = try vector.ciphertexts.map { try key.ciphertext(serialized: Array($0)) }
                    product = product.map { zip($0, ciphertexts).map { $0 + $1 } } ?? ciphertexts
                }
                request.aggregate = (product ?? []).map { Data($0.serialized()) }
                return request
            }
            func refusal(_ message: Fedstat_V1_PartialDecryptionRequest, to node: String = "south") async -> RPCError? {
                await rpcError {
                    _ = try await Self.asNode("north", fixture, to: node) { try await $0.partialDecrypt(message, options: testCallOptions) }
                }
            }
            let south = contributions["south"]!
            let east = contributions["east"]!

            // A single department's contribution.
            let single = await refusal(try request([south]))
            #expect(single?.code == .permissionDenied)
            #expect(single?.message.contains("east") == true)

            // East's ciphertexts passed off as south's own: not signed by south.
            var relabelled = east
            relabelled.node = "south"
            let forged = await refusal(try request([relabelled, east]))
            #expect(forged?.code == .permissionDenied)
            #expect(forged?.message.contains("not signed by south") == true || forged?.message.contains("two contributions") == true)

            // A contribution renamed to a node that was never proposed (so never approved).
            var stranger = east
            stranger.node = "west"
            let unapproved = await refusal(try request([south, east, stranger]))
            #expect(unapproved?.code == .permissionDenied)
            #expect(unapproved?.message.contains("west") == true)

            // An aggregate that is not the product of the contributions sent with it.
            let wrongProduct = await refusal(try request([south, east], aggregate: [south]))
            #expect(wrongProduct?.code == .permissionDenied)
            #expect(wrongProduct?.message.contains("not the product") == true)

            // Another node (not the coordinator) asking.
            let full = try request([south, east])
            let byEast = await rpcErrorCode {
                _ = try await Self.asNode("east", fixture, to: "south") { try await $0.partialDecrypt(full, options: testCallOptions) }
            }
            #expect(byEast == .permissionDenied)

            // The full product is decrypted — once.
            let response = try await Self.asNode("north", fixture, to: "south") {
                try await $0.partialDecrypt(try request([south, east]), options: testCallOptions)
            }
            #expect(response.partialDecryptions.count == (try request([south, east])).aggregate.count)
            let again = await refusal(try request([south, east]))
            #expect(again?.code == .failedPrecondition)
        }
    }

    @Test func replayedAndMalformedMessagesAreRefused() async throws {
        let fixture = try JointFixture(nodes: ["north", "south", "east"])
        try await withRunningNodes(fixture.federation, ["south"]) { _ in
            func code(_ body: @Sendable @escaping (Fedstat_V1_Federation.Client<GRPCNIOTransportHTTP2.HTTP2ClientTransport.Posix>) async throws -> Void, as caller: String = "north") async -> RPCError.Code? {
                await rpcErrorCode { try await Self.asNode(caller, fixture, to: "south", body) }
            }
            func propose(_ proposal: Fedstat_V1_Proposal) async -> RPCError.Code? {
                await code { _ = try await $0.propose(proposal, options: testCallOptions) }
            }
            let sql = "SELECT district, AVG(cost) FROM visits GROUP BY district"
            let proposal = try Self.proposal(fixture, sql, participants: ["north", "south", "east"], protocol: .secureSum)
            let decision = try await Self.asNode("north", fixture, to: "south") { try await $0.propose(proposal, options: testCallOptions) }
            #expect(decision.decision.approved)

            // Replay: the same query id again, even with another plan.
            #expect(await propose(proposal) == .alreadyExists)
            var replay = try Self.proposal(fixture, "SELECT COUNT(*) FROM visits", participants: ["north", "south", "east"], protocol: .secureSum)
            replay.queryID = proposal.queryID
            #expect(await propose(replay) == .alreadyExists)

            // A plan that is not what the SQL says (the hash of another query's plan).
            var swapped = try Self.proposal(fixture, sql, participants: ["north", "south", "east"], protocol: .secureSum)
            let other = try Self.proposal(fixture, "SELECT SUM(days) FROM visits", participants: ["north", "south", "east"], protocol: .secureSum)
            swapped.plan = other.plan
            swapped.planHash = other.planHash
            #expect(await propose(swapped) == .invalidArgument)

            // Malformed proposals: a short query id, a stranger among the participants, not
            // every holder of the dataset, a node listed twice, no protocol, a deadline in
            // the past.
            var short = try Self.proposal(fixture, sql, participants: ["north", "south", "east"], protocol: .secureSum)
            short.queryID = Data(repeating: 1, count: 8)
            #expect(await propose(short) == .invalidArgument)
            let stranger = try Self.proposal(fixture, sql, participants: ["north", "south", "east", "mallory"], protocol: .secureSum)
            #expect(await propose(stranger) == .invalidArgument)
            // Fewer than the dataset's holders: asked of {north, south, east} and again of
            // {north, south}, the difference of the two answers would be east's subtotal.
            let subset = try Self.proposal(fixture, sql, participants: ["north", "south"], protocol: .secureSum)
            let subsetRefusal = await rpcError {
                _ = try await Self.asNode("north", fixture, to: "south") { try await $0.propose(subset, options: testCallOptions) }
            }
            #expect(subsetRefusal?.code == .invalidArgument)
            #expect(subsetRefusal?.message.contains("not the nodes that hold dataset visits (north, south, east)") == true)
            var twice = try Self.proposal(fixture, sql, participants: ["south", "south"], protocol: .secureSum)
            twice.participants = ["south", "south"]
            #expect(await propose(twice) == .invalidArgument)
            var unnamed = try Self.proposal(fixture, sql, participants: ["north", "south", "east"], protocol: .secureSum)
            unnamed.protocol = .unspecified
            #expect(await propose(unnamed) == .invalidArgument)
            var late = try Self.proposal(fixture, sql, participants: ["north", "south", "east"], protocol: .secureSum)
            late.deadlineUnixMs = 1000
            #expect(await propose(late) == .deadlineExceeded)

            // Contributions: unknown query id, wrong plan hash, another caller, then twice.
            var request = Fedstat_V1_ContributionRequest()
            request.queryID = Data(Coordinator.randomQueryID())
            request.planHash = proposal.planHash
            let unknown = request
            #expect(await code { _ = try await $0.contribute(unknown, options: testCallOptions) } == .notFound)
            request.queryID = proposal.queryID
            request.planHash = other.planHash
            let wrongPlan = request
            #expect(await code { _ = try await $0.contribute(wrongPlan, options: testCallOptions) } == .invalidArgument)
            request.planHash = proposal.planHash
            let good = request
            #expect(await code({ _ = try await $0.contribute(good, options: testCallOptions) }, as: "east") == .permissionDenied)
            let contribution = try await Self.asNode("north", fixture, to: "south") { try await $0.contribute(good, options: testCallOptions) }
            guard case .masked(let vector) = contribution.payload else {
                Issue.record("a secure-sum contribution is a masked vector")
                return
            }
            #expect(vector.values.count == 16 * 3 * 3)
            #expect(await code { _ = try await $0.contribute(good, options: testCallOptions) } == .failedPrecondition)

            // Release: a malformed result hash is refused and forgets nothing; the
            // coordinator's release is recorded once.
            var release = Fedstat_V1_ReleaseRecord()
            release.queryID = proposal.queryID
            release.planHash = proposal.planHash
            release.participants = proposal.participants
            release.resultHash = Data(repeating: 7, count: 31)
            let shortHash = release
            #expect(await code { _ = try await $0.release(shortHash, options: testCallOptions) } == .invalidArgument)
            release.resultHash = Data(repeating: 7, count: 32)
            let goodRelease = release
            _ = try await Self.asNode("north", fixture, to: "south") { try await $0.release(goodRelease, options: testCallOptions) }
            #expect(await code { _ = try await $0.release(goodRelease, options: testCallOptions) } == .failedPrecondition)

            // An abort from someone other than the coordinator is refused; the
            // coordinator's is recorded, also after the release (when another participant
            // could not record it, the result is withheld and every log must say so).
            var abort = Fedstat_V1_AbortRequest()
            abort.queryID = proposal.queryID
            abort.reason = "test"
            let abortRequest = abort
            #expect(await code({ _ = try await $0.abort(abortRequest, options: testCallOptions) }, as: "east") == .permissionDenied)
            _ = try await Self.asNode("north", fixture, to: "south") { try await $0.abort(abortRequest, options: testCallOptions) }
            let records = try fixture.auditRecords("south", queryID: Array(proposal.queryID))
            #expect(records.map(\.record.kind) == [.proposal, .decision, .release, .abort])
            #expect(records.last?.record[field: "reason"] == .string("result withheld after its release was recorded: test"))
        }
    }

    /// A node whose masking key is not the one its peers know fails the query with the
    /// mismatch named — never a wrong answer.
    @Test func aMismatchedMaskingKeyFailsTheQuery() async throws {
        let fixture = try JointFixture(nodes: ["north", "south", "east"])
        // South gets a new masking key and its own copy of federation.yaml recording it;
        // north and east still know the old one.
        let root = fixture.federation.root
        let oldKey = try SecretFile.read(root + "/nodes/south/masking.key")
        let oldPublic = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: oldKey).publicKey.rawRepresentation.base64EncodedString()
        let newKey = Curve25519.KeyAgreement.PrivateKey()
        try FileManager.default.removeItem(atPath: root + "/nodes/south/masking.key")
        try SecretFile.write(Array(newKey.rawRepresentation), to: root + "/nodes/south/masking.key")
        let federationText = try String(contentsOfFile: root + "/federation.yaml", encoding: .utf8)
        #expect(federationText.contains(oldPublic))
        try federationText.replacingOccurrences(of: oldPublic, with: newKey.publicKey.rawRepresentation.base64EncodedString())
            .write(toFile: root + "/nodes/south/federation.yaml", atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: root + "/nodes/south/node.yaml", encoding: .utf8)
        try config.replacingOccurrences(of: "../../federation.yaml", with: "federation.yaml")
            .write(toFile: root + "/nodes/south/node.yaml", atomically: true, encoding: .utf8)

        try await withRunningNodes(fixture.federation, fixture.nodes) { _ in
            let outcome = try await submit("SELECT district, COUNT(*), AVG(cost) FROM visits GROUP BY district", to: "north", in: fixture.federation)
            #expect(outcome.result == nil)
            let failure = try #require(outcome.failure)
            #expect(failure.code == "mask_mismatch")
            #expect(failure.step == "aggregate")
            #expect(failure.message.contains("masking key"))
            for node in fixture.nodes {
                let kinds = try fixture.auditRecords(node, queryID: outcome.queryID).map(\.record.kind)
                #expect(kinds.last == .abort, "\(node)")
            }
            // Paillier does not use masking keys: the same federation answers under it.
            let paillier = try await submit("SELECT COUNT(*) FROM visits", protocol: .paillier, to: "north", in: fixture.federation)
            #expect(paillier.texts == (try fixture.pooled("SELECT COUNT(*) FROM visits")))
        }
    }
}
