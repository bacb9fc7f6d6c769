"""Association pyrtc <-> pyrtc through the deterministic network simulator (loss, delay, jitter,
reordering, duplication, limited bandwidth)."""

from __future__ import annotations

import random

import pytest

from pyrtc.sctp import (
    Association,
    AssociationClosed,
    MessageReceived,
    OutgoingStreamsReset,
    SctpConfig,
    State,
    StreamsReset,
)
from pyrtc.sim import Link, PairEndpoint, Simulator

LINKS = {
    "clean": Link(delay=0.01),
    "loss 5%": Link(delay=0.02, loss=0.05),
    "loss 10% + jitter": Link(delay=0.05, jitter=0.02, loss=0.10),
    "reorder + duplicate": Link(delay=0.03, reorder=0.2, reorder_delay=0.02, duplicate=0.1),
    "200 ms": Link(delay=0.2, loss=0.02),
    "1 Mbit/s": Link(delay=0.02, bandwidth=1_000_000, queue_limit=30_000),
}


def start(
    link: Link, seed: int = 1, config: SctpConfig | None = None
) -> tuple[Simulator, PairEndpoint[Association], PairEndpoint[Association]]:
    sim = Simulator(seed)
    a, b = sim.add_pair(Association(config), Association(config), link=link)
    sim.call_at(0.0, a.core.connect)
    sim.call_at(0.0, b.core.connect)
    assert sim.run(lambda: a.core.established and b.core.established, timeout=30)
    return sim, a, b  # type: ignore[return-value]


@pytest.mark.parametrize("name", list(LINKS))
def test_reliable_streams_deliver_exactly_once_in_order(name: str) -> None:
    sim, a, b = start(LINKS[name].copy())
    rng = random.Random(name)
    sent_ab = [rng.randbytes(rng.choice([10, 800, 3000, 20_000])) for _ in range(60)]
    sent_ba = [rng.randbytes(rng.choice([10, 1500])) for _ in range(60)]

    def send_all() -> None:
        for i, data in enumerate(sent_ab):
            a.core.send(i % 3, data, 53, ordered=i % 3 != 2)
        for data in sent_ba:
            b.core.send(7, data, 51)

    sim.call_at(sim.now, send_all)
    assert sim.run(
        lambda: (
            len(b.events_of(MessageReceived)) == len(sent_ab)
            and len(a.events_of(MessageReceived)) == len(sent_ba)
        ),
        timeout=300,
    )
    sim.run_for(5.0)  # nothing more arrives: no duplicate deliveries
    got = b.events_of(MessageReceived)
    assert len(got) == len(sent_ab)
    for sid in (0, 1):
        assert [m.data for m in got if m.stream_id == sid] == sent_ab[sid::3]
    assert sorted(m.data for m in got if m.stream_id == 2) == sorted(sent_ab[2::3])
    assert [m.data for m in a.events_of(MessageReceived)] == sent_ba


@pytest.mark.parametrize("ordered", [True, False])
def test_partially_reliable_stream_loses_only_what_policy_allows(ordered: bool) -> None:
    sim, a, b = start(Link(delay=0.03, loss=0.1))
    count = 200

    def send_all() -> None:
        for i in range(count):
            a.core.send(1, i.to_bytes(4, "big") * 100, 53, ordered=ordered, max_retransmits=1)
            a.core.send(2, i.to_bytes(4, "big"), 51)  # reliable companion stream

    sim.call_at(sim.now, send_all)
    assert sim.run(
        lambda: len([m for m in b.events_of(MessageReceived) if m.stream_id == 2]) == count
    )
    sim.run_for(10.0)
    got = b.events_of(MessageReceived)
    reliable = [int.from_bytes(m.data, "big") for m in got if m.stream_id == 2]
    assert reliable == list(range(count))
    partial = [int.from_bytes(m.data[:4], "big") for m in got if m.stream_id == 1]
    assert len(set(partial)) == len(partial)
    if ordered:
        assert partial == sorted(partial)
    # A message is lost only if both of its transmissions were; at 10 % loss that is rare.
    assert count * 0.9 <= len(partial) < count
    assert a.core.stats().abandoned_messages >= count - len(partial)


def test_lifetime_limited_messages_expire_during_blackout() -> None:
    sim, a, b = start(Link(delay=0.02))
    sim.blackout(a.address[0], b.address[0], sim.now + 0.5, sim.now + 3.0)

    def send_batch(tag: int) -> None:
        for i in range(20):
            a.core.send(1, bytes([tag, i]) * 50, 53, lifetime=0.3)

    sim.call_at(sim.now + 1.0, lambda: send_batch(1))  # sent into the blackout
    sim.call_at(sim.now + 4.0, lambda: send_batch(2))  # sent after it
    sim.run_for(10.0)
    tags = [m.data[0] for m in b.events_of(MessageReceived)]
    assert tags == [2] * 20
    assert a.core.established and b.core.established


def test_bandwidth_limited_transfer_is_paced_by_congestion_control() -> None:
    link = Link(delay=0.02, bandwidth=2_000_000, queue_limit=20_000)
    sim, a, b = start(link)
    total = 1_000_000
    sim.call_at(
        sim.now, lambda: [a.core.send(0, bytes(10_000), 53) for _ in range(total // 10_000)]
    )
    begin = sim.now
    assert sim.run(lambda: len(b.events_of(MessageReceived)) == total // 10_000, timeout=60)
    elapsed = sim.now - begin
    # 1 MB at 2 Mbit/s takes at least 4 s; congestion control should not need 3x that.
    assert 4.0 <= elapsed < 12.0
    assert sim.link(a.address[0], b.address[0]).stats.dropped > 0  # the queue overflowed


def test_shutdown_and_stream_reset_over_lossy_link() -> None:
    sim, a, b = start(Link(delay=0.05, loss=0.1), seed=4)

    def work() -> None:
        for i in range(30):
            a.core.send(3, bytes([i]) * 2000, 53)
        a.core.reset_streams([3])

    sim.call_at(sim.now, work)
    assert sim.run(lambda: bool(a.events_of(OutgoingStreamsReset)), timeout=120)
    assert b.events_of(StreamsReset) == [StreamsReset((3,))]
    assert [m.data[0] for m in b.events_of(MessageReceived)] == list(range(30))
    sim.call_at(sim.now, b.core.shutdown)
    assert sim.run(
        lambda: a.core.state is State.CLOSED and b.core.state is State.CLOSED, timeout=120
    )
    assert a.events_of(AssociationClosed) == [AssociationClosed(None)]
    assert b.events_of(AssociationClosed) == [AssociationClosed(None)]
