# distutils: libraries = crypto
# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""DTLS 1.2 AEAD record protection (RFC 6347 §4.1, RFC 5246 §6.2.3.3) over OpenSSL libcrypto.

The per-record work of :class:`pyrtc.dtls.record.RecordProtection` in C: AES-GCM with the
8-byte explicit nonce of RFC 5288 §3 and ChaCha20-Poly1305 with the sequence-derived nonce of
RFC 7905 §2. One :class:`RecordCipher` holds the key of one direction of one epoch in an
``EVP_CIPHER_CTX`` keyed once; each record costs one output allocation. Sequence numbers,
replay windows and framing decisions stay in :mod:`pyrtc.dtls.connection`.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memcpy


cdef extern from "openssl/evp.h" nogil:
    ctypedef struct EVP_CIPHER:
        pass
    ctypedef struct EVP_CIPHER_CTX:
        pass
    const EVP_CIPHER *EVP_aes_128_gcm()
    const EVP_CIPHER *EVP_aes_256_gcm()
    const EVP_CIPHER *EVP_chacha20_poly1305()
    EVP_CIPHER_CTX *EVP_CIPHER_CTX_new()
    void EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *ctx)
    int EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX *ctx, int type, int arg, void *ptr)
    int EVP_EncryptInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, void *impl,
                           const unsigned char *key, const unsigned char *iv)
    int EVP_EncryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl,
                          const unsigned char *inp, int inl)
    int EVP_EncryptFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl)
    int EVP_DecryptInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, void *impl,
                           const unsigned char *key, const unsigned char *iv)
    int EVP_DecryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl,
                          const unsigned char *inp, int inl)
    int EVP_DecryptFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl)
    int EVP_CTRL_AEAD_GET_TAG
    int EVP_CTRL_AEAD_SET_TAG


cdef enum:
    TAG = 16
    HEADER = 13
    MAX_FRAGMENT = 18432  # 2^14 + 2048 (RFC 6347 §4.1 ciphertext bound)
    VERSION = 0xFEFD  # DTLS 1.2


class RecordCipherError(Exception):
    """OpenSSL refused a key or an operation (never raised for forged records)."""


cdef inline void _put16(unsigned char *p, unsigned int v) noexcept nogil:
    p[0] = <unsigned char>(v >> 8)
    p[1] = <unsigned char>v


cdef class ReplayWindow:
    """Sliding anti-replay window over the last 64 record sequence numbers of one epoch
    (RFC 6347 §4.1.2.6): the C twin of :class:`pyrtc.dtls.record.ReplayWindow`."""

    cdef int64_t _highest
    cdef uint64_t _mask

    def __cinit__(self):
        self._highest = -1
        self._mask = 0

    def is_duplicate(self, uint64_t sequence):
        """True when ``sequence`` was already accepted or is too old to tell."""
        return self._is_duplicate(sequence)

    def mark(self, uint64_t sequence):
        """Record ``sequence`` as received; call only after the record authenticated."""
        self._mark(sequence)

    cdef bint _is_duplicate(self, uint64_t sequence) noexcept:
        if self._highest < 0 or sequence > <uint64_t>self._highest:
            return False
        cdef uint64_t offset = <uint64_t>self._highest - sequence
        return offset >= 64 or (self._mask >> offset) & 1

    cdef void _mark(self, uint64_t sequence) noexcept:
        cdef uint64_t shift
        if self._highest < 0 or sequence > <uint64_t>self._highest:
            shift = sequence - <uint64_t>self._highest if self._highest >= 0 else 64
            self._mask = 1 if shift >= 64 else (self._mask << shift) | 1
            self._highest = <int64_t>sequence
        elif <uint64_t>self._highest - sequence < 64:  # older than the window: nothing to mark
            self._mask |= (<uint64_t>1) << (<uint64_t>self._highest - sequence)


cdef class RecordCipher:
    """The AEAD of one direction of one epoch, keyed once (RFC 5246 §6.2.3.3).

    ``chacha`` selects ChaCha20-Poly1305 (RFC 7905, 32-byte key, 12-byte ``fixed_iv``);
    otherwise AES-GCM (RFC 5288, 16- or 32-byte key, 4-byte ``fixed_iv``).
    """

    cdef EVP_CIPHER_CTX *_enc
    cdef EVP_CIPHER_CTX *_dec
    cdef unsigned char _iv[12]
    cdef int _explicit

    def __cinit__(self, bint chacha, bytes key not None, bytes fixed_iv not None):
        cdef const EVP_CIPHER *cipher
        cdef Py_ssize_t key_len = len(key)
        if chacha:
            if key_len != 32 or len(fixed_iv) != 12:
                raise ValueError("ChaCha20-Poly1305 needs a 32-byte key and a 12-byte IV")
            cipher = EVP_chacha20_poly1305()
            self._explicit = 0
        else:
            if key_len not in (16, 32) or len(fixed_iv) != 4:
                raise ValueError("AES-GCM needs a 16- or 32-byte key and a 4-byte IV")
            cipher = EVP_aes_128_gcm() if key_len == 16 else EVP_aes_256_gcm()
            self._explicit = 8
        memcpy(self._iv, PyBytes_AS_STRING(fixed_iv), len(fixed_iv))
        self._enc = EVP_CIPHER_CTX_new()
        self._dec = EVP_CIPHER_CTX_new()
        if self._enc == NULL or self._dec == NULL:
            raise MemoryError()
        cdef const unsigned char *k = <const unsigned char *>PyBytes_AS_STRING(key)
        if not EVP_EncryptInit_ex(self._enc, cipher, NULL, k, NULL) or not EVP_DecryptInit_ex(
            self._dec, cipher, NULL, k, NULL
        ):
            raise RecordCipherError("OpenSSL could not key the record cipher")

    def __dealloc__(self):
        EVP_CIPHER_CTX_free(self._enc)
        EVP_CIPHER_CTX_free(self._dec)

    @property
    def overhead(self) -> int:
        """Bytes a protected record adds to its plaintext (explicit nonce and tag)."""
        return self._explicit + TAG

    cdef void _nonce(self, const unsigned char *seq_num, unsigned char *nonce) noexcept nogil:
        cdef int i
        if self._explicit:
            # RFC 5288 §3: fixed 4-byte salt || the 8-byte explicit nonce (epoch || sequence).
            memcpy(nonce, self._iv, 4)
            memcpy(nonce + 4, seq_num, 8)
        else:
            # RFC 7905 §2: the 64-bit epoch || sequence, left-padded, XORed into the IV.
            memcpy(nonce, self._iv, 12)
            for i in range(8):
                nonce[4 + i] ^= seq_num[i]

    def seal(self, int content_type, int epoch, uint64_t sequence, const unsigned char[::1] plaintext):
        """The whole protected record: 13-byte header, explicit nonce, ciphertext, tag."""
        if not 0 <= content_type <= 255 or not 0 <= epoch <= 0xFFFF or sequence >> 48:
            raise ValueError("content type, epoch or sequence out of range")
        cdef Py_ssize_t n = plaintext.shape[0]
        return self._seal(content_type, epoch, sequence, &plaintext[0] if n else NULL, n)

    def seal_many(self, int content_type, int epoch, uint64_t sequence, list plaintexts not None):
        """:meth:`seal` of each of ``plaintexts`` (``bytes``) with consecutive sequence
        numbers from ``sequence``: the sender's data path, one call per flush."""
        cdef Py_ssize_t count = len(plaintexts), i
        if not 0 <= content_type <= 255 or not 0 <= epoch <= 0xFFFF:
            raise ValueError("content type or epoch out of range")
        if sequence >> 48 or <uint64_t>count > ((<uint64_t>1) << 48) - sequence:
            raise ValueError("sequence out of range")
        cdef list out = []
        cdef object item
        for i in range(count):
            item = plaintexts[i]
            if type(item) is not bytes:
                raise TypeError("plaintexts must be bytes")
            out.append(
                self._seal(
                    content_type,
                    epoch,
                    sequence + <uint64_t>i,
                    <const unsigned char *>PyBytes_AS_STRING(item),
                    PyBytes_GET_SIZE(item),
                )
            )
        return out

    cdef bytes _seal(
        self, int content_type, int epoch, uint64_t sequence, const unsigned char *src, Py_ssize_t n
    ):
        if n > MAX_FRAGMENT - self._explicit - TAG:
            raise ValueError("plaintext too long for one record")
        cdef Py_ssize_t fragment = self._explicit + n + TAG
        cdef bytes out = PyBytes_FromStringAndSize(NULL, HEADER + fragment)
        cdef unsigned char *p = <unsigned char *>PyBytes_AS_STRING(out)
        cdef unsigned char aad[13]
        cdef unsigned char nonce[12]
        cdef unsigned char *body
        cdef int m, ok
        p[0] = <unsigned char>content_type
        _put16(p + 1, VERSION)
        _put16(p + 3, <unsigned int>epoch)
        _put16(p + 5, <unsigned int>(sequence >> 32))
        _put16(p + 7, <unsigned int>(sequence >> 16))
        _put16(p + 9, <unsigned int>sequence)
        _put16(p + 11, <unsigned int>fragment)
        # additional_data = seq_num(8) || type || version || plaintext length
        memcpy(aad, p + 3, 8)
        aad[8] = p[0]
        aad[9] = p[1]
        aad[10] = p[2]
        _put16(aad + 11, <unsigned int>n)
        self._nonce(aad, nonce)
        body = p + HEADER
        if self._explicit:
            memcpy(body, aad, 8)
            body += 8
        # The GIL stays held: a record is small, and the context must not be shared by threads.
        ok = (
            EVP_EncryptInit_ex(self._enc, NULL, NULL, NULL, nonce)
            and EVP_EncryptUpdate(self._enc, NULL, &m, aad, 13)
            and (n == 0 or EVP_EncryptUpdate(self._enc, body, &m, src, <int>n))
            and EVP_EncryptFinal_ex(self._enc, body + n, &m)
            and EVP_CIPHER_CTX_ctrl(self._enc, EVP_CTRL_AEAD_GET_TAG, TAG, body + n)
        )
        if not ok:
            raise RecordCipherError("OpenSSL failed to seal a record")
        return out

    def open(
        self,
        int content_type,
        int version,
        int epoch,
        uint64_t sequence,
        const unsigned char[::1] fragment,
    ):
        """The plaintext of a protected fragment, or ``None`` when it is too short or fails
        authentication (the tag check is OpenSSL's, in constant time)."""
        if not 0 <= content_type <= 255 or not 0 <= version <= 0xFFFF:
            raise ValueError("content type or version out of range")
        if not 0 <= epoch <= 0xFFFF or sequence >> 48:
            raise ValueError("epoch or sequence out of range")
        if fragment.shape[0] == 0:
            return None
        return self._open(content_type, version, epoch, sequence, &fragment[0], fragment.shape[0])

    def open_datagram(self, int content_type, int epoch, ReplayWindow window, bytes datagram):
        """The data path of a receiver: ``datagram`` checked and opened in one call.

        When ``datagram`` is exactly one DTLS 1.x record of ``content_type`` in ``epoch``,
        returns ``(plaintext,)`` after the anti-replay check against ``window`` and the
        authentication (RFC 6347 §4.1.2.6: replay check first, the window marked only for
        an authentic record), ``()`` when it was a replay or failed authentication, and
        ``None`` without doing anything for every other datagram (a record longer than
        2^14 + 2048 bytes included).
        """
        if datagram is None or window is None:
            raise TypeError("datagram and window are required")
        cdef Py_ssize_t n = PyBytes_GET_SIZE(datagram)
        cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(datagram)
        if n < HEADER or p[0] != content_type or p[1] != 0xFE:
            return None
        if ((p[3] << 8) | p[4]) != epoch or ((p[11] << 8) | p[12]) != n - HEADER:
            return None
        if n - HEADER > MAX_FRAGMENT:  # RFC 6347 §4.1 bound: left to the general parser
            return None
        cdef uint64_t sequence = (
            (<uint64_t>p[5] << 40) | (<uint64_t>p[6] << 32) | (<uint64_t>p[7] << 24)
            | (<uint64_t>p[8] << 16) | (<uint64_t>p[9] << 8) | p[10]
        )
        if window._is_duplicate(sequence):
            return ()
        plaintext = self._open(content_type, (p[1] << 8) | p[2], epoch, sequence, p + HEADER, n - HEADER)
        if plaintext is None:
            return ()
        window._mark(sequence)
        return (plaintext,)

    cdef object _open(
        self,
        int content_type,
        int version,
        int epoch,
        uint64_t sequence,
        const unsigned char *src,
        Py_ssize_t length,
    ):
        cdef Py_ssize_t n = length - self._explicit - TAG
        if n < 0:
            return None
        cdef unsigned char aad[13]
        cdef unsigned char nonce[12]
        cdef int m, ok
        _put16(aad, <unsigned int>epoch)
        _put16(aad + 2, <unsigned int>(sequence >> 32))
        _put16(aad + 4, <unsigned int>(sequence >> 16))
        _put16(aad + 6, <unsigned int>sequence)
        aad[8] = <unsigned char>content_type
        _put16(aad + 9, <unsigned int>version)
        _put16(aad + 11, <unsigned int>n)
        if self._explicit:
            memcpy(nonce, self._iv, 4)
            memcpy(nonce + 4, src, 8)
            src += 8
        else:
            self._nonce(aad, nonce)
        cdef bytes out = PyBytes_FromStringAndSize(NULL, n)
        cdef unsigned char *dst = <unsigned char *>PyBytes_AS_STRING(out)
        ok = (
            EVP_DecryptInit_ex(self._dec, NULL, NULL, NULL, nonce)
            and EVP_DecryptUpdate(self._dec, NULL, &m, aad, 13)
            and (n == 0 or EVP_DecryptUpdate(self._dec, dst, &m, src, <int>n))
            and EVP_CIPHER_CTX_ctrl(self._dec, EVP_CTRL_AEAD_SET_TAG, TAG, <void *>(src + n))
            and EVP_DecryptFinal_ex(self._dec, dst + n, &m) > 0
        )
        return out if ok else None

