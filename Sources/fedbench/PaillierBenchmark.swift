import ArgumentParser
import BigNum
import Foundation
import Paillier

struct PaillierBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paillier",
        abstract: "Measure Paillier key generation, encryption, decryption and homomorphic operations.",
        discussion: """
            Runs on the calling thread except where noted (the randomness pool refills on a \
            background thread). Each figure is the median of several timed rounds. \
            With --format json, prints one JSON object (keys documented in Benchmarks/README.md).
            """)

    @Option(help: "Modulus size: 2048 or 3072.")
    var bits: Int = 2048

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Fixed-base window width (default: the library's default for the key size).")
    var window: Int?

    @Option(help: "Key generations to time (median reported).")
    var keygenRuns: Int = 3

    @Option(help: "Seconds spent on each timed round of a fast operation.")
    var roundSeconds: Double = 0.5

    @Option(help: "Timed rounds per figure.")
    var rounds: Int = 5

    enum OutputFormat: String, ExpressibleByArgument {
        case text, json
    }

    func validate() throws {
        guard KeySize(rawValue: bits) != nil else {
            throw ValidationError("--bits must be 2048 or 3072")
        }
        guard rounds >= 1, keygenRuns >= 1, roundSeconds > 0 else {
            throw ValidationError("--rounds, --keygen-runs and --round-seconds must be positive")
        }
    }

    func run() throws {
        let size = KeySize(rawValue: bits)!
        let timer = Timer(rounds: rounds, roundSeconds: roundSeconds)
        var report = Report()
        report.add("bits", bits)

        progress("key generation (\(keygenRuns) runs)")
        var keygenTimes: [Double] = []
        var key: PrivateKey!
        for _ in 0..<keygenRuns {
            let start = ContinuousClock.now
            key = PrivateKey.generate(size: size)
            keygenTimes.append(seconds(since: start))
        }
        report.add("keygen_s", median(keygenTimes), digits: 3)
        let publicKey = key.publicKey

        progress("fixed-base table")
        let buildStart = ContinuousClock.now
        let encryptor = Encryptor(publicKey: publicKey, windowBits: window)
        report.add("table_build_s", seconds(since: buildStart), digits: 3)
        report.add("window_bits", encryptor.windowBits)
        report.add("exponent_bits", encryptor.exponentBits)
        report.add("table_mb", Double(encryptor.tableBytes) / 1_048_576, digits: 1)

        progress("encryption (sustained, one core, randomness included)")
        let value = BigInt(123_456_789)
        let encryptSeconds = timer.perOperation { _ = try! encryptor.encrypt(value) }
        report.add("encrypt_ops_per_s", 1 / encryptSeconds, digits: 1)
        report.add("encrypt_us", encryptSeconds * 1e6, digits: 1)

        progress("encryption on all cores (the pool thread computes on the second core)")
        report.add("encrypt_ops_per_s_all_cores", allCoresThroughput(publicKey), digits: 1)

        progress("diagnostic: the same table machinery with a 1024-bit exponent")
        let shortTable = FixedBasePowers(
            base: try publicKey.ciphertext(BigInt(3)).value, modulus: MontgomeryModulus(publicKey.nSquared),
            exponentBits: 1024, windowBits: encryptor.windowBits)
        let shortSeconds = timer.perOperation { _ = shortTable.power(BigInt.random(bits: 1024)) }
        report.add("short_exponent_1024_ops_per_s", 1 / shortSeconds, digits: 1)

        progress("textbook encryption")
        let textbookSeconds = timer.perOperation { _ = try! publicKey.encryptTextbook(residue: value) }
        report.add("encrypt_textbook_ops_per_s", 1 / textbookSeconds, digits: 1)

        progress("encryption with a warm pool")
        let poolSize = 1024  // about 1 MiB of factors: a node's working pool
        let pooled = Encryptor(publicKey: publicKey, windowBits: window, poolCapacity: poolSize)
        var onlineRounds: [Double] = []
        for _ in 0..<rounds {
            pooled.waitForPool(atLeast: poolSize)
            let batch = poolSize / 2  // stays above the refill mark's work: every take hits the pool
            let start = ContinuousClock.now
            for _ in 0..<batch { _ = try! pooled.encrypt(value) }
            onlineRounds.append(seconds(since: start) / Double(batch))
        }
        report.add("encrypt_online_us", median(onlineRounds) * 1e6, digits: 2)

        let c1 = try encryptor.encrypt(BigInt(1_000_000))
        let c2 = try encryptor.encrypt(BigInt(-2_000))

        progress("decryption")
        let decryptSeconds = timer.perOperation { _ = try! key.decrypt(c1) }
        report.add("decrypt_ms", decryptSeconds * 1e3, digits: 3)
        let crt = key.benchmarkCRTInputs(c1)
        let gmpRaw = timer.perOperation {
            _ = crt.cp.power(crt.pMinusOne, modulus: crt.pSquared)
            _ = crt.cq.power(crt.qMinusOne, modulus: crt.qSquared)
        }
        report.add("raw_gmp_crt_powm_ms", gmpRaw * 1e3, digits: 3)
        let gmpSec = timer.perOperation {
            _ = crt.cp.powerSecret(crt.pMinusOne, modulus: crt.pSquared)
            _ = crt.cq.powerSecret(crt.qMinusOne, modulus: crt.qSquared)
        }
        report.add("raw_gmp_crt_powm_sec_ms", gmpSec * 1e3, digits: 3)

        progress("homomorphic operations")
        let addSeconds = timer.perOperation { _ = c1 + c2 }
        report.add("add_us", addSeconds * 1e6, digits: 2)
        let modmul = timer.perOperation { _ = c1.value.multiplied(by: c2.value, modulo: publicKey.nSquared) }
        report.add("raw_gmp_modmul_us", modmul * 1e6, digits: 2)
        let scalar = BigInt(0x7FFF_FFFF_FFFF_FFFF)
        let scalarSeconds = timer.perOperation { _ = c1 * scalar }
        report.add("scalar_mul_us", scalarSeconds * 1e6, digits: 1)
        let negativeScalarSeconds = timer.perOperation { _ = c1 * -scalar }
        report.add("scalar_mul_negative_us", negativeScalarSeconds * 1e6, digits: 1)

        progress("pack + encrypt 10,000 values of 40 bits, headroom 1,000 additions")
        let layout = try PackingLayout(publicKey: publicKey, bound: (BigInt(1) << 40) - BigInt(1), additions: 1000)
        var generator = SystemRandomNumberGenerator()
        let values = (0..<10_000).map { _ in BigInt(UInt64.random(in: 0..<(1 << 40), using: &generator)) }
        let packStart = ContinuousClock.now
        let packed = try encryptor.encrypt(vector: values, layout: layout)
        report.add("pack_10k_s", seconds(since: packStart), digits: 3)
        report.add("pack_10k_ciphertexts", packed.ciphertexts.count)
        report.add("pack_slot_bits", layout.slotBits)
        guard try key.decrypt(packed) == values else {
            throw ValidationError("packed round trip failed")
        }

        print(format == .json ? report.json() : report.text())
    }

    /// Encryptions per second when the caller encrypts on one core while the pool's
    /// thread fills factors on another: the caller takes pooled factors when there
    /// are any and computes its own otherwise.
    private func allCoresThroughput(_ publicKey: PublicKey) -> Double {
        let encryptor = Encryptor(publicKey: publicKey, windowBits: window, poolCapacity: 64)
        let value = BigInt(42)
        var perRound: [Double] = []
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            var count = 0
            while seconds(since: start) < max(roundSeconds, 1) {
                _ = try! encryptor.encrypt(value)
                count += 1
            }
            perRound.append(Double(count) / seconds(since: start))
        }
        return median(perRound)
    }
}

/// Times an operation in rounds of about `roundSeconds` and reports the median
/// seconds per operation.
struct Timer {
    let rounds: Int
    let roundSeconds: Double

    func perOperation(_ operation: () -> Void) -> Double {
        // Calibrate: how many operations fill one round.
        var count = 1
        while true {
            let start = ContinuousClock.now
            for _ in 0..<count { operation() }
            let elapsed = seconds(since: start)
            if elapsed >= roundSeconds / 4 || count >= 1 << 24 {
                count = max(1, Int(Double(count) * roundSeconds / max(elapsed, 1e-9)))
                break
            }
            count *= 4
        }
        var perOp: [Double] = []
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            for _ in 0..<count { operation() }
            perOp.append(seconds(since: start) / Double(count))
        }
        return median(perOp)
    }
}

/// A progress line on standard error (standard output carries only the figures).
func progress(_ step: String) {
    FileHandle.standardError.write(Data("fedbench: \(step)…\n".utf8))
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/// Ordered key/value figures printed as text or one JSON object.
struct Report {
    private var entries: [(String, String)] = []

    mutating func add(_ key: String, _ value: Int) {
        entries.append((key, String(value)))
    }

    mutating func add(_ key: String, _ value: Double, digits: Int) {
        entries.append((key, String(format: "%.\(digits)f", value)))
    }

    func json() -> String {
        "{" + entries.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    func text() -> String {
        let width = entries.map(\.0.count).max() ?? 0
        return entries.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
            .joined(separator: "\n")
    }
}
