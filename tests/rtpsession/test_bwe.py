"""The loss-based bandwidth estimator (draft-ietf-rmcat-gcc-02 section 5.5) with REMB cap:
unit steps on a virtual clock, then driven by real RTCP over ``pyrtc.sim`` with loss."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.rtpsession import (
    BitrateEstimateReceived,
    PacketFeedback,
    ReceiverReportReceived,
    RtpSessionError,
    TransportFeedbackReceived,
)
from pyrtc.rtpsession.bwe import LossBasedEstimator
from pyrtc.sansio import Event
from pyrtc.sim import Link, Simulator

from .helpers import SENDER_SSRC, send_video, video_pair


def estimator(initial: int = 1_000_000) -> LossBasedEstimator:
    return LossBasedEstimator(initial, minimum=100_000, maximum=2_000_000)


def feedback(received: int, lost: int) -> list[PacketFeedback]:
    ok = [PacketFeedback(i, 0.0, 1000, 0.01) for i in range(received)]
    return ok + [PacketFeedback(received + i, 0.0, 1000, None) for i in range(lost)]


def test_low_loss_grows_8_percent_high_loss_cuts_moderate_holds() -> None:
    bwe = estimator()
    bwe.receiver_report(0.01, now=0.0)
    assert bwe.target == 1_080_000
    bwe.receiver_report(0.05, now=0.3)
    assert bwe.target == 1_080_000  # 2-10 %: hold
    bwe.receiver_report(0.20, now=0.6)
    assert bwe.target == int(1_080_000 * 0.9)
    assert bwe.loss == 0.20


def test_at_most_one_update_per_interval() -> None:
    bwe = estimator()
    bwe.transport_feedback(feedback(100, 0), now=0.0)
    assert bwe.target == 1_080_000
    # 50 ms later: counted, not applied
    bwe.transport_feedback(feedback(50, 50), now=0.05)
    assert bwe.target == 1_080_000
    # at 250 ms the two feedbacks since the last update count together: 50 / 150 lost
    bwe.transport_feedback(feedback(50, 0), now=0.25)
    assert bwe.loss == pytest.approx(1 / 3)
    assert bwe.target == int(1_080_000 * (1 - 0.5 / 3))


def test_transport_cc_preferred_over_receiver_reports() -> None:
    bwe = estimator()
    bwe.receiver_report(0.5, now=0.0)  # first update from the RR: halved by 25 %
    assert bwe.target == 750_000
    bwe.receiver_report(0.5, now=0.1)  # waits
    bwe.transport_feedback(feedback(100, 0), now=0.2)
    assert bwe.loss == 0.0 and bwe.target == 810_000


def test_remb_caps_and_growth_resumes_from_the_cap() -> None:
    bwe = estimator()
    bwe.remb(300_000, now=0.0)
    assert bwe.target == 300_000
    bwe.receiver_report(0.0, now=0.0)
    assert bwe.target == 300_000  # still capped
    bwe.remb(5_000_000, now=0.1)
    assert bwe.target == 324_000  # the estimate grew one step from the cap, not from 1 Mbit/s
    bwe.receiver_report(0.0, now=0.2)
    assert bwe.target == int(324_000 * 1.08)


def test_bounds() -> None:
    bwe = estimator(1_900_000)
    for step in range(5):
        bwe.receiver_report(0.0, now=step * 0.2)
    assert bwe.target == 2_000_000
    for step in range(5, 40):
        bwe.receiver_report(1.0, now=step * 0.2)
    assert bwe.target == 100_000
    bwe.remb(0, now=9.0)
    assert bwe.target == 100_000
    with pytest.raises(RtpSessionError):
        LossBasedEstimator(1, minimum=10, maximum=5)


def test_no_update_without_loss_information() -> None:
    bwe = estimator()
    bwe.transport_feedback([], now=0.0)
    assert bwe.loss is None and bwe.target == 1_000_000


def test_target_follows_loss_over_the_simulator() -> None:
    """30 fps over a link losing 15 % for 5 s, then clean for 10 s: the estimate fed by the
    sender session's transport-cc feedback and receiver reports drops, then recovers to the
    maximum."""
    sim = Simulator(seed=3)
    send_session, sender, recv_session, _ = video_pair(rtx=False, nack=False)
    bwe = LossBasedEstimator(1_000_000, minimum=100_000, maximum=1_000_000)
    targets: list[tuple[float, int]] = []

    def on_event(now: float, event: Event) -> None:
        if isinstance(event, ReceiverReportReceived) and event.ssrc == SENDER_SSRC:
            bwe.receiver_report(event.fraction_lost, now)
        elif isinstance(event, TransportFeedbackReceived):
            bwe.transport_feedback(event.packets, now)
        elif isinstance(event, BitrateEstimateReceived):
            bwe.remb(event.bitrate, now)
        else:
            return
        targets.append((now, bwe.target))

    link = Link(delay=0.03, loss=0.15)
    a, b = sim.add_pair(send_session, recv_session, link=link, on_event=on_event)
    for index in range(15 * 30):
        sim.call_at(index / 30, lambda i=index: send_video(sender, i, sim.now, size=1500))
    forward = sim.link(a.address[0], b.address[0])
    sim.call_at(5.0, lambda: setattr(forward, "loss", 0.0))
    sim.run_for(15.0)
    lossy = [t for now, t in targets if 1.0 < now <= 5.0]
    assert min(lossy) < 500_000  # 15 % loss: cut well below the start
    assert targets[-1][1] == 1_000_000  # clean again: back to the maximum
    changes = [later - earlier for (_, earlier), (_, later) in itertools.pairwise(targets)]
    assert any(c < 0 for c in changes) and any(c > 0 for c in changes)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["rr", "twcc", "remb"]),
            st.floats(0.0, 1.0),
            st.integers(0, 50),
            st.integers(0, 10_000_000),
            st.floats(0.0, 0.5),
        ),
        max_size=60,
    )
)
def test_target_always_within_bounds_and_steps_spaced(steps: list[Any]) -> None:
    """Whatever the feedback: the target stays within [minimum, maximum] and the
    loss-based estimate moves at most once per interval."""
    bwe = estimator()
    now = 0.0
    updates: list[float] = []
    for kind, fraction, lost, bitrate, gap in steps:
        now += gap
        last_update = bwe._last_update
        if kind == "rr":
            bwe.receiver_report(fraction, now)
        elif kind == "twcc":
            bwe.transport_feedback(feedback(50 - lost, lost), now)
        else:
            bwe.remb(bitrate, now)
        if bwe._last_update != last_update:
            updates.append(now)
        assert 100_000 <= bwe.target <= 2_000_000
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(updates))
