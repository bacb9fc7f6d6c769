"""ICE candidates and their SDP ``a=candidate`` form (RFC 8839 section 5.1, RFC 6544 ``tcptype``).

A :class:`Candidate` is an immutable value. :meth:`Candidate.from_sdp` accepts the attribute
with or without its ``a=candidate:`` / ``candidate:`` prefix; :meth:`Candidate.to_sdp` returns
the attribute value without a prefix (as aioice does), so an SDP line is
``"a=candidate:" + candidate.to_sdp()`` and a browser ``RTCIceCandidate.candidate`` string is
``"candidate:" + candidate.to_sdp()``. A parsed candidate serializes back to exactly the text
it came from when that text uses single spaces and numbers without leading zeros: the spelling
of the transport (``UDP`` or ``udp``) and the order of the extension attributes are kept.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from pyrtc.errors import ParseError

__all__ = ["CANDIDATE_TYPES", "TCP_TYPES", "Candidate", "CandidateError"]

CANDIDATE_TYPES = ("host", "srflx", "prflx", "relay")
"""The candidate types of RFC 8445 section 5.1.1, as spelled after ``typ``."""

TCP_TYPES = ("active", "passive", "so")
"""The ``tcptype`` values of RFC 6544 section 4.5."""

_MAX_UINT32 = 0xFFFFFFFF
_ICE_CHARS = re.compile(r"[A-Za-z0-9+/]{1,32}")  # foundation = 1*32ice-char
_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")  # RFC 3261 token
_VCHARS = re.compile(r"[\x21-\x7e]+")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?")
_DIGITS = re.compile(r"[0-9]+")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")  # dotted quad, no leading zeros

# Extension attributes with a typed field, in the order libwebrtc writes them.
_FIELD_OF = {
    "raddr": "related_address",
    "rport": "related_port",
    "tcptype": "tcptype",
    "generation": "generation",
    "ufrag": "ufrag",
    "network-id": "network_id",
    "network-cost": "network_cost",
}
_KNOWN_EXTENSIONS = tuple(_FIELD_OF)


class CandidateError(ParseError):
    """An ``a=candidate`` attribute (or a candidate field) is malformed."""


class AioiceCandidate(Protocol):
    """The attributes of ``aioice.Candidate`` that :meth:`Candidate.from_aioice` reads."""

    foundation: str
    component: int
    transport: str
    priority: int
    host: str
    port: int
    type: str
    related_address: str | None
    related_port: int | None
    tcptype: str | None
    generation: int | None


def _parse_int(text: str, what: str, low: int, high: int) -> int:
    if len(text) > 10 or not _DIGITS.fullmatch(text):
        raise CandidateError(f"{what} {text!r} is not a decimal number")
    value = int(text)
    if not low <= value <= high:
        raise CandidateError(f"{what} {value} is outside {low}..{high}")
    return value


def _check_address(text: str, what: str) -> None:
    """An RFC 8839 connection-address: an IPv4 or IPv6 literal or a DNS name (mDNS ``.local``)."""
    if ":" in text:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            raise CandidateError(f"{what} {text!r} is not an IPv6 address") from None
        if "%" in text:
            raise CandidateError(f"{what} {text!r} has a zone index")
        return
    labels = text.split(".")
    if _DIGITS.fullmatch(labels[-1]):
        if not _IPV4.fullmatch(text):
            raise CandidateError(f"{what} {text!r} is not an IPv4 address")
        return
    if len(text) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise CandidateError(f"{what} {text!r} is neither an IP address nor a host name")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ICE candidate (RFC 8445 section 5.1, SDP form RFC 8839 section 5.1).

    Field names follow aioice where it has one (``foundation``, ``component``, ``transport``,
    ``priority``, ``port``, ``type``, ``related_address``, ``related_port``, ``tcptype``,
    ``generation``); the connection address is ``address`` (aioice ``host``, aiortc ``ip``).

    ``transport`` is lower-case (``"udp"``, ``"tcp"``); ``type`` is one of
    :data:`CANDIDATE_TYPES`; ``address`` is an IP literal as written or a host name, in
    practice an mDNS ``<uuid>.local`` name (draft-ietf-mmusic-mdns-ice-candidates) that must be
    resolved before the candidate can be paired. ``ufrag``, ``network_id`` and
    ``network_cost`` are the libwebrtc extensions; any other extension attribute is kept in
    ``extensions`` as ``(name, value)`` pairs in their original order.
    """

    foundation: str
    component: int
    transport: str
    priority: int
    address: str
    port: int
    type: str
    related_address: str | None = None
    related_port: int | None = None
    tcptype: str | None = None
    generation: int | None = None
    ufrag: str | None = None
    network_id: int | None = None
    network_cost: int | None = None
    extensions: tuple[tuple[str, str], ...] = ()
    # How the parsed text spelled the transport and ordered its extensions, so that
    # to_sdp() reproduces it; not part of the value (excluded from ==, dropped by replace()).
    _transport_text: str | None = field(default=None, init=False, compare=False, repr=False)
    _layout: tuple[str, ...] = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:
        if not _ICE_CHARS.fullmatch(self.foundation):
            raise CandidateError(f"foundation {self.foundation!r} is not 1 to 32 ice-chars")
        if not 1 <= self.component <= 256:
            raise CandidateError(f"component {self.component} is outside 1..256")
        if not _TOKEN.fullmatch(self.transport) or self.transport != self.transport.lower():
            raise CandidateError(f"transport {self.transport!r} is not a lower-case token")
        if not 0 <= self.priority <= _MAX_UINT32:
            raise CandidateError(f"priority {self.priority} is not a 32-bit unsigned number")
        _check_address(self.address, "connection address")
        if not 0 <= self.port <= 0xFFFF:
            raise CandidateError(f"port {self.port} is outside 0..65535")
        if self.type not in CANDIDATE_TYPES:
            raise CandidateError(f"candidate type {self.type!r} is not one of {CANDIDATE_TYPES}")
        if self.related_address is not None:
            _check_address(self.related_address, "related address")
        if self.related_port is not None and not 0 <= self.related_port <= 0xFFFF:
            raise CandidateError(f"related port {self.related_port} is outside 0..65535")
        if self.tcptype is not None and self.tcptype not in TCP_TYPES:
            raise CandidateError(f"tcptype {self.tcptype!r} is not one of {TCP_TYPES}")
        if self.generation is not None and not 0 <= self.generation <= _MAX_UINT32:
            raise CandidateError(f"generation {self.generation} is outside 0..{_MAX_UINT32}")
        if self.ufrag is not None and not _VCHARS.fullmatch(self.ufrag):
            raise CandidateError(f"ufrag {self.ufrag!r} is not visible ASCII")
        for name in ("network_id", "network_cost"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 0xFFFF:
                raise CandidateError(f"{name} {value} is outside 0..65535")
        for name, value in self.extensions:
            if not _TOKEN.fullmatch(name):
                raise CandidateError(f"extension name {name!r} is not a token")
            if name in _FIELD_OF or name == "typ":
                raise CandidateError(f"extension {name!r} has its own field")
            if not _VCHARS.fullmatch(value):
                raise CandidateError(f"extension {name!r} value {value!r} is not visible ASCII")

    @classmethod
    def from_sdp(cls, sdp: str) -> Candidate:
        """Parse an ``a=candidate`` attribute (RFC 8839 section 5.1; prefix optional).

        Raises :class:`CandidateError` naming the first problem found.
        """
        text = sdp.strip()
        for prefix in ("a=candidate:", "candidate:"):
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
        fields = text.split()
        if len(fields) < 8:
            raise CandidateError(f"candidate has {len(fields)} fields, at least 8 are needed")
        if fields[6] != "typ":
            raise CandidateError(f"expected 'typ' as the 7th field, got {fields[6]!r}")
        if len(fields) % 2:
            raise CandidateError(f"extension attribute {fields[-1]!r} has no value")

        transport_text = fields[2]
        if not _TOKEN.fullmatch(transport_text):
            raise CandidateError(f"transport {transport_text!r} is not a token")
        values: dict[str, Any] = {}
        extensions: list[tuple[str, str]] = []
        layout: list[str] = []
        for i in range(8, len(fields), 2):
            name, value = fields[i], fields[i + 1]
            if name in values:
                raise CandidateError(f"extension {name!r} appears twice")
            if name in ("raddr", "ufrag", "tcptype"):
                values[name] = value
            elif name in ("rport", "network-id", "network-cost"):
                values[name] = _parse_int(value, name, 0, 0xFFFF)
            elif name == "generation":
                values[name] = _parse_int(value, name, 0, _MAX_UINT32)
            else:
                extensions.append((name, value))
            layout.append(name)

        candidate = cls(
            foundation=fields[0],
            component=_parse_int(fields[1], "component", 1, 256),
            transport=transport_text.lower(),
            priority=_parse_int(fields[3], "priority", 0, _MAX_UINT32),
            address=fields[4],
            port=_parse_int(fields[5], "port", 0, 0xFFFF),
            type=fields[7],
            extensions=tuple(extensions),
            **{_FIELD_OF[name]: value for name, value in values.items()},
        )
        object.__setattr__(candidate, "_transport_text", transport_text)
        object.__setattr__(candidate, "_layout", tuple(layout))
        return candidate

    def to_sdp(self) -> str:
        """The ``a=candidate`` attribute value, without the ``candidate:`` prefix."""
        transport = self._transport_text or self.transport
        parts = [
            self.foundation,
            str(self.component),
            transport,
            str(self.priority),
            self.address,
            str(self.port),
            "typ",
            self.type,
        ]
        written: set[str] = set()
        unknown = iter(self.extensions)
        for name in (*self._layout, *_KNOWN_EXTENSIONS):
            if name in written:
                continue
            if name in _FIELD_OF:
                value = getattr(self, _FIELD_OF[name])
                if value is not None:
                    parts += (name, str(value))
            else:
                parts += next(unknown)
            written.add(name)
        for pair in unknown:
            parts += pair
        return " ".join(parts)

    @property
    def is_mdns(self) -> bool:
        """Whether the address is an mDNS name (draft-ietf-mmusic-mdns-ice-candidates)."""
        return self.address.lower().endswith(".local")

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """The address as an IP address object, ``None`` while it is a host name."""
        return ipaddress.ip_address(self.address) if _is_ip(self.address) else None

    @classmethod
    def from_aioice(cls, candidate: AioiceCandidate) -> Candidate:
        """Convert an ``aioice.Candidate`` (its ``host`` becomes :attr:`address`)."""
        return cls(
            foundation=candidate.foundation,
            component=candidate.component,
            transport=candidate.transport.lower(),
            priority=candidate.priority,
            address=candidate.host,
            port=candidate.port,
            type=candidate.type,
            related_address=candidate.related_address,
            related_port=candidate.related_port,
            tcptype=candidate.tcptype,
            generation=candidate.generation,
        )

    def to_aioice(self) -> Any:
        """Convert to an ``aioice.Candidate`` (needs aioice; drops fields aioice lacks)."""
        from aioice import Candidate as AioiceCandidateClass

        return AioiceCandidateClass(
            foundation=self.foundation,
            component=self.component,
            transport=self.transport,
            priority=self.priority,
            host=self.address,
            port=self.port,
            type=self.type,
            related_address=self.related_address,
            related_port=self.related_port,
            tcptype=self.tcptype,
            generation=self.generation,
        )
