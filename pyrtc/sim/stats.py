"""Packet counters kept per link direction and for the whole simulation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

DropReason = Literal[
    "mtu",  # larger than the link MTU
    "scripted",  # Link(drop=...), Link.drop_next() or a blackout window
    "loss",  # random loss: Bernoulli or the Gilbert-Elliott burst model
    "queue",  # tail drop: the link's queue was full
    "nat-hairpin",  # sent to its own NAT's public address, NAT does not hairpin
    "nat-no-mapping",  # arrived at a NAT port with no live mapping
    "nat-filtered",  # a mapping exists but its filtering behaviour refuses the source
    "nat-exhausted",  # the NAT ran out of ports
    "unroutable",  # addressed to a private host behind a NAT the sender is not behind
    "no-endpoint",  # nothing listens at the destination address
    "not-peer",  # a point-to-point endpoint got a datagram from someone else than its peer
]
"""Why a datagram was dropped; the keys of :attr:`Stats.drops`."""


@dataclass
class Stats:
    """Datagram counters.

    On a :class:`~pyrtc.sim.Link` they count what entered that direction of the link
    (``delivered`` = copies that reached the far end, duplicates included). On the
    :class:`~pyrtc.sim.Simulator` they count datagrams sent by cores and copies handed to a
    core, and ``drops`` also holds the NAT and routing reasons.
    """

    sent: int = 0
    delivered: int = 0
    duplicated: int = 0
    reordered: int = 0
    bytes_sent: int = 0
    bytes_delivered: int = 0
    drops: Counter[DropReason] = field(default_factory=Counter)

    @property
    def dropped(self) -> int:
        """Total datagrams dropped, all reasons together."""
        return sum(self.drops.values())
