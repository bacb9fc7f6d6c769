"""Run any sans-I/O :class:`~pyrtc.sansio.AddressedCore` over an asyncio UDP socket.

The driver is the only place where a core meets the clock and the network: each datagram
goes to ``core.receive(data, addr, loop.time())``; after every input and every timer it
hands the core's events to a callback (or the :attr:`DatagramDriver.events` queue), sends
``core.datagrams_to_send(now)`` and re-arms a single ``loop.call_at(core.get_timer())``.
STUN, ICE and TURN all run through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from pyrtc.net.timer import DeadlineTimer
from pyrtc.sansio import Address, AddressedCore, Event

CoreT = TypeVar("CoreT", bound=AddressedCore)


class DatagramDriver(asyncio.DatagramProtocol, Generic[CoreT]):
    """An asyncio datagram protocol that drives one core.

    Events go to ``on_event`` when given, else into :attr:`events`. ``send_errors`` counts
    ICMP errors the OS reported for earlier sends (UDP carries on regardless).
    """

    def __init__(self, core: CoreT, on_event: Callable[[Event], None] | None = None) -> None:
        self.core = core
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.send_errors = 0
        self._loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[None] = self._loop.create_future()
        self._on_event = on_event if on_event is not None else self.events.put_nowait
        self._transport: asyncio.DatagramTransport | None = None
        self._timer = DeadlineTimer(self._loop, self._on_timer)

    @property
    def local_address(self) -> Address:
        """The ``(host, port)`` the socket is bound to."""
        if self._transport is None:
            raise RuntimeError("the driver is not connected")
        sockname = self._transport.get_extra_info("sockname")
        return sockname[0], sockname[1]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector datagram transport does not subclass DatagramTransport.
        self._transport = cast(asyncio.DatagramTransport, transport)
        self.pump()

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        # IPv6 addresses arrive as (host, port, flowinfo, scope_id): cores see (host, port).
        self.core.receive(data, (addr[0], addr[1]), self._loop.time())
        self.pump()

    def error_received(self, exc: Exception) -> None:
        self.send_errors += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self._timer.cancel()
        if not self.closed.done():
            self.closed.set_result(None)

    def pump(self) -> None:
        """Deliver events, send queued datagrams and re-arm the timer.

        Call it after poking the core from outside (e.g. starting a transaction) so what
        the core queued goes out now.
        """
        try:
            while (event := self.core.next_event()) is not None:
                self._on_event(event)
        finally:  # a failing callback must not stall the core's output and timers
            self._flush()

    def _flush(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        for data, addr in self.core.datagrams_to_send(self._loop.time()):
            transport.sendto(data, addr)
        self._timer.arm(self.core.get_timer())

    def _on_timer(self, now: float) -> None:
        self.core.handle_timer(now)
        self.pump()

    def close(self) -> None:
        """Close the socket and stop the timer."""
        self._timer.cancel()
        if self._transport is not None:
            self._transport.close()


async def open_driver(
    core: CoreT,
    local_addr: Address,
    on_event: Callable[[Event], None] | None = None,
) -> DatagramDriver[CoreT]:
    """Bind a UDP socket on ``local_addr`` and start driving ``core`` on it."""
    loop = asyncio.get_running_loop()
    _, driver = await loop.create_datagram_endpoint(
        lambda: DatagramDriver(core, on_event), local_addr=local_addr
    )
    return driver
