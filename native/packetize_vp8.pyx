# cython: boundscheck=False, wraparound=False, cdivision=True
"""VP8 RTP payload format (RFC 7741): payload descriptor, packetizer and depacketizer.

The packetizer writes the descriptor libwebrtc sends (X=1, I=1, 15-bit PictureID, §4.2) and
splits the frame into balanced fragments as one partition (PID 0); the S bit marks the first
packet. The depacketizer strips the descriptors of a frame's packets and joins the rest.
"""

from packetize_common cimport FRAME_START, KEYFRAME, data_offset, fragment_frame, join_payloads
from packetize_common cimport picture_id_length, read_picture_id, write_picture_id

from pyrtc.media.errors import DepacketizeError, PacketizeError

cdef enum:
    DESCRIPTOR_SIZE = 4  # X/N/S/PID byte, I/L/T/K byte, two PictureID bytes


cdef Py_ssize_t _descriptor_length(const unsigned char *p, Py_ssize_t n) except -1:
    """Length of the payload descriptor at the start of ``p`` (RFC 7741 §4.2), validated."""
    cdef Py_ssize_t pos = 1
    cdef unsigned char ext
    if n < 1:
        raise DepacketizeError("VP8 payload is empty")
    if p[0] & 0x80:
        if n < 2:
            raise DepacketizeError("VP8 descriptor: extension byte missing")
        ext = p[1]
        pos = 2
        if ext & 0x80:  # I: PictureID, 7 or 15 bits (M)
            if pos >= n:
                raise DepacketizeError("VP8 descriptor: PictureID missing")
            pos += picture_id_length(p[pos])
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T and/or K share one byte
            pos += 1
    if pos > n:
        raise DepacketizeError("VP8 descriptor is truncated")
    return pos


cdef class Vp8Descriptor:
    """The VP8 payload descriptor of RFC 7741 §4.2 with every optional field.

    ``None`` means the field is absent. ``long_picture_id`` is the M bit (15-bit PictureID);
    a PictureID above 127 is always written long.
    """

    cdef public bint non_reference
    cdef public bint start
    cdef public int partition_id
    cdef public object picture_id
    cdef public bint long_picture_id
    cdef public object tl0picidx
    cdef public object tid
    cdef public bint layer_sync
    cdef public object keyidx

    def __init__(
        self,
        *,
        bint non_reference=False,
        bint start=False,
        int partition_id=0,
        picture_id=None,
        bint long_picture_id=False,
        tl0picidx=None,
        tid=None,
        bint layer_sync=False,
        keyidx=None,
    ):
        self.non_reference = non_reference
        self.start = start
        self.partition_id = partition_id
        self.picture_id = picture_id
        self.long_picture_id = long_picture_id
        self.tl0picidx = tl0picidx
        self.tid = tid
        self.layer_sync = layer_sync
        self.keyidx = keyidx

    @staticmethod
    def parse(bytes payload):
        """Parse the descriptor at the start of ``payload``; returns ``(descriptor, length)``."""
        cdef const unsigned char *p = payload
        cdef Py_ssize_t n = _descriptor_length(p, len(payload))
        cdef Vp8Descriptor d = Vp8Descriptor.__new__(Vp8Descriptor)
        cdef Py_ssize_t pos = 2
        cdef unsigned char ext
        d.non_reference = (p[0] >> 5) & 1
        d.start = (p[0] >> 4) & 1
        d.partition_id = p[0] & 0x07
        if p[0] & 0x80:
            ext = p[1]
            if ext & 0x80:
                d.long_picture_id = (p[pos] & 0x80) != 0  # M
                d.picture_id = read_picture_id(p, &pos)
            if ext & 0x40:
                d.tl0picidx = p[pos]
                pos += 1
            if ext & 0x20:
                d.tid = p[pos] >> 6
                d.layer_sync = (p[pos] >> 5) & 1
            if ext & 0x10:
                d.keyidx = p[pos] & 0x1F
        return d, n

    def serialize(self):
        """The descriptor's bytes (X is set only when an optional field is present)."""
        cdef int first = (self.non_reference << 5) | (self.start << 4) | (self.partition_id & 7)
        cdef int ext = 0
        cdef bytearray out = bytearray()
        if not 0 <= self.partition_id <= 7:
            raise ValueError("VP8 partition_id is 3 bits")
        if self.picture_id is not None:
            if not 0 <= self.picture_id <= 0x7FFF:
                raise ValueError("VP8 picture_id is at most 15 bits")
            ext |= 0x80
        if self.tl0picidx is not None:
            ext |= 0x40
        if self.tid is not None:
            ext |= 0x20
        if self.keyidx is not None:
            ext |= 0x10
        if not ext:
            return bytes([first])
        out += bytes([first | 0x80, ext])
        if self.picture_id is not None:
            write_picture_id(out, self.picture_id, self.long_picture_id)
        if self.tl0picidx is not None:
            out.append(self.tl0picidx & 0xFF)
        if ext & 0x30:
            out.append(
                ((self.tid & 3) << 6 if self.tid is not None else 0)
                | (self.layer_sync << 5 if self.tid is not None else 0)
                | (self.keyidx & 0x1F if self.keyidx is not None else 0)
            )
        return bytes(out)

    def __eq__(self, other):
        if not isinstance(other, Vp8Descriptor):
            return NotImplemented
        return self._key() == (<Vp8Descriptor>other)._key()

    def _key(self):
        return (
            self.non_reference, self.start, self.partition_id, self.picture_id,
            self.long_picture_id, self.tl0picidx, self.tid, self.layer_sync, self.keyidx,
        )

    def __repr__(self):
        return (
            f"Vp8Descriptor(non_reference={self.non_reference}, start={self.start}, "
            f"partition_id={self.partition_id}, picture_id={self.picture_id}, "
            f"long_picture_id={self.long_picture_id}, tl0picidx={self.tl0picidx}, "
            f"tid={self.tid}, layer_sync={self.layer_sync}, keyidx={self.keyidx})"
        )


cdef void _write_descriptor(unsigned char *dst, Py_ssize_t i, Py_ssize_t count,
                            const void *state) noexcept:
    """The descriptor of fragment ``i``; ``state`` points to the ``int`` PictureID."""
    cdef int picture_id = (<const int *>state)[0]
    dst[0] = 0x90 if i == 0 else 0x80  # X=1, S on the first packet, PID 0
    dst[1] = 0x80  # I=1
    dst[2] = 0x80 | (picture_id >> 8)  # M=1: 15-bit PictureID
    dst[3] = picture_id & 0xFF


def vp8_packetize(bytes frame, Py_ssize_t mtu=1200, int picture_id=0):
    """Split one VP8 frame into RTP payloads of at most ``mtu`` bytes (RFC 7741 §4).

    Every payload starts with a 4-byte descriptor carrying the 15-bit ``picture_id``; the
    first has S=1. The caller sets the RTP marker bit on the last payload.
    """
    if len(frame) == 0:
        raise PacketizeError("VP8 frame is empty")
    if mtu - DESCRIPTOR_SIZE < 1:
        raise ValueError(f"MTU {mtu} is too small for VP8")
    if not 0 <= picture_id <= 0x7FFF:
        raise ValueError("VP8 picture_id is at most 15 bits")
    return fragment_frame(frame, mtu, DESCRIPTOR_SIZE, 0, _write_descriptor, &picture_id)


cdef class Vp8Packetizer:
    """Packetizes consecutive frames, advancing the 15-bit PictureID by one per frame."""

    cdef public int picture_id

    def __init__(self, int picture_id=0):
        self.picture_id = picture_id & 0x7FFF

    def packetize(self, bytes frame, Py_ssize_t mtu=1200):
        """Payloads of ``frame`` (see :func:`vp8_packetize`)."""
        out = vp8_packetize(frame, mtu, self.picture_id)
        self.picture_id = (self.picture_id + 1) & 0x7FFF
        return out


def vp8_depacketize(list payloads):
    """Rebuild one VP8 frame from the payloads of its packets, in sequence order.

    The first payload must start partition 0 (S=1, PID=0, RFC 7741 §4.2); every payload must
    carry at least one byte after its descriptor.
    """
    return join_payloads(payloads, _descriptor_length, "VP8", 0x17, 0x10, "S=1, PID=0")


def vp8_payload_info(bytes payload):
    """Flags of one payload for frame assembly: 1 = starts a frame, 2 = keyframe start.

    A frame starts with S=1 and PID=0; it is a keyframe when the P bit of the VP8 frame tag
    that follows is 0 (RFC 7741 §4.3, RFC 6386 §9.1).
    """
    cdef const unsigned char *p = payload
    cdef Py_ssize_t hdr = data_offset(p, len(payload), _descriptor_length, "VP8")
    if (p[0] & 0x17) != 0x10:
        return 0
    return FRAME_START | (KEYFRAME if (p[hdr] & 0x01) == 0 else 0)


def vp8_is_keyframe(bytes payload):
    """Whether ``payload`` is the first packet of a VP8 keyframe."""
    return vp8_payload_info(payload) & KEYFRAME != 0
