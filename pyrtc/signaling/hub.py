"""The signaling server's logic as a sans-I/O core: rooms, relaying, presence and limits.

:class:`Hub` never touches a socket or the clock. The asyncio shell
(:mod:`pyrtc.signaling.server`) calls :meth:`Hub.connect` for each WebSocket, feeds every
text or binary message to :meth:`Hub.receive` with the time, reports a dropped transport
with :meth:`Hub.disconnect`, keeps one timer armed at :meth:`Hub.get_timer`, and after
every input drains :meth:`Hub.messages_to_send` (``Send`` and ``Close`` actions, in order)
and :meth:`Hub.next_event` (for logging). Tests drive it on a virtual clock.
"""

from __future__ import annotations

import heapq
import ipaddress
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pyrtc.sansio import Event
from pyrtc.signaling.auth import Identity
from pyrtc.signaling.errors import SignalingError, SignalingParseError
from pyrtc.signaling.limits import Limits, TokenBucket
from pyrtc.signaling.protocol import (
    CLOSE_CODES,
    CLOSE_NORMAL,
    Answer,
    Candidate,
    ErrorMessage,
    Join,
    Joined,
    Leave,
    Offer,
    Participant,
    PeerJoined,
    PeerLeft,
    Pong,
    ServerMessage,
    encode_server_message,
    parse_client_message,
)

SWEEP_INTERVAL = 1.0
"""Least time between two passes over the per-IP table (bounds the work per second)."""

Authenticate = Callable[[str, str], Identity]
"""``(token, room) -> Identity``, raising :class:`~pyrtc.signaling.errors.AuthError`."""


@dataclass(frozen=True)
class Send:
    """Action: send ``text`` on connection ``conn``."""

    conn: int
    text: str


@dataclass(frozen=True)
class Close:
    """Action: close connection ``conn`` with WebSocket close ``code`` and ``reason``."""

    conn: int
    code: int
    reason: str


@dataclass(frozen=True)
class ParticipantJoined(Event):
    """A connection authenticated and entered ``room`` as ``peer``."""

    room: str
    peer: Participant
    ip: str


@dataclass(frozen=True)
class ParticipantLeft(Event):
    """Participant ``peer_id`` is no longer in ``room``."""

    room: str
    peer_id: str


@dataclass(frozen=True)
class ErrorSent(Event):
    """The hub sent error ``code`` to ``conn`` from ``ip``; ``fatal``: the close follows."""

    conn: int
    ip: str
    code: str
    message: str
    fatal: bool


@dataclass
class _Conn:
    ip: str
    ip_key: str
    bucket: TokenBucket
    deadline: float
    peer: Participant | None = None
    room: str | None = None
    closing: bool = False


@dataclass
class _IpState:
    bucket: TokenBucket
    connections: int = 0


@dataclass
class HubStats:
    """Counters since the hub was created."""

    connections: int = 0
    messages: int = 0
    relayed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    """Error messages sent, by code."""


class Hub:
    """Rooms of participants relaying signaling messages to each other, within limits."""

    def __init__(self, limits: Limits, authenticate: Authenticate) -> None:
        self.limits = limits
        self.stats = HubStats()
        self._authenticate = authenticate
        self._conns: dict[int, _Conn] = {}
        self._ips: dict[str, _IpState] = {}
        self._rooms: dict[str, dict[str, int]] = {}
        self._next_conn = 0
        self._timers: list[tuple[float, int]] = []
        self._sweep_at: float | None = None
        self._actions: list[Send | Close] = []
        self._events: deque[Event] = deque()

    # -- inputs ------------------------------------------------------------------------

    def connect(self, ip: str, now: float) -> int:
        """Register a new WebSocket from ``ip``; the returned id names it from now on.

        Over a connection limit the connection is refused at once (error, then close).
        """
        conn = self._next_conn = self._next_conn + 1
        limits = self.limits
        key = _network_key(ip)
        state = self._ip_state(key, now)
        state.connections += 1
        bucket = TokenBucket(limits.rate, limits.burst, now)
        self._conns[conn] = _Conn(ip, key, bucket, now + limits.idle_timeout)
        heapq.heappush(self._timers, (now + limits.idle_timeout, conn))
        self.stats.connections += 1
        if len(self._conns) > limits.max_connections:
            self._refuse(conn, "server-full", "the server has too many connections")
        elif state.connections > limits.max_connections_per_ip:
            self._refuse(conn, "too-many-connections", "too many connections from your address")
        elif not state.bucket.take(now):
            self._refuse(conn, "rate-limited", "too many connection attempts")
        return conn

    def receive(self, conn: int, data: str | bytes, now: float) -> None:
        """Handle one WebSocket message (``bytes``: a binary frame, which is refused)."""
        state = self._conns.get(conn)
        if state is None or state.closing:
            return
        self.stats.messages += 1
        state.deadline = now + self.limits.idle_timeout
        if not state.bucket.take(now) or not self._ip_state(state.ip_key, now).bucket.take(now):
            self._refuse(conn, "rate-limited", "slow down: too many messages")
            return
        if isinstance(data, bytes):
            self._refuse(conn, "bad-message", "binary messages are not part of the protocol")
            return
        # Cheap bound first: UTF-8 needs at most 4 bytes per character.
        size = len(data)
        if size * 4 > self.limits.max_message_size:
            size = len(data.encode("utf-8", "surrogatepass"))
        if size > self.limits.max_message_size:
            self._refuse(
                conn,
                "message-too-large",
                f"messages are limited to {self.limits.max_message_size} bytes",
            )
            return
        try:
            message = parse_client_message(data)
        except SignalingParseError as exc:
            self._refuse(conn, exc.code, exc.message)
            return
        match message:
            case Join():
                self._join(conn, state, message, now)
            case Offer(peer) | Answer(peer) | Candidate(peer):
                self._relay(conn, state, peer, message)
            case Leave():
                self._close(conn, state, CLOSE_NORMAL, "left")
            case _:
                self._send(conn, Pong())

    def disconnect(self, conn: int, now: float) -> None:
        """The transport of ``conn`` is gone (closed by either side): forget it."""
        state = self._conns.pop(conn, None)
        if state is None:
            return
        self._leave_room(conn, state)
        ip_state = self._ips.get(state.ip_key)
        if ip_state is not None:
            ip_state.connections -= 1
            if ip_state.connections == 0:
                self._schedule_sweep(ip_state, now)

    def abort(self, conn: int, code: str, message: str) -> None:
        """End ``conn`` with error ``code`` for a reason only the shell sees (a slow reader)."""
        if conn in self._conns and not self._conns[conn].closing:
            self._refuse(conn, code, message)

    def charge_ip(self, ip: str, now: float) -> bool:
        """Charge one HTTP request to ``ip``'s bucket; ``False`` means refuse it (429)."""
        state = self._ip_state(_network_key(ip), now)
        allowed = state.bucket.take(now)
        if state.connections == 0:
            self._schedule_sweep(state, now)
        return allowed

    # -- timers ------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """The next idle deadline or IP-table sweep, or ``None``."""
        times = [self._timers[0][0]] if self._timers else []
        if self._sweep_at is not None:
            times.append(self._sweep_at)
        return min(times, default=None)

    def handle_timer(self, now: float) -> None:
        """Close idle connections and forget IP addresses whose buckets refilled."""
        while self._timers and self._timers[0][0] <= now:
            _, conn = heapq.heappop(self._timers)
            state = self._conns.get(conn)
            if state is None or state.closing:
                continue
            if state.deadline <= now:
                self._refuse(conn, "idle-timeout", "no message within the idle timeout")
            else:
                heapq.heappush(self._timers, (state.deadline, conn))
        if self._sweep_at is not None and self._sweep_at <= now:
            self._sweep_at = None
            for ip, ip_state in list(self._ips.items()):
                if ip_state.connections:
                    continue
                if ip_state.bucket.full_at(now) <= now:
                    del self._ips[ip]
                else:
                    self._schedule_sweep(ip_state, now)

    # -- outputs -----------------------------------------------------------------------

    def messages_to_send(self) -> list[Send | Close]:
        """Actions queued since the last call, in the order they must happen."""
        actions, self._actions = self._actions, []
        return actions

    def next_event(self) -> Event | None:
        """The next :class:`ParticipantJoined`/:class:`ParticipantLeft`/
        :class:`ErrorSent` event, or ``None``."""
        return self._events.popleft() if self._events else None

    # -- queries -----------------------------------------------------------------------

    def room_members(self, room: str) -> list[str]:
        """Ids of the participants in ``room`` (empty when it does not exist)."""
        return list(self._rooms.get(room, ()))

    @property
    def connection_count(self) -> int:
        """Connections the hub knows (including ones it is closing)."""
        return len(self._conns)

    @property
    def tracked_ips(self) -> int:
        """IPv4 addresses and IPv6 /64s with live connections or a not yet full bucket."""
        return len(self._ips)

    # -- internals ---------------------------------------------------------------------

    def _ip_state(self, key: str, now: float) -> _IpState:
        state = self._ips.get(key)
        if state is None:
            bucket = TokenBucket(self.limits.ip_rate, self.limits.ip_burst, now)
            state = self._ips[key] = _IpState(bucket)
        return state

    def _schedule_sweep(self, state: _IpState, now: float) -> None:
        when = max(state.bucket.full_at(now), now + SWEEP_INTERVAL)
        if self._sweep_at is None or when < self._sweep_at:
            self._sweep_at = when

    def _send(self, conn: int, message: ServerMessage) -> None:
        self._actions.append(Send(conn, encode_server_message(message)))

    def _refuse(self, conn: int, code: str, message: str) -> None:
        state = self._conns[conn]
        self.stats.errors[code] = self.stats.errors.get(code, 0) + 1
        close_code = CLOSE_CODES[code]
        self._events.append(ErrorSent(conn, state.ip, code, message, close_code is not None))
        self._send(conn, ErrorMessage(code, message))
        if close_code is not None:
            self._close(conn, state, close_code, code)

    def _close(self, conn: int, state: _Conn, code: int, reason: str) -> None:
        state.closing = True
        self._leave_room(conn, state)
        self._actions.append(Close(conn, code, reason))

    def _join(self, conn: int, state: _Conn, join: Join, now: float) -> None:
        if state.peer is not None:
            self._refuse(conn, "already-joined", "this connection is already in a room")
            return
        try:
            identity = self._authenticate(join.token, join.room)
        except SignalingError as exc:
            self._refuse(conn, exc.code, exc.message)
            return
        members = self._rooms.get(join.room)
        if members is None and len(self._rooms) >= self.limits.max_rooms:
            self._refuse(conn, "too-many-rooms", "no more rooms can be opened now")
            return
        if members is not None and len(members) >= self.limits.max_participants:
            self._refuse(conn, "room-full", f"the room has {len(members)} participants")
            return
        if members is None:
            members = self._rooms[join.room] = {}
        peer = Participant(f"p{conn}", identity.user)
        peers = tuple(p for c in members.values() if (p := self._conns[c].peer) is not None)
        for other in members.values():
            self._send(other, PeerJoined(peer))
        members[peer.id] = conn
        state.peer, state.room = peer, join.room
        self._send(conn, Joined(join.room, peer.id, peer.user, peers))
        self._events.append(ParticipantJoined(join.room, peer, state.ip))

    def _relay(self, conn: int, state: _Conn, to: str, message: Offer | Answer | Candidate) -> None:
        if state.peer is None or state.room is None:
            self._refuse(conn, "not-joined", "join a room first")
            return
        target = self._rooms[state.room].get(to)
        if target is None or target == conn:
            self._refuse(conn, "unknown-peer", f"no participant {to[:64]!r} in this room")
            return
        sender = state.peer.id
        match message:
            case Offer(_, sdp):
                self._send(target, Offer(sender, sdp))
            case Answer(_, sdp):
                self._send(target, Answer(sender, sdp))
            case Candidate(_, candidate):
                self._send(target, Candidate(sender, candidate))
        self.stats.relayed += 1

    def _leave_room(self, conn: int, state: _Conn) -> None:
        if state.room is None or state.peer is None:
            return
        room, peer_id = state.room, state.peer.id
        state.room = None
        members = self._rooms[room]
        del members[peer_id]
        if not members:
            del self._rooms[room]
        for other in members.values():
            self._send(other, PeerLeft(peer_id))
        self._events.append(ParticipantLeft(room, peer_id))


def _network_key(ip: str) -> str:
    """What per-IP limits count: an IPv4 address, or the /64 of an IPv6 address (one
    subscriber usually holds a whole /64, so single IPv6 addresses are free to rotate)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
