"""The State Cookie of the four-way handshake (RFC 9260 §5.1.3, §5.1.5).

The responder to an INIT keeps no state: everything it needs to create the association later
is packed into the cookie, signed with HMAC-SHA-256 under a secret key, and sent in the INIT
ACK. When the cookie comes back in a COOKIE ECHO, :func:`open_cookie` checks the MAC in
constant time and the lifetime before trusting any field.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

from pyrtc.sctp.errors import SctpParseError

_VERSION = 1
_body = struct.Struct("!BdIIIIIHHBB")
_MAC_LENGTH = 32
COOKIE_LENGTH = _body.size + _MAC_LENGTH


class StaleCookieError(SctpParseError):
    """The cookie's MAC is valid but its lifetime has passed (RFC 9260 §5.1.5 step 3).

    ``staleness`` is how long ago it expired (seconds) and ``peer_tag`` the tag of the INIT
    it answered: what the Stale Cookie ERROR needs (§3.3.10.3, §8.5.1).
    """

    def __init__(self, staleness: float, peer_tag: int) -> None:
        super().__init__(f"state cookie expired {staleness:.3f} s ago")
        self.staleness = staleness
        self.peer_tag = peer_tag


@dataclass(frozen=True, slots=True)
class CookieState:
    """What the responder of an INIT needs to create the association later."""

    expires: float
    local_tag: int
    peer_tag: int
    local_tsn: int
    peer_tsn: int
    peer_rwnd: int
    outbound_streams: int
    inbound_streams: int
    peer_forward_tsn: bool
    peer_reconfig: bool


def seal_cookie(key: bytes, state: CookieState) -> bytes:
    """Serialize ``state`` and append its HMAC-SHA-256 (RFC 9260 §5.1.3)."""
    body = _body.pack(
        _VERSION,
        state.expires,
        state.local_tag,
        state.peer_tag,
        state.local_tsn,
        state.peer_tsn,
        state.peer_rwnd,
        state.outbound_streams,
        state.inbound_streams,
        state.peer_forward_tsn,
        state.peer_reconfig,
    )
    return body + hmac.new(key, body, hashlib.sha256).digest()


def open_cookie(key: bytes, cookie: bytes, now: float) -> CookieState:
    """Verify and decode a cookie from a COOKIE ECHO (RFC 9260 §5.1.5 steps 1-3).

    Raises :class:`SctpParseError` for a forged or malformed cookie and
    :class:`StaleCookieError` for an authentic one that has expired.
    """
    if len(cookie) != COOKIE_LENGTH:
        raise SctpParseError("state cookie has the wrong length")
    body, mac = cookie[: _body.size], cookie[_body.size :]
    if not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()):
        raise SctpParseError("state cookie MAC mismatch")
    version, expires, *fields = _body.unpack(body)
    if version != _VERSION:
        raise SctpParseError("unknown state cookie version")
    ltag, ptag, ltsn, ptsn, prwnd, os_, is_, fwd, reconfig = fields
    if now > expires:
        raise StaleCookieError(now - expires, ptag)
    return CookieState(expires, ltag, ptag, ltsn, ptsn, prwnd, os_, is_, bool(fwd), bool(reconfig))
