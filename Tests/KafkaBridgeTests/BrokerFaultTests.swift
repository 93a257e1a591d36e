import Foundation
import KafkaBridge
import Synchronization
import Testing

/// Broker calls that must not hold their caller when the broker is gone.
@Suite struct BrokerFaultTests {
    /// A flag shared between threads.
    final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    /// Something a call uses, which tells when it is freed.
    final class Resource: Sendable {
        let freed: Flag
        init(_ freed: Flag) { self.freed = freed }
        deinit { freed.set() }
    }

    @Test func aWaitGivesUpAtItsDeadlineOrAStopAndTheResultIsKept() throws {
        let gate = DispatchSemaphore(value: 0)
        let call = BackgroundCall<Int> { gate.wait(); return 42 }
        let began = ContinuousClock.now
        #expect(call.wait(upTo: .milliseconds(300)) == nil)
        let waited = ContinuousClock.now - began
        #expect(waited >= .milliseconds(300) && waited < .milliseconds(800), "\(waited)")

        let stopAt = ContinuousClock.now + .milliseconds(200)
        let stopped = ContinuousClock.now
        #expect(call.wait(upTo: .seconds(30), interrupt: { ContinuousClock.now >= stopAt }) == nil)
        #expect(ContinuousClock.now - stopped < .milliseconds(600))
        #expect(!call.isFinished)

        gate.signal()
        #expect(try call.wait(upTo: .seconds(5))?.get() == 42)
        #expect(try call.wait(upTo: .seconds(5))?.get() == 42, "a finished call answers every wait")
    }

    @Test func anAbandonedCallKeepsWhatItUsesAliveUntilItReturns() throws {
        let gate = DispatchSemaphore(value: 0)
        let freed = Flag()
        let sawAlive = Flag()
        var call: BackgroundCall<Int>?
        do {
            let resource = Resource(freed)
            call = BackgroundCall<Int> {
                gate.wait()
                // Still here: the caller gave up long ago and dropped its references.
                if !resource.freed.isSet { sawAlive.set() }
                return 1
            }
        }
        #expect(call?.wait(upTo: .milliseconds(100)) == nil)
        call = nil
        #expect(!freed.isSet, "freed while the call still runs")
        gate.signal()
        let deadline = ContinuousClock.now + .seconds(5)
        while !freed.isSet && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(freed.isSet, "released once the call returned")
        #expect(sawAlive.isSet, "the call saw its resource alive")
    }

    @Test func aWatermarkQueryToABrokerThatIsDownHoldsNoOne() throws {
        let cluster = try makeCluster(topic: "t", partitions: 1)
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        #expect(try admin.watermarks(topic: "t", partition: 0).high == 0)
        try cluster.setBrokerDown(1)
        let call = BackgroundCall { [admin] () throws(KafkaError) in try admin.watermarks(topic: "t", partition: 0, timeout: .seconds(60)) }
        let began = ContinuousClock.now
        #expect(call.wait(upTo: .seconds(1)) == nil)
        #expect(ContinuousClock.now - began < .seconds(2))
        try cluster.setBrokerUp(1)
    }

    @Test func closingAndFreeingAConsumerWhoseBrokerIsDownIsQuick() throws {
        let cluster = try makeCluster(topic: "t", partitions: 2)
        var consumer: KafkaConsumer? = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        try consumer!.assign(topic: "t", from: .beginning)
        _ = try consumer!.poll(timeout: .milliseconds(500))
        try cluster.setBrokerDown(1)
        _ = try consumer!.poll(timeout: .milliseconds(500))
        let began = ContinuousClock.now
        consumer!.close()
        consumer = nil
        #expect(ContinuousClock.now - began < .seconds(2), "closing took \(ContinuousClock.now - began)")
    }
}
