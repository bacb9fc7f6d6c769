"""The data sender of an association: queueing, retransmission and congestion control.

Implements the send side of RFC 9260 §6.1-6.3 (fragmentation, TSN assignment, peer window,
T3-rtx marking, RTT sampling with Karn's rule), §7 (slow start, congestion avoidance, fast
retransmit and fast recovery) and RFC 3758 §3.5 (abandoning messages, FORWARD TSN). Timers
and packet assembly belong to :class:`~pyrtc.sctp.Association`; the sender only adds encoded
chunks through the callback it is given.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from pyrtc._native.sctp_packet import encode_data_chunk
from pyrtc.sansio import Event
from pyrtc.sctp.chunks import (
    COMMON_HEADER_LENGTH,
    DATA_HEADER_LENGTH,
    FLAG_BEGINNING,
    FLAG_END,
    FLAG_UNORDERED,
    ForwardTsnChunk,
    SackChunk,
)
from pyrtc.sctp.errors import SctpError
from pyrtc.sctp.events import BufferedAmountLow
from pyrtc.sctp.rto import RtoEstimator
from pyrtc.sctp.serial import tsn_ge, tsn_gt

_MASK = 0xFFFFFFFF

Adder = Callable[[bytes], None]
"""Appends one encoded chunk to the packet being built (starting a new one when full)."""


class ProtocolViolation(SctpError):
    """The peer acknowledged something we never sent; the association must abort."""


class _Message:
    """One user message queued by :meth:`Sender.queue`."""

    __slots__ = (
        "abandoned",
        "chunks",
        "expires",
        "lifetime",
        "max_retransmits",
        "ordered",
        "ssn",
        "stream_id",
    )

    def __init__(
        self, stream_id: int, ordered: bool, max_retransmits: int | None, lifetime: float | None
    ) -> None:
        self.stream_id = stream_id
        self.ordered = ordered
        self.max_retransmits = max_retransmits
        self.lifetime = lifetime
        self.expires: float | None = None
        self.ssn = 0
        self.abandoned = False
        self.chunks: list[_OutChunk] = []


class _OutChunk:
    """A DATA chunk of an outgoing message plus its retransmission bookkeeping."""

    __slots__ = (
        "acked",
        "data",
        "fast_retransmitted",
        "flags",
        "in_flight",
        "message",
        "misses",
        "ppid",
        "retransmit",
        "sends",
        "sent_at",
        "tsn",
    )

    def __init__(self, message: _Message, ppid: int, data: bytes, flags: int) -> None:
        self.message = message
        self.ppid = ppid
        self.data = data
        self.flags = flags
        self.tsn = 0
        self.sent_at = 0.0
        self.sends = 0
        self.misses = 0
        self.acked = False
        self.in_flight = False
        self.retransmit = False
        self.fast_retransmitted = False

    def encode(self) -> bytes:
        message = self.message
        return encode_data_chunk(
            self.flags, self.tsn, message.stream_id, message.ssn, self.ppid, self.data
        )


class Sender:
    """Send-side state for one association."""

    def __init__(
        self,
        initial_tsn: int,
        mtu: int,
        rto: RtoEstimator,
        emit: Callable[[Event], None],
    ) -> None:
        self.mtu = mtu
        self.rto = rto
        self._emit = emit
        self.next_tsn = initial_tsn
        self.cum_ack = (initial_tsn - 1) & _MASK
        self.pending: deque[_OutChunk] = deque()
        self.outstanding: list[_OutChunk] = []
        """Chunks with a TSN, from ``cum_ack + 1`` on, in TSN order without holes."""
        self.flight_size = 0
        self.peer_rwnd = 0
        self.peer_forward_tsn = False
        self.cwnd = min(4 * mtu, max(2 * mtu, 4380))
        self.ssthresh = 0
        self.forward_tsn_due = False
        self.last_t3_at = -1.0
        self._last_data_at: float | None = None
        self._retransmit_count = 0
        self._partial_bytes_acked = 0
        self._fast_recovery_exit: int | None = None
        self._fast_retransmit_budget = False
        self._next_ssn: dict[int, int] = {}
        self._buffered: dict[int, int] = {}
        self._low_threshold: dict[int, int] = {}
        self._unstamped: list[_Message] = []
        self._max_payload = mtu - COMMON_HEADER_LENGTH - DATA_HEADER_LENGTH
        self._gap_acked = 0
        """Outstanding chunks acknowledged only by Gap Ack Blocks (the peer may renege)."""
        self.retransmissions = 0
        self.fast_retransmissions = 0
        self.reneged = 0
        """Chunks the peer acknowledged in a gap block and later no longer reported."""
        self.t3_expirations = 0
        self.abandoned_messages = 0

    # ------------------------------------------------------------------ queue

    def queue(
        self,
        stream_id: int,
        data: bytes,
        ppid: int,
        ordered: bool,
        max_retransmits: int | None,
        lifetime: float | None,
    ) -> None:
        """Fragment one message into DATA chunks (§6.9); TSNs are assigned on first send."""
        message = _Message(stream_id, ordered, max_retransmits, lifetime)
        flags_u = 0 if ordered else FLAG_UNORDERED
        step = self._max_payload
        size = len(data)
        chunks = message.chunks
        if size <= step:
            chunks.append(_OutChunk(message, ppid, data, flags_u | FLAG_BEGINNING | FLAG_END))
        else:
            for pos in range(0, size, step):
                flags = flags_u
                if pos == 0:
                    flags |= FLAG_BEGINNING
                if pos + step >= size:
                    flags |= FLAG_END
                chunks.append(_OutChunk(message, ppid, data[pos : pos + step], flags))
        self.pending.extend(chunks)
        self._buffered[stream_id] = self._buffered.get(stream_id, 0) + size
        if lifetime is not None:
            self._unstamped.append(message)

    def stamp_lifetimes(self, now: float) -> None:
        """Start the lifetime of messages queued since the last call (RFC 3758 §3.5 A1)."""
        if self._unstamped:
            for message in self._unstamped:
                assert message.lifetime is not None
                message.expires = now + message.lifetime
            self._unstamped.clear()

    def buffered_amount(self, stream_id: int) -> int:
        return self._buffered.get(stream_id, 0)

    def set_buffered_amount_low_threshold(self, stream_id: int, threshold: int) -> None:
        self._low_threshold[stream_id] = threshold

    def has_pending_on(self, stream_ids: set[int]) -> bool:
        """Whether unsent chunks remain on any of ``stream_ids``."""
        return any(c.message.stream_id in stream_ids for c in self.pending)

    @property
    def has_data_to_send(self) -> bool:
        """Queued or retransmission-marked DATA is waiting (a delayed SACK can ride along)."""
        return bool(self.pending) or self._retransmit_count > 0

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing awaiting acknowledgement."""
        return not self.pending and not self.outstanding

    @property
    def last_assigned_tsn(self) -> int:
        return (self.next_tsn - 1) & _MASK

    def reset_ssns(self, stream_ids: list[int]) -> None:
        """Restart the SSNs of our outgoing streams at 0 (RFC 6525 §5.1.4)."""
        for sid in stream_ids:
            self._next_ssn.pop(sid, None)

    def clear(self) -> None:
        self.pending.clear()
        self.outstanding.clear()
        self._gap_acked = 0

    # ------------------------------------------------------------------ acknowledgements

    def on_sack(self, sack: SackChunk, now: float, *, reports_gaps: bool = True) -> bool:
        """Process a SACK (§6.2.1, §7.2); returns whether the cumulative TSN advanced.

        ``reports_gaps=False`` for the Cumulative TSN Ack of a SHUTDOWN, which has no Gap Ack
        Blocks: gap acknowledgements it does not repeat were not reneged on (§9.2)."""
        cum = sack.cumulative_tsn
        if not tsn_ge(cum, self.cum_ack):
            return False  # stale, arrived out of order
        if tsn_gt(cum, self.last_assigned_tsn):
            raise ProtocolViolation("SACK acknowledges a TSN never sent")
        outstanding = self.outstanding
        flight_before = self.flight_size
        acked_bytes = 0
        newest_acked: _OutChunk | None = None
        rtt_sample: float | None = None
        count = (cum - self.cum_ack) & _MASK
        for chunk in outstanding[:count]:
            if chunk.in_flight:
                chunk.in_flight = False
                self.flight_size -= len(chunk.data)
            if chunk.retransmit:
                chunk.retransmit = False
                self._retransmit_count -= 1
            if chunk.acked:
                self._gap_acked -= 1
                continue
            # Leaves the queue now, but _abandon() may still walk its message's chunks.
            chunk.acked = True
            if not chunk.message.abandoned:
                acked_bytes += len(chunk.data)
                newest_acked = chunk
                if chunk.sends == 1 and chunk.sent_at >= self.last_t3_at:
                    # Karn's rule, and no samples from before a timeout: their SACK may
                    # have been lost and the chunk acknowledged only much later.
                    rtt_sample = now - chunk.sent_at
        if count:
            del outstanding[:count]
            self.cum_ack = cum
        gap_acked = self._gap_acked
        reported = 0
        if sack.gaps:
            newest_acked, gap_bytes, reported = self._gap_acks(sack.gaps, newest_acked)
            acked_bytes += gap_bytes
        if reported < gap_acked and reports_gaps:
            self._renege(sack.gaps)
        if newest_acked is not None and sack.gaps:
            self._mark_misses(newest_acked.tsn)
        if rtt_sample is not None and rtt_sample >= 0:
            self.rto.update(rtt_sample)
        if self._fast_recovery_exit is not None and tsn_ge(cum, self._fast_recovery_exit):
            self._fast_recovery_exit = None
        if count and acked_bytes:
            self._grow_cwnd(acked_bytes, flight_before)
        self.peer_rwnd = max(0, sack.a_rwnd - self.flight_size)
        if self.peer_forward_tsn and outstanding and outstanding[0].message.abandoned:
            self.forward_tsn_due = True
        return count > 0

    def _gap_acks(
        self, gaps: list[tuple[int, int]], newest: _OutChunk | None
    ) -> tuple[_OutChunk | None, int, int]:
        """Mark chunks reported in Gap Ack Blocks; returns the newest newly acked chunk, the
        bytes newly acknowledged and how many chunks acknowledged before are reported again
        (fewer than before means the peer reneged)."""
        outstanding = self.outstanding
        size = len(outstanding)
        acked_bytes = 0
        reported = 0
        visited = 0  # blocks in order, so overlapping ones do not walk the same chunks again
        for start, end in sorted(gaps):
            if start < 1 or end < start:
                continue
            stop = min(end, size)
            for index in range(max(start - 1, visited), stop):
                chunk = outstanding[index]
                if chunk.acked:
                    reported += 1
                    continue
                chunk.acked = True
                self._gap_acked += 1
                if chunk.in_flight:
                    chunk.in_flight = False
                    self.flight_size -= len(chunk.data)
                if chunk.retransmit:
                    chunk.retransmit = False
                    self._retransmit_count -= 1
                if not chunk.message.abandoned:
                    acked_bytes += len(chunk.data)
                if newest is None or tsn_gt(chunk.tsn, newest.tsn):
                    newest = chunk
            visited = max(visited, stop)
        return newest, acked_bytes, reported

    def _renege(self, gaps: list[tuple[int, int]]) -> None:
        """Take back gap acknowledgements this SACK no longer reports (§6.2.1 D: the peer
        reneged): the chunk counts a miss and is outstanding again, so fast retransmit or
        T3-rtx (kept running while anything is outstanding) sends it once more."""
        covered = bytearray(len(self.outstanding))
        for start, end in gaps:
            if 1 <= start <= end:
                covered[start - 1 : end] = b"\x01" * len(covered[start - 1 : end])
        for index, chunk in enumerate(self.outstanding):
            if chunk.acked and not covered[index]:
                chunk.acked = False
                chunk.misses += 1
                self._gap_acked -= 1
                self.reneged += 1
                if not self._gap_acked:
                    break

    def _mark_misses(self, highest: int) -> None:
        """Count miss indications below the highest newly acked TSN (§7.2.4)."""
        entered = False
        for chunk in self.outstanding:
            if not tsn_gt(highest, chunk.tsn):
                break
            if chunk.acked or chunk.retransmit or chunk.fast_retransmitted:
                continue
            if chunk.message.abandoned:
                continue
            chunk.misses += 1
            if chunk.misses >= 3:
                chunk.fast_retransmitted = True
                chunk.retransmit = True
                self._retransmit_count += 1
                if chunk.in_flight:
                    chunk.in_flight = False
                    self.flight_size -= len(chunk.data)
                entered = True
        if entered:
            self._fast_retransmit_budget = True
        if entered and self._fast_recovery_exit is None:
            self.ssthresh = max(self.cwnd // 2, 4 * self.mtu)
            self.cwnd = self.ssthresh
            self._partial_bytes_acked = 0
            self._fast_recovery_exit = self.last_assigned_tsn

    def _grow_cwnd(self, acked: int, flight_before: int) -> None:
        """Slow start and congestion avoidance (RFC 9260 §7.2.1-7.2.2)."""
        mtu = self.mtu
        if self._fast_recovery_exit is not None or flight_before + mtu <= self.cwnd:
            return
        if self.cwnd <= self.ssthresh:
            self.cwnd += min(acked, mtu)
        else:
            self._partial_bytes_acked += acked
            if self._partial_bytes_acked >= self.cwnd:
                self._partial_bytes_acked -= self.cwnd
                self.cwnd += mtu

    def on_t3(self, now: float) -> None:
        """T3-rtx expiry: collapse cwnd and mark everything outstanding (§6.3.3, §7.2.3)."""
        self.last_t3_at = now
        self.t3_expirations += 1
        mtu = self.mtu
        self.ssthresh = max(self.cwnd // 2, 4 * mtu)
        self.cwnd = mtu
        self._partial_bytes_acked = 0
        self._fast_recovery_exit = None
        for chunk in self.outstanding:
            if chunk.acked or chunk.message.abandoned:
                continue
            if chunk.in_flight:
                chunk.in_flight = False
                self.flight_size -= len(chunk.data)
            if not chunk.retransmit:
                chunk.retransmit = True
                self._retransmit_count += 1
        if self.peer_forward_tsn and self.outstanding and self.outstanding[0].message.abandoned:
            self.forward_tsn_due = True

    # ------------------------------------------------------------------ partial reliability

    def _abandon(self, message: _Message) -> None:
        """Give up on a partially reliable message (RFC 3758 §3.5 A3)."""
        message.abandoned = True
        self.abandoned_messages += 1
        for chunk in message.chunks:
            if chunk.in_flight:
                chunk.in_flight = False
                self.flight_size -= len(chunk.data)
            if chunk.retransmit:
                chunk.retransmit = False
                self._retransmit_count -= 1
            if chunk.sends == 0:
                self._unbuffer(message.stream_id, len(chunk.data))
        self.forward_tsn_due = True

    def _expired(self, message: _Message, now: float) -> bool:
        expires = message.expires
        return expires is not None and now > expires and self.peer_forward_tsn

    def _abandon_before_retransmission(self, now: float) -> None:
        """Apply the PR-SCTP policies to chunks about to be resent (RFC 3758 §3.5 A1-A3)."""
        for chunk in self.outstanding:
            if not chunk.retransmit:
                continue
            message = chunk.message
            limit = message.max_retransmits
            if (limit is not None and chunk.sends > limit) or self._expired(message, now):
                self._abandon(message)

    def _forward_tsn_chunk(self) -> ForwardTsnChunk | None:
        """Advance the Advanced.Peer.Ack.Point over abandoned chunks (RFC 3758 §3.5 C1-C4)."""
        point = self.cum_ack
        skipped: dict[int, int] = {}
        for chunk in self.outstanding:
            message = chunk.message
            if not message.abandoned:
                break
            point = chunk.tsn
            if message.ordered:
                skipped[message.stream_id] = message.ssn
        if point == self.cum_ack:
            return None
        return ForwardTsnChunk(point, sorted(skipped.items()))

    def _unbuffer(self, stream_id: int, size: int) -> None:
        before = self._buffered[stream_id]
        after = before - size
        self._buffered[stream_id] = after
        threshold = self._low_threshold.get(stream_id, 0)
        if before > threshold >= after:
            self._emit(BufferedAmountLow(stream_id))

    # ------------------------------------------------------------------ output

    def add_chunks(self, add: Adder, now: float, send_new: bool) -> bool:
        """Add FORWARD TSN, retransmissions and (if ``send_new``) new DATA; returns whether
        any DATA went out."""
        if self._retransmit_count and self.peer_forward_tsn:
            self._abandon_before_retransmission(now)
        if self.forward_tsn_due:
            self.forward_tsn_due = False
            forward = self._forward_tsn_chunk()
            if forward is not None:
                add(forward.encode())
        sent = False
        if self._retransmit_count:
            sent = self._add_retransmissions(add, now)
        if self.pending and send_new:
            self._decay_idle_cwnd(now)
            sent = self._add_new_data(add, now) or sent
        if sent:
            self._last_data_at = now
        return sent

    def _decay_idle_cwnd(self, now: float) -> None:
        """Halve cwnd (down to 4 MTU) per RTO the path carried no data (§7.2.1)."""
        if self.flight_size or self._last_data_at is None:
            return
        periods = int((now - self._last_data_at) / self.rto.rto)
        floor = 4 * self.mtu
        for _ in range(min(periods, 32)):
            if self.cwnd <= floor:
                break
            self.cwnd = max(self.cwnd // 2, floor)

    def _add_retransmissions(self, add: Adder, now: float) -> bool:
        """Resend chunks marked by T3 or fast retransmit, within cwnd (§6.3.3, §7.2.4)."""
        sent = False
        budget = self.cwnd - self.flight_size
        fast_budget = self.mtu if self._fast_retransmit_budget else 0
        self._fast_retransmit_budget = False
        for chunk in self.outstanding:
            if not self._retransmit_count:
                break
            if not chunk.retransmit:
                continue
            length = len(chunk.data)
            if budget <= 0 and fast_budget <= 0:
                break
            if chunk.fast_retransmitted and fast_budget > 0:
                fast_budget -= length + DATA_HEADER_LENGTH
                self.fast_retransmissions += 1
            else:
                budget -= length
            chunk.retransmit = False
            self._retransmit_count -= 1
            chunk.in_flight = True
            self.flight_size += length
            chunk.sends += 1
            chunk.sent_at = now
            self.retransmissions += 1
            add(chunk.encode())
            sent = True
        return sent

    def _add_new_data(self, add: Adder, now: float) -> bool:
        """Assign TSNs to queued chunks and send them within cwnd and rwnd (§6.1)."""
        pending = self.pending
        outstanding = self.outstanding
        next_ssn = self._next_ssn
        cwnd = self.cwnd
        # The per-chunk state lives in locals and is written back once (hot loop).
        flight = self.flight_size
        rwnd = self.peer_rwnd
        tsn = self.next_tsn
        unbuffered: dict[int, int] = {}
        while pending and flight < cwnd:
            chunk = pending[0]
            message = chunk.message
            if message.abandoned:
                pending.popleft()
                continue
            length = len(chunk.data)
            if length > rwnd and flight:
                break
            if message.expires is not None and self._expired(message, now):
                self.flight_size = flight  # _abandon takes its in-flight chunks out
                self._abandon(message)
                flight = self.flight_size
                pending.popleft()
                continue
            sid = message.stream_id
            if chunk.flags & FLAG_BEGINNING and message.ordered:
                message.ssn = ssn = next_ssn.get(sid, 0)
                next_ssn[sid] = (ssn + 1) & 0xFFFF
            pending.popleft()
            chunk.tsn = tsn
            tsn = (tsn + 1) & _MASK
            chunk.sends = 1
            chunk.sent_at = now
            chunk.in_flight = True
            flight += length
            rwnd = rwnd - length if rwnd > length else 0
            outstanding.append(chunk)
            add(chunk.encode())
            unbuffered[sid] = unbuffered.get(sid, 0) + length
        self.flight_size = flight
        self.peer_rwnd = rwnd
        self.next_tsn = tsn
        for sid, size in unbuffered.items():
            self._unbuffer(sid, size)
        return bool(unbuffered)
