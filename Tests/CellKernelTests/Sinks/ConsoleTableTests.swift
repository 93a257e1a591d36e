@testable import CellKernel
import Testing

@Suite struct ConsoleTableTests {
    @Test func looksLikeSparksConsoleSink() {
        var captura = Column(type: .string), avg = Column(type: .double)
        for (c, a) in [("TEF", 49830.9775390625), ("POS", 1.5), ("Gateway", 100.0)] { captura.append(c); avg.append(a) }
        let text = ConsoleTable.banner(batch: 3) + ConsoleTable().render(names: ["captura", "avg(valor)"], columns: [captura, avg])
        #expect(text == """
            -------------------------------------------
            Batch: 3
            -------------------------------------------
            +-------+----------------+
            |captura|      avg(valor)|
            +-------+----------------+
            |    TEF|49830.9775390625|
            |    POS|             1.5|
            |Gateway|           100.0|
            +-------+----------------+

            """)
    }

    @Test func truncatesNullsAndLimitsRows() {
        var s = Column(type: .string), n = Column(type: .bigint)
        s.append("a string that is longer than twenty"); n.append(Int64(1))
        s.appendNull(); n.appendNull()
        s.append("x"); n.append(Int64(3))
        let text = ConsoleTable(numRows: 2).render(names: ["s", "n"], columns: [s, n])
        #expect(text == """
            +--------------------+----+
            |                   s|   n|
            +--------------------+----+
            |a string that is ...|   1|
            |                NULL|NULL|
            +--------------------+----+
            only showing top 2 rows

            """)
        let untruncated = ConsoleTable(truncate: 0).render(names: ["s"], columns: [s])
        #expect(untruncated.contains("|a string that is longer than twenty|"))
        #expect(untruncated.contains("|x                                  |"))
    }

    @Test func emptyResultHasHeaderOnly() {
        let text = ConsoleTable().render(names: ["k"], columns: [Column(type: .string)])
        #expect(text == "+---+\n|  k|\n+---+\n+---+\n")
    }
}
