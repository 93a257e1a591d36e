import Testing
@testable import SparkBackend

@Test func placeholder() { #expect(Bool(true)) }
