#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a CSV file (RFC 4180) into records and fields, reading it in chunks.
///
/// A record's bytes are always contiguous in the buffer: when a record runs past the
/// bytes read so far, the partial record moves to the front of the buffer, more is
/// read (the buffer doubles if the record fills it), and the record is scanned again
/// from its start. Fields are byte ranges into the buffer, valid until the next call
/// to ``nextRecord()``; quoted fields have their `""` escapes undone in place.
final class CSVReader {
    /// How a scan of the bytes at `start` ended.
    private enum Scan {
        /// A whole record; the next one starts at `next`. `newlines` counts the line
        /// ends inside its quoted fields.
        case record(next: Int, newlines: Int)
        /// The record goes on past the bytes read so far.
        case needMore(inQuotes: Bool)
        /// The file ends inside a quoted field.
        case unclosedQuote(field: Int)
        /// A closing quote followed by something other than `,` or a line end.
        case strayAfterQuote(field: Int)
    }

    /// A problem found while splitting, for the source to report.
    enum Failure: Error {
        case io(String)
        case unclosedQuote(line: Int, field: Int)
        case strayAfterQuote(line: Int, field: Int)
        case recordTooLong(line: Int, inQuotes: Bool, limit: Int)
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    private let descriptor: Int32
    private let chunkSize: Int
    private let maximumRecordBytes: Int

    /// The bytes read and not yet consumed are `buffer[start..<end]`.
    private(set) var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var atEndOfFile = false
    private var atStartOfFile = true

    /// The line the next record starts on.
    private var nextLine = 1
    /// The line the current record starts on (1 for the header).
    private(set) var recordLine = 0

    /// Field i of the current record is `buffer[fieldStarts[i]..<fieldEnds[i]]`, for
    /// i < min(fieldCount, fieldCapacity).
    let fieldStarts: UnsafeMutablePointer<Int>
    let fieldEnds: UnsafeMutablePointer<Int>
    private let fieldEscaped: UnsafeMutablePointer<Bool>
    let fieldCapacity: Int
    /// The number of fields of the current record (also beyond `fieldCapacity`).
    private(set) var fieldCount = 0
    /// Whether the current record has a byte ≥ 0x80 (and so needs a UTF-8 check).
    private(set) var recordHasNonASCII = false

    /// Opens `path` for reading. Throws the system's reason if it cannot.
    init(path: String, chunkSize: Int, maximumRecordBytes: Int, fieldCapacity: Int) throws(Failure) {
        precondition(chunkSize >= 1 && maximumRecordBytes >= chunkSize && fieldCapacity >= 1)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(Self.errorText()) }
        self.descriptor = descriptor
        self.chunkSize = chunkSize
        self.maximumRecordBytes = maximumRecordBytes
        self.capacity = chunkSize
        self.buffer = .allocate(capacity: chunkSize)
        self.fieldCapacity = fieldCapacity
        self.fieldStarts = .allocate(capacity: fieldCapacity)
        self.fieldEnds = .allocate(capacity: fieldCapacity)
        self.fieldEscaped = .allocate(capacity: fieldCapacity)
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
        fieldStarts.deallocate()
        fieldEnds.deallocate()
        fieldEscaped.deallocate()
    }

    /// The bytes of field `index` of the current record (`index` < `fieldCapacity`).
    @inline(__always)
    func field(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffer + fieldStarts[index], count: fieldEnds[index] - fieldStarts[index])
    }

    /// Moves to the next record; false at the end of the file.
    func nextRecord() throws(Failure) -> Bool {
        if atStartOfFile { try skipByteOrderMark() }
        while true {
            if start == end {
                if atEndOfFile { return false }
                try refill()
                continue
            }
            switch scan() {
            case .record(let next, let newlines):
                start = next
                recordLine = nextLine
                nextLine += newlines + 1
                unescapeFields()
                return true
            case .needMore(let inQuotes):
                if end - start >= maximumRecordBytes {
                    throw .recordTooLong(line: nextLine, inQuotes: inQuotes, limit: maximumRecordBytes)
                }
                try refill()
            case .unclosedQuote(let field):
                throw .unclosedQuote(line: nextLine, field: field)
            case .strayAfterQuote(let field):
                throw .strayAfterQuote(line: nextLine, field: field)
            }
        }
    }

    // MARK: Reading

    private func skipByteOrderMark() throws(Failure) {
        while end - start < 3 && !atEndOfFile { try refill() }
        atStartOfFile = false
        if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF {
            start += 3
        }
    }

    /// Moves the unconsumed bytes to the front and reads more after them.
    private func refill() throws(Failure) {
        if start > 0 {
            let pending = end - start
            if pending > 0 { (buffer).update(from: buffer + start, count: pending) }
            start = 0
            end = pending
        }
        if end == capacity {
            let grown = min(capacity * 2, maximumRecordBytes)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            bigger.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = bigger
            capacity = grown
        }
        while true {
            let count = read(descriptor, buffer + end, min(chunkSize, capacity - end))
            if count > 0 {
                end += count
                return
            }
            if count == 0 {
                atEndOfFile = true
                return
            }
            if errno != EINTR { throw .io(Self.errorText()) }
        }
    }

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }

    // MARK: Splitting

    /// Scans one record at `start`, recording its fields.
    private func scan() -> Scan {
        // Locals, so the loop works on registers rather than the object's fields.
        let buffer = self.buffer
        let end = self.end
        let atEnd = atEndOfFile
        let starts = fieldStarts
        let ends = fieldEnds
        let escapedFlags = fieldEscaped
        let capacity = fieldCapacity
        var position = start
        var field = 0
        var newlines = 0
        var highBits: UInt8 = 0

        while true {
            var fieldStart = position
            let fieldEnd: Int
            var escaped = false
            if position < end && buffer[position] == Self.quote {
                position += 1
                fieldStart = position
                while true {
                    guard position < end else {
                        return atEnd ? .unclosedQuote(field: field) : .needMore(inQuotes: true)
                    }
                    let byte = buffer[position]
                    if byte == Self.quote {
                        if position + 1 < end {
                            if buffer[position + 1] == Self.quote {
                                escaped = true
                                position += 2
                                continue
                            }
                        } else if !atEnd {
                            return .needMore(inQuotes: true)
                        }
                        break
                    }
                    if byte == Self.lineFeed { newlines += 1 }
                    highBits |= byte
                    position += 1
                }
                fieldEnd = position
                position += 1
                if position < end {
                    let byte = buffer[position]
                    if byte == Self.carriageReturn {
                        if position + 1 < end {
                            guard buffer[position + 1] == Self.lineFeed else { return .strayAfterQuote(field: field) }
                        } else if !atEnd {
                            return .needMore(inQuotes: false)
                        }
                    } else if byte != Self.comma && byte != Self.lineFeed {
                        return .strayAfterQuote(field: field)
                    }
                } else if !atEnd {
                    return .needMore(inQuotes: false)
                }
            } else {
                while position < end {
                    let byte = buffer[position]
                    if byte == Self.comma || byte == Self.lineFeed { break }
                    if byte == Self.carriageReturn {
                        if position + 1 < end {
                            if buffer[position + 1] == Self.lineFeed { break }
                        } else if !atEnd {
                            return .needMore(inQuotes: false)
                        } else {
                            break
                        }
                    }
                    highBits |= byte
                    position += 1
                }
                if position >= end && !atEnd { return .needMore(inQuotes: false) }
                fieldEnd = position
            }
            if field < capacity {
                starts[field] = fieldStart
                ends[field] = fieldEnd
                escapedFlags[field] = escaped
            }
            field += 1
            if position >= end {
                fieldCount = field
                recordHasNonASCII = highBits >= 0x80
                return .record(next: end, newlines: newlines)
            }
            let byte = buffer[position]
            if byte == Self.comma {
                position += 1
                continue
            }
            fieldCount = field
            recordHasNonASCII = highBits >= 0x80
            if byte == Self.lineFeed { return .record(next: position + 1, newlines: newlines) }
            // A carriage return: part of CRLF, or the last byte of the file.
            let next = position + 1 < end ? position + 2 : position + 1
            return .record(next: next, newlines: newlines)
        }
    }

    /// Turns `""` into `"` inside the quoted fields that have them.
    private func unescapeFields() {
        for index in 0..<min(fieldCount, fieldCapacity) where fieldEscaped[index] {
            var read = fieldStarts[index]
            var write = read
            let end = fieldEnds[index]
            while read < end {
                buffer[write] = buffer[read]
                read += buffer[read] == Self.quote ? 2 : 1
                write += 1
            }
            fieldEnds[index] = write
        }
    }
}
