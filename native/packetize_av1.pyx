# cython: boundscheck=False, wraparound=False, cdivision=True
"""AV1 RTP payload format (AOMedia "RTP Payload Format for AV1", v1.0): packetizer/depacketizer.

A payload is a one-byte aggregation header (Z: the first element continues an OBU from the
previous packet; Y: the last element continues in the next; W: element count when 1..3, the
last element then has no length field; N: first packet of a coded video sequence) followed by
OBU elements, each prefixed by its LEB128 length. OBUs travel without their obu_size field
(obu_has_size_field = 0); temporal delimiters and tile list OBUs are not sent (§5). The
depacketizer rebuilds a temporal unit in the low-overhead bitstream format (AV1 spec §5.2):
a temporal delimiter, then every OBU with obu_has_size_field = 1 and its size.
"""

from libc.string cimport memcpy

from packetize_common cimport FRAME_START, KEYFRAME, new_bytes

from pyrtc.media.errors import DepacketizeError, PacketizeError

cdef enum:
    OBU_SEQUENCE_HEADER = 1
    OBU_TEMPORAL_DELIMITER = 2
    OBU_FRAME_HEADER = 3
    OBU_FRAME = 6
    OBU_TILE_LIST = 8
    MAX_LEB128 = 8


cdef inline int _leb128_size(Py_ssize_t value) noexcept:
    cdef int size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


cdef inline Py_ssize_t _put_leb128(unsigned char *dst, Py_ssize_t value) noexcept:
    cdef Py_ssize_t n = 0
    while True:
        if value < 0x80:
            dst[n] = value
            return n + 1
        dst[n] = 0x80 | (value & 0x7F)
        value >>= 7
        n += 1


cdef Py_ssize_t _read_leb128(const unsigned char *p, Py_ssize_t n, Py_ssize_t *value) noexcept:
    """Bytes used by the LEB128 at ``p`` (AV1 spec §4.10.5), or -1 if truncated/too long."""
    cdef Py_ssize_t v = 0
    cdef int i
    for i in range(MAX_LEB128):
        if i >= n:
            return -1
        v |= <Py_ssize_t>(p[i] & 0x7F) << (7 * i)
        if not p[i] & 0x80:
            if v > 0xFFFFFFFF:
                return -1
            value[0] = v
            return i + 1
    return -1


def av1_split_obus(bytes temporal_unit):
    """The OBUs of a low-overhead temporal unit as elements ready to send (AV1 spec §5.3).

    Each element is the OBU header (obu_has_size_field cleared), its extension byte and the
    payload. Temporal delimiters and tile list OBUs are dropped. An OBU without a size field
    runs to the end of the input.
    """
    cdef const unsigned char *p = temporal_unit
    cdef Py_ssize_t n = len(temporal_unit), pos = 0, hdr, size, used
    cdef unsigned char header
    cdef int obu_type
    cdef list elements = []
    cdef unsigned char *dst
    while pos < n:
        header = p[pos]
        if header & 0x80:
            raise PacketizeError("AV1 OBU has its forbidden bit set")
        obu_type = (header >> 3) & 0x0F
        hdr = 2 if header & 0x04 else 1
        if pos + hdr > n:
            raise PacketizeError("AV1 OBU header is truncated")
        if header & 0x02:
            used = _read_leb128(p + pos + hdr, n - pos - hdr, &size)
            if used < 0 or size > n - pos - hdr - used:
                raise PacketizeError("AV1 OBU size is invalid")
        else:
            used = 0
            size = n - pos - hdr
        if obu_type != OBU_TEMPORAL_DELIMITER and obu_type != OBU_TILE_LIST:
            element = new_bytes(hdr + size, &dst)
            dst[0] = header & ~0x02
            if hdr == 2:
                dst[1] = p[pos + 1]
            memcpy(dst + hdr, p + pos + hdr + used, size)
            elements.append(element)
        pos += hdr + used + size
    return elements


cdef Py_ssize_t _plan(list elements, Py_ssize_t capacity, list plan) except -1:
    """Greedy packing of ``elements`` into payloads of at most ``capacity`` bytes.

    Every element gets a length field except the last one of a payload with at most 3
    elements (W). With ``plan`` a list, appends each payload as a list of (index, start, size)
    and returns the payload count; with ``plan`` None only counts.
    """
    cdef Py_ssize_t k = len(elements), index = 0, offset = 0, space, remaining, take, count = 0
    cdef list entries
    while index < k:
        space = capacity - 1
        entries = [] if plan is not None else None
        while index < k and space >= 2:
            remaining = len(<bytes>elements[index]) - offset
            if remaining + _leb128_size(remaining) <= space:
                take = remaining
            else:
                take = space - _leb128_size(space)
                if take < 1:
                    break
            if entries is not None:
                entries.append((index, offset, take))
            space -= take + _leb128_size(take)
            offset += take
            if offset == len(<bytes>elements[index]):
                index += 1
                offset = 0
        count += 1
        if plan is not None:
            plan.append(entries)
    return count


def av1_packetize(bytes temporal_unit, Py_ssize_t mtu=1200):
    """Split one AV1 temporal unit into RTP payloads of at most ``mtu`` bytes.

    Fragmented OBUs set Y/Z; N is set on the first payload when the unit contains a sequence
    header (a keyframe starting a coded video sequence). The payload sizes are balanced by
    packing to the smallest capacity that needs no more packets than packing to the MTU.
    """
    cdef list elements = av1_split_obus(temporal_unit)
    cdef Py_ssize_t count, low, high, mid, i, j, pos, index, start, size, total
    cdef list plan = [], out = [], entries
    cdef unsigned char *dst
    cdef unsigned char agg
    cdef bint new_sequence = False
    if not elements:
        raise PacketizeError("AV1 temporal unit has no OBU to send")
    if mtu < 8:
        raise ValueError(f"MTU {mtu} is too small for AV1")
    for element in elements:
        if ((<const unsigned char *>(<bytes>element))[0] >> 3) & 0x0F == OBU_SEQUENCE_HEADER:
            new_sequence = True
    count = _plan(elements, mtu, None)
    low, high = 8, mtu
    while low < high:  # the smallest capacity that still fits in ``count`` payloads
        mid = (low + high) // 2
        if _plan(elements, mid, None) <= count:
            high = mid
        else:
            low = mid + 1
    _plan(elements, low, plan)
    for i in range(len(plan)):
        entries = plan[i]
        n_entries = len(entries)
        omit_last = n_entries <= 3
        total = 1
        for j in range(n_entries):
            size = entries[j][2]
            total += size + (0 if omit_last and j == n_entries - 1 else _leb128_size(size))
        payload = new_bytes(total, &dst)
        agg = (n_entries << 4) if omit_last else 0
        if entries[0][1] != 0:
            agg |= 0x80  # Z: continues the previous payload's last OBU
        index, start, size = entries[n_entries - 1]
        if start + size < len(<bytes>elements[index]):
            agg |= 0x40  # Y: the last OBU continues in the next payload
        if i == 0 and new_sequence:
            agg |= 0x08
        dst[0] = agg
        pos = 1
        for j in range(n_entries):
            index, start, size = entries[j]
            if not (omit_last and j == n_entries - 1):
                pos += _put_leb128(dst + pos, size)
            memcpy(dst + pos, (<const unsigned char *>(<bytes>elements[index])) + start, size)
            pos += size
        out.append(payload)
    return out


cdef list _elements(bytes payload):
    """``(start, size)`` of each OBU element of one payload, validated."""
    cdef const unsigned char *p = payload
    cdef Py_ssize_t n = len(payload), pos = 1, size, used
    cdef int w, count = 0
    cdef list out = []
    if n < 2:
        raise DepacketizeError("AV1 payload is too short")
    w = (p[0] >> 4) & 0x03
    while pos < n:
        count += 1
        if w != 0 and count == w:
            size = n - pos
        else:
            used = _read_leb128(p + pos, n - pos, &size)
            if used < 0:
                raise DepacketizeError("AV1 OBU element length is invalid")
            pos += used
            if size > n - pos:
                raise DepacketizeError("AV1 OBU element runs past the payload")
        if size == 0:
            raise DepacketizeError("AV1 OBU element is empty")
        out.append((pos, size))
        pos += size
    if not out or (w != 0 and count != w):
        raise DepacketizeError("AV1 payload does not hold the W elements it announces")
    return out


def av1_depacketize(list payloads):
    """Rebuild one temporal unit (low-overhead format, AV1 spec §5.2) from its payloads."""
    cdef bytearray out = bytearray(b"\x12\x00")  # temporal delimiter with obu_size 0
    cdef bytearray pending = None
    cdef bytes payload
    cdef const unsigned char *p
    cdef Py_ssize_t i, j, start, size
    cdef list elements
    cdef bint z, y, previous_y = False
    if not payloads:
        raise DepacketizeError("no AV1 payloads")
    for i in range(len(payloads)):
        payload = payloads[i]
        elements = _elements(payload)
        p = payload
        z = (p[0] & 0x80) != 0
        y = (p[0] & 0x40) != 0
        if z != previous_y:
            raise DepacketizeError("AV1 Z bit does not match the previous payload's Y bit")
        for j in range(len(elements)):
            start, size = elements[j]
            if j == 0 and z:
                pending += payload[start:start + size]
            else:
                if pending is not None:
                    _append_obu(out, pending)
                pending = bytearray(payload[start:start + size])
        previous_y = y
    if previous_y:
        raise DepacketizeError("AV1 temporal unit ends inside a fragmented OBU")
    _append_obu(out, pending)
    return bytes(out)


cdef void _append_obu(bytearray out, bytearray obu) except *:
    cdef const unsigned char *p = obu
    cdef Py_ssize_t n = len(obu), hdr, size, used
    cdef unsigned char header = p[0]
    cdef unsigned char[MAX_LEB128] leb
    cdef int obu_type = (header >> 3) & 0x0F
    if header & 0x80:
        raise DepacketizeError("AV1 OBU has its forbidden bit set")
    hdr = 2 if header & 0x04 else 1
    if hdr > n:
        raise DepacketizeError("AV1 OBU header is truncated")
    if obu_type == OBU_TEMPORAL_DELIMITER or obu_type == OBU_TILE_LIST:
        return
    if header & 0x02:  # the sender kept obu_size: it must describe the rest exactly
        used = _read_leb128(p + hdr, n - hdr, &size)
        if used < 0 or size != n - hdr - used:
            raise DepacketizeError("AV1 OBU size field disagrees with its element")
        out += obu
        return
    out.append(header | 0x02)
    out += obu[1:hdr]
    size = _put_leb128(leb, n - hdr)
    out += (<char *>leb)[:size]
    out += obu[hdr:]


def av1_payload_info(bytes payload):
    """Flags for frame assembly: 1 = starts a temporal unit, 2 = keyframe.

    N=1, or a first element that is a whole sequence header, marks a keyframe start; a first
    element (Z=0) that is a frame or frame header OBU starts a temporal unit.
    """
    cdef list elements = _elements(payload)
    cdef const unsigned char *p = payload
    cdef Py_ssize_t start = elements[0][0]
    cdef int obu_type = (p[start] >> 3) & 0x0F
    if p[0] & 0x08:
        return FRAME_START | KEYFRAME
    if p[0] & 0x80:
        return 0
    if obu_type == OBU_SEQUENCE_HEADER:
        return FRAME_START | KEYFRAME
    if obu_type == OBU_FRAME or obu_type == OBU_FRAME_HEADER:
        return FRAME_START
    return 0


def av1_is_keyframe(bytes payload):
    """Whether ``payload`` starts a new coded video sequence (N bit or sequence header)."""
    return av1_payload_info(payload) & KEYFRAME != 0
