# cython: boundscheck=False, wraparound=False, cdivision=True
"""H.264 RTP payload format (RFC 6184): Annex B splitting, packetizer and depacketizer.

Packetization mode 1 (§6.3, non-interleaved) sends a NAL unit that fits the MTU alone (§5.6)
or aggregated with its small neighbours in a STAP-A (§5.7.1), and fragments a larger one into
balanced FU-A fragments (§5.8). Mode 0 (§6.2) sends single NAL units only. The depacketizer
produces an Annex B byte stream with 4-byte start codes.
"""

from libc.string cimport memchr, memcpy

from packetize_common cimport FRAME_START, KEYFRAME, fragment_count, fragment_size, new_bytes

from pyrtc.media.errors import DepacketizeError, PacketizeError

cdef enum:
    STAP_A = 24
    FU_A = 28
    START_CODE_SIZE = 4


cdef inline bint _is_frame_start_nal(int nal_type, const unsigned char *p, Py_ssize_t n) noexcept:
    # AUD, SEI, SPS or PPS only come before the slices of an access unit; a slice whose
    # first_mb_in_slice is 0 (ue(v) codeword "1", the top bit of its first byte) opens a picture.
    if 6 <= nal_type <= 9:
        return True
    return (nal_type == 1 or nal_type == 5) and n > 1 and (p[1] & 0x80) != 0


def h264_split_annexb(bytes frame):
    """The NAL units of an Annex B byte stream (ITU-T H.264 Annex B), without start codes.

    Zero bytes before a start code (4-byte start codes, trailing_zero_8bits) are dropped.
    """
    cdef const unsigned char *p = frame
    cdef const unsigned char *q
    cdef Py_ssize_t n = len(frame), i = 2, j, start = -1, end, first = -1
    cdef list nals = []
    while i < n:
        q = <const unsigned char *>memchr(p + i, 1, n - i)  # SIMD scan for the 0x01 byte
        if q == NULL:
            break
        j = q - p
        i = j + 1
        if p[j - 1] != 0 or p[j - 2] != 0:
            continue
        if start >= 0:
            end = j - 2
            while end > start and p[end - 1] == 0:
                end -= 1
            if end > start:
                nals.append(frame[start:end])
        else:
            first = j - 2
        start = j + 1
        i = j + 3  # the next start code begins after this one (its 0x01 is 2 bytes later)
    if start < 0:
        raise PacketizeError("H.264 frame has no Annex B start code")
    for i in range(first):
        if p[i] != 0:
            raise PacketizeError("H.264 frame has data before its first start code")
    end = n
    while end > start and p[end - 1] == 0:
        end -= 1
    if end > start:
        nals.append(frame[start:end])
    return nals


cdef list _fu_a(bytes nal, Py_ssize_t mtu):
    cdef const unsigned char *src = nal
    cdef Py_ssize_t total = len(nal) - 1, count, i, size, offset = 1
    cdef unsigned char *dst
    cdef unsigned char indicator = (src[0] & 0xE0) | FU_A
    cdef unsigned char nal_type = src[0] & 0x1F
    cdef list out = []
    count = fragment_count(total, mtu - 2)
    for i in range(count):
        size = fragment_size(total, count, i)
        payload = new_bytes(2 + size, &dst)
        dst[0] = indicator
        dst[1] = nal_type | (0x80 if i == 0 else 0) | (0x40 if i == count - 1 else 0)
        memcpy(dst + 2, src + offset, size)
        offset += size
        out.append(payload)
    return out


cdef bytes _stap_a(list nals, Py_ssize_t first, Py_ssize_t last, Py_ssize_t size):
    cdef unsigned char *dst
    cdef bytes payload = new_bytes(size, &dst)
    cdef bytes nal
    cdef Py_ssize_t i, n, pos = 1
    cdef unsigned char f = 0, nri = 0
    for i in range(first, last):
        nal = nals[i]
        n = len(nal)
        f |= (<const unsigned char *>nal)[0] & 0x80
        nri = max(nri, (<const unsigned char *>nal)[0] & 0x60)
        dst[pos] = n >> 8
        dst[pos + 1] = n & 0xFF
        memcpy(dst + pos + 2, <const unsigned char *>nal, n)
        pos += 2 + n
    dst[0] = f | nri | STAP_A  # §5.7.1: F is the OR, NRI the maximum of the aggregated units
    return payload


def h264_packetize(bytes frame, Py_ssize_t mtu=1200, int mode=1):
    """Split one Annex B access unit into RTP payloads of at most ``mtu`` bytes (RFC 6184).

    ``mode`` is the SDP packetization-mode: 1 uses single NAL units, STAP-A and FU-A;
    0 sends single NAL units only and raises :class:`PacketizeError` for a larger one.
    """
    cdef list nals = h264_split_annexb(frame)
    cdef list out = []
    cdef Py_ssize_t k = len(nals), i = 0, j, size, n
    cdef bytes nal
    cdef int nal_type
    if mode not in (0, 1):
        raise ValueError("H.264 packetization-mode must be 0 or 1")
    if mtu < 3:
        raise ValueError(f"MTU {mtu} is too small for H.264")
    for nal in nals:
        nal_type = (<const unsigned char *>nal)[0] & 0x1F
        if nal_type == 0 or nal_type >= 24:
            raise PacketizeError(f"H.264 NAL unit type {nal_type} cannot be sent")
    while i < k:
        nal = nals[i]
        n = len(nal)
        if n > mtu:
            if mode == 0:
                raise PacketizeError(f"a {n}-byte NAL unit does not fit packetization-mode 0")
            out.extend(_fu_a(nal, mtu))
            i += 1
            continue
        j = i + 1
        size = 3 + n
        if mode == 1:
            while j < k and size + 2 + len(<bytes>nals[j]) <= mtu:
                size += 2 + len(<bytes>nals[j])
                j += 1
        if j == i + 1:
            out.append(nal)
        else:
            out.append(_stap_a(nals, i, j, size))
        i = j
    return out


cdef inline void _put_nal(unsigned char *dst, Py_ssize_t *pos, const unsigned char *src,
                          Py_ssize_t n) noexcept:
    if dst != NULL:
        dst[pos[0]] = 0
        dst[pos[0] + 1] = 0
        dst[pos[0] + 2] = 0
        dst[pos[0] + 3] = 1
        memcpy(dst + pos[0] + START_CODE_SIZE, src, n)
    pos[0] += START_CODE_SIZE + n


cdef inline Py_ssize_t _stap_a_unit(const unsigned char *p, Py_ssize_t n, Py_ssize_t off,
                                    Py_ssize_t *size) except -1:
    """Offset of the STAP-A unit (RFC 6184 §5.7.1) whose 16-bit size field is at ``off``, its
    size into ``size``; raises unless the unit is non-empty and ends inside the ``n`` bytes."""
    if off + 2 > n:
        raise DepacketizeError("H.264 STAP-A size field is truncated")
    size[0] = (p[off] << 8) | p[off + 1]
    off += 2
    if size[0] == 0 or off + size[0] > n:
        raise DepacketizeError("H.264 STAP-A NAL unit size is invalid")
    return off


cdef Py_ssize_t _walk(list payloads, unsigned char *dst) except -1:
    """Validate the payloads of one access unit; with ``dst``, write its Annex B bytes.

    Returns the Annex B length. FU-A fragments must run start..end without interruption.
    """
    cdef Py_ssize_t pos = 0, n, off, size
    cdef const unsigned char *p
    cdef bytes payload
    cdef int nal_type
    cdef bint in_fu = False
    for payload in payloads:
        p = payload
        n = len(payload)
        if n < 1:
            raise DepacketizeError("H.264 payload is empty")
        nal_type = p[0] & 0x1F
        if nal_type == FU_A:
            if n < 3:
                raise DepacketizeError("H.264 FU-A is truncated")
            if p[1] & 0x80:
                if in_fu:
                    raise DepacketizeError("H.264 FU-A starts inside an unfinished NAL unit")
                if p[1] & 0x40:
                    raise DepacketizeError("H.264 FU-A has both start and end bits")
                if dst != NULL:  # start code, then the NAL header rebuilt from the FU-A bytes
                    dst[pos] = 0
                    dst[pos + 1] = 0
                    dst[pos + 2] = 0
                    dst[pos + 3] = 1
                    dst[pos + 4] = (p[0] & 0xE0) | (p[1] & 0x1F)
                    memcpy(dst + pos + 5, p + 2, n - 2)
                pos += START_CODE_SIZE + 1 + n - 2
                in_fu = True
            else:
                if not in_fu:
                    raise DepacketizeError("H.264 FU-A continues a NAL unit that never started")
                if dst != NULL:
                    memcpy(dst + pos, p + 2, n - 2)
                pos += n - 2
                in_fu = (p[1] & 0x40) == 0
            continue
        if in_fu:
            raise DepacketizeError("H.264 NAL unit interrupts an unfinished FU-A")
        if nal_type == STAP_A:
            if n < 4:
                raise DepacketizeError("H.264 STAP-A is truncated")
            off = 1
            while off < n:
                off = _stap_a_unit(p, n, off, &size)
                _put_nal(dst, &pos, p + off, size)
                off += size
        elif 1 <= nal_type <= 23:
            _put_nal(dst, &pos, p, n)
        else:
            raise DepacketizeError(f"H.264 NAL unit type {nal_type} is not supported")
    if in_fu:
        raise DepacketizeError("H.264 access unit ends inside a FU-A")
    return pos


def h264_depacketize(list payloads):
    """Rebuild one access unit as Annex B (4-byte start codes) from its RTP payloads in order."""
    if not payloads:
        raise DepacketizeError("no H.264 payloads")
    cdef Py_ssize_t total = _walk(payloads, NULL)
    cdef unsigned char *dst
    cdef bytes frame = new_bytes(total, &dst)
    _walk(payloads, dst)
    return frame


def h264_payload_info(bytes payload):
    """Flags of one payload for frame assembly: 1 = starts an access unit, 2 = keyframe.

    An access unit starts with an AUD, SEI, SPS or PPS, or a slice with first_mb_in_slice 0;
    a payload carrying an IDR slice (type 5) or an SPS (type 7) marks a keyframe.
    """
    cdef const unsigned char *p = payload
    cdef Py_ssize_t n = len(payload), off, size
    cdef int nal_type, inner, flags = 0
    if n < 1:
        raise DepacketizeError("H.264 payload is empty")
    nal_type = p[0] & 0x1F
    if 1 <= nal_type <= 23:
        if nal_type == 5 or nal_type == 7:
            flags |= KEYFRAME
        if _is_frame_start_nal(nal_type, p, n):
            flags |= FRAME_START
    elif nal_type == STAP_A:
        if n < 4:
            raise DepacketizeError("H.264 STAP-A is truncated")
        off = 1
        while off < n:
            off = _stap_a_unit(p, n, off, &size)
            inner = p[off] & 0x1F
            if inner == 5 or inner == 7:
                flags |= KEYFRAME
            if off == 3 and _is_frame_start_nal(inner, p + off, size):
                flags |= FRAME_START
            off += size
    elif nal_type == FU_A:
        if n < 3:
            raise DepacketizeError("H.264 FU-A is truncated")
        inner = p[1] & 0x1F
        if inner == 5 or inner == 7:
            flags |= KEYFRAME
        if (p[1] & 0x80) and _is_frame_start_nal(inner, p + 1, n - 1):
            flags |= FRAME_START
    else:
        raise DepacketizeError(f"H.264 NAL unit type {nal_type} is not supported")
    return flags


def h264_is_keyframe(bytes payload):
    """Whether ``payload`` carries an IDR slice or an SPS (a keyframe's packet)."""
    return h264_payload_info(payload) & KEYFRAME != 0
