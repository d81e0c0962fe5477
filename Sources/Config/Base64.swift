/// Standard base64 (RFC 4648 §4, with padding), decoded strictly: a text with a stray
/// character, missing padding or non-zero unused bits is refused rather than read as
/// some other key.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var group = UInt32(bytes[index]) << 16
            if count > 1 { group |= UInt32(bytes[index + 1]) << 8 }
            if count > 2 { group |= UInt32(bytes[index + 2]) }
            for position in 0..<4 {
                if position <= count {
                    output.append(alphabet[Int((group >> UInt32(18 - 6 * position)) & 0x3F)])
                } else {
                    output.append(UInt8(ascii: "="))
                }
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil. Spaces and line breaks are skipped when
    /// `ignoringWhitespace` (a long key wrapped over several lines).
    static func decode(_ text: String, ignoringWhitespace: Bool = false) -> [UInt8]? {
        var symbols: [UInt8] = []
        symbols.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if ignoringWhitespace, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { continue }
            symbols.append(byte)
        }
        guard symbols.count % 4 == 0 else { return nil }
        var padding = 0
        while padding < 2, symbols.count - padding > 0, symbols[symbols.count - 1 - padding] == UInt8(ascii: "=") {
            padding += 1
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(symbols.count / 4 * 3)
        var group: UInt32 = 0
        for (index, symbol) in symbols.enumerated() {
            let value: UInt8
            if index >= symbols.count - padding {
                value = 0
            } else {
                value = values[Int(symbol)]
                guard value != 0xFF else { return nil }
            }
            group = group << 6 | UInt32(value)
            if index % 4 == 3 {
                bytes.append(UInt8(truncatingIfNeeded: group >> 16))
                bytes.append(UInt8(truncatingIfNeeded: group >> 8))
                bytes.append(UInt8(truncatingIfNeeded: group))
                group = 0
            }
        }
        guard padding > 0 else { return bytes }
        // The unused low bits of the last symbol must be zero, so each byte string has
        // exactly one encoding.
        let last = values[Int(symbols[symbols.count - 1 - padding])]
        let unusedBits: UInt8 = padding == 1 ? 0b11 : 0b1111
        guard last & unusedBits == 0 else { return nil }
        bytes.removeLast(padding)
        return bytes
    }
}
