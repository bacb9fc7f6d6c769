"""The TURN client (RFC 8656), sans-I/O: allocation, permissions, channels, relayed data.

A :class:`TurnClient` talks to one TURN server. It follows :class:`pyrtc.sansio.AddressedCore`:
the shell feeds it what the server sent (``receive``), the time (``handle_timer``), and sends
what ``datagrams_to_send`` returns to the server. Requests go through
:class:`pyrtc.stun.ClientTransaction`, retransmitted over UDP and sent once over TCP/TLS
(RFC 8489 §6.2.2: one transmission, 39.5 s to answer).
"""

from __future__ import annotations

import ipaddress
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from pyrtc import __version__
from pyrtc.errors import Error
from pyrtc.sansio import Address, Datagram, Event
from pyrtc.stun import (
    AddressFamily,
    Class,
    ClientTransaction,
    Message,
    Method,
    ResponseReceived,
    StunError,
    long_term_key,
)
from pyrtc.stun.constants import REASONS
from pyrtc.stun.transaction import DEFAULT_RTO, RC, RM
from pyrtc.turn.channel import (
    MAX_CHANNEL,
    MIN_CHANNEL,
    encode_channel_data,
    is_channel_data,
    parse_channel_data,
)
from pyrtc.turn.errors import TurnError, TurnParseError
from pyrtc.turn.events import (
    Allocated,
    AllocationFailed,
    Closed,
    DataReceived,
    IcmpReceived,
    PermissionFailed,
    Refreshed,
)

Transport = Literal["udp", "tcp", "tls"]
"""How the client reaches the server; the relay itself is always UDP."""

UDP_PROTOCOL = 17
"""REQUESTED-TRANSPORT value for a UDP relay (RFC 8656 §18.8: an IANA protocol number)."""
PERMISSION_REFRESH = 240.0
"""Seconds between CreatePermission refreshes; permissions last 300 s (RFC 8656 §9)."""
CHANNEL_REFRESH = 540.0
"""Seconds between ChannelBind refreshes; bindings last 600 s (RFC 8656 §12)."""
STREAM_TIMEOUT = 39.5
"""Over TCP/TLS a request is sent once and fails after this many seconds (RFC 8489 §6.2.2)."""
MAX_QUEUED = 64
"""Datagrams kept per peer while its permission or channel is being installed."""
MAX_STALE_RETRIES = 3
"""How many 438 (Stale Nonce) answers in a row one request may get before it fails."""


def refresh_delay(lifetime: float) -> float:
    """When to refresh an allocation of ``lifetime`` seconds: a minute early, or halfway."""
    return lifetime - 60 if lifetime > 120 else lifetime / 2


@dataclass
class TurnStats:
    """Counters of what the client did with its input."""

    malformed: int = 0
    """Input that was not valid STUN or ChannelData (including a bad FINGERPRINT)."""
    unexpected: int = 0
    """Valid input nobody asked for: unknown transaction or channel, other source address."""
    dropped: int = 0
    """Datagrams given to ``send`` that were never relayed: a peer's queue overflowed, its
    permission or channel failed, or the allocation was already gone."""
    relayed_out: int = 0
    """Datagrams sent towards peers (ChannelData or Send indication)."""
    relayed_in: int = 0
    """Datagrams received from peers (ChannelData or Data indication)."""
    unauthenticated: int = 0
    """Responses dropped because their MESSAGE-INTEGRITY was missing or wrong."""
    stale_nonces: int = 0
    """438 (Stale Nonce) answers the client recovered from by retrying with the new nonce."""


@dataclass
class _Request:
    kind: Literal["allocate", "refresh", "permission", "channel", "close"]
    method: Method
    attributes: list[tuple[str, Any]]
    transaction: ClientTransaction
    peer: Address | None = None
    authenticated: bool = False
    stale_retries: int = 0


@dataclass
class _Permission:
    peer: Address
    installed: bool = False
    pending: bool = False
    refresh_at: float | None = None
    queue: deque[tuple[bytes, Address]] = field(default_factory=deque)


@dataclass
class _Channel:
    number: int
    peer: Address
    bound: bool = False
    refresh_at: float | None = None
    queue: deque[bytes] = field(default_factory=deque)


def _error_of(response: Message) -> tuple[int, str]:
    error = response.attributes.get("ERROR-CODE")
    if error is None:
        return 0, "error response without ERROR-CODE"
    return error.code, error.reason.strip() or REASONS.get(error.code, "")


class TurnClient:
    """A TURN client for one allocation on one server (RFC 8656).

    ``allocate(now)`` starts the Allocate exchange with long-term credentials (RFC 8489
    §9.2: the first request is unauthenticated, the 401 answer supplies REALM and NONCE);
    :class:`Allocated` or :class:`AllocationFailed` follows. Then ``send(data, peer, now)``
    relays to a peer: the first datagram to a peer triggers a ChannelBind (or, with
    ``use_channels=False``, a CreatePermission) and waits in a queue until it succeeds.
    Data from peers comes out as :class:`DataReceived`. The allocation, permissions and
    channels are refreshed by the timer; ``close(now)`` deallocates (Refresh with
    LIFETIME 0) and ends with :class:`Closed`.

    ``transport`` is how the server is reached (``"tls"`` behaves as ``"tcp"`` here: the
    shell does the TLS); over TCP/TLS the shell splits the byte stream with
    :class:`~pyrtc.turn.StreamFramer` and feeds each frame to :meth:`receive`.
    ``family`` adds REQUESTED-ADDRESS-FAMILY, ``even_port`` EVEN-PORT (RFC 8656 §7.1)
    and ``dont_fragment`` DONT-FRAGMENT to the Allocate request and Send indications.
    """

    def __init__(
        self,
        server: Address,
        username: str,
        password: str,
        *,
        transport: Transport = "udp",
        lifetime: int = 600,
        software: str | None = f"pyrtc {__version__}",
        use_channels: bool = True,
        family: AddressFamily | None = None,
        even_port: bool = False,
        dont_fragment: bool = False,
        rto: float = DEFAULT_RTO,
    ) -> None:
        if transport not in ("udp", "tcp", "tls"):
            raise ValueError(f"transport must be udp, tcp or tls, not {transport!r}")
        if lifetime <= 0:
            raise ValueError("the requested lifetime must be positive")
        self.server = server
        self.username = username
        self.transport = transport
        self.lifetime = lifetime
        self.software = software
        self.use_channels = use_channels
        self.family = family
        self.even_port = even_port
        self.dont_fragment = dont_fragment
        self.stats = TurnStats()
        self.relayed_address: Address | None = None
        """The relayed transport address, once allocated."""
        self.mapped_address: Address | None = None
        """The server-reflexive address the server reported, once allocated."""
        self.state: Literal["new", "allocating", "allocated", "closing", "closed"] = "new"
        self._password = password
        self._stream = transport != "udp"
        self._rto = rto
        self._realm: str | None = None
        self._nonce: str | None = None
        self._key: bytes | None = None
        self._requests: dict[bytes, _Request] = {}
        self._refresh_at: float | None = None
        self._permissions: dict[str, _Permission] = {}
        self._channels: dict[Address, _Channel] = {}
        self._by_number: dict[int, _Channel] = {}
        self._next_channel = MIN_CHANNEL
        self._numbers: dict[Address, int] = {}
        self._outbox: list[Datagram] = []
        self._events: deque[Event] = deque()

    # -- public API ------------------------------------------------------------------------------

    def allocate(self, now: float) -> None:
        """Send the Allocate request (RFC 8656 §7.1)."""
        if self.state != "new":
            raise TurnError(f"allocate() called in state {self.state}")
        self.state = "allocating"
        attributes: list[tuple[str, Any]] = [
            ("REQUESTED-TRANSPORT", UDP_PROTOCOL),
            ("LIFETIME", self.lifetime),
        ]
        if self.family is not None:
            attributes.append(("REQUESTED-ADDRESS-FAMILY", int(self.family)))
        if self.even_port:
            attributes.append(("EVEN-PORT", False))
        if self.dont_fragment:
            attributes.append(("DONT-FRAGMENT", None))
        self._request("allocate", Method.ALLOCATE, attributes, now)

    def send(self, data: bytes, peer: Address, now: float) -> None:
        """Relay ``data`` to ``peer`` (an IP literal and port) through the allocation.

        Uses the peer's channel once bound (RFC 8656 §12.5), else a Send indication if a
        permission for the peer's IP is installed (§11.1), else queues the datagram and
        starts the ChannelBind or CreatePermission that lets it through. Once the allocation
        is closing or lost, data is dropped and counted in ``stats.dropped``; before it
        exists, or for a peer that is not an IP address and port, :class:`TurnError` is raised.
        """
        channel = self._channels.get(peer)
        if channel is not None and channel.bound:  # the hot path: no validation needed again
            self._relay(encode_channel_data(channel.number, data, pad=self._stream))
            return
        if self.state in ("closing", "closed"):
            self.stats.dropped += 1  # the allocation may be lost at any time: not an error
            return
        if self.state != "allocated":
            raise TurnError(f"cannot relay data before the allocation exists ({self.state})")
        try:
            host = str(ipaddress.ip_address(peer[0]))
        except ValueError:
            raise TurnError(f"peer {peer[0]!r} is not an IP address") from None
        if not 0 < peer[1] < 65536:
            raise TurnError(f"peer port {peer[1]} is not in 1..65535")
        peer = (host, peer[1])
        channel = self._channels.get(peer)
        if self.use_channels and channel is None:
            channel = self._bind_channel(peer, now)
        if channel is not None and channel.bound:
            self._relay(encode_channel_data(channel.number, data, pad=self._stream))
            return
        permission = self._permissions.get(host)
        if permission is not None and permission.installed:
            self._send_indication(data, peer)
            return
        if channel is not None:
            self._enqueue(channel.queue, data)
            return
        if permission is None:
            permission = self._permissions[host] = _Permission(peer)
        if not permission.pending:
            self._create_permission(permission, now)
        self._enqueue(permission.queue, (data, peer))

    def channel_number(self, peer: Address) -> int | None:
        """The channel bound to ``peer``, or ``None`` while there is none (yet)."""
        channel = self._channels.get(peer)
        return channel.number if channel is not None and channel.bound else None

    def close(self, now: float) -> None:
        """Deallocate: Refresh with LIFETIME 0 (RFC 8656 §8); :class:`Closed` follows.

        While the Allocate request is in flight the client waits for its answer and
        deallocates if it succeeded; before :meth:`allocate` it closes at once.
        """
        if self.state in ("closing", "closed"):
            return
        if self.state == "new":
            self._finish(Closed())
            return
        if self.state == "allocating":
            self.state = "closing"
            return
        self._forget_peers()
        self._refresh_at = None
        self._requests.clear()
        self.state = "closing"
        self._request("close", Method.REFRESH, [("LIFETIME", 0)], now)

    def connection_lost(self, reason: str) -> None:
        """The TCP/TLS connection to the server is gone, and the allocation with it.

        An allocation belongs to its 5-tuple, over TCP/TLS the connection (RFC 8656 §3.2); the
        client ends with :class:`Closed` carrying ``reason`` unless it was closed already.
        """
        if self.state == "closed":
            return
        self._forget_peers()
        self._requests.clear()
        self._outbox.clear()
        error = None if self.state == "closing" else TurnError(reason)
        self._finish(Closed(error))

    # -- sans-I/O interface ---------------------------------------------------------------------

    def receive(self, data: bytes, addr: Address, now: float) -> None:
        """Handle one datagram (or stream frame) from the server; never raises on bad input."""
        if addr != self.server:
            self.stats.unexpected += 1
            return
        if is_channel_data(data):
            self._receive_channel_data(data)
            return
        try:
            message = Message.parse(data)
        except StunError:
            self.stats.malformed += 1
            return
        if "FINGERPRINT" in message.attributes and not message.verify_fingerprint():
            self.stats.malformed += 1
            return
        if message.message_class is Class.INDICATION and message.method == Method.DATA:
            self._receive_data_indication(message)
            return
        request = self._requests.get(message.transaction_id)
        if request is None or message.message_class not in (Class.SUCCESS, Class.ERROR):
            self.stats.unexpected += 1
            return
        transaction = request.transaction
        dropped = transaction.stats.unauthenticated
        transaction.receive_message(message, addr, now)
        self.stats.unauthenticated += transaction.stats.unauthenticated - dropped
        self._drain(request, now)

    def handle_timer(self, now: float) -> None:
        """Run retransmissions, timeouts and the refresh schedule (RFC 8656 §8, §9, §12)."""
        for tid, request in list(self._requests.items()):
            if tid in self._requests:  # a failure may have cancelled the others
                request.transaction.handle_timer(now)
                self._drain(request, now)
        if self.state != "allocated":
            return
        if self._refresh_at is not None and now >= self._refresh_at:
            self._refresh_at = None
            self._request("refresh", Method.REFRESH, [("LIFETIME", self.lifetime)], now)
        for permission in list(self._permissions.values()):
            if permission.refresh_at is not None and now >= permission.refresh_at:
                permission.refresh_at = None
                self._create_permission(permission, now)
        for channel in list(self._channels.values()):
            if channel.refresh_at is not None and now >= channel.refresh_at:
                channel.refresh_at = None
                self._send_channel_bind(channel, now)

    def get_timer(self) -> float | None:
        """The next retransmission, timeout or refresh deadline."""
        deadlines = [
            t for r in self._requests.values() if (t := r.transaction.get_timer()) is not None
        ]
        if self.state == "allocated":
            if self._refresh_at is not None:
                deadlines.append(self._refresh_at)
            deadlines += [
                p.refresh_at for p in self._permissions.values() if p.refresh_at is not None
            ]
            deadlines += [c.refresh_at for c in self._channels.values() if c.refresh_at is not None]
        return min(deadlines, default=None)

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        """Everything to send to the server, in order."""
        out, self._outbox = self._outbox, []
        return out

    def next_event(self) -> Event | None:
        """The next :mod:`pyrtc.turn.events` event, or ``None``."""
        return self._events.popleft() if self._events else None

    # -- requests --------------------------------------------------------------------------------

    def _request(
        self,
        kind: Literal["allocate", "refresh", "permission", "channel", "close"],
        method: Method,
        attributes: list[tuple[str, Any]],
        now: float,
        peer: Address | None = None,
        stale_retries: int = 0,
    ) -> None:
        entries = list(attributes)
        authenticated = self._key is not None
        if authenticated:
            assert self._realm is not None and self._nonce is not None
            entries += [
                ("USERNAME", self.username),
                ("REALM", self._realm),
                ("NONCE", self._nonce),
            ]
        if self.software is not None:
            entries.append(("SOFTWARE", self.software))
        message = Message(method, Class.REQUEST, attributes=entries)
        if self._stream:
            max_sends, final_wait = 1, STREAM_TIMEOUT / self._rto
        else:
            max_sends, final_wait = RC, RM
        transaction = ClientTransaction(
            message,
            self.server,
            now,
            rto=self._rto,
            max_sends=max_sends,
            final_wait=final_wait,
            integrity_key=self._key,
            long_term=True,
        )
        request = _Request(
            kind, method, attributes, transaction, peer, authenticated, stale_retries
        )
        self._requests[transaction.transaction_id] = request
        self._outbox += transaction.datagrams_to_send(now)

    def _retry(self, request: _Request, now: float, stale_retries: int) -> None:
        self._request(
            request.kind, request.method, request.attributes, now, request.peer, stale_retries
        )

    def _drain(self, request: _Request, now: float) -> None:
        transaction = request.transaction
        self._outbox += transaction.datagrams_to_send(now)
        event = transaction.next_event()
        if event is None:
            return
        del self._requests[transaction.transaction_id]
        if isinstance(event, ResponseReceived):
            self._on_response(request, event.response, now - event.rtt, now)
        else:
            sends = transaction.stats.transmissions
            self._on_failure(
                request,
                TurnError(
                    f"no answer from the TURN server {self.server[0]}:{self.server[1]} "
                    f"to {request.method.name} ({sends} transmission(s))"
                ),
            )

    def _on_response(self, request: _Request, response: Message, sent: float, now: float) -> None:
        if request.kind == "allocate" and self.state == "closing":
            # close() came while allocating: release what the server granted, if anything.
            if response.message_class is Class.SUCCESS:
                self._request("close", Method.REFRESH, [("LIFETIME", 0)], now)
            else:
                self._finish(Closed())
            return
        if response.message_class is Class.ERROR:
            code, reason = _error_of(response)
            attributes = response.attributes
            if code == 401 and not request.authenticated and "NONCE" in attributes:
                if "REALM" not in attributes:
                    self._on_failure(request, TurnError("401 without REALM", code, reason))
                    return
                if self._adopt(request, attributes["REALM"], attributes["NONCE"]):
                    self._retry(request, now, request.stale_retries)
                return
            if code == 438 and "NONCE" in attributes and request.stale_retries < MAX_STALE_RETRIES:
                self.stats.stale_nonces += 1
                realm = attributes.get("REALM", self._realm)
                if self._adopt(request, realm, attributes["NONCE"]):
                    self._retry(request, now, request.stale_retries + 1)
                return
            if code == 401:
                message = (
                    f"401 {reason}: the server rejected user {self.username!r} in realm "
                    f"{self._realm!r} (wrong username or password?)"
                )
            else:
                message = f"{code} {reason}".strip()
            self._on_failure(request, TurnError(message, code, reason))
            return
        if request.kind == "allocate":
            self._on_allocated(response, sent)
        elif request.kind == "refresh":
            lifetime = response.attributes.get("LIFETIME", self.lifetime)
            self._refresh_at = sent + refresh_delay(lifetime)
            self._events.append(Refreshed(lifetime))
        elif request.kind == "permission":
            assert request.peer is not None
            self._on_permission(request.peer, sent)
        elif request.kind == "channel":
            assert request.peer is not None
            self._on_channel_bound(request.peer, sent)
        else:
            self._finish(Closed())

    def _adopt(self, request: _Request, realm: str | None, nonce: str) -> bool:
        """Take the server's REALM and NONCE (RFC 8489 §9.2.4); the key depends on the realm."""
        if realm is None:  # a 438 before any 401: nothing to sign with
            self._on_failure(request, TurnError("438 Stale Nonce before authentication", 438))
            return False
        if realm != self._realm or self._key is None:
            try:
                self._key = long_term_key(self.username, realm, self._password)
            except Error as exc:
                self._on_failure(request, TurnError(f"bad credentials: {exc}"))
                return False
        self._realm = realm
        self._nonce = nonce
        return True

    def _on_failure(self, request: _Request, error: TurnError) -> None:
        if request.kind == "allocate":
            self._requests.clear()
            self._finish(Closed() if self.state == "closing" else AllocationFailed(error))
        elif request.kind == "refresh":
            self._forget_peers()
            self._requests.clear()
            self._finish(Closed(error))
        elif request.kind == "close":
            self._finish(Closed())
        else:
            assert request.peer is not None
            self._drop_peer(request, error)

    def _finish(self, event: Event) -> None:
        self.state = "closed"
        self._refresh_at = None
        self._events.append(event)

    # -- allocation ------------------------------------------------------------------------------

    def _on_allocated(self, response: Message, sent: float) -> None:
        """Allocate success (RFC 8656 §7.3): addresses, lifetime, first refresh deadline."""
        relayed = response.attributes.get("XOR-RELAYED-ADDRESS")
        if relayed is None:
            self._finish(AllocationFailed(TurnError("Allocate success without a relayed address")))
            return
        lifetime = response.attributes.get("LIFETIME", self.lifetime)
        self.relayed_address = relayed
        self.mapped_address = response.attributes.get("XOR-MAPPED-ADDRESS")
        self.state = "allocated"
        self._refresh_at = sent + refresh_delay(lifetime)
        self._events.append(Allocated(relayed, self.mapped_address, lifetime))

    # -- permissions and channels ----------------------------------------------------------------

    def _create_permission(self, permission: _Permission, now: float) -> None:
        """CreatePermission for one peer IP (RFC 8656 §10.1); the port is not significant."""
        permission.pending = True
        peer = permission.peer
        self._request(
            "permission", Method.CREATE_PERMISSION, [("XOR-PEER-ADDRESS", peer)], now, peer
        )

    def _on_permission(self, peer: Address, sent: float) -> None:
        """The permission for the peer's IP is installed: flush what waited for it."""
        permission = self._permissions.setdefault(peer[0], _Permission(peer))
        permission.installed = True
        permission.pending = False
        permission.refresh_at = sent + PERMISSION_REFRESH
        while permission.queue:
            data, peer = permission.queue.popleft()
            self._send_indication(data, peer)

    def _bind_channel(self, peer: Address, now: float) -> _Channel | None:
        """A channel for ``peer``: the number it had before, else the next free one.

        A peer keeps its number for the life of the allocation: the server refuses to bind
        a peer to a second number while the first binding lasts (RFC 8656 §12.2). When all
        4096 numbers are taken, the peer gets no channel and uses indications.
        """
        number = self._numbers.get(peer)
        if number is None:
            if self._next_channel > MAX_CHANNEL:
                return None
            number = self._numbers[peer] = self._next_channel
            self._next_channel += 1
        channel = _Channel(number, peer)
        self._channels[peer] = channel
        self._by_number[channel.number] = channel
        self._send_channel_bind(channel, now)
        return channel

    def _send_channel_bind(self, channel: _Channel, now: float) -> None:
        """ChannelBind (RFC 8656 §12.1), which also creates or refreshes the binding."""
        attributes: list[tuple[str, Any]] = [
            ("CHANNEL-NUMBER", channel.number),
            ("XOR-PEER-ADDRESS", channel.peer),
        ]
        self._request("channel", Method.CHANNEL_BIND, attributes, now, channel.peer)

    def _on_channel_bound(self, peer: Address, sent: float) -> None:
        channel = self._channels.get(peer)
        if channel is None:
            return
        channel.bound = True
        channel.refresh_at = sent + CHANNEL_REFRESH
        # A ChannelBind installs or refreshes the permission for the peer's IP (§12.3).
        self._on_permission(peer, sent)
        while channel.queue:
            data = channel.queue.popleft()
            self._relay(encode_channel_data(channel.number, data, pad=self._stream))

    def _drop_peer(self, request: _Request, error: TurnError) -> None:
        assert request.peer is not None
        peer = request.peer
        if request.kind == "channel":
            channel = self._channels.pop(peer, None)
            if channel is not None:
                del self._by_number[channel.number]
                self.stats.dropped += len(channel.queue)
        else:
            permission = self._permissions.pop(peer[0], None)
            if permission is not None:
                self.stats.dropped += len(permission.queue)
        self._events.append(PermissionFailed(peer, error))

    def _forget_peers(self) -> None:
        for permission in self._permissions.values():
            self.stats.dropped += len(permission.queue)
        for channel in self._channels.values():
            self.stats.dropped += len(channel.queue)
        self._permissions.clear()
        self._channels.clear()
        self._by_number.clear()

    def _enqueue(self, queue: deque[Any], item: Any) -> None:
        if len(queue) >= MAX_QUEUED:
            queue.popleft()
            self.stats.dropped += 1
        queue.append(item)

    # -- data ------------------------------------------------------------------------------------

    def _relay(self, wire: bytes) -> None:
        self.stats.relayed_out += 1
        self._outbox.append((wire, self.server))

    def _send_indication(self, data: bytes, peer: Address) -> None:
        """Send indication (RFC 8656 §11.1): XOR-PEER-ADDRESS and DATA, no credentials."""
        attributes: list[tuple[str, Any]] = [("XOR-PEER-ADDRESS", peer), ("DATA", data)]
        if self.dont_fragment:
            attributes.append(("DONT-FRAGMENT", None))
        indication = Message(Method.SEND, Class.INDICATION, attributes=attributes)
        self._relay(indication.encode(fingerprint=True))

    def _receive_channel_data(self, data: bytes) -> None:
        """ChannelData from the server (RFC 8656 §12.6), on a bound or pending channel."""
        try:
            number, payload = parse_channel_data(data)
        except TurnParseError:
            self.stats.malformed += 1
            return
        channel = self._by_number.get(number)
        if channel is None:
            self.stats.unexpected += 1
            return
        # A pending channel counts: the server may use the binding before its success
        # response reaches us (RFC 8656 §12), and the number can only mean this peer.
        self.stats.relayed_in += 1
        self._events.append(DataReceived(channel.peer, payload))

    def _receive_data_indication(self, message: Message) -> None:
        """Data indication (RFC 8656 §11.4): both attributes must be present.

        One carrying ICMP instead of DATA reports an ICMP error about a peer (§11.6): it
        becomes :class:`IcmpReceived`.
        """
        peer = message.attributes.get("XOR-PEER-ADDRESS")
        data = message.attributes.get("DATA")
        icmp = message.attributes.get("ICMP")
        if peer is not None and data is None and icmp is not None:
            self._events.append(IcmpReceived(peer, icmp))
            return
        if peer is None or data is None:
            self.stats.malformed += 1
            return
        self.stats.relayed_in += 1
        self._events.append(DataReceived(peer, data))
