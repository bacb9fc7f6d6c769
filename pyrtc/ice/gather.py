"""The candidates an ICE agent makes itself (RFC 8445 sections 5.1.1, 7.2.5.3.1, 7.3.1.3).

Pure constructors: priorities from :func:`~pyrtc.ice.priority.candidate_priority` with the
base's local preference, foundations from :func:`~pyrtc.ice.priority.candidate_foundation`.
Every candidate is for component 1 over UDP. Reflexive and relayed candidates carry their
real related address (for server and peer reflexive ones, their base), which the agent needs
(:func:`~pyrtc.ice.pairs.candidate_base`).
"""

from __future__ import annotations

from pyrtc.ice.candidate import Candidate
from pyrtc.ice.priority import candidate_foundation, candidate_priority
from pyrtc.sansio import Address

__all__ = [
    "COMPONENT",
    "host_candidate",
    "local_peer_reflexive",
    "relayed_candidate",
    "remote_peer_reflexive",
    "server_reflexive_candidate",
]

COMPONENT = 1
"""The one component the agent handles (RTP and RTCP multiplexed, BUNDLE)."""


def host_candidate(base: Address, preference: int) -> Candidate:
    """The host candidate of a base (section 5.1.1.1)."""
    return Candidate(
        foundation=candidate_foundation("host", "udp", base[0]),
        component=COMPONENT,
        transport="udp",
        priority=candidate_priority(COMPONENT, "host", preference),
        address=base[0],
        port=base[1],
        type="host",
    )


def server_reflexive_candidate(
    mapped: Address, base: Address, server: str, preference: int
) -> Candidate:
    """What a STUN (or TURN) server at IP ``server`` saw as ``base``'s address (5.1.1.2)."""
    return Candidate(
        foundation=candidate_foundation("srflx", "udp", base[0], server),
        component=COMPONENT,
        transport="udp",
        priority=candidate_priority(COMPONENT, "srflx", preference),
        address=mapped[0],
        port=mapped[1],
        type="srflx",
        related_address=base[0],
        related_port=base[1],
    )


def relayed_candidate(
    relayed: Address, related: Address, base: Address, server: str, preference: int
) -> Candidate:
    """A TURN allocation's relayed address; ``related`` is the mapped address the server
    reported (or the base), as RFC 8839 section 5.1 suggests for ``raddr``."""
    return Candidate(
        foundation=candidate_foundation("relay", "udp", base[0], server),
        component=COMPONENT,
        transport="udp",
        priority=candidate_priority(COMPONENT, "relay", preference),
        address=relayed[0],
        port=relayed[1],
        type="relay",
        related_address=related[0],
        related_port=related[1],
    )


def local_peer_reflexive(mapped: Address, base: Address, priority: int) -> Candidate:
    """A check's mapped address that is no local candidate (section 7.2.5.3.1): its priority
    is the PRIORITY the check carried."""
    return Candidate(
        foundation=candidate_foundation("prflx", "udp", base[0]),
        component=COMPONENT,
        transport="udp",
        priority=priority,
        address=mapped[0],
        port=mapped[1],
        type="prflx",
        related_address=base[0],
        related_port=base[1],
    )


def remote_peer_reflexive(source: Address, priority: int, foundation: str) -> Candidate:
    """The source of a check that is no remote candidate (section 7.3.1.3): priority from
    the check's PRIORITY, a ``foundation`` unlike any other remote candidate's."""
    return Candidate(
        foundation=foundation,
        component=COMPONENT,
        transport="udp",
        priority=priority,
        address=source[0],
        port=source[1],
        type="prflx",
    )
