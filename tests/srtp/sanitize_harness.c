/*
 * Drives native/srtp_impl.h with random, structured-random and mutated packets under
 * AddressSanitizer and UndefinedBehaviorSanitizer (built and run by test_sanitizers.py).
 * Exit status 0 means no sanitizer report and no forged packet accepted.
 */
#include "srtp_impl.h"

#include <stdio.h>

static uint64_t state = 88172645463325252ull;

static uint64_t next_random(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static int run(int aead, int rtp_tag, int rtcp_tag, int iterations) {
    unsigned char key[16] = {3}, salt[14] = {4};
    static unsigned char in[70000], out[70100], good[70100];
    srtp_session tx, rx;
    long accepted = 0;
    int it, i;
    if (srtp_session_init_master(&tx, aead, 16, rtp_tag, rtcp_tag, 64, 8, key, salt) ||
        srtp_session_init_master(&rx, aead, 16, rtp_tag, rtcp_tag, 64, 8, key, salt))
        return 1;
    for (it = 0; it < iterations; it++) {
        int n = (int)(next_random() % (it % 100 == 0 ? 66000 : 200)), op, rc = -1;
        for (i = 0; i < n; i++) in[i] = (unsigned char)next_random();
        if (next_random() % 2 && n >= 12) {
            /* version 2, few SSRCs, so streams, windows and ROC estimation get exercised */
            in[0] = (unsigned char)(0x80 | (in[0] & 0x2f));
            in[4] = in[5] = in[6] = in[8] = in[9] = in[10] = 0;
            in[7] &= 7;
            in[11] &= 7;
        }
        op = (int)(next_random() % 4);
        if (op == 0) rc = srtp_protect_rtp(&tx, in, n, out);
        if (op == 1) rc = srtp_protect_rtcp(&tx, in, n, out);
        if (op == 2 && n >= rtp_tag) srtp_unprotect_rtp(&rx, in, n, out);
        if (op == 3 && n >= 4 + rtcp_tag) srtp_unprotect_rtcp(&rx, in, n, out);
        if (op == 0 && rc == 0) {
            int m = n + rtp_tag;
            memcpy(good, out, (size_t)m);
            accepted += srtp_unprotect_rtp(&rx, good, m, in) == 0;
            good[next_random() % (uint64_t)m] ^= (unsigned char)(1 + next_random() % 255);
            if (srtp_unprotect_rtp(&rx, good, m, in) == 0) {
                printf("forged packet accepted\n");
                return 1;
            }
        }
        if ((it & 1023) == 0) {
            srtp_table_remove(&tx.out, (uint32_t)(next_random() % 8));
            srtp_table_remove(&rx.in, (uint32_t)(next_random() % 8));
        }
    }
    srtp_session_free(&tx);
    srtp_session_free(&rx);
    printf("aead=%d tag=%d accepted=%ld\n", aead, rtp_tag, accepted);
    return accepted == 0;
}

int main(int argc, char **argv) {
    int iterations = argc > 1 ? atoi(argv[1]) : 50000;
    return run(0, 10, 10, iterations) || run(0, 4, 10, iterations) || run(1, 16, 16, iterations);
}
