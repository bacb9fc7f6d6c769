/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) as used by SCTP (RFC 9260
 * Appendix B) and iSCSI. Uses the SSE4.2 CRC32 instruction when the CPU has it and a
 * slicing-by-8 table otherwise; both give identical results. */
#ifndef PYRTC_CRC32C_IMPL_H
#define PYRTC_CRC32C_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static uint32_t pyrtc_crc32c_table[8][256];
static int pyrtc_crc32c_hw = -1;

static void pyrtc_crc32c_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        pyrtc_crc32c_table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = pyrtc_crc32c_table[0][n];
        for (int k = 1; k < 8; k++) {
            crc = pyrtc_crc32c_table[0][crc & 0xff] ^ (crc >> 8);
            pyrtc_crc32c_table[k][n] = crc;
        }
    }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    pyrtc_crc32c_hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#else
    pyrtc_crc32c_hw = 0;
#endif
}

static inline uint32_t pyrtc_crc32c_sw(uint32_t crc, const unsigned char *p, size_t n)
{
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= crc; /* little-endian hosts only; see pyrtc_crc32c_update */
        crc = pyrtc_crc32c_table[7][lo & 0xff] ^ pyrtc_crc32c_table[6][(lo >> 8) & 0xff] ^
              pyrtc_crc32c_table[5][(lo >> 16) & 0xff] ^ pyrtc_crc32c_table[4][lo >> 24] ^
              pyrtc_crc32c_table[3][hi & 0xff] ^ pyrtc_crc32c_table[2][(hi >> 8) & 0xff] ^
              pyrtc_crc32c_table[1][(hi >> 16) & 0xff] ^ pyrtc_crc32c_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = pyrtc_crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

static inline uint32_t pyrtc_crc32c_bytewise(uint32_t crc, const unsigned char *p, size_t n)
{
    while (n--)
        crc = pyrtc_crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
__attribute__((target("sse4.2")))
static uint32_t pyrtc_crc32c_hw_update(uint32_t crc, const unsigned char *p, size_t n)
{
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    crc = (uint32_t)c;
    while (n--)
        crc = _mm_crc32_u8(crc, *p++);
    return crc;
}
#endif

/* The table path: slicing-by-8 on little-endian hosts, byte by byte elsewhere. */
static inline uint32_t pyrtc_crc32c_table_update(uint32_t crc, const unsigned char *p, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return pyrtc_crc32c_sw(crc, p, n);
#else
    return pyrtc_crc32c_bytewise(crc, p, n);
#endif
}

/* Continue a CRC-32C: pass 0 to start; the result is final (already inverted). */
static inline uint32_t pyrtc_crc32c_update(uint32_t crc, const unsigned char *p, size_t n)
{
    if (pyrtc_crc32c_hw < 0)
        pyrtc_crc32c_init();
    crc = ~crc;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (pyrtc_crc32c_hw)
        return ~pyrtc_crc32c_hw_update(crc, p, n);
#endif
    return ~pyrtc_crc32c_table_update(crc, p, n);
}

/* Force the table path a CPU without the CRC32 instruction takes, so that tests on any
 * machine check it against the hardware path. */
static inline uint32_t pyrtc_crc32c_update_portable(uint32_t crc, const unsigned char *p, size_t n)
{
    if (pyrtc_crc32c_hw < 0)
        pyrtc_crc32c_init();
    return ~pyrtc_crc32c_table_update(~crc, p, n);
}

#endif
