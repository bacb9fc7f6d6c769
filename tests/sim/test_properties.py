"""Invariants of the link model for arbitrary conditions and traffic (hypothesis)."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.sim import GilbertElliott, Link, Simulator
from tests.sim.helpers import Recorder

SRC = ("192.0.2.1", 5000)
DST = ("198.51.100.2", 6000)

small_probability = st.floats(0.0, 0.3)

links = st.builds(
    Link,
    delay=st.floats(0.0, 0.2),
    jitter=st.floats(0.0, 0.05),
    jitter_distribution=st.sampled_from(["uniform", "normal"]),
    loss=small_probability,
    burst=st.none() | st.builds(GilbertElliott, p=small_probability, r=st.floats(0.1, 1.0)),
    duplicate=small_probability,
    reorder=small_probability,
    reorder_delay=st.floats(0.0, 0.05),
    bandwidth=st.none() | st.floats(10_000, 10_000_000),
    queue_limit=st.none() | st.integers(1, 20_000),
    mtu=st.none() | st.integers(100, 1500),
)
# (send time offset from the previous datagram, payload size)
traffic = st.lists(st.tuples(st.floats(0.0, 0.01), st.integers(0, 1400)), max_size=60)


def _run(link: Link, schedule: list[tuple[float, int]], seed: int) -> tuple[list[str], Recorder]:
    sim = Simulator(seed=seed)
    log: list[str] = []
    sim.add_tracer(lambda record: log.append(str(record)))
    sender, receiver = Recorder(), Recorder()
    sim.add_endpoint(SRC, sender)
    sim.add_endpoint(DST, receiver)
    sim.set_link(SRC[0], DST[0], link)
    at = 0.0
    for number, (gap, size) in enumerate(schedule):
        at += gap
        payload = struct.pack("!Hd", number, at) + b"." * size
        sim.call_at(at, lambda p=payload: sender.outbox.append((p, DST)))
    sim.run_for(at + 30.0)
    return log, receiver


@settings(max_examples=60, deadline=None)
@given(link=links, schedule=traffic, seed=st.integers(0, 2**32))
def test_link_invariants(link: Link, schedule: list[tuple[float, int]], seed: int) -> None:
    replay = link.copy()
    log, receiver = _run(link, schedule, seed)
    stats = link.stats
    # conservation: every datagram is delivered once (plus duplicates) or dropped once
    assert stats.sent == len(schedule)
    assert stats.delivered == stats.sent - stats.dropped + stats.duplicated
    assert len(receiver.arrivals) == stats.delivered
    assert set(stats.drops) <= {"mtu", "scripted", "loss", "queue"}
    numbers = []
    for time, data in receiver.arrivals:
        number, sent_at = struct.unpack_from("!Hd", data)
        numbers.append(number)
        assert time >= sent_at  # causality
        if link.mtu is not None:
            assert len(data) + 28 <= link.mtu
        if link.bandwidth is not None:
            assert time >= sent_at + (len(data) + 28) * 8 / link.bandwidth - 1e-9
    if not link.reorder:
        assert numbers == sorted(numbers)
    # determinism: the same seed and inputs replay identically
    assert _run(replay, schedule, seed)[0] == log
