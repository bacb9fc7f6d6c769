"""The discrete-event loop that drives sans-I/O cores over simulated links and NATs.

Everything happens on a virtual clock: a heap of ``(time, sequence, action)`` entries, ties
broken by insertion order, so a run depends only on the seed and the inputs. After every
delivery, timer or piece of application code the simulator drains the cores
(``datagrams_to_send(now)``, ``next_event()``) and re-reads ``get_timer()``.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import random
from collections.abc import Callable, Sequence
from typing import Generic, NamedTuple, Protocol, TypeVar

from pyrtc.sansio import Address, AddressedCore, ConnectionCore, Event
from pyrtc.sim.errors import SimError
from pyrtc.sim.link import Link, wire_overhead
from pyrtc.sim.nat import Nat
from pyrtc.sim.stats import DropReason, Stats
from pyrtc.sim.trace import TraceKind, TraceRecord

LIVELOCK_LIMIT = 200_000
"""Actions allowed at one virtual instant before the run is declared a livelock."""

_SETTLE_LIMIT = 1_000

A = TypeVar("A", bound=AddressedCore)
C = TypeVar("C", bound=ConnectionCore)
C2 = TypeVar("C2", bound=ConnectionCore)
E = TypeVar("E", bound=Event)


class _Timed(Protocol):
    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> None: ...

    def next_event(self) -> Event | None: ...


class TimedEvent(NamedTuple):
    """An event a core emitted and the virtual time it was drained."""

    time: float
    event: Event


class Node:
    """What endpoints of both kinds share: an address, an event log, a timer slot."""

    def __init__(
        self,
        address: Address,
        core: _Timed,
        nat: Nat | None,
        on_event: Callable[[float, Event], None] | None,
    ) -> None:
        self.address = address
        self.nat = nat
        self.on_event = on_event
        """Called as ``on_event(now, event)`` for each event; may drive any core."""
        self.events: list[TimedEvent] = []
        self._timed = core
        self._timer_version = 0
        self._timer_at: float | None = None

    def events_of(self, kind: type[E]) -> list[E]:
        """The emitted events of one type, in order, without their times."""
        return [event for _, event in self.events if isinstance(event, kind)]

    def _receive(self, data: bytes, src: Address, local: Address, now: float) -> bool:
        raise NotImplementedError

    def _outgoing(self, now: float) -> list[tuple[bytes, Address, Address]]:
        """``(data, destination, source)`` for everything the core wants sent."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address!r}, {type(self._timed).__name__})"


class Endpoint(Node, Generic[A]):
    """An :class:`~pyrtc.sansio.AddressedCore` attached at an address."""

    def __init__(
        self,
        address: Address,
        core: A,
        nat: Nat | None,
        on_event: Callable[[float, Event], None] | None,
    ) -> None:
        super().__init__(address, core, nat, on_event)
        self.core = core

    def _receive(self, data: bytes, src: Address, local: Address, now: float) -> bool:
        self.core.receive(data, src, now)
        return True

    def _outgoing(self, now: float) -> list[tuple[bytes, Address, Address]]:
        return [(data, dst, self.address) for data, dst in self.core.datagrams_to_send(now)]


class MultiHomedCore(Protocol):
    """A core with several local addresses (e.g. an ICE agent with one socket per base).

    ``receive`` is told which local address a datagram arrived on; ``datagrams_to_send``
    returns ``(data, remote, local)`` triples (a NamedTuple such as ``pyrtc.ice.Transmit``
    fits) naming the local address to send from.
    """

    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> None: ...

    def next_event(self) -> Event | None: ...

    def receive(self, data: bytes, addr: Address, now: float, local: Address) -> None: ...

    def datagrams_to_send(self, now: float) -> Sequence[tuple[bytes, Address, Address]]: ...


M = TypeVar("M", bound=MultiHomedCore)


class HostEndpoint(Node, Generic[M]):
    """A :class:`MultiHomedCore` attached at several addresses (all behind the same NAT)."""

    def __init__(
        self,
        addresses: Sequence[Address],
        core: M,
        nat: Nat | None,
        on_event: Callable[[float, Event], None] | None,
    ) -> None:
        super().__init__(addresses[0], core, nat, on_event)
        self.addresses = tuple(addresses)
        self.core = core

    def _receive(self, data: bytes, src: Address, local: Address, now: float) -> bool:
        self.core.receive(data, src, now, local)
        return True

    def _outgoing(self, now: float) -> list[tuple[bytes, Address, Address]]:
        out = []
        for data, dst, local in self.core.datagrams_to_send(now):
            if local not in self.addresses:
                raise SimError(f"{self!r} sent from {local!r}, which is not one of its addresses")
            out.append((data, dst, local))
        return out


class PairEndpoint(Node, Generic[C]):
    """A :class:`~pyrtc.sansio.ConnectionCore` wired to one peer address."""

    def __init__(
        self,
        address: Address,
        core: C,
        peer: Address,
        on_event: Callable[[float, Event], None] | None,
    ) -> None:
        super().__init__(address, core, None, on_event)
        self.core = core
        self.peer = peer

    def _receive(self, data: bytes, src: Address, local: Address, now: float) -> bool:
        if src != self.peer:
            return False
        self.core.receive(data, now)
        return True

    def _outgoing(self, now: float) -> list[tuple[bytes, Address, Address]]:
        return [(data, self.peer, self.address) for data in self.core.datagrams_to_send(now)]


class Simulator:
    """A deterministic network of sans-I/O cores; all randomness derives from ``seed``.

    ``default_link`` is the template copied for every host-to-host direction without an
    explicit :meth:`set_link` (default: no loss, 1 ms delay).
    """

    def __init__(self, seed: int = 0, default_link: Link | None = None) -> None:
        self.seed = seed
        self.stats = Stats()
        self._default_link = default_link or Link()
        self._now = 0.0
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._links: dict[tuple[str, str], Link] = {}
        self._nodes: dict[Address, Node] = {}
        self._realms: dict[str, Nat | None] = {}  # host -> NAT it sits behind (None: public)
        self._nats: dict[str, Nat] = {}  # public IP -> NAT
        self._tracers: list[Callable[[TraceRecord], None]] = []
        self._pair_count = 0
        self._running = False
        self._dirty = False
        self._instant = -1.0
        self._instant_steps = 0

    @property
    def now(self) -> float:
        """Virtual time in seconds; starts at 0.0."""
        return self._now

    # -- topology -----------------------------------------------------------------------------

    def add_endpoint(
        self,
        address: Address,
        core: A,
        *,
        behind: Nat | None = None,
        on_event: Callable[[float, Event], None] | None = None,
    ) -> Endpoint[A]:
        """Attach an AddressedCore at ``address`` (``(ip, port)``), optionally behind a NAT
        (registered on first use). The core is drained at the current time when the
        simulation next runs, so datagrams it queued before being attached go out."""
        if behind is not None and behind.public_ip not in self._nats:
            self.add_nat(behind)
        endpoint = Endpoint(address, core, behind, on_event)
        self._add_node(endpoint, behind)
        return endpoint

    def add_host(
        self,
        addresses: Sequence[Address],
        core: M,
        *,
        behind: Nat | None = None,
        on_event: Callable[[float, Event], None] | None = None,
    ) -> HostEndpoint[M]:
        """Attach a :class:`MultiHomedCore` at every address of ``addresses`` (at least one;
        all behind the same NAT, if any). Datagrams arriving on any of them go to its
        ``receive(..., local=that address)``."""
        if not addresses:
            raise SimError("a host needs at least one address")
        if behind is not None and behind.public_ip not in self._nats:
            self.add_nat(behind)
        host = HostEndpoint(addresses, core, behind, on_event)
        self._add_node(host, behind)
        return host

    def add_pair(
        self,
        core_a: C,
        core_b: C2,
        *,
        link: Link | None = None,
        addresses: tuple[Address, Address] | None = None,
        on_event: Callable[[float, Event], None] | None = None,
    ) -> tuple[PairEndpoint[C], PairEndpoint[C2]]:
        """Wire two ConnectionCores to each other; ``link`` (copied for the way back) sets
        both directions. Without ``addresses`` the pair gets fresh hosts
        ``192.0.2.N`` and ``198.51.100.N`` (port 5000)."""
        if addresses is None:
            addresses = self._pair_addresses()
        addr_a, addr_b = addresses
        if addr_a == addr_b:
            raise SimError("a pair needs two different addresses")
        a = PairEndpoint(addr_a, core_a, addr_b, on_event)
        b = PairEndpoint(addr_b, core_b, addr_a, on_event)
        self._add_node(a, None)
        self._add_node(b, None)
        if link is not None:
            self.set_link_pair(addr_a[0], addr_b[0], link)
        return a, b

    def add_nat(self, nat: Nat) -> Nat:
        """Register a NAT; its public IP becomes a public host with no endpoints of its own."""
        _check_host(nat.public_ip)
        if nat.public_ip in self._realms:
            raise SimError(f"host {nat.public_ip} is already in use")
        self._realms[nat.public_ip] = None
        self._nats[nat.public_ip] = nat
        nat._seed(random.Random(f"{self.seed}/nat/{nat.public_ip}"))
        return nat

    def set_link(self, src: str, dst: str, link: Link) -> Link:
        """Use ``link`` for datagrams from host ``src`` to host ``dst`` (one direction).

        Behind a NAT, the wire carries the NAT's public IP: a link from a NATed host to the
        outside is keyed by the NAT's public IP."""
        _check_host(src)
        _check_host(dst)
        link._attach(random.Random(f"{self.seed}/link/{src}/{dst}"))
        self._links[(src, dst)] = link
        return link

    def set_link_pair(self, a: str, b: str, link: Link) -> tuple[Link, Link]:
        """Use ``link`` from ``a`` to ``b`` and a copy of it from ``b`` to ``a``."""
        return self.set_link(a, b, link), self.set_link(b, a, link.copy())

    def link(self, src: str, dst: str) -> Link:
        """The link used from host ``src`` to host ``dst`` (created from the default)."""
        found = self._links.get((src, dst))
        if found is None:
            found = self.set_link(src, dst, self._default_link.copy())
        return found

    def blackout(self, a: str, b: str, start: float, end: float) -> None:
        """Drop everything between hosts ``a`` and ``b``, both ways, during ``[start, end)``."""
        self.link(a, b).blackout(start, end)
        self.link(b, a).blackout(start, end)

    def add_tracer(self, tracer: Callable[[TraceRecord], None]) -> None:
        """Call ``tracer(record)`` for every send, duplicate, delivery and drop."""
        self._tracers.append(tracer)

    # -- application code and running ---------------------------------------------------------

    def call_at(self, time: float, fn: Callable[[], object]) -> None:
        """Run ``fn()`` at virtual ``time`` (>= now); every core is drained afterwards."""
        if time < self._now:
            raise SimError(f"call_at({time}) is in the past (now={self._now})")
        self._push(time, lambda: self._run_app(fn))

    def call_later(self, delay: float, fn: Callable[[], object]) -> None:
        """Run ``fn()`` ``delay`` seconds from now."""
        self.call_at(self._now + delay, fn)

    def run(self, until: Callable[[], bool], timeout: float = 30.0) -> bool:
        """Advance until ``until()`` is true (checked after every action) or ``timeout``
        virtual seconds pass. True if the condition was met; on timeout the clock stands at
        the deadline and the result is False."""
        return self._run(self._now + timeout, until)

    def run_for(self, seconds: float) -> None:
        """Process everything scheduled in the next ``seconds``; the clock ends there."""
        self._run(self._now + seconds, None)

    def _run(self, deadline: float, until: Callable[[], bool] | None) -> bool:
        if self._running:
            raise SimError("the simulator is already running (run() called from a callback)")
        self._running = True
        try:
            self._settle()
            if until is not None and until():
                return True
            heap = self._heap
            while heap and heap[0][0] <= deadline:
                time, _, action = heapq.heappop(heap)
                self._advance(time)
                action()
                if self._dirty:
                    self._settle()
                if until is not None and until():
                    return True
            self._now = max(self._now, deadline)
            return False
        finally:
            self._running = False

    def _advance(self, time: float) -> None:
        if time == self._instant:
            self._instant_steps += 1
            if self._instant_steps > LIVELOCK_LIMIT:
                raise SimError(
                    f"livelock: more than {LIVELOCK_LIMIT} actions at t={time} "
                    "(a zero-delay loop, or a timer that never moves forward?)"
                )
        else:
            self._instant = time
            self._instant_steps = 0
        self._now = time

    def _push(self, time: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._heap, (time, next(self._sequence), action))

    def _run_app(self, fn: Callable[[], object]) -> None:
        fn()
        self._dirty = True

    def _settle(self) -> None:
        """Drain every core until application callbacks stop producing work."""
        for _ in range(_SETTLE_LIMIT):
            self._dirty = False
            for node in list(dict.fromkeys(self._nodes.values())):
                self._service(node)
            if not self._dirty:
                return
        raise SimError("on_event callbacks keep producing work at one instant")

    # -- the data path --------------------------------------------------------------------------

    def _add_node(self, node: Node, nat: Nat | None) -> None:
        addresses = node.addresses if isinstance(node, HostEndpoint) else (node.address,)
        for address in addresses:
            host, port = address
            _check_host(host)
            if not 0 <= port <= 65535:
                raise SimError(f"bad port in {address!r}")
            if address in self._nodes or addresses.count(address) > 1:
                raise SimError(f"address {address!r} is already in use")
            if host in self._nats:
                raise SimError(f"{host} is a NAT's public IP")
            realm = self._realms.get(host, nat)
            if realm is not nat:
                raise SimError(f"host {host} is already on the other side of a NAT")
        for address in addresses:
            self._realms[address[0]] = nat
            self._nodes[address] = node
        self._dirty = True

    def _pair_addresses(self) -> tuple[Address, Address]:
        while True:
            self._pair_count += 1
            if self._pair_count > 254:
                raise SimError("out of automatic pair addresses; pass addresses=")
            a, b = f"192.0.2.{self._pair_count}", f"198.51.100.{self._pair_count}"
            if a not in self._realms and b not in self._realms:
                return (a, 5000), (b, 5000)

    def _service(self, node: Node) -> None:
        now = self._now
        for data, dst, src in node._outgoing(now):
            self._send(node, data, dst, src)
        core = node._timed
        while (event := core.next_event()) is not None:
            node.events.append(TimedEvent(now, event))
            if node.on_event is not None:
                node.on_event(now, event)
                self._dirty = True
        self._schedule_timer(node)

    def _schedule_timer(self, node: Node) -> None:
        at = node._timed.get_timer()
        if at == node._timer_at:
            return
        node._timer_at = at
        node._timer_version += 1
        if at is not None:
            version = node._timer_version
            self._push(max(at, self._now), lambda: self._fire_timer(node, version))

    def _fire_timer(self, node: Node, version: int) -> None:
        if version != node._timer_version:
            return  # superseded by a later get_timer()
        node._timer_at = None
        at = node._timed.get_timer()
        if at is not None and at <= self._now:
            node._timed.handle_timer(self._now)
        self._service(node)

    def _trace(
        self,
        kind: TraceKind,
        src: Address,
        dst: Address,
        data: bytes,
        reason: DropReason | None = None,
    ) -> None:
        record = TraceRecord(self._now, kind, src, dst, data, reason)
        for tracer in self._tracers:
            tracer(record)

    def _drop(self, src: Address, dst: Address, data: bytes, reason: DropReason) -> None:
        self.stats.drops[reason] += 1
        if self._tracers:
            self._trace("drop", src, dst, data, reason)

    def _send(self, node: Node, data: bytes, dst: Address, src: Address) -> None:
        if not 0 <= dst[1] <= 65535:
            raise SimError(f"{node!r} sent to a bad port: {dst!r}")
        self.stats.sent += 1
        self.stats.bytes_sent += len(data)
        if self._tracers:
            self._trace("send", src, dst, data)
        nat = node.nat
        dst_realm = self._realms.get(dst[0])
        if dst_realm is not None and dst_realm is not nat:
            self._drop(src, dst, data, "unroutable")
            return
        if nat is not None and dst_realm is not nat:
            if dst[0] == nat.public_ip and not nat.hairpin:
                self._drop(src, dst, data, "nat-hairpin")
                return
            external = nat.outbound(src, dst, self._now)
            if external is None:
                self._drop(src, dst, data, "nat-exhausted")
                return
            src = external
        link = self.link(src[0], dst[0])
        reordered = link.stats.reordered
        result = link._transmit(data, len(data) + wire_overhead(dst[0]), self._now)
        if isinstance(result, str):
            self._drop(src, dst, data, result)
            return
        self.stats.reordered += link.stats.reordered - reordered
        for copy, arrival in enumerate(result):
            if copy:
                self.stats.duplicated += 1
                if self._tracers:
                    self._trace("duplicate", src, dst, data)
            self._push(arrival, lambda: self._arrive(link, src, dst, data))

    def _arrive(self, link: Link, src: Address, dst: Address, data: bytes) -> None:
        link.stats.delivered += 1
        link.stats.bytes_delivered += len(data)
        nat = self._nats.get(dst[0])
        target = dst
        if nat is not None:
            translated = nat.inbound(src, dst[1], self._now)
            if isinstance(translated, str):
                self._drop(src, dst, data, translated)
                return
            target = translated
        node = self._nodes.get(target)
        if node is None:
            self._drop(src, target, data, "no-endpoint")
            return
        if not node._receive(data, src, target, self._now):
            self._drop(src, target, data, "not-peer")
            return
        self.stats.delivered += 1
        self.stats.bytes_delivered += len(data)
        if self._tracers:
            self._trace("deliver", src, target, data)
        self._service(node)


def _check_host(host: str) -> None:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise SimError(f"{host!r} is not an IP address") from None
