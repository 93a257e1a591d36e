import Testing
@testable import CellKernel

@Suite struct SQLVariablesTests {
    private let statement = "CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '${KAFKA_BOOTSTRAP:-localhost:9092}')"

    private func bootstrap(_ environment: [String: String]) throws -> String? {
        guard case .createSource(let source) = try SQLParsing.statement(statement, environment: environment) else {
            return nil
        }
        return source.options[option: "kafka.bootstrap.servers"]
    }

    @Test func setVariableWins() throws {
        #expect(try bootstrap(["KAFKA_BOOTSTRAP": "broker:29092"]) == "broker:29092")
    }

    @Test func defaultWhenUnsetOrEmpty() throws {
        #expect(try bootstrap([:]) == "localhost:9092")
        #expect(try bootstrap(["KAFKA_BOOTSTRAP": ""]) == "localhost:9092")
    }

    @Test func referencesMixWithText() throws {
        let value = try SQLParsing.expression("'${A}-${B:-b}/${A}'", environment: ["A": "x"])
        #expect(value == .str("x-b/x"))
    }

    @Test func unsetVariableWithoutDefaultIsAnErrorAtTheReference() throws {
        let text = "SELECT a FROM t\nWHERE x = 'id-${MISSING}'"
        let error = try #require(SQLParsing.error(text))
        #expect(error.message == "variable MISSING is not set")
        #expect(error.at == "2:15")
        #expect(error.length == 10)
        #expect(error.hint == "set MISSING in the environment, or give a default: ${MISSING:-value}")
    }

    @Test func emptyVariableWithoutDefaultIsKept() throws {
        #expect(try SQLParsing.expression("'[${E}]'", environment: ["E": ""]) == .str("[]"))
    }

    @Test func escapedDollarIsLiteral() throws {
        #expect(try SQLParsing.expression(#"'\${HOME}'"#, environment: ["HOME": "/root"]) == .str("${HOME}"))
        #expect(try SQLParsing.expression("'$5 and $HOME'") == .str("$5 and $HOME"))
    }

    @Test func malformedReferences() throws {
        let noName = try #require(SQLParsing.expressionError("'${}'"))
        #expect(noName.message == "expected a variable name after '${'")
        #expect(noName.at == "1:2")
        let unclosed = try #require(SQLParsing.expressionError("'${NAME'"))
        #expect(unclosed.message == "expected '}' or ':-' to end the reference to NAME but found the end of the string")
        let unclosedDefault = try #require(SQLParsing.expressionError("'${NAME:-x'"))
        #expect(unclosedDefault.message == "expected '}' to end the reference to NAME but found the end of the string")
    }

    @Test func variablesOutsideStringsAreNotExpanded() throws {
        let error = try #require(SQLParsing.error("SELECT ${COL} FROM t"))
        #expect(error.message == "unexpected character '$'")
        #expect(error.at == "1:8")
    }

    @Test func expansionDoesNotMovePositions() throws {
        let statements = try SQLParsing.script("SELECT '${A}' AS x FROM t; SELECT y FROM u", environment: ["A": "a much longer value"])
        #expect(statements[1].location.description == "1:28")
        guard case .select(let select) = statements[0].kind else {
            Issue.record("expected a select")
            return
        }
        #expect(select.select.items[0].alias?.location.description == "1:18")
    }
}
