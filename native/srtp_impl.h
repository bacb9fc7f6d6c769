/*
 * SRTP and SRTCP packet transforms (RFC 3711, RFC 6188, RFC 7714) over OpenSSL libcrypto.
 *
 * Everything here is plain C so the per-packet path touches no Python object: the Cython
 * wrapper (srtp.pyx) hands in the input bytes and a freshly allocated output buffer of the
 * exact output size. Every length is checked before it is read.
 *
 * Keys are the same for every SSRC of a session (key_derivation_rate 0), so the cipher and
 * HMAC contexts are keyed once per session; per-SSRC state is only the packet index and the
 * replay window, kept in two small hash tables (outbound, inbound).
 */
#ifndef PYRTC_SRTP_IMPL_H
#define PYRTC_SRTP_IMPL_H

/* SHA1_Init/Update/Final are deprecated in OpenSSL 3.0 but still shipped; on the per-packet
   path they are measurably faster than EVP_MD_CTX_copy_ex (which allocates on every copy). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Result codes; everything below zero is an error the wrapper maps to an exception. */
#define SRTP_OK 0
#define SRTP_E_SHORT (-1)      /* shorter than the smallest valid packet */
#define SRTP_E_VERSION (-2)    /* RTP/RTCP version is not 2 */
#define SRTP_E_HEADER (-3)     /* CSRC list or header extension runs past the end */
#define SRTP_E_TOO_LONG (-4)   /* longer than SRTP_MAX_PACKET */
#define SRTP_E_AUTH (-5)       /* authentication tag mismatch */
#define SRTP_E_REPLAY (-6)     /* index already received */
#define SRTP_E_OLD (-7)        /* index older than the replay window */
#define SRTP_E_LIMIT (-8)      /* the per-session stream table is full */
#define SRTP_E_EXHAUSTED (-9)  /* packet index space used up: the session must be rekeyed */
#define SRTP_E_UNENCRYPTED (-10) /* SRTCP with E=0, which this implementation refuses */
#define SRTP_E_CRYPTO (-11)    /* an OpenSSL call failed */
#define SRTP_E_NOMEM (-12)
#define SRTP_E_BEHIND (-13)    /* protect: sequence number implies a rollover counter of -1 */

#define SRTP_MAX_PACKET 65535
#define SRTP_SALT_LEN 14      /* AES-CM session salt; GCM uses the first 12 bytes */
#define SRTP_AUTH_KEY_LEN 20  /* HMAC-SHA1 session authentication key */
#define SRTP_GCM_TAG_LEN 16
#define SRTCP_INDEX_LEN 4
#define SRTCP_E_FLAG 0x80000000u
#define SRTCP_MAX_INDEX 0x7FFFFFFF
#define SRTP_MAX_ROC 0xFFFFFFFFll

static inline uint16_t srtp_be16(const unsigned char *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static inline uint32_t srtp_be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void srtp_put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* ------------------------------------------------------------------------------------------ */
/* Replay window (RFC 3711 §3.3.2): bit k of the bitmap is set when index hi - k was accepted. */

static int srtp_window_check(int64_t hi, const uint64_t *bits, int window, int64_t index) {
    int64_t k;
    if (index < 0) return SRTP_E_OLD;
    if (hi < 0 || index > hi) return SRTP_OK;
    k = hi - index;
    if (k >= window) return SRTP_E_OLD;
    if ((bits[k >> 6] >> (k & 63)) & 1) return SRTP_E_REPLAY;
    return SRTP_OK;
}

static void srtp_window_update(int64_t *hi, uint64_t *bits, int words, int64_t index) {
    int64_t k;
    if (*hi >= 0 && index <= *hi) {
        k = *hi - index;
        bits[k >> 6] |= (uint64_t)1 << (k & 63);
        return;
    }
    if (*hi < 0 || index - *hi >= (int64_t)words * 64) {
        memset(bits, 0, (size_t)words * sizeof(uint64_t));
    } else {
        int shift = (int)(index - *hi), ws = shift >> 6, bs = shift & 63, i;
        for (i = words - 1; i >= 0; i--) {
            uint64_t v = 0;
            if (i - ws >= 0) v = bits[i - ws] << bs;
            if (bs && i - ws - 1 >= 0) v |= bits[i - ws - 1] >> (64 - bs);
            bits[i] = v;
        }
    }
    bits[0] |= 1;
    *hi = index;
}

/* ------------------------------------------------------------------------------------------ */
/* Per-SSRC state and the bounded open-addressing table that holds it. */

typedef struct {
    uint32_t ssrc;
    int64_t rtp_hi;   /* highest RTP index sent/accepted (ROC << 16 | SEQ), -1 before any */
    int64_t rtcp_hi;  /* last SRTCP index sent / highest accepted, -1 before any */
    uint64_t bits[];  /* inbound only: RTP window words, then SRTCP window words */
} srtp_stream;

typedef struct {
    srtp_stream **slots;  /* capacity entries, NULL = empty; linear probing */
    uint32_t capacity;    /* power of two, kept at least twice the count */
    int shift;            /* 32 - log2(capacity): slots come from the top bits of the hash */
    uint32_t count;
    uint32_t max_streams;
    int words;            /* 64-bit words per replay bitmap (0 for the outbound table) */
    srtp_stream *last;    /* most recently used stream: the common single-SSRC fast path */
} srtp_table;

/* Fibonacci hashing: the top bits of ssrc * 2^32/phi mix every bit of the SSRC. */
static inline uint32_t srtp_slot(const srtp_table *t, uint32_t ssrc) {
    return (ssrc * 0x9E3779B1u) >> t->shift;
}

static srtp_stream *srtp_table_find(srtp_table *t, uint32_t ssrc) {
    uint32_t i;
    if (t->last && t->last->ssrc == ssrc) return t->last;
    if (!t->count) return NULL;
    for (i = srtp_slot(t, ssrc);; i = (i + 1) & (t->capacity - 1)) {
        srtp_stream *s = t->slots[i];
        if (!s) return NULL;
        if (s->ssrc == ssrc) return t->last = s;
    }
}

static int srtp_table_grow(srtp_table *t) {
    srtp_table bigger = *t;
    uint32_t i, j;
    bigger.capacity = t->capacity ? t->capacity * 2 : 16;
    bigger.shift = t->capacity ? t->shift - 1 : 28;
    bigger.slots = (srtp_stream **)calloc(bigger.capacity, sizeof(srtp_stream *));
    if (!bigger.slots) return SRTP_E_NOMEM;
    for (i = 0; i < t->capacity; i++) {
        if (!t->slots[i]) continue;
        for (j = srtp_slot(&bigger, t->slots[i]->ssrc); bigger.slots[j];
             j = (j + 1) & (bigger.capacity - 1)) {
        }
        bigger.slots[j] = t->slots[i];
    }
    free(t->slots);
    *t = bigger;
    return SRTP_OK;
}

/* Insert a fresh stream for ssrc (which must not be present). */
static int srtp_table_add(srtp_table *t, uint32_t ssrc, srtp_stream **out) {
    uint32_t i;
    srtp_stream *s;
    if (t->count >= t->max_streams) return SRTP_E_LIMIT;
    if ((t->count + 1) * 2 > t->capacity && srtp_table_grow(t) < 0) return SRTP_E_NOMEM;
    s = (srtp_stream *)calloc(1, sizeof(srtp_stream) + 2 * (size_t)t->words * sizeof(uint64_t));
    if (!s) return SRTP_E_NOMEM;
    s->ssrc = ssrc;
    s->rtp_hi = -1;
    s->rtcp_hi = -1;
    for (i = srtp_slot(t, ssrc); t->slots[i]; i = (i + 1) & (t->capacity - 1)) {
    }
    t->slots[i] = s;
    t->count++;
    *out = t->last = s;
    return SRTP_OK;
}

/* Remove ssrc if present (backward-shift deletion keeps probe chains intact). */
static int srtp_table_remove(srtp_table *t, uint32_t ssrc) {
    uint32_t i, j, mask = t->capacity - 1;
    if (!t->count) return 0;
    for (i = srtp_slot(t, ssrc);; i = (i + 1) & mask) {
        if (!t->slots[i]) return 0;
        if (t->slots[i]->ssrc == ssrc) break;
    }
    if (t->last == t->slots[i]) t->last = NULL;
    free(t->slots[i]);
    t->slots[i] = NULL;
    t->count--;
    for (j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        uint32_t home = srtp_slot(t, t->slots[j]->ssrc);
        /* move slots[j] into the hole at i unless its home lies cyclically in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            t->slots[i] = t->slots[j];
            t->slots[j] = NULL;
            i = j;
        }
    }
    return 1;
}

static void srtp_table_clear(srtp_table *t) {
    uint32_t i;
    for (i = 0; i < t->capacity; i++) free(t->slots[i]);
    free(t->slots);
    t->slots = NULL;
    t->capacity = t->count = 0;
    t->last = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* One direction-independent set of session keys for RTP or RTCP, keyed once. */

typedef struct {
    EVP_CIPHER_CTX *enc;  /* AES-CTR or AES-GCM, keyed for encryption */
    EVP_CIPHER_CTX *dec;  /* same key, for decryption (GCM needs its own direction) */
    SHA_CTX inner;        /* HMAC-SHA1 state after the ipad block (AES-CM profiles only) */
    SHA_CTX outer;        /* HMAC-SHA1 state after the opad block */
    unsigned char salt[SRTP_SALT_LEN];
} srtp_keys;

typedef struct {
    int aead;           /* 1: AEAD_AES_*_GCM (RFC 7714); 0: AES-CM + HMAC-SHA1 */
    int rtp_tag_len;
    int rtcp_tag_len;
    int window;         /* replay window size in packets */
    srtp_keys rtp, rtcp;
    srtp_table out, in;
} srtp_session;

static const EVP_CIPHER *srtp_cipher(int aead, int key_len) {
    if (aead) return key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
    return key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
}

/* AES-CTR keystream under key (16 or 32 bytes) from a 16-byte IV: n bytes into out. */
static int pyrtc_srtp_ctr_keystream(const unsigned char *key, int key_len,
                                    const unsigned char *iv, unsigned char *out, int n) {
    int m = 0, ok;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return SRTP_E_NOMEM;
    memset(out, 0, (size_t)n);
    ok = EVP_EncryptInit_ex(ctx, srtp_cipher(0, key_len), NULL, key, iv) &&
         (n == 0 || (EVP_EncryptUpdate(ctx, out, &m, out, n) && m == n));
    EVP_CIPHER_CTX_free(ctx);
    return ok ? SRTP_OK : SRTP_E_CRYPTO;
}

/* AES-CM PRF of RFC 3711 §4.3.1 / RFC 6188 §3 with key_derivation_rate 0: the keystream of
   AES-CTR under the master key, IV = (master_salt XOR label << 48) << 16. A 12-byte GCM master
   salt is multiplied by 2^16, i.e. zero-padded on the right to 14 bytes (RFC 7714 §11 as
   corrected by erratum 4938, and what libsrtp does). */
static int srtp_kdf(const unsigned char *master_key, int key_len, const unsigned char *salt,
                    int salt_len, int label, unsigned char *out, int out_len) {
    unsigned char iv[16] = {0};
    if (salt_len > SRTP_SALT_LEN) return SRTP_E_CRYPTO;
    memcpy(iv, salt, (size_t)salt_len);
    iv[7] ^= (unsigned char)label;
    return pyrtc_srtp_ctr_keystream(master_key, key_len, iv, out, out_len);
}

static void srtp_keys_free(srtp_keys *k) {
    EVP_CIPHER_CTX_free(k->enc);
    EVP_CIPHER_CTX_free(k->dec);
    OPENSSL_cleanse(k, sizeof(*k));
}

/* Key the contexts of one srtp_keys. auth_key is NULL for AEAD profiles. */
static int srtp_keys_init(srtp_keys *k, int aead, const unsigned char *key, int key_len,
                          const unsigned char *salt, int salt_len, const unsigned char *auth_key) {
    const EVP_CIPHER *cipher = srtp_cipher(aead, key_len);
    memset(k, 0, sizeof(*k));
    memcpy(k->salt, salt, (size_t)salt_len);
    k->enc = EVP_CIPHER_CTX_new();
    k->dec = EVP_CIPHER_CTX_new();
    if (!k->enc || !k->dec) return SRTP_E_NOMEM;
    if (!EVP_EncryptInit_ex(k->enc, cipher, NULL, key, NULL) ||
        !EVP_DecryptInit_ex(k->dec, cipher, NULL, key, NULL))
        return SRTP_E_CRYPTO;
    if (auth_key) {
        /* HMAC (RFC 2104) keyed once: hash the padded key blocks, copy the states per packet. */
        unsigned char block[64];
        int i, ok;
        memset(block, 0x36, sizeof(block));
        for (i = 0; i < SRTP_AUTH_KEY_LEN; i++) block[i] ^= auth_key[i];
        ok = SHA1_Init(&k->inner) && SHA1_Update(&k->inner, block, sizeof(block));
        memset(block, 0x5c, sizeof(block));
        for (i = 0; i < SRTP_AUTH_KEY_LEN; i++) block[i] ^= auth_key[i];
        ok = ok && SHA1_Init(&k->outer) && SHA1_Update(&k->outer, block, sizeof(block));
        OPENSSL_cleanse(block, sizeof(block));
        if (!ok) return SRTP_E_CRYPTO;
    }
    return SRTP_OK;
}

/* HMAC-SHA1 over a || b (b may be empty), full 20-byte output. */
static int srtp_hmac(srtp_keys *k, const unsigned char *a, size_t alen, const unsigned char *b,
                     size_t blen, unsigned char *mac) {
    SHA_CTX c = k->inner;
    unsigned char inner[SHA_DIGEST_LENGTH];
    int ok = SHA1_Update(&c, a, alen) && (!blen || SHA1_Update(&c, b, blen)) &&
             SHA1_Final(inner, &c);
    c = k->outer;
    ok = ok && SHA1_Update(&c, inner, sizeof(inner)) && SHA1_Final(mac, &c);
    return ok ? SRTP_OK : SRTP_E_CRYPTO;
}

/* AES-CTR with a 16-byte IV over n bytes (in may equal out). */
static int srtp_ctr(EVP_CIPHER_CTX *ctx, const unsigned char *iv, const unsigned char *in,
                    unsigned char *out, int n) {
    int m = 0;
    if (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv)) return SRTP_E_CRYPTO;
    if (n && (!EVP_EncryptUpdate(ctx, out, &m, in, n) || m != n)) return SRTP_E_CRYPTO;
    return SRTP_OK;
}

/* AES-GCM seal: out = E(in), tag written to tag. */
static int srtp_gcm_seal(EVP_CIPHER_CTX *ctx, const unsigned char *iv, const unsigned char *aad,
                         int aad_len, const unsigned char *aad2, int aad2_len,
                         const unsigned char *in, unsigned char *out, int n, unsigned char *tag) {
    int m = 0;
    if (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) ||
        !EVP_EncryptUpdate(ctx, NULL, &m, aad, aad_len) ||
        (aad2_len && !EVP_EncryptUpdate(ctx, NULL, &m, aad2, aad2_len)) ||
        (n && !EVP_EncryptUpdate(ctx, out, &m, in, n)) || !EVP_EncryptFinal_ex(ctx, out + n, &m) ||
        !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SRTP_GCM_TAG_LEN, tag))
        return SRTP_E_CRYPTO;
    return SRTP_OK;
}

/* AES-GCM open: out = D(in) if the tag verifies (OpenSSL compares in constant time). */
static int srtp_gcm_open(EVP_CIPHER_CTX *ctx, const unsigned char *iv, const unsigned char *aad,
                         int aad_len, const unsigned char *aad2, int aad2_len,
                         const unsigned char *in, unsigned char *out, int n,
                         const unsigned char *tag) {
    int m = 0;
    if (!EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, iv) ||
        !EVP_DecryptUpdate(ctx, NULL, &m, aad, aad_len) ||
        (aad2_len && !EVP_DecryptUpdate(ctx, NULL, &m, aad2, aad2_len)) ||
        (n && !EVP_DecryptUpdate(ctx, out, &m, in, n)) ||
        !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SRTP_GCM_TAG_LEN, (void *)tag))
        return SRTP_E_CRYPTO;
    if (EVP_DecryptFinal_ex(ctx, out + n, &m) <= 0) return SRTP_E_AUTH;
    return SRTP_OK;
}

/* AES-CM IV (RFC 3711 §4.1.1): (salt << 16) XOR (SSRC << 64) XOR (index << 16). */
static void srtp_cm_iv(const unsigned char *salt, uint32_t ssrc, int64_t index,
                       unsigned char *iv) {
    int i;
    memcpy(iv, salt, SRTP_SALT_LEN);
    iv[14] = iv[15] = 0;
    iv[4] ^= (unsigned char)(ssrc >> 24);
    iv[5] ^= (unsigned char)(ssrc >> 16);
    iv[6] ^= (unsigned char)(ssrc >> 8);
    iv[7] ^= (unsigned char)ssrc;
    for (i = 0; i < 6; i++) iv[13 - i] ^= (unsigned char)(index >> (8 * i));
}

/* GCM IV (RFC 7714 §8.1 for RTP, §9.1 for RTCP): 00 00 || SSRC || 48-bit index, XOR salt.
   The 31-bit SRTCP index occupies the same low bits, so one function serves both. */
static void srtp_gcm_iv(const unsigned char *salt, uint32_t ssrc, int64_t index,
                        unsigned char *iv) {
    int i;
    memcpy(iv, salt, 12);
    iv[2] ^= (unsigned char)(ssrc >> 24);
    iv[3] ^= (unsigned char)(ssrc >> 16);
    iv[4] ^= (unsigned char)(ssrc >> 8);
    iv[5] ^= (unsigned char)ssrc;
    for (i = 0; i < 6; i++) iv[11 - i] ^= (unsigned char)(index >> (8 * i));
}

/* ------------------------------------------------------------------------------------------ */

static int srtp_session_init(srtp_session *s, int aead, int key_len, int rtp_tag_len,
                             int rtcp_tag_len, int window, uint32_t max_streams,
                             const unsigned char *rtp_key, const unsigned char *rtp_salt,
                             const unsigned char *rtp_auth, const unsigned char *rtcp_key,
                             const unsigned char *rtcp_salt, const unsigned char *rtcp_auth) {
    int rc, salt_len = aead ? 12 : SRTP_SALT_LEN;
    memset(s, 0, sizeof(*s));
    s->aead = aead;
    s->rtp_tag_len = rtp_tag_len;
    s->rtcp_tag_len = rtcp_tag_len;
    s->window = window;
    s->out.max_streams = s->in.max_streams = max_streams;
    s->in.words = (window + 63) / 64;
    rc = srtp_keys_init(&s->rtp, aead, rtp_key, key_len, rtp_salt, salt_len, rtp_auth);
    if (rc == SRTP_OK)
        rc = srtp_keys_init(&s->rtcp, aead, rtcp_key, key_len, rtcp_salt, salt_len, rtcp_auth);
    return rc;
}

/* Derive the six session keys from the master key and salt and key the session. */
static int srtp_session_init_master(srtp_session *s, int aead, int key_len, int rtp_tag_len,
                                    int rtcp_tag_len, int window, uint32_t max_streams,
                                    const unsigned char *master_key,
                                    const unsigned char *master_salt) {
    unsigned char k[6][32];
    int salt_len = aead ? 12 : SRTP_SALT_LEN, rc = SRTP_OK, label;
    static const int lengths[2][3] = {{0, SRTP_AUTH_KEY_LEN, SRTP_SALT_LEN}, {0, 0, 12}};
    for (label = 0; label < 6 && rc == SRTP_OK; label++) {
        int len = label % 3 == 0 ? key_len : lengths[aead][label % 3];
        if (len) rc = srtp_kdf(master_key, key_len, master_salt, salt_len, label, k[label], len);
    }
    if (rc == SRTP_OK)
        rc = srtp_session_init(s, aead, key_len, rtp_tag_len, rtcp_tag_len, window, max_streams,
                               k[0], k[2], aead ? NULL : k[1], k[3], k[5], aead ? NULL : k[4]);
    OPENSSL_cleanse(k, sizeof(k));
    return rc;
}

static void srtp_session_free(srtp_session *s) {
    srtp_keys_free(&s->rtp);
    srtp_keys_free(&s->rtcp);
    srtp_table_clear(&s->out);
    srtp_table_clear(&s->in);
}

/* Length of the RTP header including CSRCs and extension (RFC 3550 §5.1, §5.3.1), checked
   against avail bytes; returns a negative error code when malformed. */
static int srtp_rtp_header_len(const unsigned char *p, int avail) {
    int h;
    if (avail < 12) return SRTP_E_SHORT;
    if ((p[0] >> 6) != 2) return SRTP_E_VERSION;
    h = 12 + 4 * (p[0] & 0x0F);
    if (p[0] & 0x10) {
        if (h + 4 > avail) return SRTP_E_HEADER;
        h += 4 + 4 * srtp_be16(p + h + 2);
    }
    if (h > avail) return SRTP_E_HEADER;
    return h;
}

/* RFC 3711 §3.3.1 / Appendix A: the index of seq relative to the highest index hi. */
static int64_t srtp_estimate_index(int64_t hi, uint16_t seq) {
    int64_t roc, s_l, v;
    if (hi < 0) return seq;
    roc = hi >> 16;
    s_l = hi & 0xFFFF;
    if (s_l < 32768)
        v = (seq - s_l > 32768) ? roc - 1 : roc;
    else
        v = (s_l - 32768 > seq) ? roc + 1 : roc;
    return v < 0 ? -1 : (v << 16) | seq;  /* -1: the sequence number precedes ROC 0 */
}

/* Protect one RTP packet: out receives n + rtp_tag_len bytes; out may be p (in place). */
static int srtp_protect_rtp(srtp_session *s, const unsigned char *p, int n, unsigned char *out) {
    int h, rc;
    uint32_t ssrc;
    int64_t index;
    srtp_stream *st;
    unsigned char iv[16];
    if (n > SRTP_MAX_PACKET) return SRTP_E_TOO_LONG;
    h = srtp_rtp_header_len(p, n);
    if (h < 0) return h;
    ssrc = srtp_be32(p + 8);
    st = srtp_table_find(&s->out, ssrc);
    if (!st && (rc = srtp_table_add(&s->out, ssrc, &st)) < 0) return rc;
    index = srtp_estimate_index(st->rtp_hi, srtp_be16(p + 2));
    if (index < 0) return SRTP_E_BEHIND;
    if ((index >> 16) > SRTP_MAX_ROC) return SRTP_E_EXHAUSTED;
    if (out != p) memcpy(out, p, (size_t)h);  /* out == p: protecting in place */
    if (s->aead) {
        srtp_gcm_iv(s->rtp.salt, ssrc, index, iv);
        rc = srtp_gcm_seal(s->rtp.enc, iv, p, h, NULL, 0, p + h, out + h, n - h, out + n);
    } else {
        unsigned char roc[4], mac[20];
        srtp_cm_iv(s->rtp.salt, ssrc, index, iv);
        rc = srtp_ctr(s->rtp.enc, iv, p + h, out + h, n - h);
        srtp_put_be32(roc, (uint32_t)(index >> 16));
        if (rc == SRTP_OK) rc = srtp_hmac(&s->rtp, out, (size_t)n, roc, 4, mac);
        memcpy(out + n, mac, (size_t)s->rtp_tag_len);
    }
    if (rc < 0) return rc;
    if (index > st->rtp_hi) st->rtp_hi = index;
    return SRTP_OK;
}

/* Unprotect one SRTP packet: out receives n - rtp_tag_len bytes. State changes only after the
   packet authenticated. */
static int srtp_unprotect_rtp(srtp_session *s, const unsigned char *p, int n, unsigned char *out) {
    int h, rc, body;
    uint32_t ssrc;
    int64_t index, hi = -1;
    srtp_stream *st;
    unsigned char iv[16];
    if (n > SRTP_MAX_PACKET + s->rtp_tag_len) return SRTP_E_TOO_LONG;
    body = n - s->rtp_tag_len;
    if (body < 12) return SRTP_E_SHORT;
    h = srtp_rtp_header_len(p, body);
    if (h < 0) return h;
    ssrc = srtp_be32(p + 8);
    st = srtp_table_find(&s->in, ssrc);
    if (st) hi = st->rtp_hi;
    index = srtp_estimate_index(hi, srtp_be16(p + 2));
    /* ROC -1 cannot exist: the only index this packet can have is ahead, in ROC 0 (libsrtp
       guesses the same). Refusing it would reject every packet after an early gap. */
    if (index < 0) index = srtp_be16(p + 2);
    if (st && (rc = srtp_window_check(hi, st->bits, s->window, index)) < 0) return rc;
    if ((index >> 16) > SRTP_MAX_ROC) return SRTP_E_EXHAUSTED;
    if (s->aead) {
        srtp_gcm_iv(s->rtp.salt, ssrc, index, iv);
        rc = srtp_gcm_open(s->rtp.dec, iv, p, h, NULL, 0, p + h, out + h, body - h, p + body);
    } else {
        unsigned char roc[4], mac[20];
        srtp_put_be32(roc, (uint32_t)(index >> 16));
        rc = srtp_hmac(&s->rtp, p, (size_t)body, roc, 4, mac);
        if (rc == SRTP_OK && CRYPTO_memcmp(mac, p + body, (size_t)s->rtp_tag_len) != 0)
            rc = SRTP_E_AUTH;
        srtp_cm_iv(s->rtp.salt, ssrc, index, iv);
        if (rc == SRTP_OK) rc = srtp_ctr(s->rtp.dec, iv, p + h, out + h, body - h);
    }
    if (rc < 0) return rc;
    if (!st && (rc = srtp_table_add(&s->in, ssrc, &st)) < 0) return rc;
    memcpy(out, p, (size_t)h);
    srtp_window_update(&st->rtp_hi, st->bits, s->in.words, index);
    return SRTP_OK;
}

static int srtp_rtcp_check(const unsigned char *p, int n, int min) {
    if (n < min) return SRTP_E_SHORT;
    if ((p[0] >> 6) != 2) return SRTP_E_VERSION;
    return SRTP_OK;
}

/* Protect one RTCP (compound) packet, always encrypted (E=1): out receives
   n + 4 + rtcp_tag_len bytes (RFC 3711 §3.4; RFC 7714 §9 puts the index after the tag). */
static int srtp_protect_rtcp(srtp_session *s, const unsigned char *p, int n, unsigned char *out) {
    int rc;
    uint32_t ssrc;
    int64_t index;
    srtp_stream *st;
    unsigned char iv[16], trailer[4];
    if (n > SRTP_MAX_PACKET) return SRTP_E_TOO_LONG;
    if ((rc = srtp_rtcp_check(p, n, 8)) < 0) return rc;
    ssrc = srtp_be32(p + 4);
    st = srtp_table_find(&s->out, ssrc);
    if (!st && (rc = srtp_table_add(&s->out, ssrc, &st)) < 0) return rc;
    index = st->rtcp_hi + 1;
    if (index > SRTCP_MAX_INDEX) return SRTP_E_EXHAUSTED;
    srtp_put_be32(trailer, SRTCP_E_FLAG | (uint32_t)index);
    memcpy(out, p, 8);
    if (s->aead) {
        srtp_gcm_iv(s->rtcp.salt, ssrc, index, iv);
        rc = srtp_gcm_seal(s->rtcp.enc, iv, p, 8, trailer, 4, p + 8, out + 8, n - 8, out + n);
        memcpy(out + n + SRTP_GCM_TAG_LEN, trailer, 4);
    } else {
        unsigned char mac[20];
        srtp_cm_iv(s->rtcp.salt, ssrc, index, iv);
        rc = srtp_ctr(s->rtcp.enc, iv, p + 8, out + 8, n - 8);
        memcpy(out + n, trailer, 4);
        if (rc == SRTP_OK) rc = srtp_hmac(&s->rtcp, out, (size_t)n + 4, NULL, 0, mac);
        memcpy(out + n + 4, mac, (size_t)s->rtcp_tag_len);
    }
    if (rc < 0) return rc;
    st->rtcp_hi = index;
    return SRTP_OK;
}

/* Unprotect one SRTCP packet: out receives n - 4 - rtcp_tag_len bytes. */
static int srtp_unprotect_rtcp(srtp_session *s, const unsigned char *p, int n, unsigned char *out) {
    int rc, body = n - SRTCP_INDEX_LEN - s->rtcp_tag_len;
    uint32_t ssrc, e_index;
    int64_t index, hi = -1;
    const unsigned char *tag, *trailer;
    srtp_stream *st;
    unsigned char iv[16];
    if (n > SRTP_MAX_PACKET + SRTCP_INDEX_LEN + s->rtcp_tag_len) return SRTP_E_TOO_LONG;
    if ((rc = srtp_rtcp_check(p, n, 8 + SRTCP_INDEX_LEN + s->rtcp_tag_len)) < 0) return rc;
    if (s->aead) {
        tag = p + body;
        trailer = p + body + SRTP_GCM_TAG_LEN;
    } else {
        trailer = p + body;
        tag = p + body + SRTCP_INDEX_LEN;
    }
    e_index = srtp_be32(trailer);
    if (!(e_index & SRTCP_E_FLAG)) return SRTP_E_UNENCRYPTED;
    index = e_index & SRTCP_MAX_INDEX;
    ssrc = srtp_be32(p + 4);
    st = srtp_table_find(&s->in, ssrc);
    if (st) {
        hi = st->rtcp_hi;
        if ((rc = srtp_window_check(hi, st->bits + s->in.words, s->window, index)) < 0) return rc;
    }
    if (s->aead) {
        srtp_gcm_iv(s->rtcp.salt, ssrc, index, iv);
        rc = srtp_gcm_open(s->rtcp.dec, iv, p, 8, trailer, 4, p + 8, out + 8, body - 8, tag);
    } else {
        unsigned char mac[20];
        rc = srtp_hmac(&s->rtcp, p, (size_t)body + SRTCP_INDEX_LEN, NULL, 0, mac);
        if (rc == SRTP_OK && CRYPTO_memcmp(mac, tag, (size_t)s->rtcp_tag_len) != 0)
            rc = SRTP_E_AUTH;
        srtp_cm_iv(s->rtcp.salt, ssrc, index, iv);
        if (rc == SRTP_OK) rc = srtp_ctr(s->rtcp.dec, iv, p + 8, out + 8, body - 8);
    }
    if (rc < 0) return rc;
    if (!st && (rc = srtp_table_add(&s->in, ssrc, &st)) < 0) return rc;
    memcpy(out, p, 8);
    srtp_window_update(&st->rtcp_hi, st->bits + s->in.words, s->in.words, index);
    return SRTP_OK;
}

#endif
