import ArgumentParser

/// Fedstat's benchmarks. Figures and the commands that reproduce them are recorded in
/// Benchmarks/RESULTS.md.
struct FedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedbench",
        abstract: "Fedstat micro and end-to-end benchmarks.",
        subcommands: [PaillierBenchmark.self, ThresholdBenchmark.self, ScanBenchmark.self])
}

FedBench.main()
