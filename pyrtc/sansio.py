"""The one shape shared by every sans-I/O protocol core in pyrtc.

A core is a state machine that never touches a socket, asyncio or the clock. The caller
(an asyncio shell in :mod:`pyrtc.net`, a test, or the simulator in :mod:`pyrtc.sim`) feeds it
input and the current time and drains what it wants to do:

* ``receive(...)`` - feed one datagram that arrived at time ``now``;
* ``handle_timer(now)`` - call when ``now >= get_timer()``;
* ``get_timer()`` - absolute time of the next deadline, or ``None``;
* ``datagrams_to_send(now)`` - datagrams the core wants sent, in order;
* ``next_event()`` - the next event for the application, or ``None``.

Times are ``float`` seconds on any monotonic scale the caller chooses (a virtual clock in
tests). Two flavours exist: cores that talk to many peers receive and emit addresses
(:class:`AddressedCore`: STUN, ICE, TURN), point-to-point cores do not
(:class:`ConnectionCore`: DTLS, SCTP).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

Address = tuple[str, int]
"""A transport address: ``(host, port)``."""

Datagram = tuple[bytes, Address]
"""Payload and the remote address it goes to or came from."""


@dataclass(frozen=True)
class Event:
    """Base class of every event a core emits; each layer defines dataclasses under it."""


class _TimedCore(Protocol):
    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> None: ...

    def next_event(self) -> Event | None: ...


class AddressedCore(_TimedCore, Protocol):
    """A core that exchanges datagrams with any number of remote addresses."""

    def receive(self, data: bytes, addr: Address, now: float) -> None: ...

    def datagrams_to_send(self, now: float) -> list[Datagram]: ...


class ConnectionCore(_TimedCore, Protocol):
    """A core bound to a single peer (the lower layer does the addressing)."""

    def receive(self, data: bytes, now: float) -> None: ...

    def datagrams_to_send(self, now: float) -> list[bytes]: ...
