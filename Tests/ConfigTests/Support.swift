import Config
import Foundation
import Testing

/// Sample files, with line numbers the error tests rely on.
enum Sample {
    static let key1 = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
    static let key2 = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
    static let key3 = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
    static let pem = """
        -----BEGIN CERTIFICATE-----
        c2hhcGUgb25seSwgbm90IGEgcmVhbCBjZXJ0aWZpY2F0ZQ==
        -----END CERTIFICATE-----

        """

    static let federationFile = "/etc/fedstat/federation.yaml"

    /// federation.yaml; the comment at the end of each line is its line number.
    static let federation = """
        federation: city-of-example
        ca_certificate: |
          -----BEGIN CERTIFICATE-----
          c2hhcGUgb25seSwgbm90IGEgcmVhbCBjZXJ0aWZpY2F0ZQ==
          -----END CERTIFICATE-----
        paillier:
          public_key: AAECAwQFBgcICQoLDA0ODw==
          threshold: 2
        members:
          - name: hospital-north
            role: node
            address: 127.0.0.1:7001
            masking_key: \(key1)
            paillier_index: 1
          - name: civil-affairs
            role: node
            address: "[::1]:7002"
            masking_key: \(key2)
            paillier_index: 2
          - name: utility
            role: node
            address: node3.example.org:7003
            masking_key: \(key3)
            paillier_index: 3
          - name: alice
            role: analyst
        catalog:
          visits:
            columns:
              cost: decimal(2)

        """

    static let nodeFile = "/etc/fedstat/hospital-north/node.yaml"

    static let node = """
        name: hospital-north
        listen: 0.0.0.0:7001
        federation: ../federation.yaml
        # TLS files
        tls:
          certificate: tls.pem
          key: tls.key
        masking_key: masking.key
        paillier_share: paillier-share.bin
        state_directory: /var/lib/fedstat/state
        policies: ./rules/../policies
        limits:
          max_message_bytes: 1048576
          rpc_timeout_seconds: 10
        datasets:
          visits:
            csv: data/visits.csv

        """

    static let analystFile = "/home/alice/.fedstat/fedquery.yaml"

    static let analyst = """
        federation: city-of-example
        name: alice
        coordinator:
          name: hospital-north
          address: "[2001:db8::7]:7001"
        tls:
          certificate: alice.pem
          key: keys/alice.key
          ca: /etc/fedstat/ca.pem

        """
}

extension String {
    /// The text with line `number` (from 1) replaced by `lines` (none: removed).
    func replacingLine(_ number: Int, with lines: String...) -> String {
        var all = split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        all.replaceSubrange((number - 1)..<number, with: lines)
        return all.joined(separator: "\n")
    }

    /// The text with `lines` inserted after line `number`.
    func insertingLines(after number: Int, _ lines: String...) -> String {
        var all = split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        all.insert(contentsOf: lines, at: number)
        return all.joined(separator: "\n")
    }
}

/// Runs `body`, which must fail with a ``ConfigError`` of `code` at `keyPath`, `line`
/// (and `column`) of `file`; the description must name all of them. Returns the error.
/// `line: nil` expects an error without a position (the file could not be read).
@discardableResult
func expectConfigError(
    _ code: ConfigError.Code,
    file: String,
    keyPath: String,
    line: Int?,
    column: Int? = nil,
    mentioning words: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> ConfigError? {
    do {
        try body()
        Issue.record("expected a \(code) error at `\(keyPath)`; nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as ConfigError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.file == file, sourceLocation: sourceLocation)
        #expect(error.keyPath == keyPath, "\(error)", sourceLocation: sourceLocation)
        #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
        if let column { #expect(error.column == column, "\(error)", sourceLocation: sourceLocation) }
        let description = error.description
        let prefix = line.map { "\(file):\($0):" } ?? "\(file): "
        #expect(description.hasPrefix(prefix), "\(description)", sourceLocation: sourceLocation)
        if !keyPath.isEmpty {
            #expect(description.contains(" \(keyPath): "), "\(description)", sourceLocation: sourceLocation)
        }
        for word in words {
            #expect(description.contains(word), "\(description) should mention \(word)", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a ConfigError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
