"""Sender bookkeeping that the association tests reach only indirectly."""

from __future__ import annotations

from pyrtc.sansio import Event
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
