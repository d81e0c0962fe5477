import Analyst
import ArgumentParser
import Foundation
import GRPCCore
import Node
import Wire

/// `fedquery "<SQL>"` (the default subcommand).
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Run a query (the default: `fedquery \"SELECT …\"`).")

    @Argument(help: "The query, in Fedstat's SQL.")
    var sql: String

    @Option(help: "table, json or csv.")
    var format: ResultFormat = .table

    @Option(help: "secure-sum or paillier (default: the coordinator's, secure-sum).")
    var `protocol`: ProtocolChoice?

    @Option(help: "Seconds the whole query may take (default: the coordinator's).")
    var timeout: Int?

    @Option(help: "Significant digits of values that are not exact decimals (1…40, default 15).")
    var digits: Int?

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let timeout, !(1...3600).contains(timeout) { throw ValidationError("--timeout must be 1…3600 seconds") }
        if let digits, !(1...40).contains(digits) { throw ValidationError("--digits must be 1…40") }
    }

    func run() async throws {
        var request = Fedstat_V1_QueryRequest()
        request.sql = sql
        if let aggregationProtocol = `protocol` { request.protocol = aggregationProtocol.wire }
        if let timeout { request.timeoutMs = UInt32(timeout * 1000) }
        if let digits { request.digits = UInt32(digits) }
        let showProgress = standardErrorIsTerminal
        let started = ContinuousClock.now
        let sql = self.sql
        let outcome: Result<ResultView, Failure> = try await connection.withClient { client in
            var options = CallOptions.defaults
            // The coordinator enforces the query's deadline; this only guards against a
            // coordinator that never answers.
            options.timeout = .seconds((timeout ?? 3600) + 30)
            return try await client.submit(request, options: options) { response in
                var outcome: Result<ResultView, Failure> = .failure(Failure(Failure.refused, "the coordinator sent no result"))
                for try await event in response.messages {
                    switch event.event {
                    case .result(let table):
                        outcome = .success(ResultView(table, queryID: Array(event.queryID)))
                    case .failure(let failure):
                        outcome = .failure(Failure(Failure.refused, Explanation.failure(failure, sql: sql)))
                    case .some(let other):
                        if showProgress, let line = Explanation.progress(other) { writeError("fedquery: \(line)\n") }
                    case nil:
                        break
                    }
                }
                return outcome
            }
        }
        let view = try outcome.get()
        let elapsed = ContinuousClock.now - started
        let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        FileHandle.standardOutput.write(Data(view.rendered(as: format, elapsedMilliseconds: milliseconds).utf8))
    }
}

/// `fedquery datasets`.
struct Datasets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the federation's datasets.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let catalog = try await connection.withClient { client in try await client.catalog(Fedstat_V1_CatalogRequest()) }
        print(Explanation.datasets(catalog), terminator: "")
    }
}

/// `fedquery describe <dataset>`.
struct Describe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a dataset's columns, types and bounds.")

    @Argument(help: "The dataset.")
    var dataset: String

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let catalog = try await connection.withClient { client in try await client.catalog(Fedstat_V1_CatalogRequest()) }
        guard let found = catalog.datasets.first(where: { $0.name == dataset }) else {
            let names = catalog.datasets.map(\.name).joined(separator: ", ")
            throw Failure(Failure.refused, "no dataset \(dataset) in the federation's catalog (it has: \(names))")
        }
        print(Explanation.describe(found), terminator: "")
    }
}

/// `fedquery status`.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Which nodes the coordinator can reach.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let status = try await connection.withClient { client in try await client.status(Fedstat_V1_FederationStatusRequest()) }
        print(Explanation.status(status), terminator: "")
    }
}

/// `fedquery explain "<SQL>"`.
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Would each node approve the query, by which rule, or why not (runs nothing).")

    @Argument(help: "The query, in Fedstat's SQL.")
    var sql: String

    @Option(help: "secure-sum or paillier.")
    var `protocol`: ProtocolChoice?

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        var request = Fedstat_V1_QueryRequest()
        request.sql = sql
        if let aggregationProtocol = `protocol` { request.protocol = aggregationProtocol.wire }
        let sql = self.sql
        let response: Fedstat_V1_ExplainResponse
        do {
            response = try await connection.withClient { client in try await client.explain(request) }
        } catch let failure as Failure {
            // An SQL error comes back as the coordinator's message with its position:
            // show the query with a caret under it, as a query does.
            throw Failure(failure.exitCode, Explanation.withCaret(failure.message, sql: sql))
        }
        print(Explanation.explain(response), terminator: "")
    }
}
