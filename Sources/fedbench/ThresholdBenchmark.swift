import ArgumentParser
import BigNum
import Foundation
import Paillier

struct ThresholdBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "threshold",
        abstract: "Measure threshold Paillier key generation, partial decryption, proofs and combination.",
        discussion: """
            Every figure runs on the calling thread; each is the median of several timed rounds. \
            The reference `powm_nsquared_ms` is one GMP exponentiation modulo n² with an exponent as \
            long as n² (the floor for one step of a partial decryption or a proof), measured in \
            the same run so the ratios hold on a noisy machine.
            """)

    @Option(help: "Modulus size: 2048 or 3072.")
    var bits: Int = 2048

    @Option(help: "Number of nodes (shares), ℓ.")
    var nodes: Int = 5

    @Option(help: "Threshold t (default: a majority, ℓ/2 + 1).")
    var threshold: Int?

    @Option(help: "Output format: text or json.")
    var format: PaillierBenchmark.OutputFormat = .text

    @Option(help: "Key generations to time (median reported).")
    var keygenRuns: Int = 5

    @Option(help: "Timed rounds per figure.")
    var rounds: Int = 5

    func validate() throws {
        guard KeySize(rawValue: bits) != nil else { throw ValidationError("--bits must be 2048 or 3072") }
        guard (1...ThresholdParameters.maximumParties).contains(nodes) else {
            throw ValidationError("--nodes must be 1...\(ThresholdParameters.maximumParties)")
        }
        if let threshold, !(1...nodes).contains(threshold) { throw ValidationError("--threshold must be 1...nodes") }
        guard rounds >= 1, keygenRuns >= 1 else { throw ValidationError("--rounds and --keygen-runs must be positive") }
    }

    func run() throws {
        let size = KeySize(rawValue: bits)!
        let t = threshold ?? nodes / 2 + 1
        let parameters = try ThresholdParameters(threshold: t, parties: nodes)
        var report = Report()
        report.add("bits", bits)
        report.add("nodes", nodes)
        report.add("threshold", t)

        progress("key generation (\(keygenRuns) runs)")
        var keygenTimes: [Double] = []
        var dealt: (publicKey: ThresholdPublicKey, shares: [ThresholdKeyShare])!
        for _ in 0..<keygenRuns {
            let start = ContinuousClock.now
            dealt = ThresholdDealer.deal(size: size, parameters: parameters)
            keygenTimes.append(seconds(since: start))
        }
        report.add("keygen_s", median(keygenTimes), digits: 3)
        report.add("keygen_max_s", keygenTimes.max()!, digits: 3)
        let key = dealt.publicKey
        let shares = dealt.shares
        let pk = key.publicKey

        let encryptor = Encryptor(publicKey: pk, windowBits: 6)
        let ciphertext = try encryptor.encrypt(BigInt(-123_456_789))
        let queryID = [UInt8](repeating: 7, count: queryIDLength)
        let share = shares[0]

        progress("reference: one GMP exponentiation modulo n² with a |n²|-bit exponent")
        let exponent = BigInt.random(bits: pk.nSquared.bitLength).declassified()
        let powm = timed { _ = ciphertext.value.power(exponent, modulus: pk.nSquared) }
        report.add("powm_nsquared_ms", powm * 1e3, digits: 3)

        progress("partial decryption")
        let partialValue = share.decryptionShare(ciphertext.value)
        let partialSeconds = timed { _ = share.decryptionShare(ciphertext.value) }
        report.add("partial_decrypt_ms", partialSeconds * 1e3, digits: 3)

        progress("proof")
        let proveSeconds = timed {
            _ = share.prove(ciphertext: ciphertext.value, partial: partialValue, queryID: queryID, randomness: nil)
        }
        report.add("prove_ms", proveSeconds * 1e3, digits: 3)

        progress("verification")
        let partials = try shares.prefix(t).map { try $0.partialDecrypt(ciphertext, queryID: queryID) }
        let verifySeconds = timed { try! key.verify(partials[0], of: ciphertext, queryID: queryID) }
        report.add("verify_ms", verifySeconds * 1e3, digits: 3)

        progress("combination of \(t) partial decryptions (verification included)")
        let combineSeconds = timed { _ = try! key.combine(partials, of: ciphertext, queryID: queryID) }
        report.add("combine_ms", combineSeconds * 1e3, digits: 3)
        guard try key.combine(partials, of: ciphertext, queryID: queryID) == BigInt(-123_456_789) else {
            throw ValidationError("threshold decryption returned a wrong plaintext")
        }

        report.add("partial_plus_prove_over_powm", (partialSeconds + proveSeconds) / powm, digits: 2)
        report.add("verify_over_powm", verifySeconds / powm, digits: 2)
        print(format == .json ? report.json() : report.text())
    }

    /// Median seconds per call over `rounds` calls (each call is milliseconds long).
    private func timed(_ operation: () -> Void) -> Double {
        operation()  // warm-up
        var times: [Double] = []
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            operation()
            times.append(seconds(since: start))
        }
        return median(times)
    }
}
