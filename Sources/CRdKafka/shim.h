#ifndef CELLS_CRDKAFKA_SHIM_H
#define CELLS_CRDKAFKA_SHIM_H

// rdkafka_mock.h refuses to be included on its own: rdkafka.h must come first.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/// `rd_kafka_producev` is variadic, which Swift does not import. This is the one
/// shape of it the bridge needs: a copied key and value, optional headers (ownership
/// passes to librdkafka on success only), an optional timestamp (0: now) and a
/// per-message opaque that comes back in the delivery report.
static inline rd_kafka_resp_err_t cells_produce(rd_kafka_t *rk, rd_kafka_topic_t *rkt,
                                                int32_t partition,
                                                const void *key, size_t key_len,
                                                const void *value, size_t value_len,
                                                rd_kafka_headers_t *headers,
                                                int64_t timestamp, void *opaque) {
    if (headers == NULL) {
        return rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
                                 RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_OPAQUE(opaque),
                                 RD_KAFKA_V_END);
    }
    return rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
                             RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_TIMESTAMP(timestamp),
                             RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
}

/// The message's per-message opaque: a field Swift reads as `_private`, named here.
static inline void *cells_message_opaque(const rd_kafka_message_t *message) {
    return message->_private;
}

#endif
