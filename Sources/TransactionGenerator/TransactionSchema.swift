/// The shape of the messages a ``CardTransactionGenerator`` writes.
public enum TransactionSchema: String, CaseIterable, Sendable {
    /// The original tutorial's seven string fields (`name`, `bandeira`, `credit_card`, `value`,
    /// `dia_compra`, `horario_compra`, `formato_captura`), serialised like Python's `json.dumps`.
    case seed
    /// The benchmark anchors' thirteen-field record (`transaction_id` … `event_time`), drawn from
    /// skewed card and merchant pools and serialised compactly like `orjson`.
    case extended
    /// Two streams for stream-stream joins: authorizations (`auth_id`, `card_number`, `amount`,
    /// `merchant`, `event_time`) and their settlements (`auth_id`, `settled_amount`,
    /// `event_time`), some late and some missing (``SettlementGenerator``).
    case settlement
}
