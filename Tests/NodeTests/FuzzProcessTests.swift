import Config
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
@testable import Node
import PKI
import Query
import TestSupport
import Testing
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// Passes bytes through unchanged, so a call can carry any bytes as its message.
struct RawBytes: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}

/// Bounded fuzzing of real node processes: malformed input at every layer a peer can
/// reach — the TCP socket before TLS, the TLS handshake, and the protobuf messages of
/// both services on an authenticated connection — must leave every node running and
/// answering exactly. Deterministic (a fixed seed), so a failure can be replayed.
@Suite("Fuzzing node processes", .serialized, .timeLimit(.minutes(10)))
struct FuzzProcessTests {
    static let seed: UInt64 = 0x5EED_F00D
    static let query = "SELECT district, COUNT(*), SUM(cost) FROM visits GROUP BY district"

    @Test func tenThousandMalformedInputsLeaveEveryNodeRunningAndAnswering() async throws {
        let federation = try ProcessFederation(nodes: ["north", "south", "east"])
        try await federation.waitUntilReady()
        let south = federation.ports["south"]!
        let north = try NodeSetup.load(configPath: federation.root + "/nodes/north/node.yaml")
        let alice = try AnalystConnection.load(configPath: federation.analystConfig)
        var random = SplitMix64(seed: Self.seed)
        var counts: [String: Int] = [:]

        // 1. Random bytes on a fresh TCP connection, half of them behind a TLS record header.
        for index in 0..<3000 {
            var bytes = random.bytes(count: 1 + Int(random.next() % 1024))
            if index % 2 == 0 { bytes = [0x16, 0x03, UInt8(random.next() % 4), UInt8(random.next() % 256), UInt8(random.next() % 256)] + bytes }
            try sendAndClose(bytes, port: south)
        }
        counts["raw bytes"] = 3000

        // 2. Truncated and mangled TLS records: a real ClientHello of our own client, cut
        // short, with a record length that promises more than follows, or bit-flipped.
        let hello = try await clientHello(as: north.identity)
        try #require(hello.count > 100 && hello[0] == 0x16, "no TLS ClientHello captured")
        for index in 0..<2000 {
            var bytes = hello
            switch index % 3 {
            case 0: bytes = Array(hello.prefix(1 + Int(random.next() % UInt64(hello.count - 1))))
            case 1:
                let length = UInt16(min(Int(UInt16.max), hello.count + 1 + Int(random.next() % 4096)))
                bytes[3] = UInt8(length >> 8)
                bytes[4] = UInt8(length & 0xFF)
            default:
                for _ in 0..<(1 + random.next() % 8) { bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(1 << (random.next() % 8)) }
            }
            try sendAndClose(bytes, port: south)
        }
        counts["TLS records"] = 2000

        // 3. Random and mutated protobuf messages to every Federation method, over one
        // connection authenticated as node north.
        let corpus = try federationCorpus(federation)
        var codes: [String: Int] = [:]
        let federationInputs = 5000
        try await withFederationConnection(to: "south", port: south, as: north.identity) { client in
            for index in 0..<federationInputs {
                let (method, seedMessage) = corpus[index % corpus.count]
                let message = index % 4 == 0 ? random.bytes(count: Int(random.next() % 600)) : random.mutate(seedMessage)
                let outcome = await unaryOutcome(client, method, message)
                codes[outcome, default: 0] += 1
            }
        }
        counts["federation messages"] = federationInputs

        // 4. The Analyst service, as analyst alice, at the coordinator (Submit streams).
        let analystCorpus = try analystCorpus()
        let analystInputs = 1000
        try await withFederationConnection(to: nil, port: alice.address.port, as: alice.identity) { client in
            for index in 0..<analystInputs {
                let (method, seedMessage) = analystCorpus[index % analystCorpus.count]
                let message = index % 4 == 0 ? random.bytes(count: Int(random.next() % 300)) : random.mutate(seedMessage)
                let outcome = method == Fedstat_V1_Analyst.Method.Submit.descriptor
                    ? await streamOutcome(client, method, message) : await unaryOutcome(client, method, message)
                codes[outcome, default: 0] += 1
            }
        }
        counts["analyst messages"] = analystInputs
        #expect(counts.values.reduce(0, +) >= 10_000)
        print("fuzz: \(counts.sorted { $0.key < $1.key }) inputs; gRPC outcomes: \(codes.sorted { $0.key < $1.key })")
        // Malformed input is refused, never crashes a handler: no call ended in an
        // internal error or an unknown failure.
        #expect(codes["internalError"] == nil && codes["unknown"] == nil, "\(codes)")

        // Every node still runs, sees the others, and answers exactly.
        for name in federation.names {
            #expect(federation.process(name).process.isRunning, "\(name) is no longer running")
        }
        try await federation.waitUntilReady()
        let answer = try federation.fedquery(["--format", "csv", Self.query])
        #expect(answer.status == 0, "\(answer.error)")
        #expect(answer.output == "district,count(*),sum(cost)\nnorth,9,362.25\nsouth,3,21\neast,3,36.75\n")
        let verified = try run(fednodePath, ["audit", "verify", "--config", federation.root + "/nodes/south/node.yaml"])
        #expect(verified.status == 0, "\(verified.output) \(verified.error)")
    }

    // MARK: Inputs

    /// Well-formed messages of every Federation method, to mutate.
    func federationCorpus(_ federation: ProcessFederation) throws -> [(MethodDescriptor, [UInt8])] {
        let catalog = try CatalogFile.load(path: federation.directory.path + "/catalog.yaml").catalog
        let proposal = try ProtocolAttackTests.proposal(
            catalog: catalog, Self.query, participants: ["north", "south", "east"], protocol: .secureSum)
        var contribution = Fedstat_V1_ContributionRequest()
        contribution.queryID = proposal.queryID
        contribution.planHash = proposal.planHash
        var decrypt = Fedstat_V1_PartialDecryptionRequest()
        decrypt.queryID = proposal.queryID
        decrypt.planHash = proposal.planHash
        var part = Fedstat_V1_Contribution()
        part.node = "east"
        var encrypted = Fedstat_V1_EncryptedVector()
        encrypted.ciphertexts = [Data(repeating: 0x42, count: 128)]
        part.encrypted = encrypted
        decrypt.contributions = [part]
        decrypt.aggregate = [Data(repeating: 0x42, count: 128)]
        var release = Fedstat_V1_ReleaseRecord()
        release.queryID = proposal.queryID
        release.participants = proposal.participants
        var abort = Fedstat_V1_AbortRequest()
        abort.queryID = proposal.queryID
        abort.reason = "fuzz"
        typealias Method = Fedstat_V1_Federation.Method
        return [
            (Method.Propose.descriptor, try proposal.serializedBytes()),
            (Method.Contribute.descriptor, try contribution.serializedBytes()),
            (Method.PartialDecrypt.descriptor, try decrypt.serializedBytes()),
            (Method.Release.descriptor, try release.serializedBytes()),
            (Method.Abort.descriptor, try abort.serializedBytes()),
            (Method.Health.descriptor, []),
            (Method.Status.descriptor, []),
        ]
    }

    func analystCorpus() throws -> [(MethodDescriptor, [UInt8])] {
        var query = Fedstat_V1_QueryRequest()
        query.sql = Self.query
        query.timeoutMs = 20_000
        typealias Method = Fedstat_V1_Analyst.Method
        return [
            (Method.Explain.descriptor, try query.serializedBytes()),
            (Method.Submit.descriptor, try query.serializedBytes()),
            (Method.Catalog.descriptor, []),
            (Method.Status.descriptor, []),
        ]
    }

    // MARK: Sending

    /// One gRPC client over mutual TLS as `identity` to 127.0.0.1:`port`.
    func withFederationConnection(
        to node: String?, port: Int, as identity: TLSIdentity, _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Void
    ) async throws {
        let transport = try FederationClients.transport(
            to: node, at: try HostPort(host: "127.0.0.1", port: port), as: identity, maxMessageBytes: NodeConfig.Limits.defaultMaxMessageBytes)
        try await withGRPCClient(transport: transport) { client in try await body(client) }
    }

    func options() -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = .seconds(30)
        return options
    }

    /// "ok" or the gRPC status code of one unary call carrying `message`.
    func unaryOutcome(_ client: GRPCClient<HTTP2ClientTransport.Posix>, _ method: MethodDescriptor, _ message: [UInt8]) async -> String {
        do {
            try await client.unary(
                request: ClientRequest(message: message), descriptor: method, serializer: RawBytes(), deserializer: RawBytes(),
                options: options()
            ) { response in _ = try response.message }
            return "ok"
        } catch let error as RPCError {
            return "\(error.code)"
        } catch {
            return "unknown"
        }
    }

    /// The same for a server-streaming call, reading every response.
    func streamOutcome(_ client: GRPCClient<HTTP2ClientTransport.Posix>, _ method: MethodDescriptor, _ message: [UInt8]) async -> String {
        do {
            try await client.serverStreaming(
                request: ClientRequest(message: message), descriptor: method, serializer: RawBytes(), deserializer: RawBytes(),
                options: options()
            ) { response in for try await _ in response.messages {} }
            return "ok"
        } catch let error as RPCError {
            return "\(error.code)"
        } catch {
            return "unknown"
        }
    }

    /// The first TLS record our own client sends (its ClientHello), caught by a
    /// listener of this test that then hangs up.
    func clientHello(as identity: TLSIdentity) async throws -> [UInt8] {
        let listener = try ListeningSocket()
        let transport = try FederationClients.transport(
            to: "south", at: try HostPort(host: "127.0.0.1", port: listener.port), as: identity,
            maxMessageBytes: NodeConfig.Limits.defaultMaxMessageBytes)
        let client = Task {
            try? await withGRPCClient(transport: transport) { client in
                var options = CallOptions.defaults
                options.timeout = .seconds(10)
                _ = try await Fedstat_V1_Federation.Client(wrapping: client).health(Fedstat_V1_HealthRequest(), options: options)
            }
        }
        // On a thread of its own: accept and read block (polled, at most 30 s), which the
        // cooperative pool's few threads must not.
        let hello = try await offPool { listener.acceptAndReadRecord(timeoutMilliseconds: 30_000) }
        await client.value
        return hello
    }

    /// Connects to 127.0.0.1:`port`, sends `bytes`, and closes.
    func sendAndClose(_ bytes: [UInt8], port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "connect to the node failed: errno \(errno)")
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        shutdown(fd, Int32(SHUT_WR))
    }
}

/// A TCP listener on 127.0.0.1 (a kernel-chosen port) that accepts one connection.
final class ListeningSocket: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ready, listen(fd, 1) == 0 else {
            close(fd)
            throw ListenFailure()
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    struct ListenFailure: Error {}

    /// Accepts one connection and reads one whole TLS record (5-byte header and body),
    /// giving up after `timeoutMilliseconds` of silence.
    func acceptAndReadRecord(timeoutMilliseconds: Int32) -> [UInt8] {
        func ready(_ descriptor: Int32) -> Bool {
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            return poll(&request, 1, timeoutMilliseconds) > 0
        }
        guard ready(fd) else { return [] }
        let connection = accept(fd, nil, nil)
        guard connection >= 0 else { return [] }
        defer { close(connection) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 5 || received.count < 5 + (Int(received[3]) << 8 | Int(received[4])) {
            guard ready(connection) else { break }
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return received
    }

    deinit { close(fd) }
}

extension SplitMix64 {
    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }

    /// `message` changed in one of the ways a broken or hostile peer changes protobuf:
    /// bits flipped, cut short, bytes inserted, a field's length or varint made huge, a
    /// slice repeated, or fields of random numbers and wire types appended.
    mutating func mutate(_ message: [UInt8]) -> [UInt8] {
        var bytes = message
        func position() -> Int { bytes.isEmpty ? 0 : Int(next() % UInt64(bytes.count)) }
        switch next() % 6 {
        case 0:
            for _ in 0..<(1 + next() % 8) where !bytes.isEmpty { bytes[position()] ^= UInt8(1 << (next() % 8)) }
        case 1:
            bytes = Array(bytes.prefix(position()))
        case 2:
            bytes.insert(contentsOf: self.bytes(count: 1 + Int(next() % 32)), at: position())
        case 3:
            // A length or varint that never ends or promises gigabytes.
            bytes.insert(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], at: position())
        case 4:
            let start = position()
            let end = min(bytes.count, start + 1 + Int(next() % 64))
            bytes.insert(contentsOf: bytes[start..<end], at: position())
        default:
            for _ in 0..<(1 + next() % 4) {
                let field = 1 + next() % 20
                let wireType = [0, 1, 2, 5][Int(next() % 4)]
                bytes.append(UInt8(truncatingIfNeeded: field << 3 | UInt64(wireType)))
                bytes += self.bytes(count: Int(next() % 12))
            }
        }
        return bytes
    }
}
