"""An asyncio ICE connection in the spirit of ``aioice.Connection``, over the sans-I/O agent.

:class:`Connection` opens one UDP socket per local address (a *base*), feeds every datagram
to :class:`pyrtc.ice.agent.Agent` with the base it arrived on, sends the agent's
:class:`~pyrtc.ice.events.Transmit` items from the socket of their base and keeps a single
``loop.call_at`` armed at the agent's next deadline. The common aioice calls work unchanged:
``gather_candidates()``, ``local_candidates``, ``local_username``/``local_password``,
``remote_username``/``remote_password``, ``add_remote_candidate()``, ``connect()``,
``send()``/``recv()`` and ``close()``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, cast

import ifaddr

from pyrtc.ice.agent import Agent, IceError, TurnServer
from pyrtc.ice.candidate import AioiceCandidate, Candidate
from pyrtc.ice.events import (
    CandidateGathered,
    DataReceived,
    GatheringStateChanged,
    StateChanged,
)
from pyrtc.net.resolve import resolve
from pyrtc.net.timer import DeadlineTimer
from pyrtc.sansio import Address, Event

__all__ = ["Candidate", "Connection", "host_addresses", "select_host_addresses"]

logger = logging.getLogger(__name__)


def select_host_addresses(
    addresses: Iterable[str], use_ipv4: bool, use_ipv6: bool, use_loopback: bool
) -> list[str]:
    """Pick the addresses to gather host candidates on (RFC 8445 section 5.1.1.1).

    Keeps the requested families; drops IPv6 link-local addresses and, unless
    ``use_loopback``, loopback addresses (section 5.1.1.1 excludes them), except when
    nothing else is left: then loopback is used so that a loopback-only host (a network
    namespace, a container) still connects locally.
    """
    wanted: list[str] = []
    loopback: list[str] = []
    for text in dict.fromkeys(addresses):
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        if (ip.version == 4 and not use_ipv4) or (ip.version == 6 and not use_ipv6):
            continue
        if ip.is_link_local or ip.is_unspecified or ip.is_multicast:
            continue
        (loopback if ip.is_loopback else wanted).append(text)
    if use_loopback or not wanted:
        wanted += loopback
    return wanted


def host_addresses(use_ipv4: bool, use_ipv6: bool, use_loopback: bool = False) -> list[str]:
    """The interface addresses of this host (``ifaddr``) passed through
    :func:`select_host_addresses`."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            found.append(ip.ip if isinstance(ip.ip, str) else ip.ip[0])
    return select_host_addresses(found, use_ipv4, use_ipv6, use_loopback)


def _notify(callback: Callable[[Any], None] | None, argument: object) -> None:
    """Call an application callback; an exception in it is logged, as :mod:`pyrtc.emitter`
    does, so that the agent's events, datagrams and timer never depend on application code."""
    if callback is None:
        return
    try:
        callback(argument)
    except Exception:
        logger.exception("ICE connection callback %r failed", callback)


class _BaseProtocol(asyncio.DatagramProtocol):
    """One socket of the connection; everything it receives goes to the agent."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.transport: asyncio.DatagramTransport | None = None
        self.base: Address = ("", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        sockname = self.transport.get_extra_info("sockname")
        self.base = (sockname[0], sockname[1])

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.connection._datagram_received(data, (addr[0], addr[1]), self.base)

    def error_received(self, exc: Exception) -> None:
        self.connection.send_errors += 1


class Connection:
    """An ICE connection for one component (aioice-compatible subset).

    ``stun_server`` is ``(host, port)`` of a STUN server for server reflexive candidates;
    ``turn_server`` with ``turn_username``/``turn_password`` one for a relayed candidate,
    reached over UDP (``turn_ssl`` and ``turn_transport="tcp"`` raise
    :class:`NotImplementedError`). ``transport_policy`` is ``"all"`` or ``"relay"`` (an
    ``aioice.TransportPolicy`` member works too). pyrtc additions: ``addresses`` pins the
    local IP addresses to gather on (default: every interface, see
    :func:`select_host_addresses`), ``use_loopback`` includes loopback addresses,
    ``on_candidate`` / ``on_state_change`` are called with each local candidate (``None``
    at the end of gathering) and each new state (an exception in them is logged), and the
    remaining keyword arguments go to :class:`~pyrtc.ice.agent.Agent` (``ta``,
    ``check_rto``, ``consent_interval``, ...).
    """

    def __init__(
        self,
        ice_controlling: bool,
        components: int = 1,
        stun_server: Address | None = None,
        turn_server: Address | None = None,
        turn_username: str | None = None,
        turn_password: str | None = None,
        turn_ssl: bool = False,
        turn_transport: str = "udp",
        use_ipv4: bool = True,
        use_ipv6: bool = True,
        transport_policy: object = "all",
        local_username: str | None = None,
        local_password: str | None = None,
        *,
        addresses: Sequence[str] | None = None,
        use_loopback: bool = False,
        on_candidate: Callable[[Candidate | None], None] | None = None,
        on_state_change: Callable[[str], None] | None = None,
        **agent_options: Any,
    ) -> None:
        if components != 1:
            raise ValueError("only one component is supported (rtcp-mux, BUNDLE)")
        if turn_server is not None and (turn_ssl or turn_transport != "udp"):
            raise NotImplementedError("TURN over TCP/TLS is not wired into ICE yet; use UDP")
        if turn_server is not None and (turn_username is None or turn_password is None):
            raise ValueError("a TURN server needs turn_username and turn_password")
        policy = str(getattr(transport_policy, "name", transport_policy)).lower()
        if policy not in ("all", "relay"):
            raise ValueError(f"unsupported transport policy {transport_policy!r}")
        self.stun_server = stun_server
        self.turn_server = turn_server
        self.turn_username = turn_username
        self.turn_password = turn_password
        self.remote_username: str | None = None
        self.remote_password: str | None = None
        self.remote_is_lite = False
        self.on_candidate = on_candidate
        self.on_state_change = on_state_change
        self.send_errors = 0
        self._use_ipv4 = use_ipv4
        self._use_ipv6 = use_ipv6
        self._addresses = list(addresses) if addresses is not None else None
        self._use_loopback = use_loopback
        self._agent = Agent(
            ice_controlling,
            local_username=local_username,
            local_password=local_password,
            relay_only=policy == "relay",
            **agent_options,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._protocols: dict[Address, _BaseProtocol] = {}
        self._timer: DeadlineTimer | None = None
        self._gathered: asyncio.Event | None = None
        self._state_waiters: list[asyncio.Future[None]] = []
        self._data: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._closed = False

    # -- aioice-compatible properties ------------------------------------------------------------

    @property
    def ice_controlling(self) -> bool:
        """The current role (aiortc sets it before :meth:`connect`)."""
        return self._agent.controlling

    @ice_controlling.setter
    def ice_controlling(self, controlling: bool) -> None:
        self._agent.controlling = controlling

    @property
    def agent(self) -> Agent:
        """The sans-I/O agent this connection drives."""
        return self._agent

    @property
    def local_candidates(self) -> list[Candidate]:
        return self._agent.local_candidates

    @property
    def remote_candidates(self) -> list[Candidate]:
        return self._agent.remote_candidates

    @property
    def local_username(self) -> str:
        return self._agent.local_username

    @property
    def local_password(self) -> str:
        return self._agent.local_password

    @property
    def state(self) -> str:
        """The W3C ``RTCIceTransportState`` of the agent."""
        return self._agent.state

    def get_default_candidate(self, component: int) -> Candidate | None:
        """The lowest-priority local candidate (the one most likely to work), as aioice."""
        candidates = [c for c in self._agent.local_candidates if c.component == component]
        return min(candidates, key=lambda c: c.priority, default=None)

    # -- lifecycle -------------------------------------------------------------------------------

    async def gather_candidates(self) -> None:
        """Open a socket per local address and gather host (and server reflexive)
        candidates; returns when gathering is complete."""
        if self._loop is not None:
            raise IceError("candidates were gathered already")
        loop = self._loop = asyncio.get_running_loop()
        self._timer = DeadlineTimer(loop, self._on_timer)
        self._gathered = asyncio.Event()
        stun_servers = [] if self.stun_server is None else [(await resolve(self.stun_server))[1]]
        turn_servers = []
        if self.turn_server is not None:
            assert self.turn_username is not None and self.turn_password is not None
            _, turn_address = await resolve(self.turn_server)
            turn_servers.append(TurnServer(turn_address, self.turn_username, self.turn_password))
        addresses = self._addresses
        if addresses is None:
            addresses = host_addresses(self._use_ipv4, self._use_ipv6, self._use_loopback)
        for address in addresses:
            try:
                _, protocol = await loop.create_datagram_endpoint(
                    lambda: _BaseProtocol(self), local_addr=(address, 0)
                )
            except OSError:
                continue  # an address that cannot be bound (e.g. tentative IPv6)
            self._protocols[protocol.base] = protocol
        if not self._protocols:
            raise IceError("no local address could be bound")
        self._agent.gather(list(self._protocols), loop.time(), stun_servers, turn_servers)
        self._pump()
        await self._gathered.wait()

    async def add_remote_candidate(self, candidate: Candidate | AioiceCandidate | None) -> None:
        """Add a remote candidate (pyrtc or aioice ``Candidate``); ``None`` ends them."""
        if candidate is not None and not isinstance(candidate, Candidate):
            candidate = Candidate.from_aioice(candidate)
        self._agent.add_remote_candidate(candidate, self._now())
        self._pump()

    async def connect(self) -> None:
        """Run the checks until a pair is selected; raise ``ConnectionError`` on failure."""
        if self._gathered is None or not self._gathered.is_set():
            raise ConnectionError("Local candidates gathering was not performed")
        if self.remote_username is None or self.remote_password is None:
            raise ConnectionError("Remote username or password is missing")
        self._agent.set_remote_credentials(
            self.remote_username, self.remote_password, self._now(), lite=self.remote_is_lite
        )
        self._pump()
        while self._agent.state not in ("connected", "completed", "failed", "closed"):
            waiter = asyncio.get_running_loop().create_future()
            self._state_waiters.append(waiter)
            await waiter
        if self._agent.state not in ("connected", "completed"):
            raise ConnectionError("ICE negotiation failed")

    async def close(self) -> None:
        """Deallocate TURN, close the sockets; a pending :meth:`recv` raises
        ``ConnectionError``."""
        if self._closed:
            return
        self._closed = True
        self._agent.close(self._now())
        self._pump()
        if self._timer is not None:
            self._timer.cancel()
        for protocol in self._protocols.values():
            if protocol.transport is not None:
                protocol.transport.close()
        self._protocols.clear()
        self._data.put_nowait(None)
        self._events.put_nowait(None)

    # -- data ------------------------------------------------------------------------------------

    async def send(self, data: bytes) -> None:
        """Send a datagram on the selected pair."""
        try:
            self._agent.send(data, self._now())
        except IceError as exc:
            raise ConnectionError(str(exc)) from exc
        self._pump()

    async def sendto(self, data: bytes, component: int) -> None:
        """aioice's ``sendto``: only component 1 exists."""
        if component != 1:
            raise ValueError("only component 1 exists")
        await self.send(data)

    async def recv(self) -> bytes:
        """The next application datagram (anything that is not STUN)."""
        if self._closed:
            raise ConnectionError("Connection closed")
        data = await self._data.get()
        if data is None:
            raise ConnectionError("Connection lost while receiving data")
        return data

    async def recvfrom(self) -> tuple[bytes, int]:
        """aioice's ``recvfrom``: the datagram and its component (always 1)."""
        return await self.recv(), 1

    async def get_event(self) -> Event | None:
        """The next agent event (:mod:`pyrtc.ice.events`), ``None`` once closed."""
        if self._closed and self._events.empty():
            return None
        return await self._events.get()

    async def events(self) -> AsyncIterator[Event]:
        """Every agent event until the connection is closed (``async for``)."""
        while (event := await self.get_event()) is not None:
            yield event

    # -- driving the core ------------------------------------------------------------------------

    def _now(self) -> float:
        return (self._loop or asyncio.get_running_loop()).time()

    def _datagram_received(self, data: bytes, addr: Address, base: Address) -> None:
        self._agent.receive(data, addr, self._now(), base)
        self._pump()

    def _pump(self) -> None:
        """Deliver events, send what the agent queued and re-arm the timer."""
        agent = self._agent
        loop = self._loop
        if loop is None:
            return
        while (event := agent.next_event()) is not None:
            self._dispatch(event)
        now = loop.time()
        for transmit in agent.datagrams_to_send(now):
            protocol = self._protocols.get(transmit.local)
            if protocol is not None and protocol.transport is not None:
                protocol.transport.sendto(transmit.data, transmit.addr)
        if self._timer is not None:
            self._timer.arm(agent.get_timer())

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, DataReceived):
            self._data.put_nowait(event.data)
            return
        self._events.put_nowait(event)
        if isinstance(event, CandidateGathered):
            _notify(self.on_candidate, event.candidate)
        elif isinstance(event, GatheringStateChanged) and event.state == "complete":
            _notify(self.on_candidate, None)
            if self._gathered is not None:
                self._gathered.set()
        elif isinstance(event, StateChanged):
            _notify(self.on_state_change, event.state)
            waiters, self._state_waiters = self._state_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def _on_timer(self, now: float) -> None:
        self._agent.handle_timer(now)
        self._pump()
