/* The JSON scanner's inner loop (see _cscan.pxi): the first byte of a string
 * body that needs a look, that is a quote, a backslash, a control character
 * or a byte past ASCII; `end` when there is none. Sixteen bytes at a time
 * with SSE2, eight at a time elsewhere. */
#ifndef POWERTRACK_CSCAN_H
#define POWERTRACK_CSCAN_H
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline const unsigned char *pt_plain_run(const unsigned char *p, const unsigned char *end) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        /* Signed: bytes past ASCII are negative, so below 0x20 too. */
        __m128i hit = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
            _mm_cmplt_epi8(v, space));
        int mask = _mm_movemask_epi8(hit);
        if (mask)
            return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#endif
    while (end - p >= 8) {
        uint64_t x, t;
        memcpy(&x, p, 8);
        t = ((x ^ 0x2222222222222222ULL) - 0x0101010101010101ULL) & ~(x ^ 0x2222222222222222ULL);
        t |= ((x ^ 0x5C5C5C5C5C5C5C5CULL) - 0x0101010101010101ULL) & ~(x ^ 0x5C5C5C5C5C5C5C5CULL);
        t |= (x - 0x2020202020202020ULL) & ~x;
        t |= x;
        if (t & 0x8080808080808080ULL)
            break;
        p += 8;
    }
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
        p++;
    return p;
}
/* The closing quote of a string body at p when it comes before any other
 * byte that needs a look and within 16 bytes: most keys and many values.
 * NULL otherwise (the caller then takes the general loop). */
static inline const unsigned char *pt_short_string(const unsigned char *p, const unsigned char *end) {
#if defined(__SSE2__)
    if (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
        __m128i other = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
                                     _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
        unsigned q = (unsigned)_mm_movemask_epi8(quote);
        unsigned o = (unsigned)_mm_movemask_epi8(other);
        /* The first quote, if no other such byte lies before it. */
        if (q && (o & ((q & -q) - 1)) == 0)
            return p + __builtin_ctz(q);
    }
#else
    (void)end;
#endif
    return NULL;
}
#endif
