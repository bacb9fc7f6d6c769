# cython: boundscheck=False, wraparound=False, cdivision=True
"""Inline helpers shared by the packetizer modules (no module of its own)."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.string cimport memcpy

cdef enum:
    FRAME_START = 1  # the payload begins a frame (codec start bit, first NAL, ...)
    KEYFRAME = 2  # the payload belongs to a keyframe and is its first packet

# Writes the payload header of fragment ``i`` of ``count`` at ``dst``; ``state`` is the codec's.
ctypedef void (*header_writer)(unsigned char *dst, Py_ssize_t i, Py_ssize_t count,
                               const void *state) noexcept

# Length of the payload descriptor at the start of ``p`` (``n`` bytes), validated.
ctypedef Py_ssize_t (*descriptor_length)(const unsigned char *p, Py_ssize_t n) except -1


cdef inline bytes new_bytes(Py_ssize_t n, unsigned char **out):
    """A fresh ``bytes`` of length ``n`` and a pointer to write its contents."""
    cdef bytes b = PyBytes_FromStringAndSize(NULL, n)
    out[0] = <unsigned char *>PyBytes_AS_STRING(b)
    return b


cdef inline Py_ssize_t fragment_count(Py_ssize_t total, Py_ssize_t capacity) noexcept:
    """How many fragments of at most ``capacity`` bytes carry ``total`` bytes."""
    return (total + capacity - 1) // capacity


cdef inline Py_ssize_t fragment_size(Py_ssize_t total, Py_ssize_t count, Py_ssize_t i) noexcept:
    """Size of fragment ``i`` of ``count`` balanced fragments.

    Like libwebrtc, the bytes are spread evenly instead of full fragments and a tiny last one,
    but every fragment except the last has the same size (``ceil(total / count)``) and the
    last is at most ``count - 1`` bytes shorter: a frame's packets then leave as one UDP
    segmentation-offload run (all equal, a shorter last), which sizes that differ by one
    byte in both directions would split.
    """
    cdef Py_ssize_t base = (total + count - 1) // count
    return base if i < count - 1 else total - base * (count - 1)


cdef inline Py_ssize_t picture_id_length(unsigned char first) noexcept:
    """Bytes of a PictureID whose first byte is ``first``: 2 with the M bit (15 bits), else 1
    (the same field in VP8, RFC 7741 §4.2, and VP9, RFC 9628 §4.2)."""
    return 2 if first & 0x80 else 1


cdef inline int read_picture_id(const unsigned char *p, Py_ssize_t *pos) noexcept:
    """The PictureID at ``p[pos[0]]`` (length already validated); moves ``pos`` past it."""
    cdef Py_ssize_t at = pos[0]
    pos[0] = at + picture_id_length(p[at])
    return ((p[at] & 0x7F) << 8) | p[at + 1] if p[at] & 0x80 else p[at]


cdef inline void write_picture_id(bytearray out, picture_id, bint long_id) except *:
    """Append ``picture_id``: 15 bits with M set if ``long_id`` or it needs more than 7."""
    if long_id or picture_id > 0x7F:
        out += bytes([0x80 | (picture_id >> 8), picture_id & 0xFF])
    else:
        out.append(picture_id)


cdef inline list fragment_frame(bytes frame, Py_ssize_t mtu, Py_ssize_t header,
                                Py_ssize_t first_extra, header_writer write, const void *state):
    """Split ``frame`` into balanced payloads of at most ``mtu`` bytes.

    Each payload is a ``header``-byte descriptor (``first_extra`` bytes more on the first)
    written by ``write``, then its fragment of the frame. The first payload's extra bytes
    count as part of its share, so that whole payloads stay balanced. ``mtu`` must exceed
    ``header + first_extra``.
    """
    cdef Py_ssize_t total = len(frame) + first_extra
    cdef Py_ssize_t count = fragment_count(total, mtu - header)
    cdef Py_ssize_t i, extra, size, offset = 0
    cdef const unsigned char *src = frame
    cdef unsigned char *dst
    cdef bytes payload
    cdef list out = []
    for i in range(count):
        extra = first_extra if i == 0 else 0
        size = fragment_size(total, count, i) - extra
        payload = new_bytes(header + extra + size, &dst)
        write(dst, i, count, state)
        memcpy(dst + header + extra, src + offset, size)
        offset += size
        out.append(payload)
    return out


cdef inline _depacketize_error(str message):
    """Raise :class:`pyrtc.media.DepacketizeError` (imported here: a .pxd has no imports)."""
    from pyrtc.media.errors import DepacketizeError
    raise DepacketizeError(message)


cdef inline Py_ssize_t data_offset(const unsigned char *p, Py_ssize_t n,
                                   descriptor_length length, str codec) except -1:
    """Where the data of payload ``p`` (``n`` bytes) starts: after a valid descriptor, with
    at least one byte after it."""
    cdef Py_ssize_t hdr = length(p, n)
    if hdr >= n:
        _depacketize_error(f"{codec} payload has no data after the descriptor")
    return hdr


cdef inline bytes join_payloads(list payloads, descriptor_length length, str codec,
                                unsigned char start_mask, unsigned char start_value, str start):
    """One frame from its payloads in sequence order, their descriptors stripped.

    Every payload must hold data after its descriptor; the first must start the frame
    (``p[0] & start_mask == start_value``, described by ``start`` in the error).
    """
    cdef Py_ssize_t count = len(payloads), total = 0, i, n, hdr, pos = 0
    cdef const unsigned char *p
    cdef unsigned char *dst
    cdef bytes payload
    if count == 0:
        _depacketize_error(f"no {codec} payloads")
    for i in range(count):
        payload = payloads[i]
        p = payload
        n = len(payload)
        hdr = data_offset(p, n, length, codec)
        if i == 0 and (p[0] & start_mask) != start_value:
            _depacketize_error(f"{codec} frame does not start with {start}")
        total += n - hdr
    frame = new_bytes(total, &dst)
    for i in range(count):
        payload = payloads[i]
        p = payload
        n = len(payload)
        hdr = length(p, n)  # validated in the first pass
        memcpy(dst + pos, p + hdr, n - hdr)
        pos += n - hdr
    return frame
