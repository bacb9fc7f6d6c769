"""Events a :class:`pyrtc.turn.TurnClient` emits (see :mod:`pyrtc.sansio`)."""

from __future__ import annotations

from dataclasses import dataclass

from pyrtc.sansio import Address, Event
from pyrtc.stun import Icmp
from pyrtc.turn.errors import TurnError


@dataclass(frozen=True)
class Allocated(Event):
    """The server granted an allocation (RFC 8656 §7.3).

    ``relayed`` is the relayed transport address peers send to; ``mapped`` the client's
    server-reflexive address (XOR-MAPPED-ADDRESS) if the server sent it; ``lifetime`` the
    granted lifetime in seconds (the client refreshes it by itself).
    """

    relayed: Address
    mapped: Address | None
    lifetime: int


@dataclass(frozen=True)
class AllocationFailed(Event):
    """The Allocate request failed for good: error response, bad credentials or timeout."""

    error: TurnError


@dataclass(frozen=True)
class Refreshed(Event):
    """A Refresh request extended the allocation to ``lifetime`` seconds (RFC 8656 §8)."""

    lifetime: int


@dataclass(frozen=True)
class DataReceived(Event):
    """``data`` from ``peer`` arrived through the relay (Data indication or ChannelData)."""

    peer: Address
    data: bytes


@dataclass(frozen=True)
class IcmpReceived(Event):
    """The server relayed an ICMP error about datagrams sent to ``peer`` (RFC 8656 §11.6),
    e.g. type 3 (destination unreachable) for IPv4; ``icmp.data`` carries the next-hop MTU
    for "fragmentation needed" / "packet too big" (§18.13).
    """

    peer: Address
    icmp: Icmp


@dataclass(frozen=True)
class PermissionFailed(Event):
    """CreatePermission or ChannelBind for ``peer`` failed; data queued for it was dropped."""

    peer: Address
    error: TurnError


@dataclass(frozen=True)
class Closed(Event):
    """The allocation is gone: deallocated on :meth:`~pyrtc.turn.TurnClient.close`
    (``error`` is ``None``) or lost because a Refresh failed (``error`` says why).
    """

    error: TurnError | None = None
