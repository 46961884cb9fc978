/*
 * sl_crc32.c - CRC-32 with carry-less multiplication (see sl_crc32.h).
 *
 * The reflected CRC of a message is its remainder modulo P(x) =
 * 0x104C11DB7 (bit-reversed). Four 128-bit accumulators each stand for
 * the remainder-to-be of their lane; moving a lane 512 bits on multiplies
 * its two 64-bit halves by x^(512+32) and x^(512-32) mod P (k1, k2), which
 * PCLMULQDQ does in one instruction each; the four lanes are then folded
 * into one with the 128-bit constants (k3, k4), single 16-byte blocks
 * folded the same way, and the last 128 bits reduced to 64 (k5) and to 32
 * bits by Barrett reduction (P and its quotient u = x^64 / P). The
 * constants are the standard ones of Intel's "Fast CRC Computation for
 * Generic Polynomials Using PCLMULQDQ Instruction" (2009) for this
 * polynomial. The kernel works on the CRC register (not inverted); zlib's
 * crc32_z, used for the tail and without PCLMULQDQ, takes the inverted one.
 */
#include "sl_crc32.h"

#include <zlib.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define SL_CRC_TARGET __attribute__((target("pclmul,sse4.1")))

/* CRC register (not inverted) of crc followed by p[0..n); n >= 64 and a
 * multiple of 16. */
SL_CRC_TARGET static uint32_t sl_crc32_fold(uint32_t crc, const uint8_t *p, size_t n)
{
    const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
    const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
    const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124LL);
    const __m128i poly = _mm_set_epi64x(0x01f7011641LL, 0x01db710641LL);
    const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);

    __m128i x0 = _mm_loadu_si128((const __m128i *)(p + 0));
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)crc));
    p += 64;
    n -= 64;

#define SL_FOLD(acc, k, data) \
    acc = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(acc, k, 0x00), _mm_clmulepi64_si128(acc, k, 0x11)), data)

    while (n >= 64) {
        SL_FOLD(x0, k1k2, _mm_loadu_si128((const __m128i *)(p + 0)));
        SL_FOLD(x1, k1k2, _mm_loadu_si128((const __m128i *)(p + 16)));
        SL_FOLD(x2, k1k2, _mm_loadu_si128((const __m128i *)(p + 32)));
        SL_FOLD(x3, k1k2, _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        n -= 64;
    }
    /* four lanes into one */
    SL_FOLD(x0, k3k4, x1);
    SL_FOLD(x0, k3k4, x2);
    SL_FOLD(x0, k3k4, x3);
    while (n >= 16) {
        SL_FOLD(x0, k3k4, _mm_loadu_si128((const __m128i *)p));
        p += 16;
        n -= 16;
    }
#undef SL_FOLD

    /* 128 -> 64 bits */
    __m128i t = _mm_clmulepi64_si128(x0, k3k4, 0x10);
    x0 = _mm_xor_si128(_mm_srli_si128(x0, 8), t);
    /* 64 -> 32 bits */
    t = _mm_srli_si128(x0, 4);
    x0 = _mm_and_si128(x0, low32);
    x0 = _mm_xor_si128(_mm_clmulepi64_si128(x0, k5, 0x00), t);
    /* Barrett reduction */
    t = _mm_and_si128(x0, low32);
    t = _mm_clmulepi64_si128(t, poly, 0x10);
    t = _mm_and_si128(t, low32);
    t = _mm_clmulepi64_si128(t, poly, 0x00);
    x0 = _mm_xor_si128(x0, t);
    return (uint32_t)_mm_extract_epi32(x0, 1);
}

static int sl_crc32_has_clmul(void)
{
    static int known = -1;   /* a benign race: every thread computes the same */
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    }
    return known;
}

uint32_t sl_crc32(uint32_t crc, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    if (n >= 64 && sl_crc32_has_clmul()) {
        size_t bulk = n & ~(size_t)15;
        crc = ~sl_crc32_fold(~crc, p, bulk);
        p += bulk;
        n -= bulk;
        if (n == 0) return crc;
    }
    return (uint32_t)crc32_z(crc, p, n);
}

#else

uint32_t sl_crc32(uint32_t crc, const void *p, size_t n)
{
    return (uint32_t)crc32_z(crc, p, n);
}

#endif
