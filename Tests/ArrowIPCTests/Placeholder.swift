import Testing
@testable import ArrowIPC

@Test func placeholder() { #expect(Bool(true)) }
