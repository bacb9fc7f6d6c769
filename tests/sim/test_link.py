"""Link conditions of pyrtc.sim: loss, bursts, delay, jitter, reordering, duplication,
bandwidth and queueing, MTU and scripted drops."""

from __future__ import annotations

import itertools
import statistics

import pytest

from pyrtc.sansio import Address
from pyrtc.sim import GilbertElliott, Link, SimError, Simulator
from tests.sim.helpers import Recorder

SRC = ("192.0.2.1", 5000)
DST = ("198.51.100.2", 6000)


def _send_stream(
    link: Link, count: int, interval: float, size: int = 100, seed: int = 1, src: Address = SRC
) -> tuple[Simulator, Recorder]:
    """Send `count` numbered datagrams of `size` bytes, one every `interval` seconds."""
    sim = Simulator(seed=seed)
    sender, sink = Recorder(), Recorder()
    sim.add_endpoint(src, sender)
    sim.add_endpoint(DST if ":" not in src[0] else ("2001:db8::2", 6000), sink)
    sim.set_link(src[0], DST[0] if ":" not in src[0] else "2001:db8::2", link)
    dst = DST if ":" not in src[0] else ("2001:db8::2", 6000)
    for i in range(count):
        payload = i.to_bytes(4, "big").ljust(size, b".")
        sim.call_at(i * interval, lambda p=payload: sender.outbox.append((p, dst)))
    sim.run_for(count * interval + 5.0)
    return sim, sink


def _numbers(sink: Recorder) -> list[int]:
    return [int.from_bytes(data[:4], "big") for _, data in sink.arrivals]


def test_bernoulli_loss_rate_is_within_statistical_bounds() -> None:
    link = Link(loss=0.1, delay=0.01)
    sim, sink = _send_stream(link, 20_000, 0.0001, size=20)
    lost = link.stats.drops["loss"]
    # binomial sd = sqrt(20000 * 0.1 * 0.9) ~ 42: 0.1 +- 0.01 is ~ 5 sd
    assert 1800 < lost < 2200
    assert len(sink.arrivals) == 20_000 - lost == link.stats.delivered
    assert sim.stats.sent == 20_000 and sim.stats.dropped == lost
    numbers = _numbers(sink)
    assert numbers == sorted(numbers)


def test_gilbert_elliott_losses_come_in_bursts() -> None:
    link = Link(delay=0.01, burst=GilbertElliott(p=0.01, r=0.25))
    _, sink = _send_stream(link, 20_000, 0.0001, size=20)
    received = set(_numbers(sink))
    lost = [i for i in range(20_000) if i not in received]
    rate = len(lost) / 20_000
    assert 0.025 < rate < 0.055  # p / (p + r) = 0.0385
    bursts = 1 + sum(1 for x, y in itertools.pairwise(lost) if y != x + 1)
    assert 3.0 < len(lost) / bursts < 5.5  # mean burst length 1 / r = 4


def test_constant_delay_is_exact() -> None:
    _, sink = _send_stream(Link(delay=0.05), 10, 0.1)
    assert [t for t, _ in sink.arrivals] == pytest.approx([i * 0.1 + 0.05 for i in range(10)])


def test_uniform_jitter_stays_in_range_and_never_reorders() -> None:
    _, sink = _send_stream(Link(delay=0.05, jitter=0.01), 2000, 0.1)
    delays = [t - n * 0.1 for (t, _), n in zip(sink.arrivals, _numbers(sink), strict=True)]
    assert min(delays) >= 0.04 - 1e-9 and max(delays) <= 0.06 + 1e-9
    assert statistics.mean(delays) == pytest.approx(0.05, abs=0.001)
    assert statistics.pstdev(delays) == pytest.approx(0.02 / 12**0.5, rel=0.1)
    # datagrams 1 ms apart would swap under +-10 ms of jitter; the link keeps their order
    _, sink = _send_stream(Link(delay=0.05, jitter=0.01), 2000, 0.001)
    delays = [t - n * 0.001 for (t, _), n in zip(sink.arrivals, _numbers(sink), strict=True)]
    assert _numbers(sink) == list(range(2000))
    assert min(delays) >= 0.04 - 1e-9 and max(delays) <= 0.06 + 1e-9


def test_normal_jitter_is_centred_on_the_delay_and_clamped_at_zero() -> None:
    _, sink = _send_stream(Link(delay=0.05, jitter=0.01, jitter_distribution="normal"), 2000, 0.1)
    delays = [t - n * 0.1 for (t, _), n in zip(sink.arrivals, _numbers(sink), strict=True)]
    assert statistics.mean(delays) == pytest.approx(0.05, abs=0.002)
    assert statistics.pstdev(delays) == pytest.approx(0.01, rel=0.15)
    _, sink = _send_stream(Link(delay=0.0, jitter=0.05, jitter_distribution="normal"), 200, 0.5)
    assert all(t >= n * 0.5 for (t, _), n in zip(sink.arrivals, _numbers(sink), strict=True))


def test_reordering_happens_only_when_configured() -> None:
    link = Link(delay=0.05, reorder=0.1, reorder_delay=0.02)
    sim, sink = _send_stream(link, 2000, 0.005)
    numbers = _numbers(sink)
    assert sorted(numbers) == list(range(2000))
    late = sum(1 for x, y in itertools.pairwise(numbers) if y < x)
    assert 150 < link.stats.reordered < 250
    assert sim.stats.reordered == link.stats.reordered  # the simulator-wide total too
    assert late > 100
    plain = Link(delay=0.05, jitter=0.04)
    _, sink = _send_stream(plain, 2000, 0.005)
    assert _numbers(sink) == list(range(2000)) and plain.stats.reordered == 0


def test_duplication_delivers_extra_copies() -> None:
    link = Link(delay=0.02, duplicate=0.1)
    sim, sink = _send_stream(link, 2000, 0.001)
    extra = len(sink.arrivals) - 2000
    assert extra == link.stats.duplicated == sim.stats.duplicated
    assert 150 < extra < 250
    assert set(_numbers(sink)) == set(range(2000))
    assert link.stats.delivered == sim.stats.delivered == len(sink.arrivals)


def test_bandwidth_spreads_a_burst_and_the_queue_tail_drops() -> None:
    # 972 payload + 28 header = 1000 bytes = 8 ms at 1 Mbit/s; queue holds 5 of them
    link = Link(delay=0.0, bandwidth=1_000_000, queue_limit=5000)
    sim, sink = _send_stream(link, 10, 0.0, size=972)
    assert [t for t, _ in sink.arrivals] == pytest.approx([0.008 * k for k in range(1, 6)])
    assert _numbers(sink) == [0, 1, 2, 3, 4]
    assert link.stats.drops["queue"] == 5 == sim.stats.drops["queue"]


def test_queue_drains_at_the_link_rate() -> None:
    # 2 Mbit/s link fed at 4 Mbit/s: half the load must be dropped once the queue is full
    link = Link(delay=0.01, bandwidth=2_000_000, queue_limit=10_000)
    _, sink = _send_stream(link, 1000, 0.002, size=972)  # 1000 B per 2 ms = 4 Mbit/s
    duration = sink.arrivals[-1][0] - sink.arrivals[0][0]
    throughput = (len(sink.arrivals) - 1) * 1000 * 8 / duration
    assert throughput == pytest.approx(2_000_000, rel=0.01)
    assert link.stats.drops["queue"] == pytest.approx(500, abs=15)


def test_mtu_counts_ip_and_udp_headers() -> None:
    link = Link(mtu=1200)
    _, sink = _send_stream(link, 1, 0.0, size=1172)
    assert len(sink.arrivals) == 1
    link = Link(mtu=1200)
    sim, sink = _send_stream(link, 1, 0.0, size=1173)
    assert sink.arrivals == [] and link.stats.drops["mtu"] == 1 == sim.stats.drops["mtu"]
    link = Link(mtu=1200)
    _, sink = _send_stream(link, 2, 0.0, size=1152, src=("2001:db8::1", 5000))
    assert len(sink.arrivals) == 2  # 1152 + 48 (IPv6 + UDP)
    link = Link(mtu=1200)
    _, sink = _send_stream(link, 2, 0.0, size=1153, src=("2001:db8::1", 5000))
    assert sink.arrivals == []


def test_scripted_drops_lose_exactly_the_chosen_datagrams() -> None:
    _, sink = _send_stream(Link(drop=lambda index, data: index == 2), 5, 0.1)
    assert _numbers(sink) == [0, 1, 3, 4]
    link = Link()
    link.drop_next(2)
    _, sink = _send_stream(link, 5, 0.1)
    assert _numbers(sink) == [2, 3, 4] and link.stats.drops["scripted"] == 2


def test_blackout_window_drops_both_ways() -> None:
    sim = Simulator()
    a, b = Recorder(), Recorder()
    sim.add_endpoint(SRC, a)
    sim.add_endpoint(DST, b)
    sim.blackout(SRC[0], DST[0], 1.0, 2.0)
    for t in (0.5, 1.0, 1.5, 2.0):
        sim.call_at(t, lambda t=t: a.outbox.append((b"%.1f" % t, DST)))
        sim.call_at(t, lambda t=t: b.outbox.append((b"%.1f" % t, SRC)))
    sim.run_for(3.0)
    assert [d for _, d in b.arrivals] == [b"0.5", b"2.0"]
    assert [d for _, d in a.arrivals] == [b"0.5", b"2.0"]
    assert sim.stats.drops["scripted"] == 4


def test_link_conditions_can_change_during_the_run() -> None:
    link = Link(delay=0.01)
    sim = Simulator()
    a, b = Recorder(), Recorder()
    sim.add_endpoint(SRC, a)
    sim.add_endpoint(DST, b)
    sim.set_link(SRC[0], DST[0], link)
    sim.call_at(1.0, lambda: setattr(link, "delay", 0.2))
    for t in (0.5, 1.5):
        sim.call_at(t, lambda: a.outbox.append((b"x", DST)))
    sim.run_for(3.0)
    assert [t for t, _ in b.arrivals] == pytest.approx([0.51, 1.7])


def test_link_pair_copies_conditions_but_not_state() -> None:
    sim = Simulator()
    forward, backward = sim.set_link_pair(SRC[0], DST[0], Link(loss=0.5, delay=0.3))
    assert forward is not backward and backward.delay == 0.3 and backward.loss == 0.5
    forward.stats.sent = 9
    assert backward.stats.sent == 0
    assert sim.link(DST[0], SRC[0]) is backward


def test_invalid_conditions_are_rejected() -> None:
    for kwargs in (
        {"duplicate": -0.1},
        {"reorder": 2.0},
        {"jitter": -1.0},
        {"bandwidth": 0.0},
        {"queue_limit": 0},
        {"mtu": 0},
        {"jitter_distribution": "pareto"},
    ):
        with pytest.raises(SimError):
            Link(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(SimError):
        GilbertElliott(p=1.1, r=0.5)
    with pytest.raises(SimError):
        Link().blackout(2.0, 1.0)
