"""Candidate priorities and foundations (RFC 8445 sections 5.1.1.3 and 5.1.2, RFC 8421 section 4).

Pure functions used when gathering local candidates; the pairing math is in
:mod:`pyrtc.ice.pairs`.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence

from pyrtc.ice.candidate import CANDIDATE_TYPES

__all__ = [
    "MAX_LOCAL_PREFERENCE",
    "TYPE_PREFERENCES",
    "candidate_foundation",
    "candidate_priority",
    "local_preferences",
]

TYPE_PREFERENCES = {"host": 126, "prflx": 110, "srflx": 100, "relay": 0}
"""The recommended type preferences of RFC 8445 section 5.1.2.2."""

MAX_LOCAL_PREFERENCE = 65535
"""The local preference of a single-homed agent (RFC 8445 section 5.1.2.1)."""


def candidate_priority(
    component: int, type: str, local_preference: int = MAX_LOCAL_PREFERENCE
) -> int:
    """The priority of a candidate: RFC 8445 section 5.1.2.1's formula.

    ``2**24 * type preference + 2**8 * local preference + (256 - component)``, with the type
    preferences of :data:`TYPE_PREFERENCES`. The argument order matches
    ``aioice.candidate.candidate_priority``.
    """
    if type not in TYPE_PREFERENCES:
        raise ValueError(f"candidate type {type!r} is not one of {CANDIDATE_TYPES}")
    if not 0 <= local_preference <= MAX_LOCAL_PREFERENCE:
        raise ValueError(f"local preference {local_preference} is outside 0..65535")
    if not 1 <= component <= 256:
        raise ValueError(f"component {component} is outside 1..256")
    return (TYPE_PREFERENCES[type] << 24) + (local_preference << 8) + (256 - component)


def local_preferences(addresses: Sequence[str]) -> dict[str, int]:
    """Distinct local preferences for the host addresses of a multi-homed agent.

    ``addresses`` are IP literals in the caller's order of preference (for example the order
    of the interfaces). RFC 8445 section 5.1.2.1 requires a distinct local preference per IP
    address and 65535 for a single address; RFC 8421 section 4 recommends interleaving the
    address families, IPv6 first, so that a broken family does not hold every check of the
    other one back. The result maps each address to
    ``65535 - its position in the interleaved order``.
    """
    v6: list[str] = []
    v4: list[str] = []
    for address in dict.fromkeys(addresses):
        try:
            version = ipaddress.ip_address(address).version
        except ValueError:
            raise ValueError(f"{address!r} is not an IP address") from None
        (v6 if version == 6 else v4).append(address)
    interleaved: list[str] = []
    for i in range(max(len(v6), len(v4))):
        interleaved += v6[i : i + 1] + v4[i : i + 1]
    if len(interleaved) > MAX_LOCAL_PREFERENCE + 1:
        raise ValueError(f"{len(interleaved)} addresses do not fit 65536 local preferences")
    return {address: MAX_LOCAL_PREFERENCE - i for i, address in enumerate(interleaved)}


def candidate_foundation(
    type: str, transport: str, base_address: str, server: str | None = None
) -> str:
    """A foundation per RFC 8445 section 5.1.1.3.

    Two candidates get the same foundation exactly when they have the same type, the same
    base IP address (ports do not matter), the same transport protocol and, for server
    reflexive and relayed candidates, the same STUN or TURN server (give its IP address as
    ``server``). The value is the first 8 hex digits of a SHA-256 over those fields: short,
    stable across runs and made of ice-chars.
    """
    if type not in TYPE_PREFERENCES:
        raise ValueError(f"candidate type {type!r} is not one of {CANDIDATE_TYPES}")
    key = "|".join((type, transport.lower(), base_address, server or ""))
    return hashlib.sha256(key.encode()).hexdigest()[:8]
