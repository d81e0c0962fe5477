import BigNum
import Crypto
import Foundation
import Paillier
import Query
import Testing
import Wire

@testable import Node

/// The coordinator's state machine on its own (pure: no I/O): every message of a
/// participant is checked before it counts, and a bad one fails the query naming the
/// node and the step.
@Suite("Coordinator state machine")
struct CoordinatorQueryTests {
    static let catalog = Catalog(datasets: [
        Dataset(
            name: "visits",
            columns: [
                Column(name: "district", type: .category(["north", "south"]), nullable: false),
                Column(name: "cost", type: .decimal(scale: 2, min: 0, max: 100_000), nullable: true),
            ],
            maxRowsPerNode: 1000)
    ])

    static func query(_ aggregationProtocol: Fedstat_V1_AggregationProtocol) throws -> CoordinatorQuery {
        let plan = try Planner.plan(sql: "SELECT district, SUM(cost) FROM visits GROUP BY district", catalog: catalog, participants: 2)
        return CoordinatorQuery(
            queryID: Array(repeating: 7, count: 16), plan: plan, sql: "", analyst: "spiffe://city/analyst/alice",
            participants: ["north", "south"], aggregationProtocol: aggregationProtocol, deadline: Date().addingTimeInterval(60))
    }

    static func approve(_ query: inout CoordinatorQuery) throws {
        for node in ["north", "south"] {
            var decision = Fedstat_V1_Decision()
            decision.queryID = Data(query.queryID)
            decision.planHash = Data(query.planHash)
            decision.decision.node = node
            decision.decision.approved = true
            decision.decision.minGroupSize = node == "north" ? 3 : 5
            try query.record(decision: decision, from: node)
        }
    }

    static func masked(_ query: CoordinatorQuery, node: String, values: [UInt128]) -> Fedstat_V1_Contribution {
        var contribution = Fedstat_V1_Contribution()
        contribution.queryID = Data(query.queryID)
        contribution.planHash = Data(query.planHash)
        contribution.node = node
        var vector = Fedstat_V1_MaskedVector()
        vector.values = Data(ContributionCodec.encode(values))
        contribution.payload = .masked(vector)
        return contribution
    }

    @Test func decisionsAreBoundToTheQueryAndTheCaller() throws {
        var query = try Self.query(.secureSum)
        var decision = Fedstat_V1_Decision()
        decision.queryID = Data(query.queryID)
        decision.planHash = Data(query.planHash)
        decision.decision.node = "south"
        decision.decision.approved = true
        // North answering with south's decision.
        #expect(throws: QueryError(.malformed, "north answered with the decision of south", node: "north", step: .propose)) {
            try query.record(decision: decision, from: "north")
        }
        var other = try Self.query(.secureSum)
        decision.decision.node = "north"
        decision.queryID = Data(repeating: 1, count: 16)
        #expect(throws: QueryError(.malformed, "north answered for another query id", node: "north", step: .propose)) {
            try other.record(decision: decision, from: "north")
        }
    }

    @Test func theStrictestGroupSizeApplies() throws {
        var query = try Self.query(.secureSum)
        try Self.approve(&query)
        #expect(try query.approval() == 5)
    }

    @Test func malformedContributionsNameTheNode() throws {
        var query = try Self.query(.secureSum)
        try Self.approve(&query)
        _ = try query.approval()
        let length = query.plan.vectorLength

        var short = try Self.query(.secureSum)
        try Self.approve(&short)
        _ = try short.approval()
        #expect {
            try short.record(contribution: Self.masked(short, node: "south", values: [1]), from: "south", key: nil, signer: nil)
        } throws: { error in
            let error = error as! QueryError
            return error.code == .malformed && error.node == "south" && error.step == .contribute && error.message.contains("bytes")
        }

        // A contribution sent under another node's name.
        #expect {
            try query.record(
                contribution: Self.masked(query, node: "north", values: Array(repeating: 0, count: length)), from: "south", key: nil,
                signer: nil)
        } throws: { error in
            (error as! QueryError).message == "south sent a contribution under the name of north"
        }
        #expect(query.phase == .failed)

        // A Paillier payload in a secure-sum query.
        var wrongKind = try Self.query(.secureSum)
        try Self.approve(&wrongKind)
        _ = try wrongKind.approval()
        var encrypted = Self.masked(wrongKind, node: "north", values: [])
        encrypted.payload = .encrypted(Fedstat_V1_EncryptedVector())
        #expect {
            try wrongKind.record(contribution: encrypted, from: "north", key: nil, signer: nil)
        } throws: { error in
            (error as! QueryError).message.contains("wrong protocol")
        }
    }

    /// The masks of a mismatched key leave random values in the sum; the bounds check
    /// catches them. The same vectors without the stray mask give the plan's sums.
    @Test func aSumOutsideThePlansBoundsIsAMaskMismatch() throws {
        let length = try Self.query(.secureSum).plan.vectorLength
        let mask: [UInt128] = (0..<length).map { UInt128($0 + 1) &* 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834 }
        let x: [UInt128] = (0..<length).map { UInt128($0 + 3) }
        for cancels in [true, false] {
            var query = try Self.query(.secureSum)
            try Self.approve(&query)
            _ = try query.approval()
            try query.record(
                contribution: Self.masked(query, node: "north", values: zip(x, mask).map { $0 &+ $1 }), from: "north", key: nil, signer: nil)
            let southMask = cancels ? mask.map { 0 &- $0 } : mask.map { 0 &- ($0 &+ 1_000_000_000_000_000_000_000_000) }
            try query.record(contribution: Self.masked(query, node: "south", values: southMask), from: "south", key: nil, signer: nil)
            if cancels {
                #expect(try query.secureSumTotal() == x)
            } else {
                #expect { try query.secureSumTotal() } throws: { ($0 as! QueryError).code == .maskMismatch }
            }
        }
    }

    /// The result hash is the one Protocols/query-lifecycle.md §4 specifies, byte for
    /// byte (the lines built here from the text of the specification).
    @Test func theResultHashFollowsTheSpecification() {
        var table = Fedstat_V1_ResultTable()
        table.columns = ["district", "n", "avg"].map { name in
            var column = Fedstat_V1_ResultColumn()
            column.name = name
            return column
        }
        func cell(_ value: Fedstat_V1_ResultCell.OneOf_Value) -> Fedstat_V1_ResultCell {
            var cell = Fedstat_V1_ResultCell()
            cell.value = value
            return cell
        }
        var first = Fedstat_V1_ResultRow()
        first.cells = [cell(.text("north")), cell(.decimal("12")), cell(.decimal("1041.5"))]
        var second = Fedstat_V1_ResultRow()
        second.cells = [cell(.text("south")), cell(.suppressed(true)), cell(.null(true))]
        table.rows = [first, second]
        let queryID = [UInt8](repeating: 0xAB, count: 16)
        let planHash = [UInt8](repeating: 0x0C, count: 32)
        let text =
            "fedstat-result/v1\n" + String(repeating: "ab", count: 16) + "\n" + String(repeating: "0c", count: 32) + "\n"
            + "district\tn\tavg\n" + "north\t12\t1041.5\n" + "south\tsuppressed\tNULL\n"
        #expect(Coordinator.resultHash(table, queryID: queryID, planHash: planHash) == Array(SHA256.hash(data: Array(text.utf8))))
    }

    /// Every partial decryption's proof is checked before it counts; one that fails (a
    /// wrong value, another party's share index, a missing one) fails the query naming
    /// the node.
    @Test func aPartialDecryptionWithABadProofNamesTheNode() throws {
        let dealt = ThresholdDealer.dealForTesting(bits: 512, parameters: try ThresholdParameters(threshold: 2, parties: 2))
        let key = dealt.publicKey
        let encryptor = Encryptor(publicKey: key.publicKey, windowBits: 4)
        let queryID = [UInt8](repeating: 7, count: 16)
        let aggregate = try (0..<5).map { try encryptor.encrypt(BigInt($0 * 1000 + 17)) }
        func response(_ share: Int, tamper: Int? = nil) throws -> Fedstat_V1_PartialDecryptionResponse {
            var response = Fedstat_V1_PartialDecryptionResponse()
            response.queryID = Data(queryID)
            response.partialDecryptions = try aggregate.enumerated().map { position, ciphertext in
                var partial = try dealt.shares[share - 1].partialDecrypt(ciphertext, queryID: queryID)
                if position == tamper {
                    partial = PartialDecryption(
                        index: partial.index, ciphertextDigest: partial.ciphertextDigest,
                        value: partial.value.multiplied(by: BigInt(2), modulo: key.publicKey.nSquared),
                        challenge: partial.challenge, response: partial.response)
                }
                return Data(try partial.serialized(for: key))
            }
            return response
        }
        func verify(_ response: Fedstat_V1_PartialDecryptionResponse, index: Int) -> QueryError? {
            switch CoordinatorQuery.verify(
                partials: response, from: "south", index: index, key: key, aggregate: aggregate, queryID: queryID)
            {
            case .success(let verified):
                #expect(verified.count == aggregate.count)
                return nil
            case .failure(let error): return error
            }
        }
        #expect(verify(try response(2), index: 2) == nil)
        for bad in [verify(try response(2, tamper: 3), index: 2), verify(try response(1), index: 2)] {
            #expect(bad?.code == .malformed && bad?.node == "south" && bad?.step == .decrypt)
            #expect(bad?.message.contains("proof of correctness") == true)
        }
        var short = try response(2)
        short.partialDecryptions.removeLast()
        #expect(verify(short, index: 2)?.code == .malformed)
    }
}
