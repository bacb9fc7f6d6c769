# cython: boundscheck=False, wraparound=False, cdivision=True
"""RTP packets (RFC 3550 §5.1), RFC 8285 header extension elements and RTX (RFC 4588 §4).

Parsing validates the fixed header, CSRC list, extension block and padding, then keeps a
reference to the input ``bytes`` and offsets into it: ``csrc``, ``extensions`` and ``payload``
become Python objects only when first read. A parsed packet whose CSRC list, extensions or
payload were never read serializes those parts straight from the original bytes.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport uint8_t, uint16_t, uint32_t
from libc.string cimport memcpy, memset

from pyrtc.errors import ParseError


class RtpParseError(ParseError):
    """An RTP packet is malformed (RFC 3550 §5.1 layout, padding, extension block length)."""


cdef enum:
    HEADER_LENGTH = 12
    ONE_BYTE_PROFILE = 0xBEDE
    TWO_BYTE_PROFILE = 0x1000
    TWO_BYTE_PROFILE_MASK = 0xFFF0  # RFC 8285 §4.3: the low 4 bits are "appbits"


cdef inline uint16_t _be16(const unsigned char *p) noexcept nogil:
    return (<uint16_t>p[0] << 8) | p[1]


cdef inline uint32_t _be32(const unsigned char *p) noexcept nogil:
    return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | p[3]


cdef inline void _put16(unsigned char *p, uint16_t v) noexcept nogil:
    p[0] = v >> 8
    p[1] = v & 0xFF


cdef inline void _put32(unsigned char *p, uint32_t v) noexcept nogil:
    p[0] = v >> 24
    p[1] = (v >> 16) & 0xFF
    p[2] = (v >> 8) & 0xFF
    p[3] = v & 0xFF


cdef inline bytes _as_bytes(object data):
    # bytes are kept by reference (immutable); any other buffer is copied once so that a later
    # change to a reused receive buffer cannot alter a packet parsed from it.
    if type(data) is bytes:
        return <bytes>data
    return memoryview(data).tobytes()


cdef dict _parse_elements(const unsigned char *p, Py_ssize_t n, uint16_t profile):
    """Split an RFC 8285 extension block into {id: value}; never raises on its contents.

    One-byte form (§4.2): a 0 byte is padding; ID 15 stops processing. Two-byte form (§4.3):
    a 0 byte is padding. An element running past the block ends processing, keeping the
    elements before it (as libwebrtc does) rather than dropping the whole packet. Any other
    profile is not RFC 8285 and yields no elements.
    """
    cdef dict elements = {}
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t length
    cdef unsigned int ext_id
    if profile == ONE_BYTE_PROFILE:
        while pos < n:
            ext_id = p[pos] >> 4
            if ext_id == 0:  # padding byte; its length nibble is ignored
                pos += 1
                continue
            if ext_id == 15:
                break
            length = (p[pos] & 0x0F) + 1
            pos += 1
            if pos + length > n:
                break
            elements[ext_id] = PyBytes_FromStringAndSize(<const char *>p + pos, length)
            pos += length
    elif (profile & TWO_BYTE_PROFILE_MASK) == TWO_BYTE_PROFILE:
        while pos < n:
            ext_id = p[pos]
            if ext_id == 0:
                pos += 1
                continue
            if pos + 2 > n:
                break
            length = p[pos + 1]
            pos += 2
            if pos + length > n:
                break
            elements[ext_id] = PyBytes_FromStringAndSize(<const char *>p + pos, length)
            pos += length
    return elements


cdef Py_ssize_t _elements_size(
    dict elements, bint *two_byte, unsigned char *ids, list values
) except -1:
    """Validate ``elements`` and return the encoded size of the block without its 4-byte header.

    Chooses the two-byte form (RFC 8285 §4.3) when any element needs it: ID above 14, or a
    value of 0 or more than 16 bytes; the one-byte form otherwise. The result is padded to
    a multiple of 4. The ids go to ``ids`` (room for 255) and the values to ``values``, a
    snapshot that :func:`_write_elements` writes from.
    """
    cdef Py_ssize_t size = 0
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t length
    cdef long ext_id
    two_byte[0] = False
    for key, value in elements.items():
        if type(value) is not bytes:
            raise TypeError(f"header extension {key!r} value must be bytes, not {type(value)}")
        if not isinstance(key, int):
            raise TypeError(f"header extension ID {key!r} must be an int")
        try:
            ext_id = key
        except OverflowError:
            ext_id = -1
        if ext_id < 1 or ext_id > 255:
            raise ValueError(f"header extension ID {key!r} is outside 1-255")
        length = PyBytes_GET_SIZE(value)
        if length > 255:
            raise ValueError(f"header extension {ext_id} value is longer than 255 bytes")
        if count == 255:  # only reachable if the dict changed while we walked it
            raise RuntimeError("header extensions changed during serialize")
        if ext_id > 14 or length == 0 or length > 16:
            two_byte[0] = True
        ids[count] = <unsigned char>ext_id
        values.append(value)
        size += length
        count += 1
    size += count * (2 if two_byte[0] else 1)
    return (size + 3) & ~3


cdef void _write_elements(
    const unsigned char *ids, list values, bint two_byte, unsigned char *out, Py_ssize_t size
) noexcept:
    """Write the elements validated by :func:`_elements_size` into ``size`` bytes at ``out``."""
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t length
    cdef Py_ssize_t i
    cdef object value
    for i in range(len(values)):
        value = values[i]
        length = PyBytes_GET_SIZE(value)
        if two_byte:
            out[pos] = ids[i]
            out[pos + 1] = length
            pos += 2
        else:
            out[pos] = (ids[i] << 4) | (length - 1)
            pos += 1
        memcpy(out + pos, PyBytes_AS_STRING(value), length)
        pos += length
    memset(out + pos, 0, size - pos)


cdef inline uint32_t _checked(object value, uint32_t maximum, str name) except? 0xFFFFFFFF:
    cdef long long v
    if not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    try:
        v = value
    except OverflowError:
        raise ValueError(f"{name} {value} is outside 0-{maximum}") from None
    if v < 0 or v > maximum:
        raise ValueError(f"{name} {v} is outside 0-{maximum}")
    return <uint32_t>v


@cython.freelist(64)
cdef class RtpPacket:
    """One RTP packet (RFC 3550 §5.1); field names and constructor follow ``aiortc.rtp``.

    ``extensions`` holds the RFC 8285 header extension elements as ``{id: value}`` in wire
    order; decode them with :class:`pyrtc.rtp.HeaderExtensionsMap`. ``padding_size`` is the
    number of padding bytes (count byte included) that :meth:`serialize` appends.
    """

    # The fields are declared in pyrtc/_native/rtp.pxd.

    def __cinit__(self):
        # every instance, RtpPacket.__new__ ones too, starts as an empty packet with no
        # datagram behind it: no raw extension block, no CSRCs to copy
        self._payload = b""
        self._ext_offset = -1

    def __reduce__(self):
        # pickled and copied as its wire bytes (RFC 3550 §5.1), which parse back to it
        return (_from_wire, (self.serialize(),))

    cdef void _detached_views(self):
        # no datagram behind the packet: a view that is still None is empty
        if self._data is None:
            if self._csrc is None:
                self._csrc = []
            if self._extensions is None:
                self._extensions = {}

    cdef bytes payload_bytes(self):
        """:attr:`payload` for native callers (copied out on first read, then cached)."""
        self._detached_views()
        if self._payload is None:
            self._payload = PyBytes_FromStringAndSize(
                PyBytes_AS_STRING(self._data) + self._payload_offset, self._payload_length
            )
        return self._payload

    def __init__(
        self,
        payload_type=0,
        marker=0,
        sequence_number=0,
        timestamp=0,
        ssrc=0,
        payload=b"",
        *,
        csrc=(),
        extensions=None,
        padding_size=0,
    ):
        self._payload_type = _checked(payload_type, 127, "payload type")
        self._marker = bool(marker)
        self._sequence_number = _checked(sequence_number, 0xFFFF, "sequence number")
        self._timestamp = _checked(timestamp, 0xFFFFFFFF, "timestamp")
        self._ssrc = _checked(ssrc, 0xFFFFFFFF, "SSRC")
        self._padding_size = (
            0 if type(padding_size) is int and padding_size == 0
            else _checked(padding_size, 255, "padding size")
        )
        self._payload = _as_bytes(payload)
        # no CSRCs / extensions: the views stay None until read (see _detached_views)
        self._csrc = None if csrc == () else list(csrc)
        self._extensions = None if extensions is None else dict(extensions)
        self._csrc_count = 0
        self._ext_offset = -1
        self._data = None

    @staticmethod
    def parse(data):
        """Parse one RTP packet (RFC 3550 §5.1, padding per §5.1 P bit, extension per §5.3.1).

        ``data`` is ``bytes`` (kept by reference, not copied) or any other buffer (copied
        once). Raises :class:`RtpParseError` when the packet is malformed.
        """
        return parse_bytes(_as_bytes(data))

    def serialize(self):
        """Return the packet as bytes (RFC 3550 §5.1).

        Extension elements use the one-byte form when they all fit it and the two-byte form
        otherwise (RFC 8285 §4.2/§4.3, mixed streams per ``a=extmap-allow-mixed``). Padding
        bytes are zeros followed by the count.
        """
        return self._serialize(0)

    cdef bytes _serialize(self, Py_ssize_t reserve):
        """:meth:`serialize` into a new ``bytes`` with ``reserve`` more bytes (left unset) at
        its end, for a native caller that appends to the packet in place (the SRTP tag)."""
        # Phase 1 converts everything into locals; it may run Python code (int conversions)
        # and fail. Phase 2 writes from those locals only, so nothing can change under it.
        cdef bytes data = self._data
        cdef list csrc = self._csrc
        cdef dict extensions = self._extensions
        cdef bytes payload = self._payload
        cdef const unsigned char *src = NULL
        cdef uint32_t csrc_values[15]
        cdef unsigned char ext_ids[255]
        cdef list ext_values = None
        cdef tuple csrc_snapshot
        cdef Py_ssize_t csrc_count = self._csrc_count
        cdef Py_ssize_t ext_size = self._ext_length  # extension data, without its header
        cdef bint has_ext = extensions is None and self._ext_offset >= 0
        cdef bint raw_ext = has_ext
        cdef bint two_byte = False
        cdef Py_ssize_t i
        if data is not None:
            src = <const unsigned char *>PyBytes_AS_STRING(data)
        if csrc is not None:
            csrc_snapshot = tuple(csrc)
            csrc_count = len(csrc_snapshot)
            if csrc_count > 15:
                raise ValueError(f"an RTP packet carries at most 15 CSRCs, not {csrc_count}")
            for i in range(csrc_count):
                csrc_values[i] = _checked(csrc_snapshot[i], 0xFFFFFFFF, "CSRC")
        if extensions is not None and len(extensions) > 0:
            ext_values = []
            ext_size = _elements_size(extensions, &two_byte, ext_ids, ext_values)
            has_ext = True
        cdef const char *payload_src
        cdef Py_ssize_t payload_length
        if payload is None:
            payload_src = <const char *>src + self._payload_offset
            payload_length = self._payload_length
        else:
            payload_src = PyBytes_AS_STRING(payload)
            payload_length = PyBytes_GET_SIZE(payload)
        cdef Py_ssize_t ext_offset = self._ext_offset
        cdef unsigned int padding_size = self._padding_size
        cdef unsigned char first = (
            0x80 | (0x20 if padding_size else 0) | (0x10 if has_ext else 0) | csrc_count
        )
        cdef unsigned char second = (0x80 if self._marker else 0) | self._payload_type
        cdef uint16_t sequence_number = self._sequence_number
        cdef uint32_t timestamp = self._timestamp
        cdef uint32_t ssrc = self._ssrc

        # Phase 2
        cdef Py_ssize_t total = (
            HEADER_LENGTH + 4 * csrc_count + (4 + ext_size if has_ext else 0)
            + payload_length + padding_size
        )
        cdef bytes out = PyBytes_FromStringAndSize(NULL, total + reserve)
        cdef unsigned char *o = <unsigned char *>PyBytes_AS_STRING(out)
        cdef Py_ssize_t pos = HEADER_LENGTH
        o[0] = first
        o[1] = second
        _put16(o + 2, sequence_number)
        _put32(o + 4, timestamp)
        _put32(o + 8, ssrc)
        if csrc is None:
            if csrc_count:  # from the parsed datagram (a constructed packet has none)
                memcpy(o + pos, src + HEADER_LENGTH, 4 * csrc_count)
                pos += 4 * csrc_count
        else:
            for i in range(csrc_count):
                _put32(o + pos, csrc_values[i])
                pos += 4
        if raw_ext:
            memcpy(o + pos, src + ext_offset, 4 + ext_size)
            pos += 4 + ext_size
        elif has_ext:
            _put16(o + pos, TWO_BYTE_PROFILE if two_byte else ONE_BYTE_PROFILE)
            _put16(o + pos + 2, ext_size // 4)
            _write_elements(ext_ids, ext_values, two_byte, o + pos + 4, ext_size)
            pos += 4 + ext_size
        memcpy(o + pos, payload_src, payload_length)
        pos += payload_length
        if padding_size:
            memset(o + pos, 0, padding_size - 1)
            o[total - 1] = padding_size
        return out

    @property
    def version(self):
        """Always 2 (RFC 3550 §5.1); parse rejects any other version."""
        return 2

    @property
    def padding(self):
        """Whether the packet has padding (the P bit): ``padding_size > 0``."""
        return self._padding_size > 0

    @property
    def padding_size(self):
        return self._padding_size

    @padding_size.setter
    def padding_size(self, value):
        self._padding_size = _checked(value, 255, "padding size")

    @property
    def marker(self):
        return 1 if self._marker else 0

    @marker.setter
    def marker(self, value):
        self._marker = bool(value)

    @property
    def payload_type(self):
        return self._payload_type

    @payload_type.setter
    def payload_type(self, value):
        self._payload_type = _checked(value, 127, "payload type")

    @property
    def sequence_number(self):
        return self._sequence_number

    @sequence_number.setter
    def sequence_number(self, value):
        self._sequence_number = _checked(value, 0xFFFF, "sequence number")

    @property
    def timestamp(self):
        return self._timestamp

    @timestamp.setter
    def timestamp(self, value):
        self._timestamp = _checked(value, 0xFFFFFFFF, "timestamp")

    @property
    def ssrc(self):
        return self._ssrc

    @ssrc.setter
    def ssrc(self, value):
        self._ssrc = _checked(value, 0xFFFFFFFF, "SSRC")

    @property
    def csrc(self):
        """The contributing sources (a list you may modify in place)."""
        cdef const unsigned char *src
        cdef Py_ssize_t i
        self._detached_views()
        if self._csrc is None:
            src = <const unsigned char *>PyBytes_AS_STRING(self._data)
            self._csrc = [_be32(src + HEADER_LENGTH + 4 * i) for i in range(self._csrc_count)]
        return self._csrc

    @csrc.setter
    def csrc(self, value):
        self._csrc = list(value)

    @property
    def extensions(self):
        """Header extension elements ``{id: value}`` in wire order (a dict you may modify).

        Elements are split out of the packet on first read; afterwards this dict is what
        :meth:`serialize` encodes. A block that is not RFC 8285 reads as ``{}``.
        """
        cdef const unsigned char *src
        self._detached_views()
        if self._extensions is None:
            if self._ext_offset < 0:
                self._extensions = {}
            else:
                src = <const unsigned char *>PyBytes_AS_STRING(self._data) + self._ext_offset
                self._extensions = _parse_elements(src + 4, self._ext_length, _be16(src))
        return self._extensions

    @extensions.setter
    def extensions(self, value):
        self._extensions = dict(value)

    @property
    def payload(self):
        """The payload as ``bytes`` (copied out of the packet on first read, then cached)."""
        return self.payload_bytes()

    @payload.setter
    def payload(self, value):
        self._payload = _as_bytes(value)

    @property
    def payload_length(self):
        """Length of the payload in bytes, without materialising it."""
        self._detached_views()
        if self._payload is None:
            return self._payload_length
        return PyBytes_GET_SIZE(self._payload)

    def __repr__(self):
        return (
            f"RtpPacket(seq={self._sequence_number}, ts={self._timestamp}, "
            f"marker={self.marker}, payload={self._payload_type}, "
            f"{self.payload_length} bytes)"
        )


cdef RtpPacket parse_bytes(bytes buf):
    """:meth:`RtpPacket.parse` for native callers: ``buf`` is kept by reference."""
    cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(buf)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(buf)
    cdef Py_ssize_t pos
    cdef Py_ssize_t end = n
    cdef Py_ssize_t ext_offset = -1
    cdef Py_ssize_t ext_length = 0
    cdef unsigned int padding = 0
    cdef unsigned char first
    if n < HEADER_LENGTH:
        raise RtpParseError(f"RTP packet of {n} bytes is shorter than its 12-byte header")
    first = p[0]
    if first >> 6 != 2:
        raise RtpParseError(f"RTP version {first >> 6} is not 2")
    pos = HEADER_LENGTH + 4 * (first & 0x0F)
    if n < pos:
        raise RtpParseError("RTP packet is truncated inside its CSRC list")
    if first & 0x10:
        if n < pos + 4:
            raise RtpParseError("RTP packet is truncated inside its extension header")
        ext_offset = pos
        ext_length = 4 * <Py_ssize_t>_be16(p + pos + 2)
        pos += 4 + ext_length
        if n < pos:
            raise RtpParseError("RTP header extension runs past the end of the packet")
    if first & 0x20:
        padding = p[n - 1]
        if padding == 0 or padding > n - pos:
            raise RtpParseError(f"RTP padding count {padding} is invalid")
        end = n - padding

    cdef RtpPacket packet = RtpPacket.__new__(RtpPacket)
    packet._marker = p[1] >> 7
    packet._payload_type = p[1] & 0x7F
    packet._sequence_number = _be16(p + 2)
    packet._timestamp = _be32(p + 4)
    packet._ssrc = _be32(p + 8)
    packet._padding_size = padding
    packet._payload = None  # read from the datagram when first asked for
    packet._data = buf
    packet._csrc_count = first & 0x0F
    packet._ext_offset = ext_offset
    packet._ext_length = ext_length
    packet._payload_offset = pos
    packet._payload_length = end - pos
    return packet


def _from_wire(bytes data):
    """The packet a pickle holds (see ``RtpPacket.__reduce__``)."""
    return parse_bytes(data)


def wrap_rtx(RtpPacket packet not None, payload_type, sequence_number, ssrc):
    """Build the RTX packet retransmitting ``packet`` (RFC 4588 §4).

    The payload is the original sequence number (OSN, 2 bytes) followed by the original
    payload; marker, timestamp, CSRCs and extension elements are copied; padding is not.
    """
    cdef RtpPacket rtx = RtpPacket.__new__(RtpPacket)
    cdef bytes original = packet.payload
    cdef Py_ssize_t n = PyBytes_GET_SIZE(original)
    cdef bytes payload = PyBytes_FromStringAndSize(NULL, n + 2)
    cdef unsigned char *o = <unsigned char *>PyBytes_AS_STRING(payload)
    _put16(o, packet._sequence_number)
    memcpy(o + 2, PyBytes_AS_STRING(original), n)
    rtx._payload_type = _checked(payload_type, 127, "payload type")
    rtx._sequence_number = _checked(sequence_number, 0xFFFF, "sequence number")
    rtx._ssrc = _checked(ssrc, 0xFFFFFFFF, "SSRC")
    rtx._marker = packet._marker
    rtx._timestamp = packet._timestamp
    rtx._csrc = list(packet.csrc)
    rtx._extensions = dict(packet.extensions)
    rtx._payload = payload
    return rtx


def unwrap_rtx(RtpPacket rtx not None, payload_type, ssrc):
    """Recover the original packet from an RTX packet (RFC 4588 §4).

    Raises :class:`RtpParseError` when the RTX payload is too short to hold the OSN.
    """
    cdef bytes payload = rtx.payload
    cdef Py_ssize_t n = PyBytes_GET_SIZE(payload)
    if n < 2:
        raise RtpParseError(f"RTX payload of {n} bytes has no original sequence number")
    cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(payload)
    cdef RtpPacket packet = RtpPacket.__new__(RtpPacket)
    packet._payload_type = _checked(payload_type, 127, "payload type")
    packet._ssrc = _checked(ssrc, 0xFFFFFFFF, "SSRC")
    packet._sequence_number = _be16(p)
    packet._marker = rtx._marker
    packet._timestamp = rtx._timestamp
    packet._csrc = list(rtx.csrc)
    packet._extensions = dict(rtx.extensions)
    packet._payload = PyBytes_FromStringAndSize(<const char *>p + 2, n - 2)
    return packet
