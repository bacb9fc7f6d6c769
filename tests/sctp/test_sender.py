"""Sender bookkeeping that the association tests reach only indirectly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pyrtc.sansio import Event
from pyrtc.sctp.chunks import SackChunk
from pyrtc.sctp.events import BufferedAmountLow
from pyrtc.sctp.rto import RtoEstimator
from pyrtc.sctp.sender import Sender


def test_message_expiring_mid_send_leaves_the_flight_size_honest() -> None:
    events: list[Event] = []
    sender = Sender(1, 1200, RtoEstimator(1.0, 1.0, 60.0), events.append)
    sender.peer_forward_tsn = True
    sender.peer_rwnd = 1 << 20
    sender.set_buffered_amount_low_threshold(1, 0)
    sender.queue(1, bytes(3000), 53, True, None, 1.0)  # three chunks, one-second lifetime
    sender.stamp_lifetimes(0.0)
    sender.cwnd = 1  # room for exactly one chunk
    sent: list[bytes] = []
    assert sender.add_chunks(sent.append, 0.0, True)
    assert len(sent) == 1 and sender.flight_size == 1200 - 12 - 16  # one full chunk
    sender.cwnd = 1 << 20
    assert not sender.add_chunks(sent.append, 2.0, True)  # expired: abandoned, not sent
    assert len(sent) == 1
    assert sender.flight_size == 0  # the chunk in flight was taken out with its message
    assert sender.buffered_amount(1) == 0
    assert events == [BufferedAmountLow(1)]
    assert sender.forward_tsn_due


def _sent_sender(chunks: int) -> tuple[Sender, list[bytes]]:
    sender = Sender(1, 1200, RtoEstimator(1.0, 1.0, 60.0), lambda event: None)
    sender.peer_rwnd = 1 << 20
    sender.cwnd = 1 << 20
    for _ in range(chunks):
        sender.queue(1, bytes(1000), 53, True, None, None)
    sent: list[bytes] = []
    assert sender.add_chunks(sent.append, 0.0, True)
    assert len(sent) == chunks
    return sender, sent


def test_reneged_gap_acks_are_outstanding_again_and_resent_on_t3() -> None:
    """RFC 9260 section 6.2.1 D: a TSN acknowledged in a gap block and missing from a later
    SACK was reneged on; it is no longer considered delivered."""
    sender, _ = _sent_sender(6)  # TSNs 1..6
    assert sender.on_sack(SackChunk(0, 1 << 20, [(3, 5)], []), 0.1) is False  # 3, 4, 5 gap-acked
    assert [c.acked for c in sender.outstanding] == [False, False, True, True, True, False]
    sender.on_sack(SackChunk(0, 1 << 20, [(4, 4)], []), 0.2)  # 3 and 5 no longer reported
    assert [c.acked for c in sender.outstanding] == [False, False, False, True, False, False]
    assert sender.reneged == 2
    sender.on_t3(1.0)
    assert [c.retransmit for c in sender.outstanding] == [True, True, True, False, True, True]
    sender.cwnd = 1 << 20  # past the one-packet restart: everything marked may go
    resent: list[bytes] = []
    sender.add_chunks(resent.append, 1.0, True)
    tsns = [int.from_bytes(chunk[4:8], "big") for chunk in resent]
    assert 3 in tsns and 5 in tsns and 4 not in tsns  # 4 is still acknowledged
    assert sender.on_sack(SackChunk(6, 1 << 20, [], []), 1.5) is True
    assert sender.outstanding == [] and sender.reneged == 2


def test_gap_acks_that_become_cumulative_are_not_reneging() -> None:
    sender, _ = _sent_sender(4)
    sender.on_sack(SackChunk(0, 1 << 20, [(2, 3)], []), 0.1)
    sender.on_sack(SackChunk(3, 1 << 20, [], []), 0.2)  # 1..3 now cumulative
    assert sender.reneged == 0
    assert [c.acked for c in sender.outstanding] == [False]
    sender.on_sack(SackChunk(4, 1 << 20, [], []), 0.3)
    assert sender.outstanding == [] and sender.reneged == 0


@given(st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14)), max_size=6))
def test_gap_blocks_in_any_order_or_overlap_ack_their_union(gaps: list[tuple[int, int]]) -> None:
    """RFC 9260 §3.3.4: each block acknowledges the TSNs from cum + start to cum + end."""
    sender, _ = _sent_sender(10)  # TSNs 1..10
    sender.on_sack(SackChunk(0, 1 << 20, gaps, []), 0.1)
    union = {offset for start, end in gaps if start >= 1 for offset in range(start, end + 1)}
    assert [c.acked for c in sender.outstanding] == [tsn in union for tsn in range(1, 11)]
    assert sender.flight_size == 1000 * sum(tsn not in union for tsn in range(1, 11))


@given(
    st.lists(
        st.tuples(
            st.sampled_from([0, 0, 1, 2, 5]),
            st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=3),
            st.booleans(),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_gap_acknowledged_chunks_are_those_the_latest_sack_reports(
    sacks: list[tuple[int, list[tuple[int, int]], bool]],
) -> None:
    """RFC 9260 §6.2.1 D: after each SACK exactly the chunks its blocks cover are
    gap-acknowledged, and any other one acknowledged before counts as reneged; a SHUTDOWN's
    cumulative ack (no blocks) takes nothing back (§9.2)."""
    sender, _ = _sent_sender(20)  # TSNs 1..20
    cum, acked, reneged = 0, set[int](), 0
    for step, (advance, gaps, shutdown) in enumerate(sacks):
        cum = min(20, cum + advance)
        gaps = [] if shutdown else gaps
        union = {cum + o for a, b in gaps if a >= 1 for o in range(a, b + 1) if cum + o <= 20}
        acked = {tsn for tsn in acked if tsn > cum}
        if not shutdown:
            reneged += len(acked - union)
            acked = union
        sender.on_sack(SackChunk(cum, 1 << 20, gaps, []), 0.1 * step, reports_gaps=not shutdown)
        assert {c.tsn for c in sender.outstanding if c.acked} == acked
        assert sender.reneged == reneged
        assert [c.tsn for c in sender.outstanding] == list(range(cum + 1, 21))
