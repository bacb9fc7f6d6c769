"""Candidate pairs and checklist formation (RFC 8445 section 6.1.2, RFC 6544 section 6.2).

Pure functions: the agent gives its local candidates (with their real related addresses, which
for reflexive candidates are their bases) and the remote candidates (mDNS names already
resolved to IP addresses) and gets the ordered, pruned, bounded checklist back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyrtc.ice.candidate import Candidate
from pyrtc.sansio import Address

__all__ = [
    "MAX_CHECKLIST_PAIRS",
    "CandidatePair",
    "can_pair",
    "candidate_base",
    "form_checklist",
    "pair_priority",
]

MAX_CHECKLIST_PAIRS = 100
"""The default limit on candidate pairs of RFC 8445 section 6.1.2.5."""

# RFC 6544 section 6.2: which local tcptype may be paired with which remote tcptype.
_TCP_PARTNER = {"active": "passive", "passive": "active", "so": "so"}


def pair_priority(controlling_priority: int, controlled_priority: int) -> int:
    """RFC 8445 section 6.1.2.3: ``2**32*MIN(G,D) + 2*MAX(G,D) + (G>D ? 1 : 0)``.

    ``G`` is the priority of the candidate of the controlling agent, ``D`` the one of the
    controlled agent, whichever side is local.
    """
    g, d = controlling_priority, controlled_priority
    return (min(g, d) << 32) + 2 * max(g, d) + (1 if g > d else 0)


@dataclass(frozen=True, slots=True)
class CandidatePair:
    """A local and a remote candidate of the same component (RFC 8445 section 6.1.2)."""

    local: Candidate
    remote: Candidate

    def priority(self, controlling: bool) -> int:
        """The pair priority (section 6.1.2.3) for the local agent's current role."""
        if controlling:
            return pair_priority(self.local.priority, self.remote.priority)
        return pair_priority(self.remote.priority, self.local.priority)

    @property
    def foundation(self) -> tuple[str, str]:
        """The pair foundation (section 6.1.2.6): local and remote candidate foundations."""
        return (self.local.foundation, self.remote.foundation)


def candidate_base(candidate: Candidate) -> Address:
    """The base of a local candidate (RFC 8445 section 5.1.1.2).

    Host and relayed candidates are their own base; a reflexive candidate's base is its
    related address, so local reflexive candidates must carry their real ``raddr``/``rport``.
    """
    if candidate.type in ("host", "relay"):
        return (candidate.address, candidate.port)
    if candidate.related_address is None or candidate.related_port is None:
        raise ValueError(f"{candidate.type} candidate {candidate.to_sdp()!r} has no base")
    return (candidate.related_address, candidate.related_port)


def can_pair(local: Candidate, remote: Candidate) -> bool:
    """Whether RFC 8445 section 6.1.2.2 pairs these two candidates.

    Same component, same transport (for TCP, RFC 6544 section 6.2: active with passive,
    simultaneous-open with simultaneous-open), both IP addresses of the same family, and an
    IPv6 link-local address only with another link-local address. A remote mDNS candidate is
    never paired: resolve it and replace its address first.
    """
    if local.component != remote.component or local.transport != remote.transport:
        return False
    if local.transport == "tcp" and (
        local.tcptype is None or _TCP_PARTNER[local.tcptype] != remote.tcptype
    ):
        return False
    local_ip, remote_ip = local.ip, remote.ip
    if local_ip is None or remote_ip is None or local_ip.version != remote_ip.version:
        return False
    return local_ip.is_link_local == remote_ip.is_link_local or local_ip.version == 4


def form_checklist(
    local: Iterable[Candidate],
    remote: Iterable[Candidate],
    controlling: bool,
    max_pairs: int = MAX_CHECKLIST_PAIRS,
) -> list[CandidatePair]:
    """Form, order, prune and bound one checklist (RFC 8445 sections 6.1.2.2 to 6.1.2.5).

    Pairs every local with every compatible remote candidate, sorts by decreasing pair
    priority (ties keep the input order), replaces a server reflexive local candidate by the
    local host candidate that is its base when that one is in ``local`` (section 6.1.2.4, as
    RFC 5245 section 5.7.3 spells out), drops every pair whose local base and remote candidate
    repeat a higher-priority pair (section 6.1.2.4), and keeps the ``max_pairs`` highest
    (section 6.1.2.5).
    """
    locals_ = list(local)
    remotes = list(remote)
    hosts = {(c.address, c.port, c.transport, c.component): c for c in locals_ if c.type == "host"}
    pairs = [CandidatePair(lc, rc) for lc in locals_ for rc in remotes if can_pair(lc, rc)]
    pairs.sort(key=lambda pair: pair.priority(controlling), reverse=True)

    checklist: list[CandidatePair] = []
    seen: set[tuple[object, ...]] = set()
    for pair in pairs:
        lc, rc = pair.local, pair.remote
        if lc.type == "srflx":
            base = hosts.get((*candidate_base(lc), lc.transport, lc.component))
            if base is not None:
                pair = CandidatePair(base, rc)
        key = (candidate_base(lc), lc.transport, lc.component, rc.address, rc.port, rc.transport)
        if key in seen:
            continue
        seen.add(key)
        checklist.append(pair)
    # A replacement raises a pair's priority, so sort again (stable: ties keep their order).
    checklist.sort(key=lambda pair: pair.priority(controlling), reverse=True)
    return checklist[:max_pairs]
