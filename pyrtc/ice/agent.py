"""The ICE agent (RFC 8445 full implementation, one component), sans-I/O.

:class:`Agent` gathers host and server reflexive candidates, pairs them with the remote
candidates, runs the paced connectivity checks, nominates (regular nomination as controlling
agent, accepts any USE-CANDIDATE as controlled agent), keeps consent fresh (RFC 7675) and
carries the application's datagrams on the selected pair.

It follows :mod:`pyrtc.sansio` with one extension for multi-homing: the agent has several
local *bases* (one socket each, given to :meth:`Agent.gather`), so :meth:`Agent.receive`
takes the base a datagram arrived on as ``local`` and :meth:`Agent.datagrams_to_send`
returns :class:`~pyrtc.ice.events.Transmit` triples ``(data, addr, local)`` naming the base
to send from. The shell owns the sockets and the interface enumeration.
"""

from __future__ import annotations

import enum
import ipaddress
import random
import re
import string
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pyrtc.errors import Error
from pyrtc.ice.candidate import Candidate
from pyrtc.ice.checklist import Checklist, CheckPair, PairState
from pyrtc.ice.consent import Consent
from pyrtc.ice.events import (
    CandidateGathered,
    DataReceived,
    GatheringStateChanged,
    RoleChanged,
    SelectedPairChanged,
    StateChanged,
    Transmit,
)
from pyrtc.ice.gather import (
    COMPONENT,
    host_candidate,
    local_peer_reflexive,
    relayed_candidate,
    remote_peer_reflexive,
    server_reflexive_candidate,
)
from pyrtc.ice.mdns import MDNS_PORT, MdnsFailed, MdnsResolved, MdnsResolver, is_mdns_name
from pyrtc.ice.pairs import CandidatePair, candidate_base, form_checklist
from pyrtc.ice.priority import candidate_priority, local_preferences
from pyrtc.ice.relay import Relay, TurnServer
from pyrtc.sansio import Address, Event
from pyrtc.stun import (
    Class,
    ClientTransaction,
    Message,
    Method,
    ResponseReceived,
    StunError,
    TransactionTimedOut,
    short_term_key,
)
from pyrtc.turn import Allocated, AllocationFailed, TurnError
from pyrtc.turn import DataReceived as RelayedData

__all__ = ["Agent", "AgentStats", "IceError", "TurnServer"]

_ICE_CHARS = string.ascii_letters + string.digits + "+/"
_UFRAG = re.compile(r"[A-Za-z0-9+/]{4,256}")
_PWD = re.compile(r"[A-Za-z0-9+/]{22,256}")
_MAX_EARLY_CHECKS = 64
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


class IceError(Error):
    """The agent cannot do what was asked (no selected pair, bad credentials, closed...)."""


class _Kind(enum.Enum):
    CHECK = "check"
    NOMINATE = "nominate"
    CONSENT = "consent"
    SERVER = "server"


@dataclass
class _Credentials:
    """One ICE generation's credentials; an ICE restart makes a new one."""

    local_ufrag: str
    local_pwd: str
    local_key: bytes
    remote_ufrag: str | None = None
    remote_pwd: str | None = None
    remote_key: bytes | None = None


@dataclass(eq=False)
class _ValidPair:
    """An entry of the valid list (RFC 8445 section 7.2.5.3.2)."""

    local: Candidate
    remote: Candidate
    base: Address
    generating: CheckPair
    priority: int
    nominated: bool = False


@dataclass(eq=False)
class _Request:
    """A STUN transaction of ours in flight and what it is for."""

    kind: _Kind
    transaction: ClientTransaction
    base: Address
    pair: CheckPair | None = None
    credentials: _Credentials | None = None
    priority: int = 0
    controlling: bool = False
    server: Address | None = None


@dataclass
class AgentStats:
    """Counters of what the agent did with its input."""

    checks_sent: int = 0
    checks_received: int = 0
    malformed: int = 0
    """Datagrams that looked like STUN (first byte 0-3, RFC 7983) but did not parse or
    failed their FINGERPRINT."""
    unauthenticated: int = 0
    """Requests with missing or wrong short-term credentials (answered 400/401)."""
    ignored: int = 0
    """Valid STUN needing no action: stray responses, indications, other methods."""
    role_conflicts: int = 0
    mdns_failed: int = 0
    """Remote mDNS candidates that could not be resolved (or were malformed)."""
    unknown_source: int = 0
    """Non-STUN datagrams dropped because they came from no known remote candidate."""
    relay_dropped: int = 0
    """Datagrams a TURN allocation refused to relay."""
    unusable_candidates: int = 0
    """Remote candidates ignored: port 0, or an unspecified, multicast or broadcast address."""
    stale_candidates: int = 0
    """Remote candidates of an earlier generation (their ``ufrag`` is not the current one)."""


@dataclass
class _Early:
    addr: Address
    local: Address
    priority: int
    use_candidate: bool


def _random_string(rng: random.Random, length: int) -> str:
    # 64 ice-chars: the low 6 bits of each random byte pick one uniformly.
    raw = rng.getrandbits(8 * length).to_bytes(length, "big")
    return "".join([_ICE_CHARS[byte & 63] for byte in raw])


def _key(password: str) -> bytes:
    """The short-term key of a password (RFC 8489 section 9.1.1).

    OpaqueString leaves ice-chars (ASCII letters, digits, ``+``, ``/``) unchanged, so a
    password made of them is its own key; anything else goes through the PRECIS profile.
    """
    return password.encode() if _PWD.fullmatch(password) else short_term_key(password)


def _family(host: str) -> int:
    return 6 if ":" in host else 4


class Agent:
    """A full ICE agent for one component (RFC 8445), sans-I/O and multi-homed.

    ``controlling`` is the initial role (role conflicts may change it). ``ta`` is the
    pacing interval between new checks (RFC 8445 section 14.2; 50 ms by default, browsers
    use less). ``relay_only`` applies the ``relay`` transport
    policy: no host or server reflexive candidate is gathered, paired or answered on.
    ``check_rto`` is the minimum retransmission timer of a check (RFC 8445 section 14.3
    scales it up with the number of Waiting and In-Progress pairs) and ``check_max_sends``
    the number of transmissions (RFC 8489 section 6.2.1 Rc).
    ``nomination_timeout`` is how long the controlling agent waits, after its first valid
    pair, for checks of higher-priority pairs before it nominates the best valid pair.
    ``consent_interval`` (randomised by 0.8-1.2), ``disconnected_timeout`` (an unanswered
    consent request this old makes the state ``disconnected``) and ``failed_timeout`` (no
    consent for this long makes it ``failed``) implement RFC 7675. ``rng`` makes
    credentials, tie-breaker and timer jitter deterministic in tests.
    """

    def __init__(
        self,
        controlling: bool,
        *,
        local_username: str | None = None,
        local_password: str | None = None,
        ta: float = 0.05,
        relay_only: bool = False,
        check_rto: float = 0.5,
        check_max_sends: int = 7,
        nomination_timeout: float = 1.0,
        consent_interval: float = 5.0,
        disconnected_timeout: float = 2.5,
        failed_timeout: float = 30.0,
        mdns: MdnsResolver | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if ta <= 0 or check_rto <= 0 or consent_interval <= 0:
            raise ValueError("ta, check_rto and consent_interval must be positive")
        self._rng = rng if rng is not None else random.SystemRandom()
        ufrag = local_username or _random_string(self._rng, 8)
        pwd = local_password or _random_string(self._rng, 24)
        self._creds = self._new_credentials(ufrag, pwd)
        self._controlling = controlling
        self.tie_breaker = self._rng.getrandbits(64)
        self.stats = AgentStats()
        self._ta = ta
        self._relay_only = relay_only
        self._check_rto = check_rto
        self._check_max_sends = check_max_sends
        self._nomination_timeout = nomination_timeout
        self._consent_interval = consent_interval
        self._disconnected_timeout = disconnected_timeout
        self._failed_timeout = failed_timeout
        self._mdns = mdns if mdns is not None else MdnsResolver()

        self._bases: list[Address] = []
        self._relays: list[Relay] = []
        self._by_server: dict[tuple[Address, Address], Relay] = {}  # (base, server) -> relay
        self._by_relayed: dict[Address, Relay] = {}
        self._preferences: dict[str, int] = {}
        self._local: list[Candidate] = []
        self._prflx: list[Candidate] = []
        self._remote: list[Candidate] = []
        self._sources: set[Address] = set()  # remote addresses data is accepted from
        self._remote_lite = False
        self._remote_end = False
        self._mdns_pending: dict[str, list[Candidate]] = {}
        self._gathering_state = "new"
        self._state = "new"
        self._checking = False
        self._expired = False  # consent expired (RFC 7675): only a restart recovers
        self._closed = False

        self._checklist = Checklist()
        self._valid: list[_ValidPair] = []
        self._early: deque[_Early] = deque(maxlen=_MAX_EARLY_CHECKS)
        self._requests: dict[bytes, _Request] = {}
        self._last_check = float("-inf")
        self._first_valid_at: float | None = None
        self._nominating: _ValidPair | None = None
        self._completed = False
        self._selected: _ValidPair | None = None
        self._selected_creds: _Credentials | None = None
        self._consent: Consent | None = None

        self._outbox: list[Transmit] = []
        self._events: deque[Event] = deque()

    # -- properties -----------------------------------------------------------------------------

    @staticmethod
    def _new_credentials(ufrag: str, pwd: str) -> _Credentials:
        if not _UFRAG.fullmatch(ufrag):
            raise IceError("the username fragment must be 4 to 256 ice-chars (RFC 8839 5.4)")
        if not _PWD.fullmatch(pwd):
            raise IceError("the password must be 22 to 256 ice-chars (RFC 8839 5.4)")
        return _Credentials(ufrag, pwd, _key(pwd))

    @property
    def controlling(self) -> bool:
        """The current role; settable by the application (the offer/answer rule of RFC 8445
        section 6.1.1), role conflicts change it too."""
        return self._controlling

    @controlling.setter
    def controlling(self, controlling: bool) -> None:
        self._apply_role(controlling)

    @property
    def local_username(self) -> str:
        return self._creds.local_ufrag

    @property
    def local_password(self) -> str:
        return self._creds.local_pwd

    @property
    def remote_username(self) -> str | None:
        return self._creds.remote_ufrag

    @property
    def remote_password(self) -> str | None:
        return self._creds.remote_pwd

    @property
    def local_candidates(self) -> list[Candidate]:
        """The gathered local candidates (peer-reflexive ones are not signalled)."""
        return list(self._local)

    @property
    def remote_candidates(self) -> list[Candidate]:
        """Signalled remote candidates (mDNS names resolved) and learnt peer-reflexive ones."""
        return list(self._remote)

    @property
    def state(self) -> str:
        """``new``, ``checking``, ``connected``, ``completed``, ``disconnected``, ``failed``
        or ``closed`` (W3C ``RTCIceTransportState``)."""
        return self._state

    @property
    def gathering_state(self) -> str:
        """``new``, ``gathering`` or ``complete`` (W3C ``RTCIceGatheringState``)."""
        return self._gathering_state

    @property
    def selected_pair(self) -> tuple[Candidate, Candidate] | None:
        """The ``(local, remote)`` candidates data flows on, once one is selected."""
        if self._selected is None:
            return None
        return (self._selected.local, self._selected.remote)

    @property
    def pair_states(self) -> list[tuple[Candidate, Candidate, PairState]]:
        """The checklist in priority order, for inspection and statistics."""
        return [(p.local, p.remote, p.state) for p in self._checklist.pairs]

    # -- configuration from the application --------------------------------------------------

    def gather(
        self,
        bases: Sequence[Address],
        now: float,
        stun_servers: Sequence[Address] = (),
        turn_servers: Sequence[TurnServer] = (),
    ) -> None:
        """Gather candidates on the local ``bases`` (the addresses the sockets are bound to).

        Emits a host candidate per base (unless ``relay_only``) and sends a Binding request
        from it to each of the ``stun_servers`` (IP addresses) of the base's family, for
        server reflexive candidates, and an Allocate request to each of the
        ``turn_servers`` of its family, for a relayed candidate (RFC 8445 section 5.1.1.2,
        RFC 8656 over UDP). The gathering state becomes ``complete`` once every request has
        been answered or has timed out.
        """
        if self._gathering_state != "new":
            raise IceError("gather() may be called once")
        if not bases:
            raise IceError("gather() needs at least one base")
        self._bases = list(dict.fromkeys(bases))
        self._preferences = local_preferences([host for host, _ in self._bases])
        self._set_gathering("gathering")
        if not self._relay_only:
            for base in self._bases:
                self._add_local(host_candidate(base, self._preferences[base[0]]), now)
                for server in stun_servers:
                    if _family(server[0]) == _family(base[0]):
                        self._start_request(
                            _Kind.SERVER,
                            Message(Method.BINDING, Class.REQUEST),
                            server,
                            base,
                            now,
                            server=server,
                        )
        for base in self._bases:
            for turn in turn_servers:
                if _family(turn.address[0]) == _family(base[0]):
                    relay = Relay.start(turn, base, now)
                    self._relays.append(relay)
                    self._by_server[(base, turn.address)] = relay
        self._update_gathering()
        self._update_state()

    def set_remote_credentials(
        self, username: str, password: str, now: float, *, lite: bool = False
    ) -> None:
        """Set the peer's ufrag and password (``a=ice-ufrag``/``a=ice-pwd``).

        ``lite`` says the peer is an ICE-lite agent (``a=ice-lite``): a full agent is then
        controlling (RFC 8445 section 6.1.1). Checks that arrived before the credentials
        were known are processed now (section 7.3.1.4 "early checks").
        """
        if not username or not password:
            raise IceError("the remote username and password must not be empty")
        self._creds.remote_ufrag = username
        self._creds.remote_pwd = password
        self._creds.remote_key = _key(password)
        self._remote_lite = lite
        if lite and not self._controlling:
            self._switch_role(True)
        early, self._early = self._early, deque(maxlen=_MAX_EARLY_CHECKS)
        for check in early:
            self._process_check(check.addr, check.local, check.priority, check.use_candidate, now)
        self._tick(now)
        self._update_state()

    def add_remote_candidate(self, candidate: Candidate | None, now: float) -> None:
        """Add a signalled remote candidate; ``None`` is the end-of-candidates (RFC 8838).

        mDNS ``.local`` candidates are resolved first with the agent's
        :class:`~pyrtc.ice.mdns.MdnsResolver`; candidates of other components or
        transports are kept but never paired. A candidate whose ``ufrag`` extension names
        another ufrag than the peer's current one belongs to an earlier ICE generation and
        is dropped.
        """
        if self._closed:
            return
        remote_ufrag = self._creds.remote_ufrag
        if candidate is None:
            self._remote_end = True
        elif (
            candidate.ufrag is not None
            and remote_ufrag is not None
            and (candidate.ufrag != remote_ufrag)
        ):
            self.stats.stale_candidates += 1  # trickled before an ICE restart
            return
        elif candidate.is_mdns:
            name = candidate.address
            if not is_mdns_name(name):
                self.stats.mdns_failed += 1
                return
            self._mdns_pending.setdefault(name.lower(), []).append(candidate)
            self._mdns.resolve(name, now)
        else:
            self._add_remote(candidate, now)
        self._tick(now)
        self._update_state()

    def restart(self, now: float, username: str | None = None, password: str | None = None) -> None:
        """ICE restart (RFC 8445 section 9): new local credentials, new checks.

        Remote candidates, checklist and valid list are cleared; give the peer's new
        credentials and candidates as for a fresh session. Data and consent keep using the
        current selected pair, and checks with its old credentials are still answered,
        until a pair of the new generation is selected.
        """
        if self._closed:
            raise IceError("the agent is closed")
        self._creds = self._new_credentials(
            username or _random_string(self._rng, 8), password or _random_string(self._rng, 24)
        )
        for tid, request in list(self._requests.items()):
            if request.kind in (_Kind.CHECK, _Kind.NOMINATE):
                del self._requests[tid]
        self._checklist = Checklist()
        self._valid = []
        self._prflx = []
        self._remote = []
        self._sources = set()
        if self._selected is not None:
            self._sources.add((self._selected.remote.address, self._selected.remote.port))
        self._remote_end = False
        self._remote_lite = False
        self._mdns_pending.clear()
        self._early.clear()
        self._nominating = None
        self._first_valid_at = None
        self._completed = False
        self._checking = False
        if self._expired:
            self._expired = False
            self._selected = None
            self._consent = None
        self._update_state()

    def close(self, now: float) -> None:
        """Stop everything; the state becomes ``closed``."""
        if self._closed:
            return
        self._closed = True
        self._requests.clear()
        self._consent = None
        for relay in self._relays:
            if relay.client.state == "allocated":
                relay.client.close(now)  # deallocate; datagrams_to_send flushes it
        self._set_state("closed")

    # -- data ------------------------------------------------------------------------------------

    def send(self, data: bytes, now: float) -> None:
        """Send an application datagram on the selected pair."""
        if self._closed or self._expired:
            raise IceError(f"cannot send: the ICE transport is {self._state}")
        selected = self._selected
        if selected is None:
            raise IceError("cannot send: no candidate pair is selected yet")
        self._outbox.append(
            Transmit(data, (selected.remote.address, selected.remote.port), selected.base)
        )

    # -- sans-I/O interface ------------------------------------------------------------------

    def receive(self, data: bytes, addr: Address, now: float, local: Address) -> None:
        """Feed one datagram that arrived from ``addr`` on the base ``local``.

        STUN (first byte 0-3, RFC 7983) is handled here; anything else is an application
        datagram and comes out as :class:`~pyrtc.ice.events.DataReceived` when ``addr`` is
        a known remote candidate (signalled or peer-reflexive), else it is dropped.
        """
        if self._closed:
            return
        relay = self._by_server.get((local, addr))
        if relay is not None:
            relay.client.receive(data, addr, now)
            self._drain_relay(relay, now)
            self._tick(now)
            self._update_state()
            return
        self._receive(data, addr, now, local)

    def _receive(self, data: bytes, addr: Address, now: float, local: Address) -> None:
        if addr[1] == MDNS_PORT and self._mdns_pending:
            self._mdns.receive(data, addr, now)
            self._drain_mdns(now)
            return
        if not data:
            self.stats.malformed += 1
            return
        if data[0] > 3:
            if addr in self._sources:
                self._events.append(DataReceived(data, local, addr))
            else:
                self.stats.unknown_source += 1
            return
        try:
            message = Message.parse(data)
        except StunError:
            self.stats.malformed += 1
            return
        if "FINGERPRINT" in message.attributes and not message.verify_fingerprint():
            self.stats.malformed += 1
            return
        if message.method is not Method.BINDING:
            self.stats.ignored += 1
        elif message.message_class is Class.REQUEST:
            self._on_request(message, addr, local, now)
        elif message.message_class in (Class.SUCCESS, Class.ERROR):
            self._on_response(message, addr, local, now)
        else:
            self.stats.ignored += 1  # Binding indications are keepalives (section 11)
        self._tick(now)
        self._update_state()

    def handle_timer(self, now: float) -> None:
        """Retransmit, time out, pace the next check, nominate, keep consent fresh."""
        if self._closed:
            return
        for tid, request in list(self._requests.items()):
            deadline = request.transaction.get_timer()
            # A selection or a restart may have cancelled requests further down the list.
            if deadline is not None and deadline <= now and tid in self._requests:
                request.transaction.handle_timer(now)
                self._drain(request, now)
        for relay in self._relays:
            deadline = relay.client.get_timer()
            if deadline is not None and deadline <= now:
                relay.client.handle_timer(now)
                self._drain_relay(relay, now)
        deadline = self._mdns.get_timer()
        if deadline is not None and deadline <= now:
            self._mdns.handle_timer(now)
            self._drain_mdns(now)
        self._maybe_nominate(now)
        self._consent_timer(now)
        self._tick(now)
        self._update_state()

    def get_timer(self) -> float | None:
        """The earliest deadline: a retransmission, the next paced check, nomination,
        consent, or mDNS."""
        if self._closed:
            return None
        times = [t for r in self._requests.values() if (t := r.transaction.get_timer()) is not None]
        if self._creds.remote_key is not None and self._checklist.next_check(take=False):
            times.append(self._last_check + self._ta)
        if (nomination := self._nomination_due()) is not None:
            times.append(nomination)
        consent = self._consent.deadline() if self._consent is not None else None
        if consent is not None:
            times.append(consent)
        mdns = self._mdns.get_timer()
        if mdns is not None:
            times.append(mdns)
        times += [t for r in self._relays if (t := r.client.get_timer()) is not None]
        return min(times, default=None)

    def datagrams_to_send(self, now: float) -> list[Transmit]:
        """Responses, checks, STUN/TURN requests, application data and mDNS queries.

        What the agent sends from a relayed address is handed to that allocation's TURN
        client here; the result leaves from the client's base towards the TURN server.
        """
        queued, self._outbox = self._outbox, []
        for request in self._requests.values():
            for data, addr in request.transaction.datagrams_to_send(now):
                queued.append(Transmit(data, addr, request.base))
        for data, group in self._mdns.datagrams_to_send(now):
            base = next((b for b in self._bases if _family(b[0]) == _family(group[0])), None)
            if base is not None:
                queued.append(Transmit(data, group, base))
        if not self._relays:
            return queued
        out = []
        for transmit in queued:
            relay = self._by_relayed.get(transmit.local)
            if relay is None:
                out.append(transmit)
                continue
            try:
                relay.client.send(transmit.data, transmit.addr, now)
            except TurnError:
                self.stats.relay_dropped += 1
        for relay in self._relays:
            out += relay.transmits(now)
        return out

    def next_event(self) -> Event | None:
        """The next event (see :mod:`pyrtc.ice.events`), or ``None``."""
        return self._events.popleft() if self._events else None

    # -- candidates ------------------------------------------------------------------------------

    def _pairable_local(self) -> list[Candidate]:
        return [c for c in self._local if not self._relay_only or c.type == "relay"]

    def _add_local(self, candidate: Candidate, now: float) -> None:
        if any(
            (c.address, c.port, c.type) == (candidate.address, candidate.port, candidate.type)
            for c in self._local
        ):
            return
        self._local.append(candidate)
        self._events.append(CandidateGathered(candidate))
        self._pair(now)

    def _add_remote(self, candidate: Candidate, now: float) -> None:
        ip = candidate.ip
        if candidate.port == 0 or (
            ip is not None and (ip.is_unspecified or ip.is_multicast or ip == _BROADCAST)
        ):
            self.stats.unusable_candidates += 1  # never send checks there
            return
        for known in self._remote:
            if (known.address, known.port, known.transport) == (
                candidate.address,
                candidate.port,
                candidate.transport,
            ):
                return
        self._remote.append(candidate)
        self._sources.add((candidate.address, candidate.port))
        self._pair(now)

    def _pair(self, now: float) -> None:
        """Form the checklist again and add the new pairs (RFC 8445 6.1.2, RFC 8838 10)."""
        if self._completed or not self._remote:
            return
        formed = form_checklist(self._pairable_local(), self._remote, self._controlling)
        self._checklist.merge(formed, self._controlling)

    def _local_for_base(self, base: Address) -> Candidate | None:
        for candidate in self._pairable_local():
            if candidate.type in ("host", "relay") and candidate_base(candidate) == base:
                return candidate
        return None

    # -- checks ------------------------------------------------------------------------------------

    def _prflx_priority(self, base: Address) -> int:
        """PRIORITY of our checks: a peer-reflexive candidate's (RFC 8445 section 7.1.1)."""
        return candidate_priority(COMPONENT, "prflx", self._preferences.get(base[0], 65535))

    def _start_request(
        self,
        kind: _Kind,
        request: Message,
        addr: Address,
        base: Address,
        now: float,
        *,
        pair: CheckPair | None = None,
        key: bytes | None = None,
        credentials: _Credentials | None = None,
        priority: int = 0,
        max_sends: int | None = None,
        server: Address | None = None,
    ) -> None:
        rto = self._check_rto
        if kind in (_Kind.CHECK, _Kind.NOMINATE):
            # RFC 8445 section 14.3: RTO = MAX(500 ms, Ta * (Num-Waiting + Num-In-Progress)).
            busy = sum(
                p.state in (PairState.WAITING, PairState.IN_PROGRESS) for p in self._checklist.pairs
            )
            rto = max(rto, self._ta * busy)
        transaction = ClientTransaction(
            request,
            addr,
            now,
            rto=rto,
            max_sends=max_sends or self._check_max_sends,
            integrity_key=key,
        )
        self._requests[transaction.transaction_id] = _Request(
            kind, transaction, base, pair, credentials, priority, self._controlling, server
        )

    def _send_check(
        self,
        kind: _Kind,
        pair: CheckPair,
        now: float,
        credentials: _Credentials | None = None,
        max_sends: int | None = None,
    ) -> None:
        """A connectivity check (RFC 8445 section 7.2.4) on ``pair``."""
        creds = credentials or self._creds
        assert creds.remote_ufrag is not None and creds.remote_key is not None
        priority = self._prflx_priority(pair.base)
        request = Message(Method.BINDING, Class.REQUEST)
        attributes = request.attributes
        attributes["USERNAME"] = f"{creds.remote_ufrag}:{creds.local_ufrag}"
        attributes["PRIORITY"] = priority
        role = "ICE-CONTROLLING" if self._controlling else "ICE-CONTROLLED"
        attributes[role] = self.tie_breaker
        if kind is _Kind.NOMINATE:
            attributes["USE-CANDIDATE"] = None
        self._start_request(
            kind,
            request,
            pair.remote_addr,
            pair.base,
            now,
            pair=pair,
            key=creds.remote_key,
            credentials=creds,
            priority=priority,
            max_sends=max_sends,
        )
        if kind is _Kind.CHECK:
            pair.state = PairState.IN_PROGRESS
        self.stats.checks_sent += 1
        self._checking = True

    def _tick(self, now: float) -> None:
        """Send the next paced check if Ta has passed since the last one (section 6.1.4.2)."""
        if self._closed or self._creds.remote_key is None or now < self._last_check + self._ta:
            return
        pair = self._checklist.next_check()
        if pair is None:
            return
        self._last_check = now
        self._send_check(_Kind.CHECK, pair, now)

    # -- incoming requests -----------------------------------------------------------------------

    def _respond(self, response: Message, addr: Address, local: Address, key: bytes | None) -> None:
        self._outbox.append(Transmit(response.encode(key, fingerprint=True), addr, local))

    def _on_request(self, request: Message, addr: Address, local: Address, now: float) -> None:
        """Answer a connectivity check (RFC 8445 section 7.3, RFC 8489 section 9.1.3)."""
        attributes = request.attributes
        if self._relay_only and self._local_for_base(local) is None:
            self.stats.ignored += 1
            return
        username = attributes.get("USERNAME")
        has_mac = "MESSAGE-INTEGRITY" in attributes or "MESSAGE-INTEGRITY-SHA256" in attributes
        if username is None or not has_mac:
            self.stats.unauthenticated += 1
            self._respond(Message.error_response(request, 400), addr, local, None)
            return
        ours = username.partition(":")[0]
        creds: _Credentials | None = None
        for candidate_creds in (self._creds, self._selected_creds):
            if candidate_creds is not None and candidate_creds.local_ufrag == ours:
                creds = candidate_creds
                break
        if creds is None or not request.verify_integrity(creds.local_key):
            self.stats.unauthenticated += 1
            self._respond(Message.error_response(request, 401), addr, local, None)
            return
        if request.unknown_required:
            unknown = {"UNKNOWN-ATTRIBUTES": tuple(request.unknown_required)}
            self._respond(
                Message.error_response(request, 420, attributes=unknown),
                addr,
                local,
                creds.local_key,
            )
            return
        priority = attributes.get("PRIORITY")
        if priority is None:  # mandatory in a check (RFC 8445 section 7.1.1)
            self._respond(Message.error_response(request, 400), addr, local, creds.local_key)
            return
        if not self._resolve_role_conflict(request, addr, local, creds):
            return
        # A link-local IPv6 source may carry a zone ("fe80::1%eth0"): it is local only.
        mapped = (addr[0].partition("%")[0], addr[1])
        response = Message.success_response(request, {"XOR-MAPPED-ADDRESS": mapped})
        self._respond(response, addr, local, creds.local_key)
        self.stats.checks_received += 1
        if creds is not self._creds:
            return  # a consent check on the pair of the previous generation
        use_candidate = "USE-CANDIDATE" in attributes
        self._checking = True
        if self._creds.remote_key is None:
            self._early.append(_Early(addr, local, priority, use_candidate))
            return
        self._process_check(addr, local, priority, use_candidate, now)

    def _resolve_role_conflict(
        self, request: Message, addr: Address, local: Address, creds: _Credentials
    ) -> bool:
        """RFC 8445 section 7.3.1.1; False when we answered 487 instead."""
        attributes = request.attributes
        if self._controlling and "ICE-CONTROLLING" in attributes:
            theirs = attributes["ICE-CONTROLLING"]
            switch = self.tie_breaker < theirs
        elif not self._controlling and "ICE-CONTROLLED" in attributes:
            theirs = attributes["ICE-CONTROLLED"]
            switch = self.tie_breaker >= theirs
        else:
            return True
        self.stats.role_conflicts += 1
        if switch:
            self._switch_role(not self._controlling)
            return True
        self._respond(
            Message.error_response(request, 487, "Role Conflict"), addr, local, creds.local_key
        )
        return False

    def _switch_role(self, controlling: bool) -> None:
        self._apply_role(controlling)
        self._events.append(RoleChanged(controlling))

    def _apply_role(self, controlling: bool) -> None:
        """Take a role; pair priorities depend on it (section 6.1.2.3)."""
        self._controlling = controlling
        self._checklist.reprioritize(controlling)
        for valid in self._valid:
            valid.priority = CandidatePair(valid.local, valid.remote).priority(controlling)

    def _process_check(
        self, addr: Address, local: Address, priority: int, use_candidate: bool, now: float
    ) -> None:
        """Peer-reflexive remote candidates, triggered checks, nomination (7.3.1.3-7.3.1.5)."""
        local_candidate = self._local_for_base(local)
        if local_candidate is None or "%" in addr[0]:
            return  # no candidate on this base, or a zoned link-local source we never pair
        remote = next((c for c in self._remote if (c.address, c.port) == addr), None)
        if remote is None:
            remote = remote_peer_reflexive(addr, priority, _random_string(self._rng, 8))
            self._remote.append(remote)
            self._sources.add(addr)
        pair = self._checklist.find(local, addr)
        if pair is None:
            pair = CheckPair(local_candidate, remote, 0, PairState.WAITING)
            pair.set_priority(self._controlling)
            self._checklist.add(pair)
            self._checklist.sort()
        if pair.state in (PairState.FROZEN, PairState.WAITING, PairState.FAILED) and (
            not self._completed or use_candidate
        ):
            self._checklist.trigger(pair)
        if use_candidate and not self._controlling:
            if pair.state is PairState.SUCCEEDED:
                for valid in self._valid:
                    if valid.generating is pair:
                        valid.nominated = True
                        self._select(now)
            else:
                pair.nominate_on_success = True

    # -- responses -------------------------------------------------------------------------------

    def _on_response(self, message: Message, addr: Address, local: Address, now: float) -> None:
        request = self._requests.get(message.transaction_id)
        if request is None:
            self.stats.ignored += 1
            return
        if addr != request.transaction.addr or local != request.base:
            # Not symmetric (RFC 8445 section 7.2.5.2.1): an authentic answer fails the check.
            creds = request.credentials
            if creds is None or creds.remote_key is None:
                self.stats.ignored += 1
            elif not message.verify_integrity(creds.remote_key):
                self.stats.unauthenticated += 1
            else:
                del self._requests[message.transaction_id]
                self._request_failed(request, now)
            return
        request.transaction.receive_message(message, addr, now)
        self._drain(request, now)

    def _drain(self, request: _Request, now: float) -> None:
        event = request.transaction.next_event()
        if request.transaction.done:
            self._requests.pop(request.transaction.transaction_id, None)
        if isinstance(event, ResponseReceived):
            if request.kind is _Kind.SERVER:
                self._on_server_response(request, event.response, now)
            elif event.response.message_class is Class.SUCCESS:
                self._on_success(request, event.response, now)
            else:
                self._on_error(request, event.response, now)
        elif isinstance(event, TransactionTimedOut):
            if request.kind is _Kind.SERVER:
                self._update_gathering()
            elif request.kind is not _Kind.CONSENT:
                self._request_failed(request, now)

    def _on_server_response(self, request: _Request, response: Message, now: float) -> None:
        """A STUN server's answer: maybe a server reflexive candidate (section 5.1.1.2)."""
        mapped = response.attributes.get("XOR-MAPPED-ADDRESS") or response.attributes.get(
            "MAPPED-ADDRESS"
        )
        if response.message_class is Class.SUCCESS and mapped is not None:
            base = request.base
            if tuple(mapped) != base and request.server is not None:
                preference = self._preferences[base[0]]
                candidate = server_reflexive_candidate(
                    (mapped[0], mapped[1]), base, request.server[0], preference
                )
                self._add_local(candidate, now)
        self._update_gathering()

    def _on_error(self, request: _Request, response: Message, now: float) -> None:
        error = response.attributes.get("ERROR-CODE")
        pair = request.pair
        if (
            error is not None
            and error.code == 487
            and pair is not None
            and request.kind is not _Kind.CONSENT
        ):
            # Role conflict (section 7.2.5.1): take the other role than the one we sent.
            self.stats.role_conflicts += 1
            if self._controlling == request.controlling:
                self._switch_role(not request.controlling)
            if request.kind is _Kind.NOMINATE:
                self._nominating = None
            if request.credentials is self._creds:
                self._checklist.trigger(pair)
            return
        self._request_failed(request, now)

    def _request_failed(self, request: _Request, now: float) -> None:
        pair = request.pair
        if pair is None or request.kind is _Kind.CONSENT or request.credentials is not self._creds:
            return
        pair.state = PairState.FAILED
        self._valid = [v for v in self._valid if v.generating is not pair]
        if request.kind is _Kind.NOMINATE:
            self._nominating = None

    def _on_success(self, request: _Request, response: Message, now: float) -> None:
        """A successful check (RFC 8445 section 7.2.5.3)."""
        if request.kind is _Kind.CONSENT:
            if self._consent is not None:
                self._consent.answered(now)
            return
        pair = request.pair
        if pair is None or request.credentials is not self._creds:
            return
        mapped = response.attributes.get("XOR-MAPPED-ADDRESS") or response.attributes.get(
            "MAPPED-ADDRESS"
        )
        if mapped is None:
            self._request_failed(request, now)
            return
        mapped = (mapped[0], mapped[1])
        local = next(
            (c for c in (*self._local, *self._prflx) if (c.address, c.port) == mapped), None
        )
        if local is None:
            # A local peer-reflexive candidate (section 7.2.5.3.1).
            local = local_peer_reflexive(mapped, request.base, request.priority)
            self._prflx.append(local)
        pair.state = PairState.SUCCEEDED
        self._checklist.unfreeze(pair.foundation)
        valid = next((v for v in self._valid if v.generating is pair), None)
        if valid is None:
            valid = _ValidPair(
                local,
                pair.remote,
                request.base,
                pair,
                CandidatePair(local, pair.remote).priority(self._controlling),
            )
            self._valid.append(valid)
            if self._first_valid_at is None:
                self._first_valid_at = now
        if request.kind is _Kind.NOMINATE and self._controlling:
            valid.nominated = True
            self._nominating = None
            self._select(now)
        elif not self._controlling and pair.nominate_on_success:
            valid.nominated = True
            self._select(now)
        self._maybe_nominate(now)

    # -- nomination and selection ----------------------------------------------------------------

    def _nomination_due(self) -> float | None:
        if (
            not self._controlling
            or self._completed
            or self._nominating is not None
            or self._first_valid_at is None
            or not self._valid
        ):
            return None
        best = max(self._valid, key=lambda v: v.priority)
        better_pending = any(
            p.priority > best.priority
            and p.state in (PairState.FROZEN, PairState.WAITING, PairState.IN_PROGRESS)
            for p in self._checklist.pairs
        )
        if better_pending:
            return self._first_valid_at + self._nomination_timeout
        return self._first_valid_at

    def _maybe_nominate(self, now: float) -> None:
        """Regular nomination (RFC 8445 section 8.1.1) of the best valid pair.

        The controlling agent nominates once no higher-priority pair is still pending, or
        ``nomination_timeout`` after its first valid pair. The USE-CANDIDATE check goes out
        at once rather than in the next Ta slot: it is a single request on a pair already
        proven to work, which pacing (section 14) does not need to hold back.
        """
        due = self._nomination_due()
        if due is None or now < due:
            return
        best = max(self._valid, key=lambda v: v.priority)
        self._nominating = best
        self._send_check(_Kind.NOMINATE, best.generating, now)

    def _select(self, now: float) -> None:
        """Use a nominated pair for data (sections 8.1.1, 8.3); stop the other checks."""
        best = max((v for v in self._valid if v.nominated), key=lambda v: v.priority)
        if self._selected is best:
            return
        self._selected = best
        self._selected_creds = self._creds
        self._completed = True
        self._checklist.stop()
        for tid, request in list(self._requests.items()):
            if request.kind is _Kind.CHECK or (
                request.kind is _Kind.CONSENT and request.credentials is not self._creds
            ):
                del self._requests[tid]
                if request.pair is not None and request.pair.state is PairState.IN_PROGRESS:
                    request.pair.state = PairState.FAILED
        self._consent = Consent(
            now,
            self._rng,
            self._consent_interval,
            self._disconnected_timeout,
            self._failed_timeout,
        )
        self._events.append(SelectedPairChanged(best.local, best.remote))

    # -- consent freshness (RFC 7675) ------------------------------------------------------------

    def _consent_timer(self, now: float) -> None:
        consent = self._consent
        selected = self._selected
        if consent is None or selected is None or self._expired:
            return
        if consent.poll(now):
            self._send_check(
                _Kind.CONSENT,
                selected.generating,
                now,
                credentials=self._selected_creds,
                max_sends=4,
            )
        if consent.expired:
            self._expired = True  # RFC 7675 section 5.1: consent expired, stop sending
            self._consent = None
            self._requests = {
                t: r for t, r in self._requests.items() if r.kind is not _Kind.CONSENT
            }

    # -- TURN ------------------------------------------------------------------------------------

    def _drain_relay(self, relay: Relay, now: float) -> None:
        """Events of a TURN client: the relayed candidate, relayed datagrams."""
        while (event := relay.client.next_event()) is not None:
            if isinstance(event, Allocated):
                self._on_allocated(relay, event, now)
            elif isinstance(event, AllocationFailed):
                relay.done = True
                self._update_gathering()
            elif isinstance(event, RelayedData) and relay.relayed is not None:
                self._receive(event.data, event.peer, now, relay.relayed)

    def _on_allocated(self, relay: Relay, event: Allocated, now: float) -> None:
        relay.done = True
        relay.relayed = event.relayed
        self._by_relayed[event.relayed] = relay
        base = relay.base
        server = relay.server.address[0]
        related = event.mapped or base
        preference = self._preferences[base[0]]
        self._add_local(relayed_candidate(event.relayed, related, base, server, preference), now)
        self._update_gathering()

    # -- mDNS ------------------------------------------------------------------------------------

    def _drain_mdns(self, now: float) -> None:
        while (event := self._mdns.next_event()) is not None:
            if isinstance(event, MdnsResolved):
                for candidate in self._mdns_pending.pop(event.name.lower(), []):
                    self._add_remote(replace(candidate, address=event.address), now)
            elif isinstance(event, MdnsFailed):
                failed = self._mdns_pending.pop(event.name.lower(), [])
                self.stats.mdns_failed += len(failed)
        self._tick(now)
        self._update_state()

    # -- states ----------------------------------------------------------------------------------

    def _set_gathering(self, state: str) -> None:
        self._gathering_state = state
        self._events.append(GatheringStateChanged(state))

    def _update_gathering(self) -> None:
        if (
            self._gathering_state == "gathering"
            and not any(r.kind is _Kind.SERVER for r in self._requests.values())
            and all(relay.done for relay in self._relays)
        ):
            self._set_gathering("complete")

    def _set_state(self, state: str) -> None:
        if state == "completed" and self._state in ("new", "checking"):
            self._set_state("connected")  # browsers always pass through connected
        if state != self._state:
            self._state = state
            self._events.append(StateChanged(state))

    def _update_state(self) -> None:
        if self._closed:
            return
        # Exhaustion is not final: a check the peer sends later may still find a pair.
        if self._expired or (self._selected is None and self._checks_exhausted()):
            state = "failed"
        elif self._selected is not None:
            if self._consent is not None and self._consent.disconnected:
                state = "disconnected"
            elif (
                self._gathering_state == "complete"
                and self._remote_end
                and not self._checklist.pending
                and self._selected_creds is self._creds
            ):
                state = "completed"
            else:
                state = "connected"
        elif self._checking:
            state = "checking"
        else:
            state = "new"
        self._set_state(state)

    def _checks_exhausted(self) -> bool:
        """Every pair failed and no more candidates can come (RFC 8445 section 7.2.5.3.5)."""
        return (
            self._checking
            and self._remote_end
            and self._gathering_state == "complete"
            and not self._mdns_pending
            and not self._valid
            and self._nominating is None
            and not self._checklist.pending
            and self._checklist.next_check(take=False) is None
        )
