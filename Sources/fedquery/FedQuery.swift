import Analyst
import ArgumentParser
import Config
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Node
import Wire

/// `fedquery`: ask the federation a question in SQL.
///
/// Exit codes: 0 success; 1 the query was refused or failed (an SQL error, a denial, a
/// node failure, a deadline); 2 usage error (bad arguments, an unreadable or wrong
/// configuration); 3 connection or TLS failure.
@main
struct FedQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedquery",
        abstract: "Ask the federation a question in SQL; every node answers over its own rows, none shows them.",
        discussion: """
            Connects to the coordinator named in the analyst configuration (--config, by \
            default ~/.config/fedquery/config.yaml, the file the key ceremony writes for each \
            analyst), or to --node host:port with --cert, --key and --ca.

            Exit codes: 0 success; 1 the query was refused or failed; 2 usage error; \
            3 connection or TLS failure.
            """,
        subcommands: [Run.self, Datasets.self, Describe.self, Status.self, Explain.self],
        defaultSubcommand: Run.self)

    /// Runs the command and maps every failure to the documented exit codes (argument
    /// parsing's own usage code would be 64).
    static func main() async {
        do {
            var command = try parseAsRoot(subcommandFirst(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch let failure as Failure {
            writeError("fedquery: " + failure.message + "\n")
            Foundation.exit(failure.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            writeError(fullMessage(for: error) + "\n")
            Foundation.exit(Failure.usage)
        }
    }
}

/// The arguments with a subcommand named after options moved to the front, so
/// `fedquery --config F datasets` means what `fedquery datasets --config F` does (the
/// parser would otherwise take `datasets` as the default subcommand's SQL). Every
/// option of fedquery takes a value, so the first word that is neither an option nor an
/// option's value is the subcommand or the SQL.
func subcommandFirst(_ arguments: [String]) -> [String] {
    let names = FedQuery.configuration.subcommands.map { $0._commandName }
    var index = 0
    while index < arguments.count, arguments[index].hasPrefix("--") {
        if ["--help", "--version"].contains(arguments[index]) { return arguments }
        index += arguments[index].contains("=") ? 1 : 2
    }
    guard index > 0, index < arguments.count, names.contains(arguments[index]) else { return arguments }
    var reordered = arguments
    reordered.insert(reordered.remove(at: index), at: 0)
    return reordered
}

/// A failure `fedquery` reports and exits with.
struct Failure: Error {
    static let refused: Int32 = 1
    static let usage: Int32 = 2
    static let connection: Int32 = 3

    let exitCode: Int32
    let message: String

    init(_ exitCode: Int32, _ message: String) {
        self.exitCode = exitCode
        self.message = message
    }
}

/// Where the coordinator is and who the analyst is.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The analyst configuration (default: ~/.config/fedquery/config.yaml).")
    var config: String?

    @Option(help: "A node to connect to, host:port (instead of --config; with --cert, --key and --ca).")
    var node: String?

    @Option(help: "The analyst's certificate (PEM), with --node.")
    var cert: String?

    @Option(help: "The analyst's private key (PEM, mode 0600), with --node.")
    var key: String?

    @Option(help: "The federation's CA certificate (PEM), with --node.")
    var ca: String?

    func validate() throws {
        if node != nil {
            guard cert != nil, key != nil, ca != nil else { throw ValidationError("--node needs --cert, --key and --ca") }
            guard config == nil else { throw ValidationError("give either --config or --node, not both") }
        } else if cert != nil || key != nil || ca != nil {
            throw ValidationError("--cert, --key and --ca go with --node")
        }
    }

    static var defaultConfigPath: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.config/fedquery/config.yaml"
    }

    func connection() throws -> AnalystConnection {
        do {
            if let node, let cert, let key, let ca {
                let address: HostPort
                do {
                    address = try HostPort(parsing: node)
                } catch {
                    throw Failure(Failure.usage, "--node \(node): \(error)")
                }
                return try AnalystConnection.load(node: address, certificate: cert, key: key, ca: ca)
            }
            let path = config ?? Self.defaultConfigPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw Failure(
                    Failure.usage,
                    "no analyst configuration at \(path): pass --config (the fedquery.yaml the key ceremony wrote for you) "
                        + "or --node with --cert, --key and --ca")
            }
            return try AnalystConnection.load(configPath: path)
        } catch let error as AnalystSetupError {
            throw Failure(error.kind == .certificate ? Failure.connection : Failure.usage, error.description)
        }
    }

    /// Runs `body` with a client of the coordinator's Analyst service, mapping transport
    /// failures to exit code 3 with what is wrong.
    func withClient<Result: Sendable>(
        _ body: (Fedstat_V1_Analyst.Client<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let connection = try connection()
        do {
            return try await FederationClients.withAnalystClient(
                to: connection.coordinator, at: connection.address, as: connection.identity, maxMessageBytes: 256 << 20, body)
        } catch let error as RPCError {
            throw Self.failure(error, connection: connection)
        }
    }

    /// What an RPC error means to the analyst.
    static func failure(_ error: RPCError, connection: AnalystConnection) -> Failure {
        let text = String(describing: error)
        let target = (connection.coordinator.map { "\($0) at " } ?? "") + connection.address.description
        switch error.code {
        case .unavailable:
            if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed")
                || text.contains("handshake failed")
            {
                return Failure(
                    Failure.connection,
                    "TLS handshake with \(target) failed: its certificate is not a node certificate"
                        + (connection.coordinator.map { " of \($0)" } ?? "")
                        + " from the CA in \(connection.caFile) (is this the right federation and CA file?)")
            }
            if text.contains("ALERT") || text.contains("alert") {
                return Failure(
                    Failure.connection,
                    "TLS handshake with \(target) failed: the node refused this analyst's certificate \(connection.certificateFile) "
                        + "(is it from this federation's CA?)")
            }
            return Failure(Failure.connection, "cannot reach \(target): \(error.message)")
        case .permissionDenied, .unauthenticated:
            return Failure(Failure.refused, "\(target) refused: \(error.message)")
        case .deadlineExceeded:
            return Failure(Failure.connection, "no answer from \(target) in time: \(error.message)")
        default:
            return Failure(Failure.refused, "\(target) answered \(error.code): \(error.message)")
        }
    }
}

/// Whether standard error is a terminal (progress is shown only then).
var standardErrorIsTerminal: Bool { isatty(2) == 1 }

func writeError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

extension ResultFormat: ExpressibleByArgument {}

enum ProtocolChoice: String, ExpressibleByArgument, CaseIterable {
    case secureSum = "secure-sum"
    case paillier

    var wire: Fedstat_V1_AggregationProtocol {
        switch self {
        case .secureSum: .secureSum
        case .paillier: .paillier
        }
    }
}
