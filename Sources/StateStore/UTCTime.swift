import Foundation

/// The textual times of the state store: `yyyy-mm-ddThh:mm:ss.fffZ` (UTC, milliseconds)
/// for audit records and `yyyy-mm-dd` (UTC) for daily counters.
///
/// Fixed width, so that comparing the strings bytewise compares the times (the audit
/// log's `time` index relies on it).
public enum UTCTime {
    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// `date` truncated to whole milliseconds, as `2026-03-01T09:30:00.250Z`.
    ///
    /// Years outside 0001…9999 are clamped into that range (a clock that far off is
    /// broken, and the fixed width must hold).
    public static func timestamp(_ date: Date) -> String {
        // Through whole microseconds first, so that binary floating-point noise (-0.001 s
        // is slightly below -1 ms) does not move a time into the previous millisecond.
        let microseconds = Int64(max(min((date.timeIntervalSince1970 * 1_000_000).rounded(), 9e17), -9e17))
        let milliseconds = microseconds >= 0 ? microseconds / 1000 : (microseconds - 999) / 1000
        let clamped = min(max(milliseconds, -62_135_596_800_000), 253_402_300_799_999)
        let seconds = clamped >= 0 ? clamped / 1000 : (clamped - 999) / 1000
        let fraction = clamped - seconds * 1000
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second],
            from: Date(timeIntervalSince1970: Double(seconds))
        )
        return pad(parts.year!, 4) + "-" + pad(parts.month!, 2) + "-" + pad(parts.day!, 2) + "T"
            + pad(parts.hour!, 2) + ":" + pad(parts.minute!, 2) + ":" + pad(parts.second!, 2) + "."
            + pad(Int(fraction), 3) + "Z"
    }

    /// The UTC day of `date`, as `2026-03-01`: the key of the daily query counters.
    public static func day(_ date: Date) -> String {
        String(timestamp(date).prefix(10))
    }

    /// Parses a ``timestamp(_:)`` string exactly; nil for any other spelling.
    public static func parseTimestamp(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[23] == UInt8(ascii: "Z"), bytes[19] == UInt8(ascii: "."),
            let day = parseDay(String(decoding: bytes[0..<10], as: UTF8.self)), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let hour = number(bytes[11..<13]), hour < 24,
            let minute = number(bytes[14..<16]), minute < 60,
            let second = number(bytes[17..<19]), second < 60,
            let millisecond = number(bytes[20..<23])
        else { return nil }
        let seconds = day.timeIntervalSince1970 + Double(hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: seconds + Double(millisecond) / 1000)
    }

    /// Parses a ``day(_:)`` string exactly (a real calendar day); nil otherwise.
    public static func parseDay(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = number(bytes[0..<4]), year >= 1,
            let month = number(bytes[5..<7]), let day = number(bytes[8..<10]),
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            Self.day(date) == text
        else { return nil }
        return date
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
