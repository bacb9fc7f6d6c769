# cython: boundscheck=False, wraparound=False, cdivision=True
"""Typed header extension values and the SDP extmap id <-> URI map (RFC 8285 §5).

The per-value codecs live in ``pyrtc.rtp.extensions`` (pure Python). This module applies them
by negotiated id with C dispatch, and decodes the per-packet hot ones (mid, rtp-stream-id,
repaired-rtp-stream-id, abs-send-time, transport-wide-cc, toffset) inline.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, uint8_t
from libc.string cimport memchr, memset


cdef enum Kind:
    NONE = 0
    ABS_SEND_TIME
    AUDIO_LEVEL
    MID
    REPAIRED_RTP_STREAM_ID
    RTP_STREAM_ID
    TRANSMISSION_OFFSET
    TRANSPORT_SEQUENCE_NUMBER
    PLAYOUT_DELAY
    VIDEO_ORIENTATION
    ABS_CAPTURE_TIME

# HeaderExtensions field names, in Kind order (index 0 unused)
FIELDS = (
    "abs_send_time",
    "audio_level",
    "mid",
    "repaired_rtp_stream_id",
    "rtp_stream_id",
    "transmission_offset",
    "transport_sequence_number",
    "playout_delay",
    "video_orientation",
    "abs_capture_time",
)


cdef class HeaderExtensions:
    """Typed header extension values; field names follow ``aiortc.rtp.HeaderExtensions``.

    ``None`` means absent (or, after decoding, present with a value of unexpected form).
    """

    cdef public object abs_send_time
    cdef public object audio_level
    cdef public object mid
    cdef public object repaired_rtp_stream_id
    cdef public object rtp_stream_id
    cdef public object transmission_offset
    cdef public object transport_sequence_number
    cdef public object playout_delay
    cdef public object video_orientation
    cdef public object abs_capture_time

    def __init__(
        self,
        abs_send_time=None,
        audio_level=None,
        mid=None,
        repaired_rtp_stream_id=None,
        rtp_stream_id=None,
        transmission_offset=None,
        transport_sequence_number=None,
        playout_delay=None,
        video_orientation=None,
        abs_capture_time=None,
    ):
        self.abs_send_time = abs_send_time
        self.audio_level = audio_level
        self.mid = mid
        self.repaired_rtp_stream_id = repaired_rtp_stream_id
        self.rtp_stream_id = rtp_stream_id
        self.transmission_offset = transmission_offset
        self.transport_sequence_number = transport_sequence_number
        self.playout_delay = playout_delay
        self.video_orientation = video_orientation
        self.abs_capture_time = abs_capture_time

    cdef tuple _values(self):
        return (
            self.abs_send_time,
            self.audio_level,
            self.mid,
            self.repaired_rtp_stream_id,
            self.rtp_stream_id,
            self.transmission_offset,
            self.transport_sequence_number,
            self.playout_delay,
            self.video_orientation,
            self.abs_capture_time,
        )

    def __eq__(self, other):
        if not isinstance(other, HeaderExtensions):
            return NotImplemented
        return self._values() == (<HeaderExtensions>other)._values()

    __hash__ = None

    def __repr__(self):
        shown = ", ".join(
            f"{name}={value!r}" for name, value in zip(FIELDS, self._values()) if value is not None
        )
        return f"HeaderExtensions({shown})"


cdef object _sdes_string(bytes data):
    # same rule as pyrtc.rtp.extensions.decode_sdes_string: up to the first NUL, UTF-8
    cdef const char *p = PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
    cdef const char *nul = <const char *>memchr(p, 0, n)
    if nul != NULL:
        n = nul - p
    if n == 0:
        return None
    try:
        return PyUnicode_DecodeUTF8(p, n, NULL)
    except UnicodeDecodeError:
        return None


cdef class HeaderExtensionsMap:
    """The negotiated ``a=extmap`` ids of a media section (RFC 8285 §5).

    Built from ``(id, uri)`` pairs or an ``{id: uri}`` mapping. :meth:`decode` and
    :meth:`encode` convert between a packet's raw ``extensions`` and
    :class:`HeaderExtensions`; URIs without a codec in ``pyrtc.rtp.CODECS`` are kept in the
    map but neither decoded nor encoded.
    """

    cdef dict _uris
    cdef dict _ids
    cdef uint8_t _kinds[256]
    cdef list _decoders  # Kind -> decode function
    cdef list _encoders  # (id, field name, encode function)

    def __init__(self, extmap=()):
        from pyrtc.rtp.extensions import CODECS  # imported here: pyrtc.rtp imports this module

        pairs = extmap.items() if hasattr(extmap, "items") else extmap
        self._uris = {}
        self._ids = {}
        memset(self._kinds, 0, sizeof(self._kinds))
        self._decoders = [None] * (len(FIELDS) + 1)
        self._encoders = []
        for ext_id, uri in pairs:
            if not 1 <= ext_id <= 255:
                raise ValueError(f"extmap id {ext_id} is outside 1-255 (RFC 8285 §5)")
            if ext_id in self._uris and self._uris[ext_id] != uri:
                raise ValueError(f"extmap id {ext_id} is mapped to two URIs")
            self._uris[ext_id] = uri
            self._ids.setdefault(uri, ext_id)
        for ext_id, uri in self._uris.items():
            if uri in CODECS:
                name, decode, _ = CODECS[uri]
                kind = FIELDS.index(name) + 1
                self._kinds[ext_id] = kind
                self._decoders[kind] = decode
        for uri, ext_id in self._ids.items():
            if uri in CODECS:
                name, _, encode = CODECS[uri]
                self._encoders.append((ext_id, name, encode))

    def __reduce__(self):
        return HeaderExtensionsMap, (self.items(),)

    def id_of(self, uri):
        """The id negotiated for ``uri``, or None."""
        return self._ids.get(uri)

    def uri_of(self, ext_id):
        """The URI negotiated for ``ext_id``, or None."""
        return self._uris.get(ext_id)

    def items(self):
        """The ``(id, uri)`` pairs, as given."""
        return list(self._uris.items())

    def decode(self, dict extensions not None):
        """Typed values of the negotiated elements of ``extensions``; odd values are None."""
        cdef HeaderExtensions values = HeaderExtensions.__new__(HeaderExtensions)
        cdef const unsigned char *p
        cdef Py_ssize_t n
        cdef long ext_id
        cdef int kind
        cdef int32_t offset
        cdef bytes data
        for key, value in extensions.items():
            if not isinstance(key, int) or not 1 <= key <= 255:
                continue
            ext_id = key
            kind = self._kinds[ext_id]
            if kind == NONE:
                continue
            data = value
            p = <const unsigned char *>PyBytes_AS_STRING(data)
            n = PyBytes_GET_SIZE(data)
            if kind == ABS_SEND_TIME:
                values.abs_send_time = (p[0] << 16 | p[1] << 8 | p[2]) if n == 3 else None
            elif kind == TRANSPORT_SEQUENCE_NUMBER:
                values.transport_sequence_number = (p[0] << 8 | p[1]) if n == 2 else None
            elif kind == MID:
                values.mid = _sdes_string(data)
            elif kind == RTP_STREAM_ID:
                values.rtp_stream_id = _sdes_string(data)
            elif kind == REPAIRED_RTP_STREAM_ID:
                values.repaired_rtp_stream_id = _sdes_string(data)
            elif kind == TRANSMISSION_OFFSET:
                if n == 3:
                    offset = <int32_t>(<unsigned int>p[0] << 24 | p[1] << 16 | p[2] << 8) >> 8
                    values.transmission_offset = offset
                else:
                    values.transmission_offset = None
            elif kind == AUDIO_LEVEL:
                values.audio_level = self._decoders[kind](data)
            elif kind == PLAYOUT_DELAY:
                values.playout_delay = self._decoders[kind](data)
            elif kind == VIDEO_ORIENTATION:
                values.video_orientation = self._decoders[kind](data)
            elif kind == ABS_CAPTURE_TIME:
                values.abs_capture_time = self._decoders[kind](data)
        return values

    def encode(self, HeaderExtensions values not None):
        """Elements ``{id: bytes}`` for the values that are set and negotiated."""
        cdef dict elements = {}
        for ext_id, name, encode in self._encoders:
            value = getattr(values, name)
            if value is not None:
                elements[ext_id] = encode(value)
        return elements
