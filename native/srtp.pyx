# distutils: libraries = crypto
# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""SRTP and SRTCP (RFC 3711, RFC 6188, RFC 7714) over OpenSSL libcrypto.

The packet transforms live in ``srtp_impl.h``; this module owns the session object, turns
result codes into exceptions and allocates exactly one output ``bytes`` per packet.
The public API is re-exported by :mod:`pyrtc.srtp`.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize
from cpython.bytes cimport PyBytes_GET_SIZE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE, PyList_New, PyList_SET_ITEM
from cpython.ref cimport Py_INCREF
from libc.stdint cimport int64_t, uint32_t

from pyrtc._native.rtp cimport RtpPacket, parse_bytes

from pyrtc.errors import Error, ParseError
from pyrtc._native.rtp import RtpParseError


cdef extern from "srtp_impl.h" nogil:
    int SRTP_OK, SRTP_E_SHORT, SRTP_E_VERSION, SRTP_E_HEADER, SRTP_E_TOO_LONG, SRTP_E_AUTH
    int SRTP_E_REPLAY, SRTP_E_OLD, SRTP_E_LIMIT, SRTP_E_EXHAUSTED, SRTP_E_UNENCRYPTED
    int SRTP_E_CRYPTO, SRTP_E_NOMEM, SRTP_E_BEHIND
    int SRTP_SALT_LEN, SRTP_AUTH_KEY_LEN, SRTP_GCM_TAG_LEN

    ctypedef struct srtp_table:
        uint32_t count

    ctypedef struct srtp_session:
        int rtp_tag_len
        int rtcp_tag_len
        srtp_table out
        srtp_table in_ "in"

    int srtp_session_init(srtp_session *s, int aead, int key_len, int rtp_tag_len,
                          int rtcp_tag_len, int window, uint32_t max_streams,
                          const unsigned char *rtp_key, const unsigned char *rtp_salt,
                          const unsigned char *rtp_auth, const unsigned char *rtcp_key,
                          const unsigned char *rtcp_salt, const unsigned char *rtcp_auth)
    int srtp_session_init_master(srtp_session *s, int aead, int key_len, int rtp_tag_len,
                                 int rtcp_tag_len, int window, uint32_t max_streams,
                                 const unsigned char *master_key,
                                 const unsigned char *master_salt)
    void srtp_session_free(srtp_session *s)
    int srtp_table_remove(srtp_table *t, uint32_t ssrc)
    int srtp_protect_rtp(srtp_session *s, const unsigned char *p, int n, unsigned char *out)
    int srtp_unprotect_rtp(srtp_session *s, const unsigned char *p, int n, unsigned char *out)
    int srtp_protect_rtcp(srtp_session *s, const unsigned char *p, int n, unsigned char *out)
    int srtp_unprotect_rtcp(srtp_session *s, const unsigned char *p, int n, unsigned char *out)
    int srtp_kdf(const unsigned char *master_key, int key_len, const unsigned char *salt,
                 int salt_len, int label, unsigned char *out, int out_len)
    void srtp_cm_iv(const unsigned char *salt, uint32_t ssrc, int64_t index, unsigned char *iv)
    int srtp_ctr_keystream "pyrtc_srtp_ctr_keystream"(
        const unsigned char *key, int key_len, const unsigned char *iv, unsigned char *out, int n)


class SrtpError(Error):
    """An SRTP or SRTCP packet could not be protected or unprotected."""


class SrtpParseError(SrtpError, ParseError):
    """The packet is truncated or is not RTP/RTCP version 2 (RFC 3550 §5.1, §6.4)."""


class SrtpAuthError(SrtpError):
    """The authentication tag did not verify (RFC 3711 §3.3; the AES-GCM tag for RFC 7714)."""


class SrtpReplayError(SrtpError):
    """The packet index was already received or is older than the replay window (§3.3.2)."""


# Profile table (RFC 5764 §4.1.2, RFC 6188 §4, RFC 7714 §14.2), keyed by the value of
# pyrtc.srtp.Profile: (aead, master key length, master salt length, RTP tag, RTCP tag).
# RFC 6188's AES-256-CM has no DTLS-SRTP code point (IANA 0x0003-0x0004 are unassigned),
# so its two profiles use numbers outside the 16-bit DTLS-SRTP space.
PROFILES = {
    0x0001: (False, 16, 14, 10, 10),
    0x0002: (False, 16, 14, 4, 10),
    0x0007: (True, 16, 12, 16, 16),
    0x0008: (True, 32, 12, 16, 16),
    0x1_0003: (False, 32, 14, 10, 10),
    0x1_0004: (False, 32, 14, 4, 10),
}

_PARSE_MESSAGES = {
    SRTP_E_SHORT: "packet too short",
    SRTP_E_VERSION: "not RTP/RTCP version 2",
    SRTP_E_HEADER: "CSRC list or header extension runs past the end of the packet",
    SRTP_E_TOO_LONG: "packet longer than 65535 bytes",
}


cdef object _error(int rc):
    if rc == SRTP_E_AUTH:
        return SrtpAuthError("authentication failed")
    if rc == SRTP_E_REPLAY:
        return SrtpReplayError("packet index already received")
    if rc == SRTP_E_OLD:
        return SrtpReplayError("packet index older than the replay window")
    if rc == SRTP_E_LIMIT:
        return SrtpError("stream table full: too many SSRCs for this session")
    if rc == SRTP_E_EXHAUSTED:
        return SrtpError("packet index space exhausted for this SSRC: rekey the session")
    if rc == SRTP_E_UNENCRYPTED:
        return SrtpError("unencrypted SRTCP (E flag clear) is not accepted")
    if rc == SRTP_E_BEHIND:
        return SrtpError("sequence number too far behind the highest one sent (RFC 3711 §3.3.1)")
    if rc == SRTP_E_NOMEM:
        return MemoryError()
    if rc == SRTP_E_CRYPTO:
        return SrtpError("OpenSSL operation failed")
    return SrtpParseError(_PARSE_MESSAGES.get(rc, "malformed packet"))


cdef bytes _exact_bytes(object value, Py_ssize_t length, str what):
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    data = bytes(value)
    if PyBytes_GET_SIZE(data) != length:
        raise ValueError(f"{what} must be {length} bytes, got {PyBytes_GET_SIZE(data)}")
    return data


cdef object _int_in(object value, object low, object high, str what):
    # checked as a Python int, so a huge value is a ValueError rather than an OverflowError
    if not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low} and {high}")
    return value


cdef tuple _limits(object replay_window, object max_streams):
    return (
        _int_in(replay_window, 1, 32768, "replay_window (packets)"),
        _int_in(max_streams, 1, 1 << 20, "max_streams"),
    )


cdef inline object _outcome(int rc, object out):
    """``out`` of a transform that succeeded, ``None`` for a rejected packet (``rc`` says
    why); running out of memory raises."""
    if rc != SRTP_OK:
        if rc == SRTP_E_NOMEM:
            raise MemoryError()
        return None
    return out


cdef enum Op:
    PROTECT_RTP
    UNPROTECT_RTP
    PROTECT_RTCP
    UNPROTECT_RTCP


cdef class SrtpSession:
    """One SRTP/SRTCP crypto context: protects outbound and unprotects inbound packets.

    ``master_key`` and ``master_salt`` (RFC 3711 §3.2.1) have the lengths ``profile`` says;
    the six session keys are derived once (RFC 3711 §4.3, key_derivation_rate 0). Streams are
    per SSRC and created on first use, separately for the outbound direction (``protect*``)
    and the inbound one (``unprotect*``), up to ``max_streams`` SSRCs each. With DTLS-SRTP
    each direction has its own key, so use two sessions (see ``pyrtc.srtp.dtls_srtp_sessions``).
    """

    cdef srtp_session s
    cdef bint ready
    cdef readonly object profile
    cdef readonly int replay_window
    cdef readonly int max_streams

    def __cinit__(self, *args, **kwargs):
        self.ready = False

    def __init__(self, profile, master_key, master_salt, *, replay_window=128,
                 max_streams=4096):
        try:
            aead, key_len, salt_len, rtp_tag, rtcp_tag = PROFILES[profile]
        except (KeyError, TypeError):
            raise ValueError(f"unknown SRTP profile {profile!r}") from None
        key = _exact_bytes(master_key, key_len, "master_key")
        salt = _exact_bytes(master_salt, salt_len, "master_salt")
        replay_window, max_streams = _limits(replay_window, max_streams)
        self._release()
        rc = srtp_session_init_master(&self.s, aead, key_len, rtp_tag, rtcp_tag, replay_window,
                                      max_streams, key, salt)
        self._finish_init(rc, profile, replay_window, max_streams)

    @classmethod
    def _from_session_keys(cls, profile, rtp_key, rtp_salt, rtcp_key, rtcp_salt,
                           rtp_auth_key=None, rtcp_auth_key=None, *, replay_window=128,
                           max_streams=4096):
        """A session keyed with explicit session keys, skipping key derivation.

        Only for known-answer tests (RFC 7714 §16-17 give session keys, not master keys).
        """
        cdef SrtpSession self = cls.__new__(cls)
        try:
            aead, key_len, salt_len, rtp_tag, rtcp_tag = PROFILES[profile]
        except (KeyError, TypeError):
            raise ValueError(f"unknown SRTP profile {profile!r}") from None
        cdef bytes k1 = _exact_bytes(rtp_key, key_len, "rtp_key")
        cdef bytes s1 = _exact_bytes(rtp_salt, salt_len, "rtp_salt")
        cdef bytes k2 = _exact_bytes(rtcp_key, key_len, "rtcp_key")
        cdef bytes s2 = _exact_bytes(rtcp_salt, salt_len, "rtcp_salt")
        cdef bytes a1 = None
        cdef bytes a2 = None
        cdef const unsigned char *rtp_auth = NULL
        cdef const unsigned char *rtcp_auth = NULL
        if not aead:
            a1 = _exact_bytes(rtp_auth_key, SRTP_AUTH_KEY_LEN, "rtp_auth_key")
            a2 = _exact_bytes(rtcp_auth_key, SRTP_AUTH_KEY_LEN, "rtcp_auth_key")
            rtp_auth = a1
            rtcp_auth = a2
        replay_window, max_streams = _limits(replay_window, max_streams)
        rc = srtp_session_init(&self.s, aead, key_len, rtp_tag, rtcp_tag, replay_window,
                               max_streams, k1, s1, rtp_auth, k2, s2, rtcp_auth)
        self._finish_init(rc, profile, replay_window, max_streams)
        return self

    cdef _finish_init(self, int rc, object profile, int replay_window, int max_streams):
        if rc != SRTP_OK:
            srtp_session_free(&self.s)
            raise _error(rc)
        self.ready = True
        self.profile = profile
        self.replay_window = replay_window
        self.max_streams = max_streams

    cdef _release(self):
        if self.ready:
            srtp_session_free(&self.s)
            self.ready = False

    def __dealloc__(self):
        self._release()

    @property
    def outbound_streams(self):
        """Number of SSRCs with outbound state (created by ``protect``/``protect_rtcp``)."""
        return self.s.out.count if self.ready else 0

    @property
    def inbound_streams(self):
        """Number of SSRCs with inbound state (created by authenticated packets)."""
        return self.s.in_.count if self.ready else 0

    def remove_ssrc(self, ssrc):
        """Forget the outbound and inbound state of ``ssrc`` (for example after RTCP BYE).

        Frees its slot in the stream table. A later packet of that SSRC starts a fresh
        stream, so the replay history of the removed one is lost.
        """
        ssrc = _int_in(ssrc, 0, 0xFFFFFFFF, "ssrc")
        if self.ready:
            srtp_table_remove(&self.s.out, ssrc)
            srtp_table_remove(&self.s.in_, ssrc)

    cdef object _run(self, int op, object packet):
        cdef int rc = SRTP_OK
        out = self._attempt(op, packet, &rc)
        if rc != SRTP_OK:
            raise _error(rc)
        return out

    cdef object _attempt(self, int op, object packet, int *rc):
        """Transform one packet; on a rejection return None and set ``rc`` (no exception,
        so a batch can skip bad packets cheaply). Non-buffer input still raises TypeError."""
        cdef Py_buffer view
        if not self.ready:
            raise SrtpError("session is not initialised")
        if op == PROTECT_RTP and type(packet) is RtpPacket:
            return self._protect_packet(<RtpPacket>packet, rc)
        if PyBytes_CheckExact(packet):
            return self._transform(op, <const unsigned char *>PyBytes_AS_STRING(packet),
                                   PyBytes_GET_SIZE(packet), rc)
        PyObject_GetBuffer(packet, &view, PyBUF_SIMPLE)
        try:
            return self._transform(op, <const unsigned char *>view.buf, view.len, rc)
        finally:
            PyBuffer_Release(&view)

    cdef object _protect_packet(self, RtpPacket packet, int *rc):
        """Serialize ``packet`` with room for the tag and protect it in place: one buffer,
        no plaintext copy."""
        cdef Py_ssize_t tag = self.s.rtp_tag_len
        cdef bytes out = packet._serialize(tag)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(out) - tag
        cdef unsigned char *o = <unsigned char *>PyBytes_AS_STRING(out)
        if n > 200000:
            rc[0] = SRTP_E_TOO_LONG
            return None
        rc[0] = srtp_protect_rtp(&self.s, o, <int>n, o)
        return _outcome(rc[0], out)

    cdef object _transform(self, int op, const unsigned char *p, Py_ssize_t n, int *rc):
        cdef Py_ssize_t out_len
        if n > 200000:  # far beyond any valid packet; keeps the int arithmetic below safe
            rc[0] = SRTP_E_TOO_LONG
            return None
        if op == PROTECT_RTP:
            out_len = n + self.s.rtp_tag_len
        elif op == PROTECT_RTCP:
            out_len = n + 4 + self.s.rtcp_tag_len
        elif op == UNPROTECT_RTP:
            out_len = n - self.s.rtp_tag_len
        else:
            out_len = n - 4 - self.s.rtcp_tag_len
        if out_len < 0:
            rc[0] = SRTP_E_SHORT
            return None
        out = PyBytes_FromStringAndSize(NULL, out_len)
        cdef unsigned char *o = <unsigned char *>PyBytes_AS_STRING(out)
        if op == PROTECT_RTP:
            rc[0] = srtp_protect_rtp(&self.s, p, <int>n, o)
        elif op == UNPROTECT_RTP:
            rc[0] = srtp_unprotect_rtp(&self.s, p, <int>n, o)
        elif op == PROTECT_RTCP:
            rc[0] = srtp_protect_rtcp(&self.s, p, <int>n, o)
        else:
            rc[0] = srtp_unprotect_rtcp(&self.s, p, <int>n, o)
        return _outcome(rc[0], out)

    def protect(self, rtp):
        """Encrypt and authenticate one RTP packet (RFC 3711 §3.3, RFC 7714 §8).

        ``rtp`` is the serialized packet or an :class:`~pyrtc.rtp.RtpPacket`, which is then
        serialized straight into the SRTP datagram (no intermediate plaintext ``bytes``).
        """
        return self._run(PROTECT_RTP, rtp)

    def unprotect(self, srtp):
        """Verify and decrypt one SRTP packet, rejecting replays (RFC 3711 §3.3, §3.3.2)."""
        return self._run(UNPROTECT_RTP, srtp)

    def protect_rtcp(self, rtcp):
        """Encrypt and authenticate one (compound) RTCP packet (RFC 3711 §3.4, RFC 7714 §9)."""
        return self._run(PROTECT_RTCP, rtcp)

    def unprotect_rtcp(self, srtcp):
        """Verify and decrypt one SRTCP packet, rejecting replays (RFC 3711 §3.4)."""
        return self._run(UNPROTECT_RTCP, srtcp)

    def protect_many(self, list packets not None):
        """``[protect(p) for p in packets]`` in one call (bytes or ``RtpPacket`` items); stops
        at the first error."""
        cdef Py_ssize_t i, count = PyList_GET_SIZE(packets)
        result = PyList_New(count)
        for i in range(count):
            item = self._run(PROTECT_RTP, <object>PyList_GET_ITEM(packets, i))
            Py_INCREF(item)
            PyList_SET_ITEM(result, i, item)
        return result

    def unprotect_many(self, list packets not None):
        """Unprotect each packet; a rejected packet (any ``SrtpError``) gives ``None``."""
        return self._unprotect_list(packets, False)

    def unprotect_packets(self, list packets not None):
        """Unprotect each packet and parse it as RTP (:class:`~pyrtc.rtp.RtpPacket`, kept
        over the decrypted bytes); a packet rejected by SRTP or malformed as RTP gives
        ``None``."""
        return self._unprotect_list(packets, True)

    cdef list _unprotect_list(self, list packets, bint parse):
        cdef Py_ssize_t i, count = PyList_GET_SIZE(packets)
        result = PyList_New(count)
        cdef int rc
        for i in range(count):
            item = self._attempt(UNPROTECT_RTP, <object>PyList_GET_ITEM(packets, i), &rc)
            if parse and item is not None:
                try:
                    item = parse_bytes(<bytes>item)
                except RtpParseError:
                    item = None
            Py_INCREF(item)
            PyList_SET_ITEM(result, i, item)
        return result


def derive_key(master_key, master_salt, int label, int length):
    """One output of the AES-CM PRF key derivation (RFC 3711 §4.3.1, RFC 6188 §3).

    ``label`` is 0-5 (RTP cipher key, auth key, salt; RTCP likewise); key_derivation_rate 0.
    """
    key = bytes(master_key)
    salt = bytes(master_salt)
    if len(key) not in (16, 32) or len(salt) not in (12, 14):
        raise ValueError("master key must be 16 or 32 bytes and master salt 12 or 14 bytes")
    if not 0 <= label <= 255 or not 0 <= length <= 4096:
        raise ValueError("label must fit a byte and length be at most 4096")
    out = PyBytes_FromStringAndSize(NULL, length)
    rc = srtp_kdf(key, len(key), salt, len(salt), label, <unsigned char *>PyBytes_AS_STRING(out),
                  length)
    if rc != SRTP_OK:
        raise _error(rc)
    return out


def aes_cm_keystream(session_key, session_salt, uint32_t ssrc, int64_t index, int length):
    """The AES-CM keystream of one packet (RFC 3711 §4.1.1), for known-answer tests."""
    cdef unsigned char iv[16]
    key = bytes(session_key)
    salt = _exact_bytes(session_salt, SRTP_SALT_LEN, "session_salt")
    if len(key) not in (16, 32) or not 0 <= index < (1 << 48) or not 0 <= length <= 1 << 20:
        raise ValueError("bad key length, index or keystream length")
    srtp_cm_iv(salt, ssrc, index, iv)
    out = PyBytes_FromStringAndSize(NULL, length)
    rc = srtp_ctr_keystream(key, len(key), iv, <unsigned char *>PyBytes_AS_STRING(out), length)
    if rc != SRTP_OK:
        raise _error(rc)
    return out
