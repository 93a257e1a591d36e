import Testing
@testable import CellKernel

@Suite struct SQLIntervalTests {
    @Test func sparkForms() {
        #expect(parseInterval("5 seconds") == .seconds(5))
        #expect(parseInterval("1 minute") == .seconds(60))
        #expect(parseInterval("10 minutes") == .seconds(600))
        #expect(parseInterval("1 hour") == .seconds(3600))
        #expect(parseInterval("500 milliseconds") == .milliseconds(500))
        #expect(parseInterval("2 days") == .seconds(172_800))
        #expect(parseInterval("1 minute 30 seconds") == .seconds(90))
        #expect(parseInterval("interval 1 minute") == .seconds(60))
        #expect(parseInterval("INTERVAL 2 HOURS") == .seconds(7200))
        #expect(parseInterval("1 week") == .seconds(604_800))
        #expect(parseInterval("  3   microseconds ") == .microseconds(3))
    }

    @Test func fractionsAreExact() {
        #expect(parseIntervalMicroseconds("1.5 seconds") == 1_500_000)
        #expect(parseIntervalMicroseconds("0.1 second") == 100_000)
        #expect(parseIntervalMicroseconds(".25 minutes") == 15_000_000)
        #expect(parseIntervalMicroseconds("-1 second") == -1_000_000)
    }

    @Test func rejectsWhatIsNotAnInterval() {
        for text in ["", "5", "seconds", "5 secs", "1 month", "2 years", "five seconds", "1 minute 30", "interval", "1..5 seconds"] {
            #expect(parseInterval(text) == nil, "\(text)")
        }
        #expect(parseIntervalMicroseconds("99999999999999 weeks") == nil)
    }
}
