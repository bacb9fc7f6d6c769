"""The event loop, timers, endpoints, pairs and tracing of pyrtc.sim, with toy cores."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pyrtc.sansio import Address, Event
from pyrtc.sim import Link, SimError, Simulator, TraceRecord
from tests.sim.helpers import Recorder

A = ("192.0.2.1", 5000)
B = ("198.51.100.2", 6000)


@dataclass(frozen=True)
class Received(Event):
    data: bytes
    addr: Address


class Host(Recorder):
    """A :class:`Recorder` that also logs each sender (:attr:`sources`), reports every arrival
    as a :class:`Received` event and queues what the test asks it to ``send``."""

    def __init__(self, echo: bool = False) -> None:
        super().__init__(echo)
        self.sources: list[Address] = []
        self._events: list[Event] = []

    def send(self, data: bytes, addr: Address) -> None:
        self.outbox.append((data, addr))

    def receive(self, data: bytes, addr: Address, now: float) -> None:
        super().receive(data, addr, now)
        self.sources.append(addr)
        self._events.append(Received(data, addr))

    def next_event(self) -> Event | None:
        return self._events.pop(0) if self._events else None


@dataclass(frozen=True)
class Pong(Event):
    number: int


class Pinger:
    """ConnectionCore client: ping 0..count-1 one at a time, retransmit every `rto` seconds."""

    def __init__(self, count: int, rto: float = 1.0) -> None:
        self.count = count
        self.rto = rto
        self.number = 0
        self.sent_at: list[float] = []
        self._timer: float | None = None
        self._out: list[bytes] = []
        self._events: list[Event] = []
        self._started = False

    def _ping(self, now: float) -> None:
        self._out.append(b"ping %d" % self.number)
        self.sent_at.append(now)
        self._timer = now + self.rto

    def receive(self, data: bytes, now: float) -> None:
        if data != b"pong %d" % self.number:
            return
        self._events.append(Pong(self.number))
        self.number += 1
        self._timer = None
        if self.number < self.count:
            self._ping(now)

    def datagrams_to_send(self, now: float) -> list[bytes]:
        if not self._started:
            self._started = True
            self._ping(now)
        out, self._out = self._out, []
        return out

    def get_timer(self) -> float | None:
        return self._timer

    def handle_timer(self, now: float) -> None:
        assert self._timer is not None and now >= self._timer
        self._ping(now)

    def next_event(self) -> Event | None:
        return self._events.pop(0) if self._events else None


class Ponger:
    """ConnectionCore server: answers every ping."""

    def __init__(self) -> None:
        self._out: list[bytes] = []

    def receive(self, data: bytes, now: float) -> None:
        if data.startswith(b"ping "):
            self._out.append(b"pong " + data[5:])

    def datagrams_to_send(self, now: float) -> list[bytes]:
        out, self._out = self._out, []
        return out

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> None:
        raise AssertionError("no timer was armed")

    def next_event(self) -> Event | None:
        return None


def _lossy_ping_trace(seed: int) -> tuple[list[str], float]:
    sim = Simulator(seed=seed)
    trace: list[TraceRecord] = []
    sim.add_tracer(trace.append)
    link = Link(loss=0.3, delay=0.05, jitter=0.02, duplicate=0.05, reorder=0.05)
    pinger = Pinger(count=20, rto=0.3)
    sim.add_pair(pinger, Ponger(), link=link)
    assert sim.run(until=lambda: pinger.number == 20, timeout=120.0)
    return [str(record) for record in trace], sim.now


def test_same_seed_same_trace_different_seed_different_trace() -> None:
    first, end = _lossy_ping_trace(7)
    again, end_again = _lossy_ping_trace(7)
    other, end_other = _lossy_ping_trace(8)
    assert first == again and end == end_again
    assert any("(loss)" in line for line in first)
    assert first != other and end != end_other


def test_run_until_stops_at_the_right_moment_and_times_out() -> None:
    sim = Simulator()
    a, b = Host(), Host(echo=True)
    sim.add_endpoint(A, a)
    sim.add_endpoint(B, b)
    sim.set_link_pair(A[0], B[0], Link(delay=0.25))
    a.send(b"hello", B)
    assert sim.run(until=lambda: bool(a.arrivals), timeout=5.0)
    assert sim.now == pytest.approx(0.5)
    assert a.arrivals == [(sim.now, b"hello")] and a.sources == [B]
    assert b.arrivals == [(0.25, b"hello")] and b.sources == [A]
    assert not sim.run(until=lambda: len(a.arrivals) > 1, timeout=2.0)
    assert sim.now == pytest.approx(2.5)


def test_run_checks_condition_before_advancing() -> None:
    sim = Simulator()
    assert sim.run(until=lambda: True, timeout=10.0)
    assert sim.now == 0.0


def test_events_are_logged_with_their_time() -> None:
    sim = Simulator()
    a, b = Host(), Host()
    sim.add_endpoint(A, a)
    eb = sim.add_endpoint(B, b)
    sim.set_link(A[0], B[0], Link(delay=0.1))
    sim.call_at(1.0, lambda: a.send(b"x", B))
    sim.call_at(2.0, lambda: a.send(b"y", B))
    sim.run_for(3.0)
    assert sim.now == 3.0
    assert eb.events == [(1.1, Received(b"x", A)), (2.1, Received(b"y", A))]
    assert eb.events[0].time == 1.1
    assert eb.events_of(Received) == [Received(b"x", A), Received(b"y", A)]


def test_default_link_is_lossless_with_one_millisecond_delay() -> None:
    sim = Simulator()
    a, b = Host(), Host()
    sim.add_endpoint(A, a)
    sim.add_endpoint(B, b)
    for i in range(100):
        a.send(b"%d" % i, B)
    sim.run_for(1.0)
    assert [data for _, data in b.arrivals] == [b"%d" % i for i in range(100)]
    assert {t for t, _ in b.arrivals} == {0.001}
    assert sim.link(A[0], B[0]).stats.delivered == 100


def test_pair_timers_fire_at_exact_virtual_times() -> None:
    sim = Simulator()
    pinger = Pinger(count=2, rto=1.0)
    p, q = sim.add_pair(pinger, Ponger(), link=Link(delay=0.1))
    p_to_q = sim.link(p.address[0], q.address[0])
    p_to_q.drop_next(3)  # the first ping and two retransmissions vanish
    assert sim.run(until=lambda: pinger.number == 2, timeout=10.0)
    assert pinger.sent_at == pytest.approx([0.0, 1.0, 2.0, 3.0, 3.2])
    assert sim.now == pytest.approx(3.4)
    assert p.events == [(pytest.approx(3.2), Pong(0)), (pytest.approx(3.4), Pong(1))]
    assert p_to_q.stats.drops["scripted"] == 3
    assert sim.stats.sent == 7 and sim.stats.delivered == 4


def test_timer_moved_earlier_or_cancelled_is_honoured() -> None:
    class Retimer(Host):
        def __init__(self) -> None:
            super().__init__()
            self.timer: float | None = 5.0
            self.fired: list[float] = []

        def get_timer(self) -> float | None:
            return self.timer

        def handle_timer(self, now: float) -> None:
            self.fired.append(now)
            self.timer = None

    sim = Simulator()
    core = Retimer()
    sim.add_endpoint(A, core)
    sim.run_for(1.0)

    def move() -> None:
        core.timer = 1.5

    sim.call_at(1.2, move)
    sim.run_for(1.0)
    assert core.fired == [1.5]
    core.timer = 2.5  # changed between runs: picked up when the next run starts
    sim.run_for(0.2)
    assert core.fired == [1.5]
    core.timer = 2.0  # in the past: fires at once
    sim.run_for(1.0)
    assert core.fired == [1.5, 2.2]
    core.timer = 3.5

    def cancel() -> None:
        core.timer = None

    sim.call_at(3.4, cancel)
    sim.run_for(5.0)
    assert core.fired == [1.5, 2.2]


def test_on_event_callback_drives_cores_at_the_same_instant() -> None:
    sim = Simulator()
    a, b = Host(), Host()
    sim.add_endpoint(A, a)

    def reply(now: float, event: Event) -> None:
        assert isinstance(event, Received)
        if event.data == b"ping":
            b.send(b"pong", event.addr)

    sim.add_endpoint(B, b, on_event=reply)
    a.send(b"ping", B)
    assert sim.run(until=lambda: bool(a.arrivals), timeout=1.0)
    assert a.arrivals == [(0.002, b"pong")] and a.sources == [B]


def test_ties_run_in_insertion_order() -> None:
    sim = Simulator()
    order: list[int] = []
    for i in range(5):
        sim.call_at(1.0, lambda i=i: order.append(i))
    sim.run_for(2.0)
    assert order == [0, 1, 2, 3, 4]


def test_zero_delay_ping_pong_is_reported_as_livelock() -> None:
    sim = Simulator(default_link=Link(delay=0.0))
    a, b = Host(echo=True), Host(echo=True)
    sim.add_endpoint(A, a)
    sim.add_endpoint(B, b)
    a.send(b"loop", B)
    with pytest.raises(SimError, match="livelock"):
        sim.run_for(1.0)


def test_misuse_raises_sim_error() -> None:
    sim = Simulator()
    sim.add_endpoint(A, Host())
    with pytest.raises(SimError):
        sim.add_endpoint(A, Host())
    with pytest.raises(SimError):
        sim.add_endpoint(("not-an-ip", 1), Host())
    with pytest.raises(SimError):
        sim.add_endpoint(("192.0.2.9", 70000), Host())
    with pytest.raises(SimError):
        sim.add_pair(Ponger(), Ponger(), addresses=(B, B))
    link = Link()
    sim.set_link(A[0], B[0], link)
    with pytest.raises(SimError):
        sim.set_link(B[0], A[0], link)
    with pytest.raises(SimError):
        Link(loss=1.5)
    with pytest.raises(SimError):
        Link(delay=-1.0)
    sim.run_for(1.0)
    with pytest.raises(SimError):
        sim.call_at(0.5, lambda: None)

    def nested() -> None:
        sim.run_for(1.0)

    sim.call_later(0.1, nested)
    with pytest.raises(SimError, match="already running"):
        sim.run_for(1.0)


def test_a_core_sending_to_a_bad_address_is_reported() -> None:
    for bad in (("192.0.2.9", 70000), ("example.org", 53)):
        sim = Simulator()
        a = Host()
        sim.add_endpoint(A, a)
        a.send(b"x", bad)
        with pytest.raises(SimError):
            sim.run_for(1.0)


def test_datagrams_to_unknown_addresses_are_counted_and_traced() -> None:
    sim = Simulator()
    a = Host()
    sim.add_endpoint(A, a)
    records: list[TraceRecord] = []
    sim.add_tracer(records.append)
    a.send(b"anyone?", ("203.0.113.50", 9))
    sim.run_for(1.0)
    assert sim.stats.drops["no-endpoint"] == 1
    assert [r.kind for r in records] == ["send", "drop"]
    assert records[1].reason == "no-endpoint" and records[1].time == 0.001
    assert "no-endpoint" in str(records[1])


def test_pair_ignores_datagrams_from_strangers() -> None:
    sim = Simulator()
    p, q = sim.add_pair(Pinger(count=1), Ponger())
    stranger = Host()
    sim.add_endpoint(("203.0.113.7", 4000), stranger)
    stranger.send(b"pong 0", p.address)
    sim.run_for(0.01)
    assert sim.stats.drops["not-peer"] == 1
    assert p.events == [(0.002, Pong(0))]
    assert p.address == ("192.0.2.1", 5000) and q.address == ("198.51.100.1", 5000)
