import ArgumentParser

@main
struct CellsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cells",
        abstract: "Explore live Kafka streams like a notebook.",
        discussion: """
            cells re-creates the Kafka + Spark card-transaction tutorial stack in one binary: \
            an embedded Kafka-protocol broker, the transaction producer, and a streaming \
            Spark SQL engine that runs .cells notebooks over the stream.

              cells notebooks/work.cells --embedded   the notebook shell, with its own broker and producer
              cells notebooks/work.cells              the same against $KAFKA_BOOTSTRAP
              cells run NOTEBOOK --all                every cell, no shell (scripts, cron)
              cells broker, cells produce             the broker and the producer on their own
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, BrokerCommand.self, ProduceCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
