"""Multi-homed endpoints: one core attached at several addresses (``Simulator.add_host``)."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from pyrtc.sansio import Address, Event
from pyrtc.sim import Nat, SimError, Simulator


class Sent(NamedTuple):
    data: bytes
    addr: Address
    local: Address


class TwoSockets:
    """Echoes every datagram back from the local address it arrived on."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[bytes, Address, Address]] = []
        self.out: list[Sent] = []

    def receive(self, data: bytes, addr: Address, now: float, local: Address) -> None:
        self.arrivals.append((data, addr, local))
        if not data.startswith(b"echo:"):
            self.out.append(Sent(b"echo:" + data, addr, local))

    def datagrams_to_send(self, now: float) -> list[Sent]:
        out, self.out = self.out, []
        return out

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> None:
        raise AssertionError("no timer")

    def next_event(self) -> Event | None:
        return None


def test_host_receives_on_each_address_and_replies_from_it() -> None:
    sim = Simulator()
    a, b = TwoSockets(), TwoSockets()
    sim.add_host([("10.0.0.1", 1000), ("10.0.1.1", 2000)], a)
    sim.add_host([("192.0.2.9", 3000)], b)
    b.out += [
        Sent(b"x", ("10.0.0.1", 1000), ("192.0.2.9", 3000)),
        Sent(b"y", ("10.0.1.1", 2000), ("192.0.2.9", 3000)),
    ]
    sim.run_for(1.0)
    assert a.arrivals == [
        (b"x", ("192.0.2.9", 3000), ("10.0.0.1", 1000)),
        (b"y", ("192.0.2.9", 3000), ("10.0.1.1", 2000)),
    ]
    # The echoes left from the address each datagram arrived on.
    assert sorted(b.arrivals) == [
        (b"echo:x", ("10.0.0.1", 1000), ("192.0.2.9", 3000)),
        (b"echo:y", ("10.0.1.1", 2000), ("192.0.2.9", 3000)),
    ]


def test_host_behind_nat_is_translated_per_address() -> None:
    sim = Simulator()
    a, b = TwoSockets(), TwoSockets()
    nat = Nat("203.0.113.1")
    sim.add_host([("10.0.0.1", 1000), ("10.0.0.1", 1001)], a, behind=nat)
    sim.add_host([("192.0.2.9", 3000)], b)
    a.out += [
        Sent(b"p", ("192.0.2.9", 3000), ("10.0.0.1", 1000)),
        Sent(b"q", ("192.0.2.9", 3000), ("10.0.0.1", 1001)),
    ]
    sim.run_for(1.0)
    sources = [addr for _, addr, _ in b.arrivals]
    assert len(set(sources)) == 2 and all(s[0] == "203.0.113.1" for s in sources)
    assert sorted(local for _, _, local in a.arrivals) == [("10.0.0.1", 1000), ("10.0.0.1", 1001)]


def test_host_rejects_foreign_source_and_bad_addresses() -> None:
    sim = Simulator()
    a = TwoSockets()
    sim.add_host([("10.0.0.1", 1000)], a)
    with pytest.raises(SimError):
        sim.add_host([], TwoSockets())
    with pytest.raises(SimError):
        sim.add_host([("10.0.0.1", 1000)], TwoSockets())
    with pytest.raises(SimError):
        sim.add_host([("10.0.0.2", 1), ("10.0.0.2", 1)], TwoSockets())
    a.out.append(Sent(b"z", ("192.0.2.9", 3000), ("10.9.9.9", 1)))
    with pytest.raises(SimError):
        sim.run_for(1.0)
