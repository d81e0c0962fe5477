import ArgumentParser
import Foundation
import Logging
import Node
import Policy
import ServiceLifecycle

/// `fednode`: run and administer a Fedstat node.
@main
struct FedNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fednode",
        abstract: "Run and administer a Fedstat node.",
        discussion: "See Keys/README.md for the key ceremony and the files it writes.",
        subcommands: [Serve.self, Check.self, Status.self, FederationCommand.self, KeysCommand.self, PolicyCommand.self, AuditCommand.self])
}

/// Exit codes: 0 success, 1 the node refused (bad configuration, keys, certificates),
/// 64 usage error (ArgumentParser's EX_USAGE).
struct Refusal: Error, CustomStringConvertible {
    let description: String
}

extension Refusal {
    static func printAndExit(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("fednode: \(message)\n".utf8))
        return ExitCode(1)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the node until SIGTERM or SIGINT, then drain in-flight calls and exit 0.")

    @Option(help: "Path of node.yaml.")
    var config: String

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "fedstat.node")
        let setup: NodeSetup
        do {
            setup = try NodeSetup.load(configPath: config)
            for (dataset, rows) in try setup.checkData() {
                logger.info("dataset checked", metadata: ["dataset": "\(dataset)", "rows": "\(rows)"])
            }
        } catch {
            throw Refusal.printAndExit("refusing to start: \(error.description)")
        }
        let node = FederationNode(setup: setup, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: node, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every start-up check of `serve` (configuration, key file modes, certificate, CA, key shares) without starting.")

    @Option(help: "Path of node.yaml.")
    var config: String

    func run() async throws {
        do {
            let setup = try NodeSetup.load(configPath: config)
            let formatter = ISO8601DateFormatter()
            print("ok: \(setup.principal.spiffeID)")
            print("  listen:       \(setup.config.listen)")
            print("  certificate:  valid until \(formatter.string(from: setup.certificateNotAfter))")
            print("  peers:        \(setup.federation.nodes.filter { $0.name != setup.config.name }.map(\.name).joined(separator: ", "))")
            if let share = setup.paillierShare {
                print("  paillier:     share \(share.index) of \(share.publicKey.parties), threshold \(share.publicKey.threshold), \(share.publicKey.publicKey.bits) bits")
            }
            for (dataset, rows) in try setup.checkData() {
                print("  dataset:      \(dataset): \(rows) rows, every value within the catalog")
            }
            let findings = setup.policies.lint(catalog: setup.catalog, now: Date())
            print("  policies:     \(setup.policies.rules.count) rules, \(findings.count) finding(s) (see `fednode policy check`)")
        } catch {
            throw Refusal.printAndExit(error.description)
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask a running node (this one by default) for its status and its view of its peers, over mutual TLS as this node.")

    @Option(help: "Path of node.yaml of this node (its identity is used to connect).")
    var config: String

    @Option(help: "Which node to ask (default: this one).")
    var node: String?

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Int = 10

    func run() async throws {
        let setup: NodeSetup
        do {
            setup = try NodeSetup.load(configPath: config)
        } catch {
            throw Refusal.printAndExit(error.description)
        }
        let target = node ?? setup.config.name
        guard let member = setup.federation.node(named: target) else {
            throw Refusal.printAndExit("no node named \(target) in the federation")
        }
        let address = target == setup.config.name && setup.config.listen.port != 0 ? setup.member.address : member.address
        do {
            let status = try await NodeStatusQuery.fetch(from: target, at: address, setup: setup, timeout: .seconds(timeout))
            print(status)
        } catch {
            throw Refusal.printAndExit("status of \(target) at \(address): \(error)")
        }
    }
}
