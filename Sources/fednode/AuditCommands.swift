import ArgumentParser
import Config
import Foundation
import StateStore

/// `fednode audit …`: read and check this node's audit log (Protocols/audit-log.md).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show, export and verify this node's hash-chained audit log.",
        discussion: "The log is in <state_directory>/node.sqlite; see Protocols/audit-log.md.",
        subcommands: [Show.self, Export.self, Verify.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print audit records, oldest first: seq, time, kind, query id, then the record's fields."
        )

        @Option(help: "Path of node.yaml.")
        var config: String

        @Option(help: "Only records at or after this time (ISO 8601, e.g. 2026-03-01T00:00:00Z).")
        var since: String?

        @Option(help: "Only records of this query id (32 hex digits).")
        var query: String?

        func validate() throws {
            if let since, Self.parseTime(since) == nil {
                throw ValidationError("--since \(since): expected an ISO 8601 time such as 2026-03-01T09:30:00Z")
            }
            if let query, Hex.decode(query.lowercased())?.count != StateStore.queryIDLength {
                throw ValidationError("--query \(query): expected a query id of 32 hex digits")
            }
        }

        func run() async throws {
            let store = try openAuditStore(config: config)
            let entries: [AuditEntry]
            do {
                entries = try store.records(
                    since: since.flatMap(Self.parseTime),
                    queryID: query.flatMap { Hex.decode($0.lowercased()) }
                )
            } catch {
                throw Refusal.printAndExit("audit show: \(error)")
            }
            for entry in entries {
                let id = entry.record.queryID.map { Hex.encode($0) } ?? "-"
                print(
                    "\(entry.seq)\t\(entry.time)\t\(entry.record.kind)\t\(id)\t\(CanonicalJSON.object(entry.record.fields).text)"
                )
            }
        }

        static func parseTime(_ text: String) -> Date? {
            if let date = UTCTime.parseTimestamp(text) { return date }
            let formatter = ISO8601DateFormatter()
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date }
            return UTCTime.parseDay(text)
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write the whole log to standard output, one canonical JSON record per line (with seq, time, prev and hash)."
        )

        @Option(help: "Path of node.yaml.")
        var config: String

        @Option(help: "Output format; only jsonl.")
        var format: String = "jsonl"

        func validate() throws {
            guard format == "jsonl" else { throw ValidationError("--format \(format): only jsonl is supported") }
        }

        func run() async throws {
            let store = try openAuditStore(config: config)
            do {
                FileHandle.standardOutput.write(Data(try store.exportJSONLines().utf8))
            } catch {
                throw Refusal.printAndExit("audit export: \(error)")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain from the first record; exit 0 if intact, 1 naming the first bad record.",
            discussion: "Keep the printed head somewhere else: a log cut short at its end is only detected against it."
        )

        @Option(help: "Path of node.yaml.")
        var config: String

        func run() async throws {
            let store = try openAuditStore(config: config)
            let verification: AuditVerification
            do {
                verification = try store.verify()
            } catch {
                throw Refusal.printAndExit("audit verify: \(error)")
            }
            guard let failure = verification.failure else {
                print("ok: \(verification.intactCount) records, chain intact")
                print("  head: \(Hex.encode(verification.head))")
                return
            }
            throw Refusal.printAndExit(
                "audit verify: \(store.path): record \(failure.seq) is bad (\(failure.problem)): \(failure.detail); "
                    + "records 1…\(verification.intactCount) are intact"
            )
        }
    }
}

/// Opens the state store named by `node.yaml` at `config`, without creating one.
private func openAuditStore(config: String) throws -> StateStore {
    do {
        let node = try NodeConfig.load(path: config)
        return try StateStore(directory: node.stateDirectory.resolved, create: false)
    } catch let error as ConfigError {
        throw Refusal.printAndExit(error.description)
    } catch {
        throw Refusal.printAndExit("audit: \(error)")
    }
}
