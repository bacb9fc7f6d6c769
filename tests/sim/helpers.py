"""Shared test cores for the pyrtc.sim tests."""

from __future__ import annotations

from pyrtc.sansio import Address, Datagram, Event


class Recorder:
    """An addressed core without timers or events: records ``(arrival time, payload)`` of
    what it receives and sends what is put in :attr:`outbox`; with ``echo`` it also sends
    every datagram back to where it came from."""

    def __init__(self, echo: bool = False) -> None:
        self.echo = echo
        self.arrivals: list[tuple[float, bytes]] = []
        self.outbox: list[Datagram] = []

    def receive(self, data: bytes, addr: Address, now: float) -> None:
        self.arrivals.append((now, data))
        if self.echo:
            self.outbox.append((data, addr))

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        out, self.outbox = self.outbox, []
        return out

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> None:
        raise AssertionError("no timer was armed")

    def next_event(self) -> Event | None:
        return None
