import Testing
@testable import CellKernel

/// The four benchmark queries of shared/anchors/common.py, in Spark SQLParsing.
@Suite struct SQLAnchorQueryTests {
    @Test func q1() throws {
        let select = try SQLParsing.select("SELECT card_brand, count(*) AS n, sum(amount) AS total, avg(amount) AS avg_amount FROM tx GROUP BY card_brand")
        #expect(select.items == [
            SelectItem(.col("card_brand")),
            SelectItem(.call("count", .int(1)), alias: Identifier("n")),
            SelectItem(.call("sum", .col("amount")), alias: Identifier("total")),
            SelectItem(.call("avg", .col("amount")), alias: Identifier("avg_amount")),
        ])
        #expect(select.from.name.name == "tx")
        #expect(select.groupBy == [.col("card_brand")])
        #expect(select.items.map(\.columnName) == ["card_brand", "n", "total", "avg_amount"])
    }

    @Test func q2() throws {
        let select = try SQLParsing.select("SELECT window(event_time, '1 minute').start AS window_start, category, count(*) AS n, sum(amount) AS total, max(amount) AS max_amount FROM tx GROUP BY window(event_time, '1 minute'), category")
        let window = SQLExpression.call("window", .col("event_time"), .str("1 minute"))
        #expect(select.items[0] == SelectItem(.field(window, "start"), alias: Identifier("window_start")))
        #expect(select.items[4] == SelectItem(.call("max", .col("amount")), alias: Identifier("max_amount")))
        #expect(select.groupBy == [window, .col("category")])
        guard case .field(let base, _) = select.items[0].expression.kind else {
            Issue.record("expected a field")
            return
        }
        #expect(base.isSameExpression(as: select.groupBy[0]))
    }

    @Test func q3() throws {
        let select = try SQLParsing.select("SELECT card_number, count(*) AS n, sum(amount) AS total FROM tx GROUP BY card_number")
        #expect(select.items.map(\.columnName) == ["card_number", "n", "total"])
        #expect(select.groupBy == [.col("card_number")])
    }

    @Test func q4() throws {
        let select = try SQLParsing.select("SELECT merchant, count(*) AS n FROM tx WHERE status = 'declined' GROUP BY merchant ORDER BY n DESC, merchant ASC LIMIT 10")
        #expect(select.whereClause == .bin(.equal, .col("status"), .str("declined")))
        #expect(select.groupBy == [.col("merchant")])
        #expect(select.orderBy == [OrderItem(.col("n"), ascending: false), OrderItem(.col("merchant"), ascending: true)])
        #expect(select.orderBy[0].nullsFirst == false)
        #expect(select.orderBy[1].nullsFirst == true)
        #expect(select.limit == 10)
    }
}
