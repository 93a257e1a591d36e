#include "checksums.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <pthread.h>

// Built once, on first use, and only read after (pthread_once orders the build before them).
static uint32_t crc32c_table[8][256];
static uint32_t crc32_table[256];
static pthread_once_t tables_built = PTHREAD_ONCE_INIT;
static int crc32c_in_hardware;

static void build_table(uint32_t table[256], uint32_t polynomial) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ polynomial : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32c_software(uint32_t crc, const uint8_t *p, size_t n) {
    // Slicing by 8: eight table lookups per 8 bytes instead of a dependent chain per byte.
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = crc32c_table[7][lo & 0xFF] ^ crc32c_table[6][(lo >> 8) & 0xFF] ^ crc32c_table[5][(lo >> 16) & 0xFF]
            ^ crc32c_table[4][lo >> 24] ^ crc32c_table[3][p[4]] ^ crc32c_table[2][p[5]] ^ crc32c_table[1][p[6]]
            ^ crc32c_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xFF];
    return crc;
}

#if defined(__x86_64__)
static int has_sse42(void) {
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2);
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t word;
        __builtin_memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

static void build_tables(void) {
    build_table(crc32_table, 0xEDB88320u);
    build_table(crc32c_table[0], 0x82F63B78u);
    for (int i = 0; i < 256; i++)
        for (int s = 1; s < 8; s++)
            crc32c_table[s][i] = (crc32c_table[s - 1][i] >> 8) ^ crc32c_table[0][crc32c_table[s - 1][i] & 0xFF];
#if defined(__x86_64__)
    crc32c_in_hardware = has_sse42();
#endif
}

uint32_t cells_crc32c(uint32_t crc, const void *bytes, size_t count) {
    pthread_once(&tables_built, build_tables);
    crc = ~crc;
#if defined(__x86_64__)
    crc = crc32c_in_hardware ? crc32c_hardware(crc, bytes, count) : crc32c_software(crc, bytes, count);
#else
    crc = crc32c_software(crc, bytes, count);
#endif
    return ~crc;
}

uint32_t cells_crc32c_portable(uint32_t crc, const void *bytes, size_t count) {
    pthread_once(&tables_built, build_tables);
    return ~crc32c_software(~crc, bytes, count);
}

uint32_t cells_crc32(uint32_t crc, const void *bytes, size_t count) {
    pthread_once(&tables_built, build_tables);
    const uint8_t *p = bytes;
    crc = ~crc;
    while (count--) crc = (crc >> 8) ^ crc32_table[(crc ^ *p++) & 0xFF];
    return ~crc;
}
