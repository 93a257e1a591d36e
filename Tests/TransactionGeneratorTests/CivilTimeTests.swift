import Foundation
import Testing
@testable import TransactionGenerator

@Suite struct CivilTimeTests {
    @Test func knownInstants() {
        #expect(CivilTime.date(0) == "1970-01-01")
        #expect(CivilTime.time(0) == "00:00:00")
        #expect(CivilTime.iso8601(0) == "1970-01-01T00:00:00.000Z")
        #expect(CivilTime.date(951_782_400_000) == "2000-02-29")
        #expect(CivilTime.iso8601(951_868_799_999) == "2000-02-29T23:59:59.999Z")
        #expect(CivilTime.iso8601(951_868_800_000) == "2000-03-01T00:00:00.000Z")
        #expect(CivilTime.iso8601(1_735_689_599_999) == "2024-12-31T23:59:59.999Z")
        #expect(CivilTime.iso8601(1_704_067_200_020) == "2024-01-01T00:00:00.020Z")
        #expect(CivilTime.iso8601(-1) == "1969-12-31T23:59:59.999Z")
        #expect(CivilTime.time(1_735_689_599_999) == "23:59:59")
        #expect(CivilTime.iso8601(253_402_300_799_999) == "9999-12-31T23:59:59.999Z")
        #expect(CivilTime.date(253_402_300_800_000) == "10000-01-01")
    }

    @Test func parsesAcceptedForms() {
        #expect(CivilTime.parseISO8601("2024-01-01T00:00:00") == 1_704_067_200_000)
        #expect(CivilTime.parseISO8601("2024-01-01T00:00:00Z") == 1_704_067_200_000)
        #expect(CivilTime.parseISO8601("2024-01-01T00:00:00.020Z") == 1_704_067_200_020)
        #expect(CivilTime.parseISO8601("2024-01-01T00:00:00.5") == 1_704_067_200_500)
        #expect(CivilTime.parseISO8601("2024-01-01T00:00:00.123456789Z") == 1_704_067_200_123)
        #expect(CivilTime.parseISO8601("2024-01-01") == 1_704_067_200_000)
        #expect(CivilTime.parseISO8601("2024-01-01 00:00:01") == 1_704_067_201_000)
        #expect(CivilTime.parseISO8601("2024-01-01T03:00:00+03:00") == 1_704_067_200_000)
        #expect(CivilTime.parseISO8601("2023-12-31T21:00:00-03:00") == 1_704_067_200_000)
        #expect(CivilTime.parseISO8601("2000-02-29T12:00:00Z") == 951_825_600_000)
        #expect(CivilTime.parseISO8601("1969-12-31T23:59:59.999Z") == -1)
    }

    @Test(arguments: ["", "garbage", "2023-02-29T00:00:00", "2024-13-01T00:00:00", "2024-00-10",
                      "2024-04-31", "2024-01-01T24:00:00", "2024-01-01T00:60:00", "2024-01-01T00:00:60",
                      "2024-01-01T00:00:00.", "2024-01-01T00:00:00.1234567890", "2024-01-01T00:00:00Zjunk",
                      "2024-1-01T00:00:00", "2024-01-01T00:00", "2024-01-01T", "2024-01-01T00:00:00+3:00"])
    func rejectsMalformedText(_ text: String) {
        #expect(CivilTime.parseISO8601(text) == nil)
    }

    @Test func roundTripsAndAgreesWithFoundation() throws {
        var random = CellsRandom(seed: 11)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for _ in 0..<5_000 {
            // 1601 ... 2400: Foundation's Gregorian calendar turns Julian before 1582.
            let millis = Int64(random.integer(in: -11_644_473_600_000...13_569_465_600_000))
            let iso = CivilTime.iso8601(millis)
            #expect(CivilTime.parseISO8601(iso) == millis, "\(millis) -> \(iso)")

            let date = Date(timeIntervalSince1970: Double(millis.dividedFloor(by: 1000)))
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year!, c.month!, c.day!,
                                  c.hour!, c.minute!, c.second!, Int(millis - millis.dividedFloor(by: 1000) * 1000))
            #expect(iso == expected)
            #expect(CivilTime.date(millis) == String(expected.prefix(10)))
            #expect(CivilTime.time(millis) == String(expected.dropFirst(11).prefix(8)))
        }
    }
}

extension Int64 {
    func dividedFloor(by d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
