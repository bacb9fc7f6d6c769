"""The data receiver of an association: TSN tracking, SACK contents, reassembly, delivery.

Implements the receive side of RFC 9260 §6.2 (acknowledgement, gap blocks, duplicates),
§6.5-6.6 (ordered and unordered delivery per stream), §6.9 (reassembly of fragmented user
messages), RFC 3758 §3.6 (FORWARD TSN) and the incoming half of RFC 6525 §5.2.2 (SSN reset).
Buffered bytes are bounded by the configured receive buffer so the advertised window is honest.
"""

from __future__ import annotations

import heapq

from pyrtc.sctp.chunks import FLAG_BEGINNING, FLAG_END, FLAG_UNORDERED, DataChunk, SackChunk
from pyrtc.sctp.events import MessageReceived
from pyrtc.sctp.serial import ssn_gt, tsn_ge, tsn_gt

_MASK = 0xFFFFFFFF
# Gap Ack Block offsets are 16 bits, so nothing further ahead can ever be reported.
_MAX_AHEAD = 0xFFFF
_MAX_DUPLICATES = 32


def _cut_runs(run_last: dict[int, int], run_first: dict[int, int], limit: int) -> None:
    """Take every TSN up to ``limit`` out of runs kept by their ends (first -> last and
    last -> first); a run that goes on after ``limit`` keeps the part after it."""
    for first, last in [run for run in run_last.items() if tsn_ge(limit, run[0])]:
        del run_last[first]
        if tsn_gt(last, limit):
            rest = (limit + 1) & _MASK
            run_last[rest] = last
            run_first[last] = rest
        else:
            del run_first[last]


class Receiver:
    """Receive-side state for one association."""

    def __init__(self, peer_initial_tsn: int, inbound_streams: int) -> None:
        self.cumulative_tsn = (peer_initial_tsn - 1) & _MASK
        self.inbound_streams = inbound_streams
        self.held_bytes = 0
        """Bytes kept in fragments and out-of-order messages (not yet delivered)."""
        self._above: set[int] = set()
        # The TSNs above the cumulative TSN as runs of consecutive ones, by their two ends:
        # the SACK's gap blocks without sorting every TSN held.
        self._gap_last: dict[int, int] = {}
        """First TSN of each run in ``_above`` -> its last TSN."""
        self._gap_first: dict[int, int] = {}
        """Last TSN of each run in ``_above`` -> its first TSN."""
        self._duplicates: list[int] = []
        self._fragments: dict[int, DataChunk] = {}
        # Held fragments form runs of consecutive TSNs that can belong to one message, known
        # by their two ends only, so a fragment costs O(1) whatever the arrival order.
        self._run_last: dict[int, int] = {}
        """First TSN of each run -> its last TSN."""
        self._run_first: dict[int, int] = {}
        """Last TSN of each run -> its first TSN."""
        self._tail: tuple[int, int] | None = None
        """(first, last) of the run the newest fragment left incomplete, kept out of the two
        dicts: a message arriving in order extends it without dict bookkeeping."""
        self._next_ssn: dict[int, int] = {}
        self._waiting: dict[int, dict[int, MessageReceived]] = {}

    @property
    def has_gaps(self) -> bool:
        """Whether TSNs above the cumulative TSN are held (a SACK should go out at once)."""
        return bool(self._above)

    @property
    def has_duplicates(self) -> bool:
        """Whether duplicate TSNs arrived since the last SACK (it reports them, §6.2)."""
        return bool(self._duplicates)

    def receive(
        self, chunk: DataChunk, room: int, accept_next: bool, out: list[MessageReceived]
    ) -> bool:
        """Accept one DATA chunk; append completed messages to ``out`` in delivery order.

        ``room`` is the free receive buffer; a chunk that does not fit is dropped (not
        acknowledged) unless it is the next expected TSN and ``accept_next`` is set.
        Returns ``False`` for duplicates and drops, which the caller answers with an
        immediate SACK. A chunk on a stream beyond ``inbound_streams`` is acknowledged but
        its data discarded (RFC 9260 §6.5); the caller reports it.
        """
        tsn = chunk.tsn
        ahead = (tsn - self.cumulative_tsn) & _MASK
        if ahead == 0 or ahead > _MAX_AHEAD or tsn in self._above:
            duplicate = ahead == 0 or ahead >= 0x80000000 or tsn in self._above
            if duplicate and len(self._duplicates) < _MAX_DUPLICATES:
                self._duplicates.append(tsn)
            return False
        size = len(chunk.user_data)
        if size > room and not (accept_next and ahead == 1):
            return False
        if ahead == 1:
            self.cumulative_tsn = self._absorb_run(tsn) if self._above else tsn
        else:
            self._above.add(tsn)
            first = last = tsn
            prev = (tsn - 1) & _MASK
            if prev in self._gap_first:
                first = self._gap_first.pop(prev)
            nxt = (tsn + 1) & _MASK
            if nxt in self._gap_last:
                last = self._gap_last.pop(nxt)
            self._gap_last[first] = last
            self._gap_first[last] = first
        if chunk.stream_id >= self.inbound_streams:
            return True

        flags = chunk.flags
        if flags & FLAG_BEGINNING and flags & FLAG_END:
            message = MessageReceived(
                chunk.stream_id, chunk.ppid, chunk.user_data, not flags & FLAG_UNORDERED
            )
        else:
            self.held_bytes += size
            assembled = self._add_fragment(tsn, chunk)
            if assembled is None:
                return True
            message = assembled
        if message.ordered:
            self._deliver_ordered(message, chunk.ssn, out)
        else:
            out.append(message)
        return True

    def _absorb_run(self, cum: int) -> int:
        """The cumulative TSN once the run of held TSNs right after ``cum`` (if any) joins it."""
        last = self._gap_last.pop((cum + 1) & _MASK, None)
        if last is None:
            return cum
        del self._gap_first[last]
        above = self._above
        while cum != last:
            cum = (cum + 1) & _MASK
            above.remove(cum)
        return cum

    def _add_fragment(self, tsn: int, chunk: DataChunk) -> MessageReceived | None:
        """Hold a fragment, join it to the runs on either side and return the message once
        its run goes from a B fragment to an E fragment (§6.9)."""
        fragments = self._fragments
        fragments[tsn] = chunk
        run_first, run_last = self._run_first, self._run_last
        # Pieces join when on one stream, the left one not an E and the right one not a B.
        sid, flags = chunk.stream_id, chunk.flags
        tail = self._tail
        if (
            tail is not None
            and tsn == (tail[1] + 1) & _MASK
            and not flags & FLAG_BEGINNING
            and (flags & FLAG_END or (tsn + 1) & _MASK not in run_last)
        ):  # the in-order case: the next fragment of the message being received
            piece = fragments[tail[1]]
            if piece.stream_id == sid and not piece.flags & FLAG_END:
                self._tail = (tail[0], tsn)
                return self._complete(tail[0], tsn) if flags & FLAG_END else None
        self._flush_tail()
        first = last = tsn
        prev = (tsn - 1) & _MASK
        if prev in run_first and not flags & FLAG_BEGINNING:
            piece = fragments[prev]
            if piece.stream_id == sid and not piece.flags & FLAG_END:
                first = run_first.pop(prev)
        nxt = (tsn + 1) & _MASK
        if nxt in run_last and not flags & FLAG_END:
            piece = fragments[nxt]
            if piece.stream_id == sid and not piece.flags & FLAG_BEGINNING:
                last = run_last.pop(nxt)
        run_last.pop(first, None)  # the joined runs' outer ends: the run is the tail now
        run_first.pop(last, None)
        self._tail = (first, last)
        return self._complete(first, last)

    def _flush_tail(self) -> None:
        """Put the tail run into the run dicts (before anything reads them)."""
        if self._tail is not None:
            first, last = self._tail
            self._run_last[first] = last
            self._run_first[last] = first
            self._tail = None

    def _complete(self, first: int, last: int) -> MessageReceived | None:
        """The message of the run ``first``..``last`` once it goes from a B fragment to an E
        fragment (taken out of the held fragments); ``None`` while it does not."""
        fragments = self._fragments
        head = fragments[first]
        if not (head.flags & FLAG_BEGINNING and fragments[last].flags & FLAG_END):
            return None
        if self._tail == (first, last):
            self._tail = None
        parts = []
        cursor = first
        while True:
            parts.append(fragments.pop(cursor).user_data)
            if cursor == last:
                break
            cursor = (cursor + 1) & _MASK
        data = b"".join(parts)
        self.held_bytes -= len(data)
        return MessageReceived(head.stream_id, head.ppid, data, not head.flags & FLAG_UNORDERED)

    def _deliver_ordered(
        self, message: MessageReceived, ssn: int, out: list[MessageReceived]
    ) -> None:
        sid = message.stream_id
        expected = self._next_ssn.get(sid, 0)
        if ssn != expected:
            if ssn_gt(ssn, expected):
                waiting = self._waiting.setdefault(sid, {})
                # A second message with a held SSN is the peer's error (§6.6): the first stays.
                if ssn not in waiting:
                    waiting[ssn] = message
                    self.held_bytes += len(message.data)
            return
        out.append(message)
        self._release(sid, (expected + 1) & 0xFFFF, out)

    def _release(self, sid: int, expected: int, out: list[MessageReceived]) -> None:
        """Deliver the held messages of ``sid`` that follow on from SSN ``expected`` (§6.6);
        the first one missing becomes the expected SSN."""
        waiting = self._waiting.get(sid)
        while waiting:
            queued = waiting.pop(expected, None)
            if queued is None:
                break
            self.held_bytes -= len(queued.data)
            out.append(queued)
            expected = (expected + 1) & 0xFFFF
        self._next_ssn[sid] = expected

    def forward_tsn(
        self, new_cumulative_tsn: int, streams: list[tuple[int, int]], out: list[MessageReceived]
    ) -> None:
        """Skip abandoned TSNs and SSNs (RFC 3758 §3.6), delivering what becomes deliverable."""
        limit = new_cumulative_tsn
        if not tsn_gt(limit, self.cumulative_tsn):
            return
        for tsn in [t for t in self._fragments if tsn_ge(limit, t)]:
            self.held_bytes -= len(self._fragments.pop(tsn).user_data)
        self._flush_tail()
        _cut_runs(self._run_last, self._run_first, limit)
        self._above = {t for t in self._above if not tsn_ge(limit, t)}
        _cut_runs(self._gap_last, self._gap_first, limit)
        self.cumulative_tsn = self._absorb_run(limit)
        for sid, ssn in streams:
            expected = self._next_ssn.get(sid, 0)
            if not ssn_gt(expected, ssn):
                # Deliver what is held up to ``ssn`` in SSN order: one pass over the held
                # messages, not one step per skipped SSN (up to 32768 for each stream listed).
                waiting = self._waiting.get(sid, {})
                span = (ssn - expected) & 0xFFFF
                for distance, held in sorted(((s - expected) & 0xFFFF, s) for s in waiting):
                    if distance > span:
                        break
                    queued = waiting.pop(held)
                    self.held_bytes -= len(queued.data)
                    out.append(queued)
                expected = (ssn + 1) & 0xFFFF
            self._release(sid, expected, out)

    def reset_streams(self, stream_ids: list[int]) -> None:
        """Restart the incoming SSNs of ``stream_ids`` (all streams when empty) at 0."""
        if not stream_ids:
            self._next_ssn.clear()
            self._waiting.clear()
            return
        for sid in stream_ids:
            self._next_ssn.pop(sid, None)
            self._waiting.pop(sid, None)

    def make_sack(self, a_rwnd: int, max_blocks: int) -> SackChunk:
        """Build the SACK for the current state and forget the reported duplicates (§6.2)."""
        cum = self.cumulative_tsn
        gaps = heapq.nsmallest(
            max_blocks,
            (
                ((first - cum) & _MASK, (last - cum) & _MASK)
                for first, last in self._gap_last.items()
            ),
        )
        duplicates = self._duplicates
        self._duplicates = []
        return SackChunk(cum, a_rwnd, gaps, duplicates)
