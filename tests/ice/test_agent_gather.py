"""The candidates the agent makes (pyrtc.ice.gather): priorities, foundations, bases."""

from __future__ import annotations

from pyrtc.ice import Candidate, candidate_base
from pyrtc.ice.gather import (
    host_candidate,
    local_peer_reflexive,
    relayed_candidate,
    remote_peer_reflexive,
    server_reflexive_candidate,
)

BASE = ("192.0.2.10", 5000)


def test_host_candidate() -> None:
    c = host_candidate(BASE, 65535)
    assert c.to_sdp() == f"{c.foundation} 1 udp 2130706431 192.0.2.10 5000 typ host"
    assert candidate_base(c) == BASE
    assert host_candidate(("192.0.2.10", 6000), 65535).foundation == c.foundation
    assert host_candidate(("192.0.2.11", 5000), 65534).foundation != c.foundation


def test_server_reflexive_candidate() -> None:
    c = server_reflexive_candidate(("203.0.113.7", 61000), BASE, "198.51.100.1", 65535)
    assert (c.type, c.address, c.port, c.priority) == ("srflx", "203.0.113.7", 61000, 1694498815)
    assert candidate_base(c) == BASE
    other_server = server_reflexive_candidate(("203.0.113.7", 61000), BASE, "198.51.100.2", 1)
    assert other_server.foundation != c.foundation  # the server is part of the foundation
    assert Candidate.from_sdp(c.to_sdp()) == c


def test_relayed_candidate() -> None:
    c = relayed_candidate(("198.51.100.1", 50000), ("203.0.113.7", 61000), BASE, "198.51.100.1", 9)
    assert (c.type, c.priority) == ("relay", (9 << 8) + 255)  # type preference 0
    assert candidate_base(c) == ("198.51.100.1", 50000)  # a relayed candidate is its own base
    assert (c.related_address, c.related_port) == ("203.0.113.7", 61000)


def test_peer_reflexive_candidates() -> None:
    local = local_peer_reflexive(("203.0.113.7", 62000), BASE, 1853824767)
    assert (local.type, local.priority) == ("prflx", 1853824767)
    assert candidate_base(local) == BASE
    remote = remote_peer_reflexive(("198.51.100.9", 7000), 1853824767, "Ab+/")
    assert (remote.foundation, remote.type, remote.related_address) == ("Ab+/", "prflx", None)
