/// The shape of the messages a ``CardTransactionGenerator`` writes.
public enum TransactionSchema: String, CaseIterable, Sendable {
    /// The original tutorial's seven string fields (`name`, `bandeira`, `credit_card`, `value`,
    /// `dia_compra`, `horario_compra`, `formato_captura`), serialised like Python's `json.dumps`.
    case seed
    /// The benchmark anchors' thirteen-field record (`transaction_id` … `event_time`), drawn from
    /// skewed card and merchant pools and serialised compactly like `orjson`.
    case extended
}
