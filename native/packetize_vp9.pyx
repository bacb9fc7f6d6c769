# cython: boundscheck=False, wraparound=False, cdivision=True
"""VP9 RTP payload format (RFC 9628): payload descriptor, packetizer and depacketizer.

The parser reads every descriptor field in both modes (§4.2): flexible (F=1, P_DIFF list)
and non-flexible (F=0, TL0PICIDX), layer indices and the scalability structure (SS, §4.2.1)
with resolutions and picture-group description. The packetizer sends one spatial layer in
non-flexible mode, like libwebrtc without SVC: a 15-bit PictureID, P from the frame header,
B/E on the first/last packet, and on keyframes an SS with the frame's resolution.
"""

from packetize_common cimport FRAME_START, KEYFRAME, data_offset, fragment_frame, join_payloads
from packetize_common cimport picture_id_length, read_picture_id, write_picture_id

from pyrtc.media.errors import DepacketizeError, PacketizeError

cdef enum:
    BASE_SIZE = 3  # I/P/L/F/B/E/V/Z byte and a 15-bit PictureID
    SS_SIZE = 5  # N_S/Y/G byte, WIDTH and HEIGHT of one spatial layer


cdef Py_ssize_t _descriptor_length(const unsigned char *p, Py_ssize_t n) except -1:
    """Length of the payload descriptor at the start of ``p`` (RFC 9628 §4.2), validated."""
    cdef Py_ssize_t pos = 1, i, layers, groups, refs
    cdef unsigned char flags, ss
    cdef int diffs
    if n < 1:
        raise DepacketizeError("VP9 payload is empty")
    flags = p[0]
    if flags & 0x80:  # I: PictureID, 7 or 15 bits (M)
        if pos >= n:
            raise DepacketizeError("VP9 descriptor: PictureID missing")
        pos += picture_id_length(p[pos])
    if flags & 0x20:  # L: layer indices, plus TL0PICIDX in non-flexible mode
        pos += 1 if flags & 0x10 else 2
    if (flags & 0x50) == 0x50:  # F and P: up to 3 P_DIFF bytes chained by their N bit
        diffs = 0
        while True:
            if pos >= n:
                raise DepacketizeError("VP9 descriptor: P_DIFF missing")
            diffs += 1
            if diffs > 3:
                raise DepacketizeError("VP9 descriptor has more than 3 P_DIFF")
            pos += 1
            if not p[pos - 1] & 0x01:
                break
    if flags & 0x02:  # V: scalability structure
        if pos >= n:
            raise DepacketizeError("VP9 descriptor: SS missing")
        ss = p[pos]
        layers = (ss >> 5) + 1
        pos += 1
        if ss & 0x10:  # Y: WIDTH and HEIGHT per spatial layer
            pos += 4 * layers
        if ss & 0x08:  # G: picture group description
            if pos >= n:
                raise DepacketizeError("VP9 descriptor: N_G missing")
            groups = p[pos]
            pos += 1
            for i in range(groups):
                if pos >= n:
                    raise DepacketizeError("VP9 descriptor: picture group truncated")
                refs = (p[pos] >> 2) & 0x03
                pos += 1 + refs
    if pos > n:
        raise DepacketizeError("VP9 descriptor is truncated")
    return pos


cdef class Vp9Descriptor:
    """The VP9 payload descriptor of RFC 9628 §4.2; ``None`` marks an absent field.

    Layer indices (``tid``, ``switching_up``, ``sid``, ``inter_layer``) are present together
    (L bit). ``resolutions`` (list of ``(width, height)``) and ``picture_group`` (list of
    ``(tid, switching_up, [p_diff, ...])``) belong to the scalability structure, present when
    ``spatial_layers`` is not ``None``.
    """

    cdef public object picture_id
    cdef public bint long_picture_id
    cdef public bint inter_picture
    cdef public bint flexible
    cdef public bint start
    cdef public bint end
    cdef public bint not_reference_upper
    cdef public object tid
    cdef public bint switching_up
    cdef public int sid
    cdef public bint inter_layer
    cdef public object tl0picidx
    cdef public list p_diffs
    cdef public object spatial_layers
    cdef public object resolutions
    cdef public object picture_group

    def __init__(self, *, picture_id=None, bint long_picture_id=True, bint inter_picture=False,
                 bint flexible=False, bint start=False, bint end=False,
                 bint not_reference_upper=False, tid=None, bint switching_up=False, int sid=0,
                 bint inter_layer=False, tl0picidx=None, p_diffs=(), spatial_layers=None,
                 resolutions=None, picture_group=None):
        self.picture_id = picture_id
        self.long_picture_id = long_picture_id
        self.inter_picture = inter_picture
        self.flexible = flexible
        self.start = start
        self.end = end
        self.not_reference_upper = not_reference_upper
        self.tid = tid
        self.switching_up = switching_up
        self.sid = sid
        self.inter_layer = inter_layer
        self.tl0picidx = tl0picidx
        self.p_diffs = list(p_diffs)
        self.spatial_layers = spatial_layers
        self.resolutions = resolutions
        self.picture_group = picture_group

    @staticmethod
    def parse(bytes payload):
        """Parse the descriptor at the start of ``payload``; returns ``(descriptor, length)``."""
        cdef const unsigned char *p = payload
        cdef Py_ssize_t n = _descriptor_length(p, len(payload))
        cdef Vp9Descriptor d = Vp9Descriptor.__new__(Vp9Descriptor)
        cdef Py_ssize_t pos = 1, i, layers, groups, refs
        cdef unsigned char flags = p[0], ss
        d.inter_picture = (flags >> 6) & 1
        d.flexible = (flags >> 4) & 1
        d.start = (flags >> 3) & 1
        d.end = (flags >> 2) & 1
        d.not_reference_upper = flags & 1
        d.p_diffs = []
        if flags & 0x80:
            d.long_picture_id = (p[pos] & 0x80) != 0  # M
            d.picture_id = read_picture_id(p, &pos)
        if flags & 0x20:
            d.tid = p[pos] >> 5
            d.switching_up = (p[pos] >> 4) & 1
            d.sid = (p[pos] >> 1) & 7
            d.inter_layer = p[pos] & 1
            pos += 1
            if not d.flexible:
                d.tl0picidx = p[pos]
                pos += 1
        if (flags & 0x50) == 0x50:
            while True:
                d.p_diffs.append(p[pos] >> 1)
                pos += 1
                if not p[pos - 1] & 1:
                    break
        if flags & 0x02:
            ss = p[pos]
            layers = (ss >> 5) + 1
            d.spatial_layers = layers
            pos += 1
            if ss & 0x10:
                d.resolutions = []
                for i in range(layers):
                    d.resolutions.append(
                        ((p[pos] << 8) | p[pos + 1], (p[pos + 2] << 8) | p[pos + 3])
                    )
                    pos += 4
            if ss & 0x08:
                d.picture_group = []
                groups = p[pos]
                pos += 1
                for i in range(groups):
                    refs = (p[pos] >> 2) & 3
                    d.picture_group.append(
                        (p[pos] >> 5, bool((p[pos] >> 4) & 1), [p[pos + 1 + j] for j in range(refs)])
                    )
                    pos += 1 + refs
        return d, n

    def serialize(self):
        """The descriptor's bytes."""
        cdef bytearray out = bytearray(1)
        cdef int flags = 0
        cdef Py_ssize_t i
        if self.picture_id is not None:
            flags |= 0x80
            write_picture_id(out, self.picture_id, self.long_picture_id)
        if self.tid is not None:
            flags |= 0x20
            out.append((self.tid << 5) | (self.switching_up << 4) | (self.sid << 1)
                       | self.inter_layer)
            if not self.flexible:
                out.append(self.tl0picidx or 0)
        if self.flexible and self.inter_picture:
            if not 1 <= len(self.p_diffs) <= 3:
                raise ValueError("VP9 flexible mode needs 1 to 3 P_DIFF values")
            for i, diff in enumerate(self.p_diffs):
                out.append((diff << 1) | (1 if i < len(self.p_diffs) - 1 else 0))
        if self.spatial_layers is not None:
            flags |= 0x02
            out.append(((self.spatial_layers - 1) << 5)
                       | (0x10 if self.resolutions is not None else 0)
                       | (0x08 if self.picture_group is not None else 0))
            for width, height in self.resolutions or ():
                out += bytes([width >> 8, width & 0xFF, height >> 8, height & 0xFF])
            if self.picture_group is not None:
                out.append(len(self.picture_group))
                for tid, up, diffs in self.picture_group:
                    out.append((tid << 5) | (up << 4) | (len(diffs) << 2))
                    out += bytes(diffs)
        flags |= (self.inter_picture << 6) | (self.flexible << 4) | (self.start << 3)
        flags |= (self.end << 2) | self.not_reference_upper
        out[0] = flags
        return bytes(out)

    def __eq__(self, other):
        if not isinstance(other, Vp9Descriptor):
            return NotImplemented
        return self._key() == (<Vp9Descriptor>other)._key()

    def _key(self):
        return (self.picture_id, self.long_picture_id, self.inter_picture, self.flexible,
                self.start, self.end, self.not_reference_upper, self.tid, self.switching_up,
                self.sid, self.inter_layer, self.tl0picidx, self.p_diffs, self.spatial_layers,
                self.resolutions, self.picture_group)

    def __repr__(self):
        return "Vp9Descriptor(" + ", ".join(
            f"{name}={value!r}" for name, value in zip(
                ("picture_id", "long_picture_id", "inter_picture", "flexible", "start", "end",
                 "not_reference_upper", "tid", "switching_up", "sid", "inter_layer",
                 "tl0picidx", "p_diffs", "spatial_layers", "resolutions", "picture_group"),
                self._key())
        ) + ")"


cdef struct _Bits:
    const unsigned char *p
    Py_ssize_t n
    Py_ssize_t pos  # in bits


cdef int _read(_Bits *b, int count) except -1:
    cdef int value = 0
    cdef int i
    if b.pos + count > b.n * 8:
        raise PacketizeError("VP9 frame header is truncated")
    for i in range(count):
        value = (value << 1) | ((b.p[b.pos >> 3] >> (7 - (b.pos & 7))) & 1)
        b.pos += 1
    return value


def vp9_frame_info(bytes frame):
    """``(keyframe, width, height)`` from a VP9 uncompressed header (VP9 spec §6.2).

    Width and height are 0 for a non-key frame.
    """
    cdef _Bits b
    cdef int profile, color_space
    b.p = frame
    b.n = len(frame)
    b.pos = 0
    if _read(&b, 2) != 2:
        raise PacketizeError("VP9 frame_marker is not 2")
    profile = _read(&b, 1)
    profile |= _read(&b, 1) << 1
    if profile == 3:
        _read(&b, 1)
    if _read(&b, 1):  # show_existing_frame
        return False, 0, 0
    if _read(&b, 1) != 0:  # frame_type: 0 is KEY_FRAME
        return False, 0, 0
    _read(&b, 2)  # show_frame, error_resilient_mode
    if _read(&b, 24) != 0x498342:
        raise PacketizeError("VP9 keyframe has a bad sync code")
    if profile >= 2:
        _read(&b, 1)  # ten_or_twelve_bit
    color_space = _read(&b, 3)
    if color_space != 7:  # not CS_RGB
        _read(&b, 1)  # color_range
        if profile == 1 or profile == 3:
            _read(&b, 3)  # subsampling_x, subsampling_y, reserved_zero
    elif profile == 1 or profile == 3:
        _read(&b, 1)
    return True, _read(&b, 16) + 1, _read(&b, 16) + 1


cdef struct _Picture:
    int picture_id
    bint key
    int width
    int height


cdef void _write_descriptor(unsigned char *dst, Py_ssize_t i, Py_ssize_t count,
                            const void *state) noexcept:
    """The descriptor of fragment ``i``; ``state`` points to the frame's ``_Picture``."""
    cdef const _Picture *picture = <const _Picture *>state
    dst[0] = 0x80 | (0 if picture.key else 0x40) | (0x08 if i == 0 else 0)
    dst[0] |= (0x04 if i == count - 1 else 0) | (0x02 if i == 0 and picture.key else 0)
    dst[1] = 0x80 | (picture.picture_id >> 8)
    dst[2] = picture.picture_id & 0xFF
    if i == 0 and picture.key:
        dst[3] = 0x10  # N_S = 0 (one layer), Y = 1, G = 0
        dst[4] = (picture.width >> 8) & 0xFF
        dst[5] = picture.width & 0xFF
        dst[6] = (picture.height >> 8) & 0xFF
        dst[7] = picture.height & 0xFF


def vp9_packetize(bytes frame, Py_ssize_t mtu=1200, int picture_id=0):
    """Split one VP9 frame into RTP payloads of at most ``mtu`` bytes (RFC 9628 §4).

    Non-flexible mode, one spatial layer; the first payload of a keyframe carries an SS with
    the resolution read from the frame header. Fragments are balanced across packets, the
    first packet's SS counted as part of its share.
    """
    cdef _Picture picture
    if len(frame) == 0:
        raise PacketizeError("VP9 frame is empty")
    if mtu < 16:
        raise ValueError(f"MTU {mtu} is too small for VP9")
    if not 0 <= picture_id <= 0x7FFF:
        raise ValueError("VP9 picture_id is at most 15 bits")
    picture.picture_id = picture_id
    picture.key, picture.width, picture.height = vp9_frame_info(frame)
    return fragment_frame(
        frame, mtu, BASE_SIZE, SS_SIZE if picture.key else 0, _write_descriptor, &picture
    )


cdef class Vp9Packetizer:
    """Packetizes consecutive frames, advancing the 15-bit PictureID by one per frame."""

    cdef public int picture_id

    def __init__(self, int picture_id=0):
        self.picture_id = picture_id & 0x7FFF

    def packetize(self, bytes frame, Py_ssize_t mtu=1200):
        """Payloads of ``frame`` (see :func:`vp9_packetize`)."""
        out = vp9_packetize(frame, mtu, self.picture_id)
        self.picture_id = (self.picture_id + 1) & 0x7FFF
        return out


def vp9_depacketize(list payloads):
    """Rebuild one VP9 frame from its payloads in sequence order (first has B=1)."""
    return join_payloads(payloads, _descriptor_length, "VP9", 0x08, 0x08, "B=1")


def vp9_payload_info(bytes payload):
    """Flags for frame assembly: 1 = starts a picture (B=1, spatial layer 0), 2 = keyframe.

    A keyframe's first packet has B=1 and P=0 (not inter-picture predicted).
    """
    cdef const unsigned char *p = payload
    cdef Py_ssize_t pos = 1
    cdef int sid = 0
    data_offset(p, len(payload), _descriptor_length, "VP9")
    if not p[0] & 0x08:
        return 0
    if p[0] & 0x20:
        if p[0] & 0x80:
            pos += picture_id_length(p[1])
        sid = (p[pos] >> 1) & 7
    if sid != 0:
        return 0
    return FRAME_START | (0 if p[0] & 0x40 else KEYFRAME)


def vp9_is_keyframe(bytes payload):
    """Whether ``payload`` is the first packet of a VP9 keyframe."""
    return vp9_payload_info(payload) & KEYFRAME != 0
