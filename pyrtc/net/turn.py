"""asyncio TURN: run a :class:`pyrtc.turn.TurnClient` over UDP, TCP or TLS.

:func:`connect_turn` allocates and returns a :class:`TurnSession` (send to peers, receive
from them, close). UDP goes through :func:`pyrtc.net.open_driver`; TCP and TLS (``turns:``)
use an asyncio stream connection split into frames by :class:`pyrtc.turn.StreamFramer`.
:func:`echo_peer` and :func:`measure_rtt` are the pieces of ``pyrtc turn`` (a
``turnutils_uclient``-like round-trip test through the relay).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from pyrtc.net.driver import DatagramDriver, open_driver
from pyrtc.net.resolve import any_address, resolve
from pyrtc.net.timer import DeadlineTimer
from pyrtc.sansio import Address, Event
from pyrtc.stun import AddressFamily
from pyrtc.turn import (
    Allocated,
    AllocationFailed,
    Closed,
    DataReceived,
    StreamFramer,
    Transport,
    TurnClient,
    TurnError,
)

MAX_PENDING_DATA = 1024
"""Datagrams from peers kept for :meth:`TurnSession.recv` before new ones are dropped."""


class TurnStreamProtocol(asyncio.Protocol):
    """Drive a :class:`TurnClient` over one TCP or TLS connection (RFC 8656 §3.1).

    Incoming bytes are split with :class:`StreamFramer` and each frame is fed to the client
    as if it were a datagram from ``server``; what the client sends is written to the
    stream. Lost framing or a lost connection ends the allocation with :class:`Closed`.
    """

    def __init__(
        self, client: TurnClient, server: Address, on_event: Callable[[Event], None]
    ) -> None:
        self.client = client
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._server = server
        self._on_event = on_event
        self._loop = asyncio.get_running_loop()
        self._framer = StreamFramer()
        self._transport: asyncio.Transport | None = None
        self._timer = DeadlineTimer(self._loop, self._on_timer)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self.pump()

    def data_received(self, data: bytes) -> None:
        if self._framer.error is not None:
            return  # closing already
        now = self._loop.time()
        for frame in self._framer.feed(data):
            self.client.receive(frame, self._server, now)
        if self._framer.error is not None:
            self.client.connection_lost(f"the server's byte stream is broken: {self._framer.error}")
            self.pump()
            self.close()
            return
        self.pump()

    def connection_lost(self, exc: Exception | None) -> None:
        self._timer.cancel()
        reason = "the TURN server closed the connection" if exc is None else str(exc)
        self.client.connection_lost(reason)
        while (event := self.client.next_event()) is not None:
            self._on_event(event)
        if not self.closed.done():
            self.closed.set_result(None)

    def pump(self) -> None:
        """Deliver events, write what the client wants sent and re-arm the timer."""
        while (event := self.client.next_event()) is not None:
            self._on_event(event)
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        for data, _ in self.client.datagrams_to_send(self._loop.time()):
            transport.write(data)
        self._timer.arm(self.client.get_timer())

    def _on_timer(self, now: float) -> None:
        self.client.handle_timer(now)
        self.pump()

    def close(self) -> None:
        """Close the connection and stop the timer."""
        self._timer.cancel()
        if self._transport is not None:
            self._transport.close()


@dataclass(frozen=True)
class _Connection:
    pump: Callable[[], None]
    close: Callable[[], None]
    closed: asyncio.Future[None]
    local_address: Address


class TurnSession:
    """A live allocation: relay datagrams to and from peers until :meth:`close`.

    Made by :func:`connect_turn`. Data from peers is read with :meth:`recv`; every other
    event (:class:`~pyrtc.turn.PermissionFailed`, :class:`~pyrtc.turn.Refreshed`,
    :class:`~pyrtc.turn.Closed`) goes to :attr:`events`.
    """

    def __init__(self, client: TurnClient) -> None:
        self.client = client
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.dropped = 0
        """Peer datagrams dropped because nobody read them (more than MAX_PENDING_DATA)."""
        # Unbounded so the end-of-session marker (None) always fits; data is capped by hand.
        self._data: asyncio.Queue[DataReceived | None] = asyncio.Queue()
        self._outcome: asyncio.Future[Allocated] = asyncio.get_running_loop().create_future()
        self._closed_event: asyncio.Future[Closed] = asyncio.get_running_loop().create_future()
        self._connection: _Connection | None = None

    @property
    def relayed_address(self) -> Address:
        """The relayed transport address peers send to."""
        assert self.client.relayed_address is not None
        return self.client.relayed_address

    @property
    def mapped_address(self) -> Address | None:
        """This client's address as the TURN server saw it (XOR-MAPPED-ADDRESS)."""
        return self.client.mapped_address

    @property
    def local_address(self) -> Address:
        """The local address of the socket or connection to the server."""
        assert self._connection is not None
        return self._connection.local_address

    def _on_event(self, event: Event) -> None:
        if isinstance(event, DataReceived):
            if self._data.qsize() >= MAX_PENDING_DATA:
                self.dropped += 1
            else:
                self._data.put_nowait(event)
            return
        if isinstance(event, Allocated | AllocationFailed) and not self._outcome.done():
            if isinstance(event, Allocated):
                self._outcome.set_result(event)
            else:
                self._outcome.set_exception(event.error)
            return
        if isinstance(event, Closed):
            if not self._outcome.done():
                self._outcome.set_exception(event.error or TurnError("closed"))
            if not self._closed_event.done():
                self._closed_event.set_result(event)
                self._data.put_nowait(None)
        self.events.put_nowait(event)

    def send(self, data: bytes, peer: Address) -> None:
        """Relay ``data`` to ``peer`` (IP literal, port); see :meth:`TurnClient.send`."""
        assert self._connection is not None
        self.client.send(data, peer, asyncio.get_running_loop().time())
        self._connection.pump()

    async def recv(self) -> tuple[bytes, Address]:
        """The next datagram from a peer: ``(data, peer address)``.

        Once the allocation is closed or lost and the datagrams received before that have
        been read, raises :class:`TurnError` (why it ended, or "closed").
        """
        event = await self._data.get()
        if event is None:
            self._data.put_nowait(None)  # every later call ends the same way
            closed = self._closed_event.result()
            raise closed.error or TurnError("the TURN allocation is closed")
        return event.data, event.peer

    async def close(self, timeout: float = 5.0) -> None:
        """Deallocate (RFC 8656 §8: Refresh with LIFETIME 0), then close the socket.

        Waits at most ``timeout`` seconds for the server's answer.
        """
        connection = self._connection
        if connection is None:
            return
        try:
            if self.client.state == "allocated":
                self.client.close(asyncio.get_running_loop().time())
                connection.pump()
                async with asyncio.timeout(timeout):
                    await asyncio.shield(self._closed_event)
        except TimeoutError:
            pass
        finally:
            connection.close()
            await asyncio.wait([connection.closed], timeout=1.0)

    async def __aenter__(self) -> TurnSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def tls_context(cafile: str | None = None, verify: bool = True) -> ssl.SSLContext:
    """A client TLS context for ``turns:``: system CAs, or ``cafile``; ``verify=False`` skips
    certificate and host name checks (self-signed test servers only).
    """
    context = ssl.create_default_context(cafile=cafile)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def connect_turn(
    server: Address,
    username: str,
    password: str,
    *,
    transport: Transport = "udp",
    lifetime: int = 600,
    use_channels: bool = True,
    family: AddressFamily | None = None,
    cafile: str | None = None,
    verify: bool = True,
    server_hostname: str | None = None,
    local_addr: Address | None = None,
    timeout: float = 10.0,
) -> TurnSession:
    """Connect to a TURN server and allocate a relayed address (RFC 8656 §7).

    ``transport`` is ``"udp"``, ``"tcp"`` or ``"tls"`` (``turns:``; ``cafile`` and
    ``verify`` configure certificate checking, ``server_hostname`` defaults to the host).
    ``family`` asks for an IPv4 or IPv6 relayed address (REQUESTED-ADDRESS-FAMILY, RFC 8656
    §7.1); without it the server relays over IPv4, whatever the family of ``server``.
    Raises :class:`TurnError` when the server cannot be reached, refuses the allocation
    (wrong credentials included) or does not answer within ``timeout`` seconds.
    """
    loop = asyncio.get_running_loop()
    host, port = server
    stream = transport != "udp"
    try:
        socket_family, target = await resolve(server, stream=stream)
    except socket.gaierror as exc:
        raise TurnError(f"cannot resolve {host}: {exc}") from exc
    client = TurnClient(
        target,
        username,
        password,
        transport=transport,
        lifetime=lifetime,
        use_channels=use_channels,
        family=family,
    )
    session = TurnSession(client)
    try:
        if stream:
            context = tls_context(cafile, verify) if transport == "tls" else None
            try:
                async with asyncio.timeout(timeout):
                    sock_transport, protocol = await loop.create_connection(
                        lambda: TurnStreamProtocol(client, target, session._on_event),
                        target[0],
                        target[1],
                        ssl=context,
                        server_hostname=(server_hostname or host) if context else None,
                        local_addr=local_addr,
                    )
            except (OSError, ssl.SSLError) as exc:
                raise TurnError(f"cannot connect to {host}:{port} over {transport}: {exc}") from exc
            sockname = sock_transport.get_extra_info("sockname")
            session._connection = _Connection(
                protocol.pump, protocol.close, protocol.closed, (sockname[0], sockname[1])
            )
        else:
            driver: DatagramDriver[TurnClient] = await open_driver(
                client, local_addr or any_address(socket_family), session._on_event
            )
            session._connection = _Connection(
                driver.pump, driver.close, driver.closed, driver.local_address
            )
        client.allocate(loop.time())
        session._connection.pump()
        async with asyncio.timeout(timeout):
            await session._outcome
    except TimeoutError:
        await session.close()
        raise TurnError(f"no allocation from {host}:{port} within {timeout} s") from None
    except BaseException:
        await session.close()
        raise
    return session


class _EchoProtocol(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.transport.sendto(data, addr)


async def echo_peer(host: str = "127.0.0.1", port: int = 0) -> asyncio.DatagramTransport:
    """A UDP peer that sends every datagram back where it came from (close it when done)."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_EchoProtocol, local_addr=(host, port))
    return transport


_PROBE = struct.Struct(">4sI")


async def measure_rtt(
    session: TurnSession,
    peer: Address,
    count: int,
    *,
    size: int = 100,
    timeout: float = 2.0,
) -> list[float | None]:
    """Send ``count`` probes of ``size`` bytes through the relay to an echoing ``peer``.

    One probe at a time; returns each round-trip time in seconds, ``None`` for a probe whose
    echo did not come back within ``timeout`` seconds.
    """
    loop = asyncio.get_running_loop()
    results: list[float | None] = []
    for seq in range(count):
        probe = _PROBE.pack(b"PRTC", seq).ljust(max(size, _PROBE.size), b"\x00")
        started = loop.time()
        session.send(probe, peer)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    data, source = await session.recv()
                    if source == peer and data == probe:
                        break
            results.append(loop.time() - started)
        except TimeoutError:
            results.append(None)
    return results
