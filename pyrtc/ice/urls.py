"""STUN and TURN server URIs (RFC 7064 ``stun:``/``stuns:``, RFC 7065 ``turn:``/``turns:``).

:func:`parse_ice_server_url` turns one URI into an :class:`IceServerUrl`; :class:`RTCIceServer`
is the W3C/aiortc configuration entry that carries the URIs and the TURN credentials.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from pyrtc.errors import ParseError

__all__ = ["IceServerUrl", "IceUrlError", "RTCIceServer", "parse_ice_server_url"]

_DEFAULT_PORTS = {"stun": 3478, "turn": 3478, "stuns": 5349, "turns": 5349}
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?")
_DIGITS = re.compile(r"[0-9]{1,5}")


class IceUrlError(ParseError):
    """A STUN or TURN URI is malformed or uses something RFC 7064/7065 does not allow."""


@dataclass(frozen=True, slots=True)
class IceServerUrl:
    """One parsed STUN/TURN server URI.

    ``scheme`` is lower-case; ``host`` is a host name or an IP address (an IPv6 literal
    without its brackets); ``port`` defaults to 3478, or 5349 for the secure schemes.
    ``transport`` is how to reach the server: for ``turn:`` the ``?transport=`` value
    (default ``"udp"``), for ``turns:`` ``"tcp"`` (TLS; ``?transport=udp`` means DTLS), for
    ``stun:`` ``"udp"`` and for ``stuns:`` ``"tcp"`` (TLS). ``secure`` is true for the ``s``
    schemes.
    """

    scheme: str
    host: str
    port: int
    transport: str
    secure: bool

    @property
    def is_turn(self) -> bool:
        """Whether this is a TURN server (``turn:``/``turns:``) rather than a STUN one."""
        return self.scheme in ("turn", "turns")


def _parse_host(text: str, url: str) -> str:
    if text.startswith("["):
        if not text.endswith("]"):
            raise IceUrlError(f"{url!r}: unterminated IPv6 literal")
        literal = text[1:-1]
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            raise IceUrlError(f"{url!r}: {literal!r} is not an IPv6 address") from None
        if "%" in literal:
            raise IceUrlError(f"{url!r}: zone identifiers are not allowed")
        return literal
    labels = text.split(".")
    if labels[-1].isascii() and labels[-1].isdigit():
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            raise IceUrlError(f"{url!r}: {text!r} is not an IPv4 address") from None
        return text
    if not text or len(text) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise IceUrlError(f"{url!r}: {text!r} is not a host name")
    return text


def parse_ice_server_url(url: str) -> IceServerUrl:
    """Parse a ``stun:``, ``stuns:`` (RFC 7064 section 3.1) or ``turn:``, ``turns:`` URI
    (RFC 7065 section 3.1): ``scheme ":" host [":" port] ["?transport=" ("udp" / "tcp")]``.

    The scheme is case-insensitive. The ``//`` authority form, user information, fragments and
    any query on a STUN URI are rejected with :class:`IceUrlError`.
    """
    scheme, colon, rest = url.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in _DEFAULT_PORTS:
        raise IceUrlError(f"{url!r}: the scheme must be stun, stuns, turn or turns")
    if rest.startswith("//"):
        raise IceUrlError(f"{url!r}: STUN/TURN URIs have no '//' authority part")
    if "#" in rest:
        raise IceUrlError(f"{url!r}: fragments are not allowed")
    if "@" in rest:
        raise IceUrlError(f"{url!r}: user information is not allowed")
    hostport, question, query = rest.partition("?")
    is_turn = scheme in ("turn", "turns")
    secure = scheme in ("stuns", "turns")

    transport = "tcp" if secure else "udp"
    if question:
        if not is_turn:
            raise IceUrlError(f"{url!r}: a {scheme} URI takes no query")
        name, equals, value = query.partition("=")
        if name != "transport" or not equals:
            raise IceUrlError(f"{url!r}: the only query allowed is ?transport=udp|tcp")
        if value not in ("udp", "tcp"):
            raise IceUrlError(f"{url!r}: unsupported transport {value!r}")
        transport = value

    if hostport.startswith("["):
        end = hostport.find("]")
        host_text, port_text = hostport[: end + 1], hostport[end + 1 :]
        if end < 0 or (port_text and not port_text.startswith(":")):
            raise IceUrlError(f"{url!r}: malformed IPv6 literal")
    elif hostport.count(":") > 1:
        raise IceUrlError(f"{url!r}: an IPv6 address must be written in brackets")
    else:
        host_text, colon, port_text = hostport.partition(":")
        port_text = colon + port_text
    host = _parse_host(host_text, url)

    port = _DEFAULT_PORTS[scheme]
    if port_text:
        digits = port_text[1:]
        if not _DIGITS.fullmatch(digits) or not 1 <= int(digits) <= 65535:
            raise IceUrlError(f"{url!r}: port {digits!r} is not 1..65535")
        port = int(digits)
    return IceServerUrl(scheme=scheme, host=host, port=port, transport=transport, secure=secure)


@dataclass
class RTCIceServer:
    """A STUN or TURN server entry of the peer connection configuration (W3C, aiortc shape).

    ``urls`` is one URI or a list of them; ``username`` and ``credential`` are the TURN long-term
    credentials (RFC 8656 section 9.2).
    """

    urls: str | list[str]
    username: str | None = None
    credential: str | None = None
    credentialType: str = "password"  # the W3C/aiortc spelling

    def parsed_urls(self) -> list[IceServerUrl]:
        """Every URI of this entry, parsed; raises :class:`IceUrlError` on the first bad one."""
        urls = [self.urls] if isinstance(self.urls, str) else self.urls
        return [parse_ice_server_url(url) for url in urls]
