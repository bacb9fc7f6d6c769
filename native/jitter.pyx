# cython: boundscheck=False, wraparound=False, cdivision=True
"""A per-SSRC jitter buffer: reordering, frame assembly, NACK/PLI decisions, playout timing.

Sans-I/O: the caller passes the time to every call (float seconds on any monotonic scale).
Sequence numbers and timestamps are extended to 64 bits (RFC 3550 §A.1), so wraparound is
invisible inside. Video mode (a ``codec`` is given) assembles frames: the packets of a frame
share a timestamp and run from a frame start to the marker bit; frames are released in decode
order and only when the previous frame was released or they are keyframes. Audio mode (no
``codec``) releases one packet per frame and reports each missing packet as a lost frame
(for packet loss concealment) once the next packet is due.

Playout times map RTP timestamps through a time base: the smallest transit seen since the
base was last re-anchored (on a timestamp jump or a lasting rise of the path delay).
"""

from libc.limits cimport LLONG_MIN
from libc.math cimport INFINITY, fabs

from pyrtc.media.errors import DepacketizeError
from pyrtc.media.events import KeyframeRequest

from packetize_common cimport FRAME_START, KEYFRAME
from pyrtc._native.rtp cimport RtpPacket

cdef enum:
    SEQ_HALF = 0x8000
    TS_HALF = 0x80000000
    MAX_SLOTS = 1 << 16  # larger buffers put the rest of their packets in the overflow dict

# Extended sequence numbers start here, so packets reordered ahead of the first one seen
# never go negative: -1 is the "none" of the helpers below.
cdef long long EXT_BASE = 1LL << 32

# The target delay follows the jitter estimate: this many mean deviations of transit time.
cdef double JITTER_FACTOR = 3.0


cdef class Frame:
    """A frame ready for the decoder, or (audio only) a lost-packet marker.

    ``timestamp`` is the 32-bit RTP timestamp; a lost audio frame's is interpolated from its
    neighbours and its ``data`` is empty. ``first_sequence``/``last_sequence`` are 16-bit.
    """

    cdef readonly bytes data
    cdef readonly unsigned int timestamp
    cdef readonly bint keyframe
    cdef readonly bint lost
    cdef readonly int first_sequence
    cdef readonly int last_sequence

    def __repr__(self):
        return (
            f"Frame(timestamp={self.timestamp}, size={len(self.data)}, keyframe={self.keyframe}, "
            f"lost={self.lost}, sequence={self.first_sequence}..{self.last_sequence})"
        )


cdef Frame _frame(bytes data, long long ts, bint keyframe, bint lost, long long first,
                  long long last):
    cdef Frame f = Frame.__new__(Frame)
    f.data = data
    f.timestamp = <unsigned int>(ts & 0xFFFFFFFF)
    f.keyframe = keyframe
    f.lost = lost
    f.first_sequence = <int>(first & 0xFFFF)
    f.last_sequence = <int>(last & 0xFFFF)
    return f


cdef class _Packet:
    cdef bytes payload
    cdef long long ext
    cdef long long ts
    cdef bint marker
    cdef int flags
    cdef double due  # video: playout time of the frame it heads, fixed on arrival


cdef class _Store:
    """The held packets by extended sequence number: a ring of slots indexed by the low bits
    (no Python integer or hashing per lookup on the data path), and a dict for the rare packet
    whose slot another sequence number occupies. Always exact, whatever the span held."""

    cdef list _slots
    cdef Py_ssize_t _mask
    cdef dict _overflow
    cdef Py_ssize_t count

    def __cinit__(self, Py_ssize_t capacity):
        cdef Py_ssize_t size = 8
        while size < capacity and size < MAX_SLOTS:
            size <<= 1
        self._slots = [None] * size
        self._mask = size - 1
        self._overflow = {}
        self.count = 0

    cdef inline _Packet get(self, long long ext):
        """The packet ``ext``, or ``None``."""
        cdef object slot = self._slots[ext & self._mask]
        if slot is not None and (<_Packet>slot).ext == ext:
            return <_Packet>slot
        if self._overflow:
            return self._overflow.get(ext)
        return None

    cdef _Packet at(self, long long ext):
        """The packet ``ext``; ``KeyError`` if it is not held (a logic error)."""
        cdef _Packet p = self.get(ext)
        if p is None:
            raise KeyError(ext)
        return p

    cdef void put(self, _Packet p):
        cdef Py_ssize_t i = p.ext & self._mask
        cdef object slot = self._slots[i]
        if slot is not None and (<_Packet>slot).ext == p.ext:
            self._slots[i] = p
        elif self._overflow and p.ext in self._overflow:
            self._overflow[p.ext] = p
        else:
            self.count += 1
            if slot is None:
                self._slots[i] = p
            else:
                self._overflow[p.ext] = p

    cdef _Packet pop(self, long long ext):
        """Remove and return the packet ``ext``, or ``None``."""
        cdef Py_ssize_t i = ext & self._mask
        cdef object slot = self._slots[i]
        cdef _Packet p
        if slot is not None and (<_Packet>slot).ext == ext:
            self._slots[i] = None
            self.count -= 1
            return <_Packet>slot
        if self._overflow:
            p = self._overflow.pop(ext, None)
            if p is not None:
                self.count -= 1
            return p
        return None

    cdef void clear(self):
        self._slots = [None] * (self._mask + 1)
        self._overflow.clear()
        self.count = 0


cdef class _Missing:
    cdef double detected
    cdef double last_sent
    cdef int retries


cdef class JitterBuffer:
    """Jitter buffer of one RTP stream (one SSRC).

    ``codec`` (video) is an object with ``payload_info(payload) -> int`` (bit 1: starts a frame,
    bit 2: keyframe) and ``depacketize(payloads) -> bytes``, such as ``pyrtc.media.VP8``.
    Without one the buffer works in audio mode. Delays are in seconds: the target playout
    delay is ``3 * jitter`` bounded by ``min_delay`` and ``max_delay`` (a video frame's
    deadline is fixed when the packet that starts it arrives); a gap older than
    ``max_delay`` is given up. Missing packets are NACKed at once and then every ``rtt`` up to
    ``max_nack_retries`` times (only when ``nack``). The buffer holds at most ``max_packets``
    packets and ``max_bytes`` payload bytes; beyond that the oldest frames are dropped.
    """

    cdef readonly int clock_rate
    cdef object _payload_info
    cdef object _depacketize
    cdef readonly bint audio
    cdef readonly double min_delay
    cdef readonly double max_delay
    cdef readonly bint nack
    cdef public double rtt
    cdef readonly int max_nack_retries
    cdef readonly Py_ssize_t max_packets
    cdef readonly Py_ssize_t max_bytes
    cdef readonly double keyframe_request_interval

    cdef _Store _packets
    cdef dict _missing
    cdef set _key_starts
    cdef list _events
    cdef bint _started
    cdef bint _released_any
    cdef bint _need_keyframe
    cdef long long _head
    cdef long long _highest
    cdef long long _last_ts
    cdef long long _prev_ts
    cdef long long _prev_seq
    cdef long long _scan_head
    cdef long long _scan
    cdef Py_ssize_t _bytes
    cdef double _target_scale
    cdef double _base
    cdef double _prev_base
    cdef long long _epoch
    cdef int _unplayable
    cdef bint _has_transit
    cdef double _last_transit
    cdef double _jitter
    cdef double _last_request
    cdef readonly int duplicates
    cdef readonly int late
    cdef readonly int dropped_frames
    cdef readonly int lost_packets
    cdef readonly int malformed

    def __init__(
        self,
        int clock_rate,
        codec=None,
        *,
        min_delay=None,
        max_delay=None,
        nack=None,
        double rtt=0.1,
        int max_nack_retries=10,
        Py_ssize_t max_packets=2048,
        Py_ssize_t max_bytes=8_000_000,
        double keyframe_request_interval=0.5,
    ):
        if clock_rate <= 0:
            raise ValueError("clock_rate must be positive")
        if max_packets < 1 or max_bytes < 1:
            raise ValueError("max_packets and max_bytes must be positive")
        self.clock_rate = clock_rate
        self._target_scale = JITTER_FACTOR / clock_rate
        self.audio = codec is None
        if not self.audio:
            self._payload_info = codec.payload_info
            self._depacketize = codec.depacketize
        self.min_delay = (0.02 if self.audio else 0.0) if min_delay is None else min_delay
        self.max_delay = (0.2 if self.audio else 0.5) if max_delay is None else max_delay
        if not 0 <= self.min_delay <= self.max_delay:
            raise ValueError("need 0 <= min_delay <= max_delay")
        self.nack = (not self.audio) if nack is None else nack
        self.rtt = rtt
        self.max_nack_retries = max_nack_retries
        self.max_packets = max_packets
        self.max_bytes = max_bytes
        self.keyframe_request_interval = keyframe_request_interval
        self._packets = _Store(2 * max_packets)
        self._missing = {}
        self._key_starts = set()
        self._events = []
        self._need_keyframe = not self.audio
        self._scan_head = LLONG_MIN
        self._base = INFINITY
        self._epoch = LLONG_MIN
        self._last_request = -INFINITY

    # --- public read-outs ---------------------------------------------------------------

    @property
    def jitter(self):
        """Interarrival jitter in RTP timestamp units (RFC 3550 §6.4.1, §A.8), leaving out
        packets that fill a NACKed gap (retransmissions) and transit changes beyond
        ``max_delay``."""
        return self._jitter

    @property
    def target_delay(self):
        """Current playout delay in seconds: ``3 * jitter`` within [min_delay, max_delay]."""
        return self._target_delay()

    @property
    def packet_count(self):
        """Packets held."""
        return self._packets.count

    @property
    def byte_count(self):
        """Payload bytes held."""
        return self._bytes

    def next_event(self):
        """The next :class:`~pyrtc.media.KeyframeRequest`, or ``None``."""
        return self._events.pop(0) if self._events else None

    # --- input ----------------------------------------------------------------------------

    def insert(self, packet, double now):
        """Add one RTP packet that arrived at ``now``; returns False for a duplicate or late one.

        Raises :class:`~pyrtc.media.DepacketizeError` (video) for a malformed payload, before
        the packet changes any state.
        """
        return self._insert(packet, now) == 1

    def insert_many(self, list packets not None, double now):
        """:meth:`insert` every packet that arrived at ``now``, skipping ``None`` entries (what
        ``SrtpSession.unprotect_packets`` gives for a rejected datagram); returns how many were
        taken. A malformed payload is dropped and counted in :attr:`malformed` instead of
        raising, so the packets after it still go in."""
        cdef Py_ssize_t taken = 0
        for packet in packets:
            if packet is None:
                continue
            try:
                taken += self._insert(packet, now)
            except DepacketizeError:
                self.malformed += 1
        return taken

    cdef int _insert(self, object packet, double now) except -1:
        """:meth:`insert`: 1 taken, 0 duplicate or late."""
        cdef bytes payload
        cdef int seq16
        cdef long long ts32
        cdef bint marker
        cdef RtpPacket rtp
        if type(packet) is RtpPacket:  # pyrtc's own packets: their fields, no attribute calls
            rtp = <RtpPacket>packet
            payload = rtp.payload_bytes()
            seq16 = rtp._sequence_number
            ts32 = rtp._timestamp
            marker = rtp._marker
        else:  # any object with the aiortc-style attributes
            payload = packet.payload
            seq16 = packet.sequence_number
            ts32 = packet.timestamp
            marker = packet.marker
        cdef int flags = 0 if self.audio else self._payload_info(payload)
        cdef long long ext, ts, delta, s
        cdef double transit, d, seconds, arrival, target, late
        cdef bint fits, current, rebase
        cdef _Packet p
        if not self._started:
            self._started = True
            ext = seq16 + EXT_BASE
            ts = ts32
            self._head = ext
            self._highest = ext
            self._prev_seq = ext - 1
            self._prev_ts = ts
        else:
            delta = (seq16 - self._highest) & 0xFFFF
            ext = self._highest + (delta - 0x10000 if delta >= SEQ_HALF else delta)
            delta = (ts32 - self._last_ts) & 0xFFFFFFFF
            ts = self._last_ts + (delta - 0x100000000 if delta >= TS_HALF else delta)
            if self._packets.get(ext) is not None:
                self.duplicates += 1
                return 0
        self._last_ts = ts

        # RFC 3550 §A.8 with the arrival time in RTP units. A packet filling a gap that was
        # NACKed is taken for a retransmission, a round trip late by design: it is left out,
        # as libwebrtc's estimator leaves out retransmitted frames. So is a transit change
        # beyond max_delay (a timestamp jump, an outage): no playout delay could absorb it,
        # and counting it would hold the target at max_delay, stalling playout, for a second.
        transit = now * self.clock_rate - ts
        if not self._nacked(ext):
            if self._has_transit:
                d = fabs(transit - self._last_transit)
                if d <= self.max_delay * self.clock_rate:
                    self._jitter += (d - self._jitter) / 16.0
            self._has_transit = True
            self._last_transit = transit
        seconds = <double>ts / self.clock_rate
        arrival = now - seconds  # this packet's transit in seconds
        target = self._target_delay()
        # Mapped through the base, this packet is due ``late`` seconds before it arrived. It
        # fits the base if that is at most max_delay (else the timestamps jumped back or the
        # path delay rose) and it is due at most target + max_delay after (else the
        # timestamps jumped forward). A packet from before the last re-anchoring, arriving
        # late, is timed on the old base and must not move the new one, unless it fits it.
        late = arrival - self._base - target
        fits = -self.max_delay - target <= late <= self.max_delay
        current = fits or ext >= self._epoch
        rebase = self._needs_rebase(ext, late, fits)
        if current and not rebase:
            self._base = min(self._base, arrival)

        if ext < self._head:
            if self._released_any or self._head - ext >= self.max_packets:
                self.late += 1
                return 0
            for s in range(ext + 1, self._head):  # reordered ahead of the first packet seen
                if self._packets.get(s) is None:
                    self._add_missing(s, now)
            self._head = ext
            # the frame walk may have stopped at a packet since skipped: it starts over
            self._scan_head = LLONG_MIN
        if ext > self._highest:
            if ext - self._highest > self.max_packets:
                self._reset(ext, now)
            else:
                for s in range(self._highest + 1, ext):
                    self._add_missing(s, now)
            self._highest = ext
        elif self._missing:
            self._missing.pop(ext, None)
        if rebase:
            self._rebase(ext, arrival)

        p = _Packet.__new__(_Packet)
        p.payload = payload
        p.ext = ext
        p.ts = ts
        p.marker = marker
        p.flags = flags
        if not self.audio:
            p.due = seconds + target + (
                self._base if current else min(self._prev_base, arrival)
            )
        self._packets.put(p)
        self._bytes += len(payload)
        if (flags & (FRAME_START | KEYFRAME)) == (FRAME_START | KEYFRAME):
            self._key_starts.add(ext)
        while self._packets.count > self.max_packets or self._bytes > self.max_bytes:
            self._drop_oldest(now)
        return 1

    # --- output ---------------------------------------------------------------------------

    def pop_frame(self, double now):
        """The next frame due for decoding at ``now``, or ``None`` (see :meth:`get_timer`)."""
        if not self._started:
            return None
        if self.audio:
            return self._pop_audio(now)
        return self._pop_video(now)

    def nack_list(self, double now):
        """16-bit sequence numbers to NACK now (RFC 4585 §6.2.1), oldest first.

        A missing packet is listed when first detected and then every ``rtt`` until
        ``max_nack_retries`` requests were made or it is older than ``max_delay``.
        """
        cdef list out = []
        cdef _Missing m
        if not self.nack:
            return out
        for s, m in self._missing.items():
            # the same expressions as get_timer, so a timer-driven caller never spins
            if m.retries >= self.max_nack_retries or now > m.detected + self.max_delay:
                continue
            if m.retries == 0 or now >= m.last_sent + self.rtt:
                m.retries += 1
                m.last_sent = now
                out.append(s)
        out.sort()
        return [s & 0xFFFF for s in out]

    def get_timer(self):
        """When to call :meth:`pop_frame` / :meth:`nack_list` next, or ``None``."""
        cdef double t = INFINITY, nxt
        cdef _Missing m
        cdef _Packet p
        cdef long long end, s
        if not self._started:
            return None
        if self.nack:
            for m in self._missing.values():
                if m.retries < self.max_nack_retries:
                    nxt = m.detected if m.retries == 0 else m.last_sent + self.rtt
                    if nxt <= m.detected + self.max_delay:
                        t = min(t, nxt)
        if self.audio:
            p = self._packets.get(self._head)
            if p is not None:
                t = min(t, self._playout(p.ts))
            else:
                s = self._next_present(self._head)
                if s >= 0:
                    t = min(t, self._playout(self._lost_ts(s)))
        else:
            end = self._frame_end()
            if end >= self._head:
                p = self._packets.at(self._head)
                if self._need_keyframe and not self._released_any and not self._is_key(end):
                    t = min(t, p.due + self.max_delay)
                    s = self._due_keyframe(INFINITY)
                    if s > self._head:
                        t = min(t, self._packets.at(s).due)
                else:
                    t = min(t, p.due)
            else:
                s = self._first_absent()
                if s in self._missing:
                    t = min(t, self._give_up_time(s))
                if self._key_starts:
                    s = min(self._key_starts)
                    if s > self._head and self._complete_from(s):
                        t = min(t, self._packets.at(s).due)
        return None if t == INFINITY else t

    # --- internals ------------------------------------------------------------------------

    cdef double _target_delay(self):
        cdef double d = self._jitter * self._target_scale
        return min(max(d, self.min_delay), self.max_delay)

    cdef double _playout(self, long long ts):
        """Audio: the playout time of timestamp ``ts`` now (video fixes it per frame)."""
        return <double>ts / self.clock_rate + self._base + self._target_delay()

    cdef bint _nacked(self, long long ext):
        """Whether ``ext`` is a missing packet already listed in a NACK."""
        cdef _Missing m
        if not self._missing or ext >= self._highest:
            return False
        m = self._missing.get(ext)
        return m is not None and m.retries > 0

    cdef bint _needs_rebase(self, long long ext, double late, bint fits):
        """Whether the time base must be re-anchored at this new packet, which is due
        ``late`` seconds before it arrived and ``fits`` the base or not (see :meth:`insert`).

        The time base is the smallest transit seen, so a timestamp jump backwards or a lasting
        rise of the path delay beyond ``max_delay`` would make every later packet due before
        it arrives: too late to play (audio), or released with no delay at all (video). Audio
        waits for the second such packet in a row, as re-anchoring drops what it holds. Video
        keeps its frames (their deadlines are fixed), so it re-anchors at once, and also on a
        jump the other way (the timestamps jumped forward), so that packets from before the
        jump arriving late are still timed on the old base.
        """
        if ext <= self._highest:  # reordered or retransmitted: says nothing about the stream
            return False
        if not self.audio:
            return not fits
        if late <= self.max_delay:
            self._unplayable = 0
            return False
        self._unplayable += 1
        return self._unplayable >= 2

    cdef void _rebase(self, long long ext, double arrival):
        """Map timestamps through ``arrival`` from ``ext`` on. Audio drops what it holds before
        ``ext``: it was timed on the old base and would stall playout or come out too late.
        Video frames keep the deadlines they got on arrival, and packets before ``ext``
        arriving late are timed on the old base."""
        cdef Py_ssize_t held
        if self.audio:
            held = self._packets.count
            self._discard_before(ext)
            self.dropped_frames += held - self._packets.count
        self._prev_base = self._base
        self._base = arrival
        self._epoch = ext
        self._unplayable = 0

    cdef void _add_missing(self, long long s, double now):
        cdef _Missing m = _Missing.__new__(_Missing)
        m.detected = now
        self._missing[s] = m

    cdef double _give_up_time(self, long long s):
        cdef _Missing m = self._missing[s]
        cdef double t = m.detected + self.max_delay
        if self.nack and m.retries >= self.max_nack_retries:
            t = min(t, m.last_sent + self.rtt)
        return t

    cdef long long _first_absent(self):
        cdef long long s = self._head
        while self._packets.get(s) is not None:
            s += 1
        return s

    cdef long long _next_present(self, long long after):
        """Smallest held sequence number above ``after``, or -1."""
        cdef long long s
        for s in range(after + 1, self._highest + 1):
            if self._packets.get(s) is not None:
                return s
        return -1

    cdef long long _frame_end(self):
        """Last sequence number of the complete frame at the head, or ``head - 1``.

        The walk resumes where the previous one stopped while the head stays put, so
        calling this after every insert costs O(1) per packet, not O(frame).
        """
        cdef long long s
        cdef _Packet p, q
        if self._scan_head != self._head or self._scan < self._head:
            p = self._packets.get(self._head)
            if p is None:
                return self._head - 1
            self._scan_head = self._head
            self._scan = self._head
        else:
            p = self._packets.at(self._scan)
        s = self._scan
        while True:
            if p.marker:
                return s
            q = self._packets.get(s + 1)
            if q is None:
                self._scan = s
                return self._head - 1
            if q.ts != p.ts:  # the marker packet was lost but the next frame began
                return s
            s += 1
            p = q

    cdef void _request_keyframe(self, str reason, double now):
        if now - self._last_request >= self.keyframe_request_interval:
            self._last_request = now
            self._events.append(KeyframeRequest(reason))

    cdef void _discard_before(self, long long new_head):
        cdef long long s
        cdef _Packet p
        for s in range(self._head, new_head):
            p = self._packets.pop(s)
            if p is not None:
                self._bytes -= len(p.payload)
            elif self._missing.pop(s, None) is not None:
                self.lost_packets += 1
        if self._key_starts:
            self._key_starts = {s for s in self._key_starts if s >= new_head}
        self._head = new_head

    cdef long long _next_start(self, long long after):
        """First held packet after ``after`` that begins a frame, or ``highest + 1``."""
        cdef long long s
        cdef _Packet p, prev
        for s in range(after + 1, self._highest + 1):
            p = self._packets.get(s)
            if p is None:
                continue
            if p.flags & FRAME_START:
                return s
            prev = self._packets.get(s - 1)
            if prev is not None and (prev.ts != p.ts or prev.marker):
                return s
        return self._highest + 1

    cdef void _skip(self, long long new_head, str reason, double now):
        self._discard_before(new_head)
        self.dropped_frames += 1
        if not self.audio:
            self._need_keyframe = True
            self._request_keyframe(reason, now)

    cdef void _reset(self, long long ext, double now):
        self._packets.clear()
        self._missing.clear()
        self._key_starts.clear()
        self._bytes = 0
        self._head = ext
        self.dropped_frames += 1
        if not self.audio:
            self._need_keyframe = True
            self._request_keyframe("overflow", now)

    cdef void _drop_oldest(self, double now):
        if self.audio:
            self._discard_before(self._next_present(self._head - 1) + 1)
            self.dropped_frames += 1
        else:
            self._skip(self._next_start(self._head), "overflow", now)

    cdef Frame _pop_video(self, double now):
        cdef long long end, s, start
        cdef _Packet p
        cdef int flags
        cdef list payloads
        cdef bytes data
        while self._head <= self._highest:
            end = self._frame_end()
            if end < self._head:
                start = self._due_keyframe(now)
                if start > self._head:  # a complete keyframe is due: what precedes it is moot
                    self._skip(start, "loss", now)
                    continue
                s = self._first_absent()
                if s in self._missing and now >= self._give_up_time(s):
                    self._skip(self._next_start(s), "loss", now)
                    continue
                return None
            p = self._packets.at(self._head)
            flags = 0
            for s in range(self._head, end + 1):
                flags |= self._packets.at(s).flags
            if self._need_keyframe and not ((p.flags & FRAME_START) and (flags & KEYFRAME)):
                start = self._due_keyframe(now)
                if start > self._head:
                    self._skip(start, "start" if not self._released_any else "loss", now)
                    continue
                if not self._released_any and now < p.due + self.max_delay:
                    # at start-up the keyframe may still arrive reordered behind this frame
                    self._request_keyframe("start", now)
                    return None
                self._skip(end + 1, "start" if not self._released_any else "loss", now)
                continue
            if now < p.due:
                return None
            payloads = [self._packets.at(s).payload for s in range(self._head, end + 1)]
            start = self._head
            try:
                data = self._depacketize(payloads)
            except DepacketizeError:
                self._skip(end + 1, "corrupt", now)
                continue
            self._discard_before(end + 1)
            self._need_keyframe = False
            self._released_any = True
            return _frame(data, p.ts, flags & KEYFRAME, False, start, end)
        return None

    cdef long long _due_keyframe(self, double now):
        """First sequence number of a complete keyframe after the head due at ``now``, or -1."""
        cdef long long start
        if not self._key_starts:
            return -1
        start = min(self._key_starts)
        if start <= self._head or not self._complete_from(start):
            return -1
        if now < self._packets.at(start).due:
            return -1
        return start

    cdef bint _is_key(self, long long end):
        """Whether the complete frame from the head to ``end`` opens with a keyframe start."""
        cdef long long s
        cdef int flags = 0
        for s in range(self._head, end + 1):
            flags |= self._packets.at(s).flags
        return (self._packets.at(self._head).flags & FRAME_START) and (flags & KEYFRAME)

    cdef bint _complete_from(self, long long start):
        cdef long long saved = self._head
        cdef long long end
        self._head = start
        end = self._frame_end()
        self._head = saved
        return end >= start

    cdef long long _lost_ts(self, long long present):
        """Timestamp of the missing head packet, interpolated up to held packet ``present``."""
        cdef _Packet p = self._packets.at(present)
        return self._prev_ts + (p.ts - self._prev_ts) * (self._head - self._prev_seq) // (
            present - self._prev_seq
        )

    cdef Frame _pop_audio(self, double now):
        cdef _Packet p
        cdef long long s, seq, ts
        cdef double due
        while True:
            p = self._packets.get(self._head)
            if p is not None:
                due = self._playout(p.ts)
                if now < due:
                    return None
                seq = self._head
                self._packets.pop(seq)
                self._bytes -= len(p.payload)
                self._head = seq + 1
                self._prev_seq = seq
                self._prev_ts = p.ts
                if now - due > self.max_delay:  # too late to play
                    self.dropped_frames += 1
                    continue
                self._released_any = True
                return _frame(p.payload, p.ts, False, False, seq, seq)
            s = self._next_present(self._head)
            if s < 0:
                return None
            seq = self._head
            ts = self._lost_ts(s)
            due = self._playout(ts)
            if now < due:
                return None
            self._discard_before(seq + 1)
            self._prev_seq = seq
            self._prev_ts = ts
            if now - due > self.max_delay:  # too late to conceal, like a late packet:
                continue  # an outage yields at most max_delay of markers, not one per packet
            self._released_any = True
            return _frame(b"", ts, False, True, seq, seq)
