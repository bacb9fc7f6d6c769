"""Events and outgoing datagrams of the ICE agent (:class:`pyrtc.ice.agent.Agent`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pyrtc.ice.candidate import Candidate
from pyrtc.sansio import Address, Event

__all__ = [
    "CandidateGathered",
    "DataReceived",
    "GatheringStateChanged",
    "RoleChanged",
    "SelectedPairChanged",
    "StateChanged",
    "Transmit",
]


class Transmit(NamedTuple):
    """A datagram to send: ``data`` to the remote ``addr`` from the local base ``local``.

    ``local`` is one of the addresses given to :meth:`Agent.gather`; the shell sends on the
    socket bound there.
    """

    data: bytes
    addr: Address
    local: Address


@dataclass(frozen=True)
class CandidateGathered(Event):
    """A new local candidate to signal to the peer (trickle ICE, RFC 8838 section 4)."""

    candidate: Candidate


@dataclass(frozen=True)
class GatheringStateChanged(Event):
    """``"gathering"`` or ``"complete"``; ``"complete"`` is the local end-of-candidates."""

    state: str


@dataclass(frozen=True)
class StateChanged(Event):
    """The transport state changed (W3C ``RTCIceTransportState`` values)."""

    state: str


@dataclass(frozen=True)
class SelectedPairChanged(Event):
    """Data now flows on this pair (a nominated pair, RFC 8445 section 8.1.1 / 7.3.1.5)."""

    local: Candidate
    remote: Candidate


@dataclass(frozen=True)
class RoleChanged(Event):
    """A role conflict (RFC 8445 section 7.3.1.1 or 7.2.5.1) made us switch role."""

    controlling: bool


@dataclass(frozen=True)
class DataReceived(Event):
    """A datagram that is not STUN (RFC 7983) arrived on base ``local`` from ``addr``."""

    data: bytes
    local: Address
    addr: Address
