import ArgumentParser
import Config
import Foundation
import Policy
import Query
import StateStore

/// `fednode policy …`: check policy files and explain decisions without running anything.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Lint policy files against the catalog; explain whether this node would approve a query.",
        subcommands: [Check.self, Explain.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load policy files strictly and lint them against the catalog.",
            discussion: """
                Reports unknown datasets or columns, rules that an earlier rule makes unreachable, rules \
                expired or expiring within 30 days, unused groups and malformed `who` entries. Exit 0 when \
                nothing is an error (warnings are printed), 1 otherwise.
                """)

        @Option(help: "Path of node.yaml: its federation's catalog, and its policy directory when no files are given.")
        var config: String?

        @Option(help: "A catalog file (as for `federation init --catalog`), instead of --config.")
        var catalog: String?

        @Argument(help: "Policy files or directories (default: the node's policy directory).")
        var files: [String] = []

        func validate() throws {
            guard (config == nil) != (catalog == nil) else {
                throw ValidationError("give exactly one of --config and --catalog")
            }
            if config == nil && files.isEmpty {
                throw ValidationError("with --catalog, name the policy files or directories to check")
            }
        }

        func run() async throws {
            do {
                let (catalog, policyDirectory) = try loadCatalog()
                let paths = files.isEmpty ? [policyDirectory!] : files
                var sets: [PolicySet] = []
                for path in paths {
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                        sets.append(try PolicyFiles.load(directory: path))
                    } else {
                        guard let data = FileManager.default.contents(atPath: path) else {
                            throw Refusal(description: "\(path): cannot read the file")
                        }
                        sets.append(try PolicyFiles.parse(yaml: String(decoding: data, as: UTF8.self), file: path))
                    }
                }
                let set = try PolicyFiles.combine(sets)
                let findings = set.lint(catalog: catalog, now: Date())
                for finding in findings { print(finding) }
                let errors = findings.filter { $0.severity == .error }.count
                if errors > 0 {
                    throw Refusal(description: "\(errors) error(s) in the policy files")
                }
                print("ok: \(set.rules.count) rules, \(findings.count) warning(s)")
            } catch let refusal as Refusal {
                throw Refusal.printAndExit("policy check: \(refusal.description)")
            } catch {
                throw Refusal.printAndExit("policy check: \(error)")
            }
        }

        /// The catalog, and the node's policy directory when --config is given.
        func loadCatalog() throws -> (Catalog, String?) {
            if let catalog { return (try CatalogFile.load(path: catalog).catalog, nil) }
            let node = try NodeConfig.load(path: config!)
            let federation = try FederationConfig.load(path: node.federation.resolved)
            return (try federation.parsedCatalog(), node.policies.resolved)
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Would this node approve a query? By which rule, or why not. Runs nothing.",
            discussion: """
                Plans the SQL against the federation's catalog and evaluates this node's policies as a \
                proposal would be evaluated, with today's query counts from the node's state store (none if \
                it has no store yet). Exit 0 when the node would approve, 1 when it would deny or the query \
                is not valid.
                """)

        @Option(help: "Path of node.yaml.")
        var config: String

        @Option(help: "The analyst's SPIFFE id, e.g. spiffe://city/analyst/alice.")
        var analyst: String

        @Option(help: "The protocol: secure_sum or paillier.")
        var `protocol`: String = "paillier"

        @Option(name: .customLong("participant"), help: "A participating node; repeat (default: the nodes that hold the dataset, as a coordinator proposes them).")
        var participants: [String] = []

        @Argument(help: "The query, in Fedstat's SQL.")
        var sql: String

        func validate() throws {
            guard AggregationProtocol(rawValue: `protocol`) != nil else {
                throw ValidationError("--protocol must be secure_sum or paillier")
            }
        }

        func run() async throws {
            let node: NodeConfig
            let federation: FederationConfig
            let catalog: Catalog
            let policies: PolicySet
            do {
                node = try NodeConfig.load(path: config)
                federation = try FederationConfig.load(path: node.federation.resolved)
                catalog = try federation.parsedCatalog()
                policies = try PolicyFiles.load(directory: node.policies.resolved)
            } catch {
                throw Refusal.printAndExit("policy explain: \(error)")
            }
            let names: [String]
            let plan: Plan
            do {
                // By default the participants a coordinator would propose: the dataset's holders.
                if participants.isEmpty {
                    (plan, names) = try Planner.planForHolders(sql: sql, catalog: catalog, nodes: federation.nodes.map(\.name))
                } else {
                    (plan, names) = (try Planner.plan(sql: sql, catalog: catalog, participants: participants.count), participants)
                }
            } catch {
                throw Refusal.printAndExit("policy explain: the query is not valid: \(error)")
            }
            // Today's counts as the node would see them; a node without a store has none.
            let store = try? StateStore(directory: node.stateDirectory.resolved, create: false)
            let day = UTCTime.day(Date())
            let request = PolicyRequest(
                plan: plan, analyst: analyst, participants: names,
                aggregationProtocol: AggregationProtocol(rawValue: `protocol`)!, now: Date(),
                queriesToday: { rule in (try? store?.queriesToday(rule: rule, day: day)) ?? 0 })
            let decision = policies.evaluate(request)
            print("node \(node.name): \(decision)")
            print("  participants: \(names.joined(separator: ", "))")
            if case .approve(_, let requirements) = decision.verdict {
                print("  requires: min_group_size \(requirements.minGroupSize), min_parties \(requirements.minParties)")
                print("  purpose: \(requirements.purpose)")
            } else {
                throw ExitCode(1)
            }
        }
    }
}
