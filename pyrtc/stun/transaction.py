"""The STUN client transaction over UDP (RFC 8489 §6.2.1, §6.3.3), sans-I/O.

A :class:`ClientTransaction` sends one request and retransmits it with exponential backoff
until a response with the same transaction ID arrives or it gives up. It follows
:class:`pyrtc.sansio.AddressedCore`: the caller tells it the time, sends what
:meth:`~ClientTransaction.datagrams_to_send` returns, calls
:meth:`~ClientTransaction.handle_timer` at :meth:`~ClientTransaction.get_timer`, and reads
the outcome from :meth:`~ClientTransaction.next_event`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyrtc.sansio import Address, Datagram, Event
from pyrtc.stun.constants import Class
from pyrtc.stun.errors import StunError
from pyrtc.stun.message import Integrity, Message

DEFAULT_RTO = 0.5
"""Initial retransmission timeout, seconds (RFC 8489 §6.2.1 recommends 500 ms)."""
RC = 7
"""Requests sent in total before giving up (Rc, RFC 8489 §6.2.1)."""
RM = 16
"""After the last request, wait Rm times the initial RTO for a response (§6.2.1)."""


@dataclass(frozen=True)
class ResponseReceived(Event):
    """The transaction ended with a success or error response (RFC 8489 §6.3.3, §6.3.4).

    ``rtt`` is measured from the first transmission of the request.
    """

    transaction_id: bytes
    response: Message
    addr: Address
    rtt: float


@dataclass(frozen=True)
class TransactionTimedOut(Event):
    """No response arrived after Rc transmissions and the final wait (RFC 8489 §6.2.1)."""

    transaction_id: bytes


@dataclass
class TransactionStats:
    """Counters of what the transaction did with its input."""

    transmissions: int = 0
    malformed: int = 0
    """Datagrams that were not valid STUN (including a failing FINGERPRINT)."""
    ignored: int = 0
    """Valid STUN that is not a response to this request (other ID, class or method)."""
    unauthenticated: int = 0
    """Responses dropped because their integrity did not verify with ``integrity_key``."""


def _is_challenge(message: Message) -> bool:
    """A 401 or 438 error: long-term credentials rejected or nonce stale (RFC 8489 §9.2.5)."""
    error = message.attributes.get("ERROR-CODE")
    return message.message_class is Class.ERROR and error is not None and error.code in (401, 438)


class ClientTransaction:
    """One STUN request/response exchange over an unreliable transport (RFC 8489 §6.2.1).

    The request goes out at ``now`` and is retransmitted after RTO, 3 RTO, 7 RTO, ...
    (the interval doubles) until ``max_sends`` transmissions; the transaction then times
    out ``final_wait`` times RTO after the last one. With the defaults that is sends at 0,
    0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s and a timeout at 39.5 s.

    With ``integrity_key`` the request carries MESSAGE-INTEGRITY (``integrity`` selects the
    SHA-1 or SHA-256 variant) and responses that do not verify with the same key are
    discarded as if never received (short-term credentials, §9.1.4). With ``long_term``
    (long-term credentials, §9.2.5) the exception is a 401 or 438 error response, which
    the server cannot sign when it rejects the credentials or the nonce: it is delivered.
    """

    def __init__(
        self,
        request: Message,
        addr: Address,
        now: float,
        *,
        rto: float = DEFAULT_RTO,
        max_sends: int = RC,
        final_wait: float = RM,
        integrity_key: bytes | None = None,
        integrity: Integrity = "sha1",
        fingerprint: bool = True,
        long_term: bool = False,
    ) -> None:
        if rto <= 0 or max_sends < 1 or final_wait < 0:
            raise ValueError("rto and final_wait must be positive and max_sends at least 1")
        self.request = request
        self.addr = addr
        self.transaction_id = request.transaction_id
        self.stats = TransactionStats()
        self._wire = request.encode(integrity_key, fingerprint=fingerprint, integrity=integrity)
        self._key = integrity_key
        self._long_term = long_term
        self._interval = rto
        self._max_sends = max_sends
        self._final_wait = final_wait * rto
        self._started = now
        self._deadline: float | None = None
        self._outbox: list[Datagram] = []
        self._events: list[Event] = []
        self._transmit(now)

    @property
    def done(self) -> bool:
        """Whether a response arrived or the transaction timed out."""
        return self._deadline is None

    def _transmit(self, now: float) -> None:
        self._outbox.append((self._wire, self.addr))
        self.stats.transmissions += 1
        if self.stats.transmissions < self._max_sends:
            self._deadline = now + self._interval
            self._interval *= 2
        else:
            self._deadline = now + self._final_wait

    def _finish(self, event: Event) -> None:
        self._deadline = None
        self._outbox.clear()
        self._events.append(event)

    def receive(self, data: bytes, addr: Address, now: float) -> None:
        """Feed a datagram that may be the response (RFC 8489 §6.3: matched by ID)."""
        try:
            message = Message.parse(data)
        except StunError:
            self.stats.malformed += 1
            return
        if "FINGERPRINT" in message.attributes and not message.verify_fingerprint():
            self.stats.malformed += 1
            return
        self.receive_message(message, addr, now)

    def receive_message(self, message: Message, addr: Address, now: float) -> None:
        """Like :meth:`receive`, for a message the caller parsed (and whose FINGERPRINT, if
        any, it checked) already: a core that demultiplexes STUN does not parse it twice."""
        if (
            self.done
            or message.transaction_id != self.transaction_id
            or message.message_class not in (Class.SUCCESS, Class.ERROR)
            or message.method != self.request.method
        ):
            self.stats.ignored += 1
            return
        if (
            self._key is not None
            and not (self._long_term and _is_challenge(message))
            and not message.verify_integrity(self._key)
        ):
            self.stats.unauthenticated += 1
            return
        self._finish(ResponseReceived(self.transaction_id, message, addr, now - self._started))

    def handle_timer(self, now: float) -> None:
        """Retransmit, or time out after the last wait (RFC 8489 §6.2.1)."""
        if self._deadline is None or now < self._deadline:
            return
        if self.stats.transmissions < self._max_sends:
            self._transmit(now)
        else:
            self._finish(TransactionTimedOut(self.transaction_id))

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must next be called, or ``None`` once done."""
        return self._deadline

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        """The request, each time it is due for (re)transmission."""
        out, self._outbox = self._outbox, []
        return out

    def next_event(self) -> Event | None:
        """:class:`ResponseReceived` or :class:`TransactionTimedOut`, once."""
        return self._events.pop(0) if self._events else None
