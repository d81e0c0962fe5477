import ArgumentParser

/// Fedstat's benchmarks. Figures and the commands that reproduce them are recorded in
/// Benchmarks/RESULTS.md.
@main
struct FedBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedbench",
        abstract: "Fedstat micro and end-to-end benchmarks.",
        subcommands: [PaillierBenchmark.self, ThresholdBenchmark.self, ScanBenchmark.self, EndToEndBenchmark.self])
}

