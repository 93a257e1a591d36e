/*
 * bench/produce.sh's ceiling: the least work a librdkafka producer can do per message.
 *
 * Sends every line of a file (key TAB value when keyed) with the settings given, like
 * `kcat -P`, but with nothing around librdkafka: the file is mapped (its pages already in
 * the page cache), values are borrowed from the mapping instead of copied
 * (no RD_KAFKA_MSG_F_COPY), delivery reports are only counted. No client built on librdkafka
 * with the same settings can send faster on the same machine, so its ratio to kcat bounds
 * what `cells produce`, which also generates its JSON, can reach there.
 *
 *   produce_ceiling BOOTSTRAP TOPIC FILE keyed|unkeyed [NAME=VALUE ...]
 *
 * Exits 0 when every line was delivered, 1 otherwise.
 */
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static long delivered, failed;

static void serve(rd_kafka_queue_t *queue, int timeout_ms) {
    rd_kafka_event_t *event;
    while ((event = rd_kafka_queue_poll(queue, timeout_ms))) {
        timeout_ms = 0;
        if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR) {
            const rd_kafka_message_t *m;
            while ((m = rd_kafka_event_message_next(event))) {
                if (m->err) failed++; else delivered++;
            }
        }
        rd_kafka_event_destroy(event);
    }
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s BOOTSTRAP TOPIC FILE keyed|unkeyed [NAME=VALUE ...]\n", argv[0]);
        return 2;
    }
    int keyed = strcmp(argv[4], "keyed") == 0;
    char reason[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], reason, sizeof reason)) goto bad_setting;
    for (int i = 5; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) { fprintf(stderr, "not NAME=VALUE: %s\n", argv[i]); return 2; }
        *eq = 0;
        if (rd_kafka_conf_set(conf, argv[i], eq + 1, reason, sizeof reason)) goto bad_setting;
    }
    rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    if (!rk) goto bad_setting;
    rd_kafka_queue_t *queue = rd_kafka_queue_get_main(rk);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[2], NULL);

    int fd = open(argv[3], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) { perror(argv[3]); return 2; }
    char *data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (data == MAP_FAILED) { perror("mmap"); return 2; }

    long sent = 0;
    for (char *p = data, *end = data + st.st_size; p < end;) {
        char *line_end = memchr(p, '\n', end - p);
        if (!line_end) line_end = end;
        char *key = NULL, *value = p;
        size_t key_len = 0;
        if (keyed) {
            char *tab = memchr(p, '\t', line_end - p);
            if (!tab) { fprintf(stderr, "line %ld has no tab\n", sent + 1); return 2; }
            key = p;
            key_len = tab - p;
            value = tab + 1;
        }
        size_t value_len = line_end - value;  /* the macros below do not parenthesize */
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_KEY(key, key_len),
                RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_END);
            if (!err) break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "%s\n", rd_kafka_err2str(err));
                return 1;
            }
            serve(queue, 10);
        }
        if ((++sent & 1023) == 0) serve(queue, 0);
        p = line_end + 1;
    }
    while (rd_kafka_outq_len(rk) > 0) serve(queue, 100);
    serve(queue, 0);
    fprintf(stderr, "sent %ld, delivered %ld, failed %ld\n", sent, delivered, failed);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_queue_destroy(queue);
    rd_kafka_destroy(rk);
    return delivered == sent && failed == 0 ? 0 : 1;

bad_setting:
    fprintf(stderr, "%s\n", reason);
    return 2;
}
