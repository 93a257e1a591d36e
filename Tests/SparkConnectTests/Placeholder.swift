import Testing
@testable import SparkConnect

@Test func placeholder() { #expect(Bool(true)) }
