#ifndef CELLS_BYTE_SCAN_H
#define CELLS_BYTE_SCAN_H

// Byte scans the JSON decoder runs on every string, as bit masks, one bit a byte.
//
// Swift's SIMD types compare sixteen bytes at once but cannot turn the result into a bit
// mask (x86's pmovmskb, one instruction), so they had to test the lanes as two 64-bit words:
// over twice the instructions a step. These are static inline, so Swift inlines them.

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Bit i set where byte i of the 16 at `p` ends a plain run of string text: a quote, a
/// backslash, a control character (< 0x20) or a non-ASCII byte (>= 0x80).
static inline uint32_t cells_string_stops16(const uint8_t *p) {
#if defined(__SSE2__)
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    // Signed: below 0x20, and 0x80 and up (negative), in one comparison.
    __m128i outside = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    return (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), outside));
#else
    uint32_t mask = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t c = p[i];
        mask |= (uint32_t)(c == '"' || c == '\\' || c < 0x20 || c >= 0x80) << i;
    }
    return mask;
#endif
}

/// Whether the 32 bytes at `p`, ANDed with the 32 at `masks`, equal the 32 at `words`: a key
/// memo's test. As bytes, since x86's baseline has no 64-bit lane compare.
static inline int cells_masked_equal32(const uint8_t *p, const void *words, const void *masks) {
#if defined(__SSE2__)
    const __m128i *w = (const __m128i *)words, *m = (const __m128i *)masks;
    __m128i low = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)p), _mm_loadu_si128(m));
    __m128i high = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), _mm_loadu_si128(m + 1));
    __m128i equal = _mm_and_si128(_mm_cmpeq_epi8(low, _mm_loadu_si128(w)), _mm_cmpeq_epi8(high, _mm_loadu_si128(w + 1)));
    return _mm_movemask_epi8(equal) == 0xFFFF;
#else
    uint64_t differ = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t x, y, z;
        memcpy(&x, p + 8 * i, 8);
        memcpy(&y, (const uint8_t *)masks + 8 * i, 8);
        memcpy(&z, (const uint8_t *)words + 8 * i, 8);
        differ |= (x & y) ^ z;
    }
    return differ == 0;
#endif
}

#endif
