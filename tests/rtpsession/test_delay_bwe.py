"""The delay-based estimator of GCC (draft-ietf-rmcat-gcc-02 section 5) on synthetic
transport-cc feedback in virtual time: detector states, threshold bounds, AIMD steps, and
feedback that is lost, reordered, repeated or on a jumping clock."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.rtpsession import DelayBasedEstimator, GccEstimator, PacketFeedback, RtpSessionError
from pyrtc.rtpsession.delay_bwe import AimdRateControl, InterArrival, TrendlineDetector

SIZE = 1200
PEER_CLOCK = 5000.0  # the receiver's clock is far from ours: only differences count


def flow(
    start: float,
    count: int,
    spacing: float,
    delay: Callable[[float], float],
    first_seq: int = 0,
) -> list[PacketFeedback]:
    """``count`` packets sent ``spacing`` apart from ``start``, each arriving after
    ``delay(send time)`` on the peer's clock."""
    out = []
    for index in range(count):
        send = start + index * spacing
        out.append(
            PacketFeedback(
                (first_seq + index) & 0xFFFF, send, SIZE, PEER_CLOCK + send + delay(send)
            )
        )
    return out


def batches(packets: list[PacketFeedback]) -> list[tuple[float, list[PacketFeedback]]]:
    """``packets`` cut into feedbacks every 100 ms of send time, each arriving 10 ms after
    the last packet it reports (its queueing delay counted, a jump of the peer's clock not)."""
    out: list[tuple[float, list[PacketFeedback]]] = []
    batch: list[PacketFeedback] = []

    def close() -> None:
        last = batch[-1]
        queued = 0.0
        if last.receive_time is not None:
            queued = last.receive_time - PEER_CLOCK - last.send_time - 0.03
        out.append((last.send_time + 0.04 + (queued if 0 < queued < 5 else 0.0), batch))

    for packet in packets:
        if batch and packet.send_time - batch[0].send_time >= 0.1:
            close()
            batch = []
        batch.append(packet)
    if batch:
        close()
    return out


def feed(
    bwe: DelayBasedEstimator | GccEstimator, packets: list[PacketFeedback]
) -> list[tuple[float, str, int]]:
    """Deliver ``packets`` as :func:`batches`; returns (time, usage, target) per feedback."""
    delay_based = bwe if isinstance(bwe, DelayBasedEstimator) else bwe.delay_based
    out: list[tuple[float, str, int]] = []
    for now, batch in batches(packets):
        bwe.transport_feedback(batch, now)
        out.append((now, delay_based.usage, bwe.target))
    return out


def estimator(initial: int = 1_000_000) -> DelayBasedEstimator:
    return DelayBasedEstimator(initial, minimum=50_000, maximum=5_000_000)


def test_constant_delay_is_normal_and_the_rate_grows_8_percent_per_second() -> None:
    bwe = estimator(500_000)
    # 1200 bytes every 10 ms = 960 kbit/s gets through with a constant 30 ms delay
    steps = feed(bwe, flow(0.0, 500, 0.01, lambda t: 0.03))
    assert {usage for _, usage, _ in steps} == {"normal"}
    assert bwe.detector.threshold == 6.0  # a quiet path pulls the threshold to its floor
    # about 4.9 s of increase at 8 %/s from 500 kbit/s (the first step is the minimum one)
    assert bwe.target == pytest.approx(500_000 * 1.08**4.8, rel=0.03)
    assert bwe.acknowledged_bitrate == pytest.approx(960_000, rel=0.03)
    assert bwe.round_trip_time == pytest.approx(0.04, abs=0.002)  # 30 ms there, 10 back


def test_growing_queue_is_overuse_within_a_few_hundred_ms_and_cuts_to_085_acked() -> None:
    bwe = estimator(1_000_000)
    feed(bwe, flow(0.0, 200, 0.01, lambda t: 0.03))  # 2 s of a clean path
    before = bwe.target
    assert before > 1_000_000
    # then a 900 kbit/s bottleneck: each 10 ms packet leaves ~0.67 ms later than the last
    start = 2.0
    queue = flow(start, 100, 0.01, lambda t: 0.03 + (t - start) / 15, first_seq=200)
    for now, batch in batches(queue):
        bwe.transport_feedback(batch, now)
        if bwe.usage == "overusing":
            break
    assert now - start < 0.4
    acked = bwe.acknowledged_bitrate
    assert acked is not None and acked == pytest.approx(900_000, rel=0.05)
    assert bwe.target == int(0.85 * acked)
    assert bwe.rate_control.capacity == pytest.approx(acked)


def test_draining_queue_is_underuse_and_holds_the_rate() -> None:
    bwe = estimator(1_000_000)
    feed(bwe, flow(0.0, 200, 0.01, lambda t: 0.03))
    # a 300 ms queue empties: arrivals come closer together than the sends
    steps = feed(bwe, flow(2.0, 60, 0.01, lambda t: 0.33 - (t - 2.0) * 0.45, first_seq=200))
    underusing = [target for _, usage, target in steps if usage == "underusing"]
    assert underusing
    assert bwe.rate_control.state == "hold"
    assert len(set(underusing)) == 1  # held, not raised


def test_threshold_adapts_within_6_and_600_ms() -> None:
    detector = TrendlineDetector()
    assert detector.threshold == 12.5
    arrival = 0.0
    for _ in range(40):  # quiet: down to the floor with k_down
        arrival += 10
        detector.update(10.0, 10.0, arrival)
    assert detector.threshold == 6.0
    # a slowly steepening queue: the threshold follows upwards (k_up), never past 600 ms
    rise = 0.0
    thresholds = []
    for _ in range(5000):
        arrival += 10
        rise = min(rise + 0.01, 40.0)
        detector.update(10.0 + rise, 10.0, arrival)
        thresholds.append(detector.threshold)
    assert max(thresholds) == 600.0
    assert all(6.0 <= t <= 600.0 for t in thresholds)


def test_overuse_needs_more_than_10_ms_above_the_threshold() -> None:
    detector = TrendlineDetector()
    arrival = 0.0
    for _ in range(20):
        arrival += 10
        detector.update(10.0, 10.0, arrival)
    states, above = [], []
    for samples in range(21, 80):
        arrival += 13
        threshold = detector.threshold
        states.append(detector.update(13.0, 5.0, arrival))  # sent 5 ms apart, 8 ms queued
        above.append(min(samples, 60) * detector.trend * 4 > threshold)
    first = states.index("overusing")
    run = 0
    while above[first - run]:
        run += 1
    # 5 ms of send spacing per group, the first counted half: 2.5, 7.5, 12.5 > 10 ms
    assert run >= 3
    assert "overusing" not in states[:first]


def state(control: AimdRateControl) -> str:
    """The controller's state, read anew (an attribute the checker would keep narrowed)."""
    return control.state


def test_aimd_multiplicative_far_from_capacity_additive_near_it() -> None:
    control = AimdRateControl(1_000_000, minimum=50_000, maximum=10_000_000)
    control.update("normal", None, now=0.0)  # hold -> increase: the smallest step
    assert state(control) == "increase" and control.bitrate == 1_001_000
    control.update("normal", None, now=1.0)
    assert control.bitrate == pytest.approx(1_001_000 * 1.08)  # 8 % in a second
    # over-use: 0.85 x acknowledged, and the capacity is known from now on
    control.update("overusing", 1_000_000, now=1.1)
    assert control.bitrate == pytest.approx(850_000) and state(control) == "hold"
    assert control.capacity == pytest.approx(1_000_000)
    control.update("normal", 850_000, now=1.2)  # hold -> increase
    control.update("normal", 850_000, now=2.2)
    # near the capacity: a 30 fps frame of 850 kbit/s is 3 packets of 9444 bits; one of
    # them per response time (default RTT 200 ms + 100 ms) is 31.5 kbit/s per second
    assert control.bitrate == pytest.approx(850_000 + 850_000 / 30 / 3 / 0.3)
    # the acknowledged bitrate leaves the capacity's band: back to 8 % per second
    control.update("normal", 1_300_000, now=3.2)
    assert control.capacity is None
    assert control.bitrate == pytest.approx((850_000 + 850_000 / 30 / 3 / 0.3) * 1.08)


def test_aimd_limits() -> None:
    control = AimdRateControl(1_000_000, minimum=50_000, maximum=2_000_000)
    control.update("normal", 100_000, now=0.0)
    control.update("normal", 100_000, now=1.0)
    assert control.bitrate == 1_000_000  # above 1.5 x what gets through + 10 kbit/s: no growth
    control.update("underusing", 100_000, now=1.1)
    assert control.state == "hold" and control.bitrate == 1_000_000
    # over-use never raises the rate, even if more got through
    control.update("overusing", 2_000_000, now=1.2)
    assert control.bitrate == 1_000_000
    assert not control.time_to_reduce(900_000, now=1.25)  # within an RTT of the last cut
    assert control.time_to_reduce(400_000, now=1.25)  # unless the throughput collapsed
    assert control.time_to_reduce(900_000, now=1.45)
    control.update("overusing", None, now=1.45)  # nothing measured: halve
    assert control.bitrate == 500_000
    for step in range(10):
        control.update("overusing", 10_000, now=2.0 + step)
    assert control.bitrate == 50_000
    for step in range(200):
        control.update("normal", None, now=20.0 + step)
    assert control.bitrate == 2_000_000


def test_lost_packets_are_skipped_and_repeated_reports_counted_once() -> None:
    packets = flow(0.0, 300, 0.01, lambda t: 0.03)
    lossy = [p._replace(receive_time=None) if p.sequence_number % 7 == 3 else p for p in packets]
    with_loss, clean = estimator(), estimator()
    for now, batch in batches(lossy):
        with_loss.transport_feedback(batch, now)
        clean.transport_feedback([p for p in batch if p.receive_time is not None], now)
    assert with_loss.target == clean.target
    assert with_loss.acknowledged_bitrate == clean.acknowledged_bitrate
    # the same feedback delivered twice, as TwccRecorder re-reports neighbours of a late one
    again = estimator()
    for batch_start in range(0, 300, 10):
        batch = packets[batch_start : batch_start + 10]
        now = batch[-1].send_time + 0.04
        again.transport_feedback(batch, now)
        again.transport_feedback(batch, now + 0.001)
    assert again.acknowledged_bitrate == pytest.approx(960_000, rel=0.03)
    assert again.usage == "normal"


def test_reordered_feedback_order_does_not_matter_and_late_packets_are_ignored() -> None:
    packets = flow(0.0, 300, 0.01, lambda t: 0.03)
    rng = random.Random(1)
    ordered, shuffled = estimator(), estimator()
    for batch_start in range(0, 300, 10):
        batch = packets[batch_start : batch_start + 10]
        now = batch[-1].send_time + 0.04
        ordered.transport_feedback(batch, now)
        mixed = list(batch)
        rng.shuffle(mixed)
        shuffled.transport_feedback(mixed, now)
    assert shuffled.target == ordered.target
    # a packet sent long before the group being built arrives late: no effect on grouping
    groups = InterArrival()
    assert groups.add(1.0, 11.0, 1.1) is None
    assert groups.add(1.01, 11.01, 1.1) is None
    delta = groups.add(1.02, 11.02, 1.1)
    assert delta is not None and delta.send_delta == pytest.approx(0.01)
    assert groups.add(0.5, 11.03, 1.1) is None


@pytest.mark.parametrize("jump", [100.0, -100.0])
def test_a_receive_clock_jump_restarts_the_filters_without_a_cut(jump: float) -> None:
    bwe = estimator(1_000_000)
    feed(bwe, flow(0.0, 200, 0.01, lambda t: 0.03))
    target = bwe.target
    # the peer's clock jumps at t = 2 s; the path itself does not change
    steps = feed(bwe, flow(2.0, 200, 0.01, lambda t: 0.03 + jump, first_seq=200))
    assert bwe.inter_arrival.resets >= 1
    assert all(usage == "normal" for _, usage, _ in steps)
    assert bwe.target >= target


def test_bursts_within_5_ms_are_one_group() -> None:
    groups = InterArrival()
    deltas = []
    # a 30 fps stream: 4 packets per frame sent 1 ms apart
    for frame in range(5):
        for index in range(4):
            send = frame / 30 + index * 0.001
            delta = groups.add(send, 100 + send + 0.02, send + 0.1)
            if delta is not None:
                deltas.append(delta)
    assert len(deltas) == 3  # one per frame after the first two
    assert all(d.send_delta == pytest.approx(1 / 30) for d in deltas)
    assert all(d.arrival_delta == pytest.approx(1 / 30) for d in deltas)


def test_bounds_and_bad_arguments() -> None:
    with pytest.raises(RtpSessionError):
        DelayBasedEstimator(1, minimum=10, maximum=5)
    bwe = DelayBasedEstimator(10_000_000, minimum=100_000, maximum=2_000_000)
    assert bwe.target == 2_000_000
    bwe.transport_feedback([], now=0.0)
    bwe.transport_feedback([PacketFeedback(1, 0.0, 1200, None)], now=0.1)
    assert bwe.target == 2_000_000 and bwe.usage == "normal"


def test_gcc_takes_the_smallest_estimate() -> None:
    bwe = GccEstimator(1_000_000, minimum=100_000, maximum=3_000_000)
    bwe.remb(2_500_000, now=0.0)
    start = 2.0
    packets = flow(0.0, 200, 0.01, lambda t: 0.03) + flow(
        start, 100, 0.01, lambda t: 0.03 + (t - start) / 15, first_seq=200
    )
    steps = feed(bwe, packets)
    assert [usage for _, usage, _ in steps][-5:] == ["overusing"] * 5  # the queue keeps growing
    assert bwe.target == bwe.delay_based.target < 1_000_000  # no loss, no low REMB
    assert bwe.loss == 0.0
    # the loss-based estimate grew only from the combined target, not towards the maximum
    assert bwe._estimate <= bwe.target * 1.08 * 1.08
    bwe.remb(200_000, now=3.1)
    assert bwe.target == 200_000
    bwe.remb(3_000_000, now=3.2)
    # heavy loss: the loss-based half is the smallest
    bwe.transport_feedback([PacketFeedback(1000 + i, 3.2, SIZE, None) for i in range(500)], 3.4)
    assert bwe.target < bwe.delay_based.target


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 30),  # packets in the feedback
            st.floats(0.0, 0.2),  # time to the next feedback
            st.floats(-0.05, 0.3),  # extra one-way delay for this feedback
            st.sampled_from(["plain", "lost", "shuffled", "repeated", "jump"]),
        ),
        max_size=40,
    ),
    st.integers(0, 2**16 - 1),
)
def test_any_feedback_keeps_the_estimate_in_bounds(steps: list[Any], first_seq: int) -> None:
    """Whatever the feedback (loss, reordering, repeats, clock jumps, sequence wrap): no
    exception, the target stays within [minimum, maximum], the threshold within 6..600."""
    rng = random.Random(first_seq)
    bwe = GccEstimator(1_000_000, minimum=100_000, maximum=2_000_000)
    now = 0.0
    seq = first_seq
    offset = 0.0
    previous: list[PacketFeedback] = []
    for count, gap, extra, kind in steps:
        if kind == "jump":
            offset += rng.choice([-50.0, 50.0])
        packets = []
        for index in range(count):
            send = now + index * 0.005
            arrival: float | None = PEER_CLOCK + offset + send + 0.02 + extra
            if kind == "lost" and rng.random() < 0.5:
                arrival = None
            packets.append(PacketFeedback(seq & 0xFFFF, send, SIZE, arrival))
            seq += 1
        if kind == "shuffled":
            rng.shuffle(packets)
        if kind == "repeated":
            packets = previous + packets
        now += count * 0.005 + gap
        bwe.transport_feedback(packets, now + 0.03)
        previous = packets
        assert 100_000 <= bwe.target <= 2_000_000
        assert 100_000 <= bwe.delay_based.target <= 2_000_000
        assert 6.0 <= bwe.delay_based.detector.threshold <= 600.0
