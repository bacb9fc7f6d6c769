# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""SCTP packet fast paths (RFC 9260 §3, §3.3.1, §6.8): framing with the CRC-32C in one pass.

:func:`serialize` is :func:`pyrtc.sctp.chunks.serialize_packet` with one allocation and
no intermediate copies; :func:`parse_data_packet` recognizes the packet that carries the
data path, a checksum-valid packet holding exactly one DATA chunk, and returns its fields
without building chunk objects. Everything else (including a bad checksum) is left to the
general parser in :mod:`pyrtc.sctp.chunks`, which owns the error handling.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize
from cpython.bytes cimport PyBytes_GET_SIZE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from libc.stdint cimport uint32_t
from libc.string cimport memcpy, memset

cdef extern from "crc32c_impl.h":
    uint32_t pyrtc_crc32c_update(uint32_t crc, const unsigned char *p, size_t n) nogil


cdef enum:
    COMMON_HEADER = 12
    DATA_HEADER = 16
    DATA = 0


cdef inline unsigned int _be16(const unsigned char *p) noexcept nogil:
    return (p[0] << 8) | p[1]


cdef inline uint32_t _be32(const unsigned char *p) noexcept nogil:
    return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | p[3]


cdef inline void _put32(unsigned char *p, uint32_t v) noexcept nogil:
    p[0] = <unsigned char>(v >> 24)
    p[1] = <unsigned char>(v >> 16)
    p[2] = <unsigned char>(v >> 8)
    p[3] = <unsigned char>v


cdef inline uint32_t _checksum(const unsigned char *p, Py_ssize_t n) noexcept nogil:
    # RFC 9260 Appendix B: CRC-32C over the packet with the checksum field taken as zero.
    cdef unsigned char zero[4]
    memset(zero, 0, 4)
    cdef uint32_t crc = pyrtc_crc32c_update(0, p, 8)
    crc = pyrtc_crc32c_update(crc, zero, 4)
    return pyrtc_crc32c_update(crc, p + COMMON_HEADER, <size_t>(n - COMMON_HEADER))


def serialize(
    unsigned int source_port,
    unsigned int destination_port,
    uint32_t verification_tag,
    list chunks not None,
):
    """A packet of already encoded ``chunks`` (bytes) with its checksum filled in."""
    cdef Py_ssize_t i, count = PyList_GET_SIZE(chunks), total = COMMON_HEADER, n
    cdef object chunk
    if source_port > 0xFFFF or destination_port > 0xFFFF:
        raise ValueError("port out of range")
    for i in range(count):
        chunk = <object>PyList_GET_ITEM(chunks, i)
        if not PyBytes_CheckExact(chunk):
            raise TypeError("chunks must be bytes")
        total += PyBytes_GET_SIZE(chunk)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, total)
    cdef unsigned char *p = <unsigned char *>PyBytes_AS_STRING(out)
    cdef Py_ssize_t pos = COMMON_HEADER
    p[0] = <unsigned char>(source_port >> 8)
    p[1] = <unsigned char>source_port
    p[2] = <unsigned char>(destination_port >> 8)
    p[3] = <unsigned char>destination_port
    p[4] = <unsigned char>(verification_tag >> 24)
    p[5] = <unsigned char>(verification_tag >> 16)
    p[6] = <unsigned char>(verification_tag >> 8)
    p[7] = <unsigned char>verification_tag
    for i in range(count):
        chunk = <object>PyList_GET_ITEM(chunks, i)
        n = PyBytes_GET_SIZE(chunk)
        memcpy(p + pos, PyBytes_AS_STRING(chunk), n)
        pos += n
    # SCTP sends the CRC-32C least significant byte first (RFC 9260 Appendix B).
    cdef uint32_t crc = _checksum(p, total)
    p[8] = <unsigned char>crc
    p[9] = <unsigned char>(crc >> 8)
    p[10] = <unsigned char>(crc >> 16)
    p[11] = <unsigned char>(crc >> 24)
    return out


def parse_data_packet(bytes data not None):
    """``(source_port, destination_port, verification_tag, flags, tsn, stream_id, ssn, ppid,
    user_data)`` when ``data`` is a checksum-valid packet of exactly one DATA chunk (padding
    allowed); ``None`` for anything else."""
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
    cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(data)
    cdef Py_ssize_t length
    if n < COMMON_HEADER + DATA_HEADER or p[COMMON_HEADER] != DATA:
        return None
    length = _be16(p + COMMON_HEADER + 2)
    if length < DATA_HEADER or COMMON_HEADER + length > n:
        return None
    if n - COMMON_HEADER - length != (-length) & 3:  # only this chunk's padding may follow
        return None
    cdef uint32_t received = (
        p[8] | (<uint32_t>p[9] << 8) | (<uint32_t>p[10] << 16) | (<uint32_t>p[11] << 24)
    )
    if received != _checksum(p, n):
        return None
    cdef const unsigned char *c = p + COMMON_HEADER
    return (
        _be16(p),
        _be16(p + 2),
        _be32(p + 4),
        c[1],
        _be32(c + 4),
        _be16(c + 8),
        _be16(c + 10),
        _be32(c + 12),
        PyBytes_FromStringAndSize(<const char *>c + DATA_HEADER, length - DATA_HEADER),
    )


def encode_data_chunk(
    unsigned int flags,
    uint32_t tsn,
    unsigned int stream_id,
    unsigned int ssn,
    uint32_t ppid,
    bytes user_data not None,
):
    """A DATA chunk with its padding (RFC 9260 §3.3.1): ``DataChunk.encode`` of
    :mod:`pyrtc.sctp.chunks` in one allocation, for the sender's data path."""
    cdef Py_ssize_t n = PyBytes_GET_SIZE(user_data)
    cdef Py_ssize_t length = DATA_HEADER + n
    if flags > 0xFF or stream_id > 0xFFFF or ssn > 0xFFFF:
        raise ValueError("flags, stream id or SSN out of range")
    if length > 0xFFFF:
        raise ValueError("user data too long for one chunk")
    cdef Py_ssize_t padded = (length + 3) & ~3
    cdef bytes out = PyBytes_FromStringAndSize(NULL, padded)
    cdef unsigned char *p = <unsigned char *>PyBytes_AS_STRING(out)
    p[0] = DATA
    p[1] = <unsigned char>flags
    p[2] = <unsigned char>(length >> 8)
    p[3] = <unsigned char>length
    _put32(p + 4, tsn)
    p[8] = <unsigned char>(stream_id >> 8)
    p[9] = <unsigned char>stream_id
    p[10] = <unsigned char>(ssn >> 8)
    p[11] = <unsigned char>ssn
    _put32(p + 12, ppid)
    memcpy(p + DATA_HEADER, PyBytes_AS_STRING(user_data), n)
    memset(p + length, 0, padded - length)
    return out
