import Foundation
import Measurement
import Testing

/// The item timestamps are written without a DateFormatter; they must read as one writes them.
@Suite struct UTCTextTests {
    static func formatter(_ format: String, _ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = format
        return f.string(from: date)
    }

    @Test("both item formats equal DateFormatter's, over years, months, leap days and second edges")
    func matchesDateFormatter() {
        let dates = [0, 1, 59.999, 951_782_400, 951_868_799.5, 1_700_000_000, 1_798_761_599, 4_102_444_800, 1_234_567_890.25]
            .map { Date(timeIntervalSince1970: $0) }
            + (0..<200).map { Date(timeIntervalSince1970: Double($0) * 7_919_113.37) }
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyyMMdd'T'HHmmss'Z'"] {
            for d in dates {
                #expect(utcText(d, format: format) == Self.formatter(format, d), "\(d.timeIntervalSince1970) \(format)")
            }
        }
        #expect(utcText(Date(timeIntervalSince1970: 0), format: "yyyy") == "1970")
    }
}
