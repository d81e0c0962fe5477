// fedstate-stress: appends audit records to a state store in a loop, printing each
// committed sequence number on its own line as soon as `append` returns.
//
// Used by StateStoreTests' crash-safety test, which SIGKILLs this process mid-loop and
// then checks that the chain verifies and that every sequence number printed here is
// in the log. Not installed; not for operators.
//
// Usage: fedstate-stress <state directory> <maximum number of records>

import Foundation
import StateStore

let arguments = CommandLine.arguments
guard arguments.count == 3, let limit = Int(arguments[2]), limit > 0 else {
    FileHandle.standardError.write(Data("usage: fedstate-stress <state directory> <maximum number of records>\n".utf8))
    exit(2)
}

do {
    let store = try StateStore(directory: arguments[1])
    var generator = SystemRandomNumberGenerator()
    for index in 0..<limit {
        let queryID = (0..<StateStore.queryIDLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let record = AuditRecord.proposal(
            queryID: queryID,
            planHash: Array(repeating: UInt8(truncatingIfNeeded: index), count: 32),
            analyst: "spiffe://stress/analyst/a",
            coordinator: "stress-coordinator",
            participants: ["node-a", "node-b", "node-c"],
            protocol: "secure-sum",
            dataset: "stress \(index)"
        )
        let entry = try store.append(record)
        // Unbuffered: the parent must see each number as soon as its record is durable.
        FileHandle.standardOutput.write(Data("\(entry.seq)\n".utf8))
    }
} catch {
    FileHandle.standardError.write(Data("fedstate-stress: \(error)\n".utf8))
    exit(1)
}
