/// Evaluates bound expressions over a batch, a column at a time.
///
/// Each operator runs as a tight loop over flat arrays; NULLs travel in the validity masks.
/// Allocation is per column per batch, never per row.
enum Evaluator {
    static func evaluate(_ expression: BoundExpression, on batch: Batch) -> Column {
        evaluate(expression, columns: batch.columns, count: batch.count)
    }

    static func evaluate(_ expression: BoundExpression, columns: [Column], count: Int) -> Column {
        switch expression {
        case .column(let index, _):
            return columns[index]
        case .literal(let value, let type):
            return Column(repeating: value, type: type, count: count)
        case .call(let function, let arguments, let type):
            // `column = 'text'` and the like (WHERE status = 'declined'): compared against the
            // literal's bytes directly, not against a column of it repeated for every row.
            if arguments.count == 2, function != .nullSafeEqual, Comparison.isComparison(function),
               case .literal(.string(let text), _) = arguments[1] {
                let input = evaluate(arguments[0], columns: columns, count: count)
                if case .bytes = input.data { return Comparison.compare(function, input, text: Array(text.utf8)) }
            }
            let inputs = arguments.map { evaluate($0, columns: columns, count: count) }
            return apply(function, inputs, type: type, count: count)
        }
    }

    static func apply(_ function: ScalarFunction, _ inputs: [Column], type: SQLType, count: Int) -> Column {
        switch function {
        case .add, .subtract, .multiply, .divide, .remainder:
            return Arithmetic.binary(function, inputs[0], inputs[1], type: type)
        case .negate:
            return Arithmetic.negate(inputs[0], type: type)
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .nullSafeEqual:
            return Comparison.compare(function, inputs[0], inputs[1])
        case .and, .or:
            return Logic.connective(function, inputs[0], inputs[1])
        case .not:
            return Logic.not(inputs[0])
        case .isNull, .isNotNull:
            let wantNull = function == .isNull
            return Column(type: .boolean, data: .bool((0..<count).map { inputs[0].isNull($0) == wantNull }))
        case .cast:
            return Cast.convert(inputs[0], to: type)
        case .coalesce:
            return Logic.coalesce(inputs, type: type, count: count)
        case .inList:
            return Comparison.inList(inputs[0], inputs.dropFirst(), count: count)
        case .caseWhen:
            return Logic.caseWhen(inputs, type: type, count: count)
        case .simpleCase:
            var conditions: [Column] = []
            for p in 0..<(inputs.count - 2) / 2 {
                conditions += [Comparison.compare(.equal, inputs[0], inputs[1 + 2 * p]), inputs[2 + 2 * p]]
            }
            return Logic.caseWhen(conditions + [inputs[inputs.count - 1]], type: type, count: count)
        case .between:
            return Logic.connective(.and, Comparison.compare(.greaterOrEqual, inputs[0], inputs[1]),
                                    Comparison.compare(.lessOrEqual, inputs[0], inputs[2]))
        case .translate, .replace, .upper, .lower, .concat, .length:
            return StringFunctions.apply(function, inputs, count: count)
        case .windowStart(let size, let offset):
            return TimeFunctions.windowStart(inputs[0], size: size, offset: offset)
        case .row(let function):
            return RowFunctions.apply(function, inputs, type: type, count: count)
        case .nested(let function):
            return NestedAccess.apply(function, inputs, type: type, count: count)
        }
    }
}

/// Validity of a result that is NULL wherever any input is.
func combinedValidity(_ columns: Column...) -> [Bool] { combinedValidity(columns) }

func combinedValidity(_ columns: [Column]) -> [Bool] {
    let withNulls = columns.filter { !$0.validity.isEmpty }
    guard let first = withNulls.first else { return [] }
    var validity = first.validity
    for other in withNulls.dropFirst() {
        for i in validity.indices where !other.validity[i] { validity[i] = false }
    }
    return validity
}
