"""One-shot mDNS resolution of remote ``.local`` ICE candidates (RFC 6762 section 5.1).

:class:`MdnsResolver` is a sans-I/O :class:`~pyrtc.sansio.AddressedCore`: the shell sends its
datagrams to the mDNS groups (224.0.0.251:5353, [ff02::fb]:5353) and feeds back every datagram
it receives. A query asks for the A and AAAA records of the name, is repeated after 1 s, then
after intervals that double (RFC 6762 section 5.2's minimum spacing), and the name fails once
the timeout has passed without an answer. The first A or AAAA record for the name in any
response (answer or additional section) resolves it (draft-ietf-mmusic-mdns-ice-candidates).
Publishing local names is not done.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from pyrtc.errors import ParseError
from pyrtc.ice.dns import DnsError, DnsMessage, build_query
from pyrtc.sansio import Address, Datagram, Event

__all__ = [
    "MDNS_IPV4_GROUP",
    "MDNS_IPV6_GROUP",
    "MDNS_PORT",
    "MdnsFailed",
    "MdnsResolved",
    "MdnsResolver",
    "is_mdns_name",
]

MDNS_PORT = 5353
MDNS_IPV4_GROUP: Address = ("224.0.0.251", MDNS_PORT)
MDNS_IPV6_GROUP: Address = ("ff02::fb", MDNS_PORT)

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?")


def is_mdns_name(name: str) -> bool:
    """Whether ``name`` is a host name under ``.local`` that this resolver can look up."""
    labels = name.split(".")
    return (
        len(labels) >= 2
        and labels[-1].lower() == "local"
        and len(name) <= 253
        and all(_LABEL.fullmatch(label) for label in labels)
    )


@dataclass(frozen=True)
class MdnsResolved(Event):
    """``name`` (as passed to :meth:`MdnsResolver.resolve`) resolved to an IP ``address``."""

    name: str
    address: str


@dataclass(frozen=True)
class MdnsFailed(Event):
    """No answer for ``name`` arrived before the timeout."""

    name: str


@dataclass
class _Query:
    name: str
    deadline: float
    next_send: float
    interval: float


class MdnsResolver:
    """Resolves ``.local`` names with one-shot multicast queries; sans-I/O.

    ``destinations`` are the groups each query goes to (one per address family the shell can
    send on). ``first_retry`` is the delay before the first repetition, which doubles after
    each one; ``timeout`` is how long a name may stay unanswered. Datagrams that are not
    responses from port 5353 (RFC 6762 section 6), have a non-zero opcode or response code
    (section 18.3), or do not parse are dropped and counted in :attr:`dropped`.
    """

    def __init__(
        self,
        destinations: Sequence[Address] = (MDNS_IPV4_GROUP, MDNS_IPV6_GROUP),
        first_retry: float = 1.0,
        timeout: float = 5.0,
    ) -> None:
        if first_retry <= 0 or timeout <= 0:
            raise ValueError("first_retry and timeout must be positive")
        self._destinations = tuple(destinations)
        self._first_retry = first_retry
        self._timeout = timeout
        self._queries: dict[str, _Query] = {}  # keyed by the lower-cased name
        self._outgoing: list[Datagram] = []
        self._events: deque[Event] = deque()
        self.dropped = 0

    def resolve(self, name: str, now: float) -> None:
        """Start resolving ``name``; a name already being resolved is not queried again."""
        if not is_mdns_name(name):
            raise DnsError(f"{name!r} is not a .local host name")
        key = name.lower()
        if key in self._queries:
            return
        query = _Query(name, now + self._timeout, now, self._first_retry)
        self._queries[key] = query
        self._send(query, now)

    def _send(self, query: _Query, now: float) -> None:
        payload = build_query(query.name)
        self._outgoing += [(payload, destination) for destination in self._destinations]
        query.next_send = now + query.interval
        query.interval *= 2

    def receive(self, data: bytes, addr: Address, now: float) -> None:
        """Feed one datagram received on an mDNS socket."""
        if addr[1] != MDNS_PORT:
            self.dropped += 1
            return
        try:
            message = DnsMessage.decode(data)
        except ParseError:
            self.dropped += 1
            return
        if not message.is_response or message.opcode or message.rcode:
            self.dropped += 1
            return
        for record in (*message.answers, *message.additionals):
            address = record.address
            if address is None or record.ttl == 0:  # TTL 0 is a goodbye (section 10.1)
                continue
            query = self._queries.pop(record.name.lower(), None)
            if query is not None:
                self._events.append(MdnsResolved(query.name, address))

    def handle_timer(self, now: float) -> None:
        """Fail the names whose timeout passed and repeat the queries that are due."""
        for key, query in list(self._queries.items()):
            if now >= query.deadline:
                del self._queries[key]
                self._events.append(MdnsFailed(query.name))
            elif now >= query.next_send:
                self._send(query, now)

    def get_timer(self) -> float | None:
        """The next retry or timeout, ``None`` when nothing is being resolved."""
        times = [min(q.next_send, q.deadline) for q in self._queries.values()]
        return min(times, default=None)

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        """The queries to multicast, in order."""
        outgoing, self._outgoing = self._outgoing, []
        return outgoing

    def next_event(self) -> Event | None:
        """The next :class:`MdnsResolved` or :class:`MdnsFailed`, or ``None``."""
        return self._events.popleft() if self._events else None
