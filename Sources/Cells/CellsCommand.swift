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

              cells notebooks/work.cells --embedded   shell + embedded broker + producer
              cells notebooks/work.cells              the shell, on $KAFKA_BOOTSTRAP
              cells run NOTEBOOK --all                every cell, no shell (scripts, cron)
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, BrokerCommand.self, ProduceCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
