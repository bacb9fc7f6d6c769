"""A sans-I/O STUN Binding server (RFC 8489 §6.3, §9.1.3), the core of ``pyrtc stun-server``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pyrtc.sansio import Address, Datagram, Event
from pyrtc.stun.constants import Class, Method
from pyrtc.stun.credentials import short_term_key
from pyrtc.stun.errors import StunError
from pyrtc.stun.message import Integrity, Message, is_stun, read_header


@dataclass
class ServerStats:
    """What the server did with each datagram it received."""

    success: int = 0
    """Binding requests answered with a success response."""
    errors: int = 0
    """Requests answered with an error response (400, 401, 420)."""
    malformed: int = 0
    """Datagrams dropped because they are not STUN or not answerable."""
    ignored: int = 0
    """Valid STUN that needs no answer: indications, responses, unknown methods."""


class BindingServer:
    """Answers Binding requests with the source address in XOR-MAPPED-ADDRESS (RFC 8489 §6.3).

    * a request with a sound header (first bits, cookie, length: :func:`is_stun`) whose
      attributes do not parse gets 400 when it names a known method; anything else that is
      not valid STUN is dropped and counted in ``stats.malformed``;
    * requests for other methods (TURN's) get 400; requests with unknown
      comprehension-required attributes get 420 with UNKNOWN-ATTRIBUTES (§6.3.1), after
      authentication when that is on;
    * indications and responses are ignored (§6.3.2, §6.3.3);
    * responses carry FINGERPRINT when the request did, and SOFTWARE when ``software`` is set.

    With ``passwords`` (username -> password) requests must be authenticated with short-term
    credentials (§9.1.3): no USERNAME or no MESSAGE-INTEGRITY(-SHA256) gives 400, an unknown
    username or a wrong MAC gives 401, and success responses are signed with the same key
    and integrity variant as the request. The server keeps no per-client state and has no
    timers.
    """

    def __init__(
        self, *, software: str | None = None, passwords: Mapping[str, str] | None = None
    ) -> None:
        self.software = software
        self.stats = ServerStats()
        self._keys = (
            None if passwords is None else {u: short_term_key(p) for u, p in passwords.items()}
        )
        self._outbox: list[Datagram] = []

    def receive(self, data: bytes, addr: Address, now: float) -> None:
        """Handle one datagram from ``addr``; any answer is queued for datagrams_to_send."""
        try:
            request = Message.parse(data)
        except StunError:
            self._reject_malformed(data, addr)
            return
        fingerprint = "FINGERPRINT" in request.attributes
        if fingerprint and not request.verify_fingerprint():
            self.stats.malformed += 1  # §7.3: a bad FINGERPRINT means "not STUN"
            return
        if request.message_class is not Class.REQUEST or not isinstance(request.method, Method):
            self.stats.ignored += 1
            return
        if request.method is not Method.BINDING:
            self._error(request, addr, 400, fingerprint)
            return
        key = None
        integrity: Integrity = "sha1"
        if self._keys is not None:
            attrs = request.attributes
            has_mac = "MESSAGE-INTEGRITY" in attrs or "MESSAGE-INTEGRITY-SHA256" in attrs
            if "USERNAME" not in attrs or not has_mac:
                self._error(request, addr, 400, fingerprint)
                return
            key = self._keys.get(attrs["USERNAME"])
            if key is None or not request.verify_integrity(key):
                self._error(request, addr, 401, fingerprint)
                return
            if "MESSAGE-INTEGRITY-SHA256" in attrs:
                integrity = "both" if "MESSAGE-INTEGRITY" in attrs else "sha256"
        if request.unknown_required:
            # Checked once authenticated (RFC 5389 §7.3); the answer is signed like a success.
            extra = {"UNKNOWN-ATTRIBUTES": tuple(request.unknown_required)}
            self._error(request, addr, 420, fingerprint, extra, key, integrity)
            return
        host, port = addr
        # A link-local IPv6 source may carry a zone ("fe80::1%eth0"); it is local only.
        mapped = (host.partition("%")[0], port)
        response = Message.success_response(request, {"XOR-MAPPED-ADDRESS": mapped})
        if self.software is not None:
            response.attributes["SOFTWARE"] = self.software
        self._outbox.append((response.encode(key, fingerprint, integrity), addr))
        self.stats.success += 1

    def _reject_malformed(self, data: bytes, addr: Address) -> None:
        header = read_header(data) if is_stun(data) else None
        if header is None or header[1] is not Class.REQUEST or not isinstance(header[0], Method):
            self.stats.malformed += 1
            return
        method, _, transaction_id = header
        self._error(Message(method, Class.REQUEST, transaction_id), addr, 400, False)

    def _error(
        self,
        request: Message,
        addr: Address,
        code: int,
        fingerprint: bool,
        extra: Mapping[str, object] | None = None,
        key: bytes | None = None,
        integrity: Integrity = "sha1",
    ) -> None:
        response = Message.error_response(request, code, attributes=extra or ())
        if self.software is not None:
            response.attributes["SOFTWARE"] = self.software
        self._outbox.append((response.encode(key, fingerprint, integrity), addr))
        self.stats.errors += 1

    def handle_timer(self, now: float) -> None:
        """The server has no timers; present for the AddressedCore shape."""

    def get_timer(self) -> float | None:
        """Always ``None``: the server never needs to be woken up."""
        return None

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        """Responses queued by :meth:`receive`, in order."""
        out, self._outbox = self._outbox, []
        return out

    def next_event(self) -> Event | None:
        """Always ``None``: answers are sent directly; ``stats`` counts them."""
        return None
