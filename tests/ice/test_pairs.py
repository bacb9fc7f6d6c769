"""Pair priority, pairing rules, pruning and checklist limits (RFC 8445 section 6.1.2)."""

from __future__ import annotations

import aioice
import pytest
from aioice.ice import candidate_pair_priority as aioice_pair_priority
from hypothesis import given
from hypothesis import strategies as st

from pyrtc.ice import (
    Candidate,
    CandidatePair,
    can_pair,
    candidate_base,
    candidate_foundation,
    candidate_priority,
    form_checklist,
    pair_priority,
)

_priority = st.integers(1, 2**31 - 1)


def host(address: str, port: int = 5000, component: int = 1, local_pref: int = 65535) -> Candidate:
    priority = candidate_priority(component, "host", local_pref)
    return Candidate(
        candidate_foundation("host", "udp", address),
        component,
        "udp",
        priority,
        address,
        port,
        "host",
    )


def srflx(address: str, port: int, base: Candidate) -> Candidate:
    return Candidate(
        "s",
        base.component,
        "udp",
        candidate_priority(base.component, "srflx"),
        address,
        port,
        "srflx",
        related_address=base.address,
        related_port=base.port,
    )


def test_pair_priority_formula_by_hand() -> None:
    assert pair_priority(2, 1) == (1 << 32) * 1 + 2 * 2 + 1
    assert pair_priority(1, 2) == (1 << 32) * 1 + 2 * 2 + 0
    assert pair_priority(7, 7) == (1 << 32) * 7 + 14


@given(_priority, _priority, st.booleans())
def test_pair_priority_matches_aioice(local: int, remote: int, controlling: bool) -> None:
    ours = CandidatePair(
        Candidate("1", 1, "udp", local, "192.0.2.1", 1, "host"),
        Candidate("2", 1, "udp", remote, "192.0.2.2", 2, "host"),
    )
    theirs = aioice_pair_priority(
        aioice.Candidate("1", 1, "udp", local, "192.0.2.1", 1, "host"),
        aioice.Candidate("2", 1, "udp", remote, "192.0.2.2", 2, "host"),
        ice_controlling=controlling,
    )
    assert ours.priority(controlling) == theirs
    assert ours.priority(controlling) < 2**64


@given(_priority, _priority)
def test_both_agents_compute_the_same_pair_priority(a: int, b: int) -> None:
    # The controlling agent's local candidate is the controlled agent's remote one.
    mine = CandidatePair(
        Candidate("1", 1, "udp", a, "192.0.2.1", 1, "host"),
        Candidate("2", 1, "udp", b, "192.0.2.2", 2, "host"),
    )
    theirs = CandidatePair(mine.remote, mine.local)
    assert mine.priority(True) == theirs.priority(False)
    assert mine.foundation == ("1", "2")


@pytest.mark.parametrize(
    ("local", "remote", "expected"),
    [
        ("1 1 udp 1 192.0.2.1 1 typ host", "1 1 udp 1 192.0.2.2 1 typ host", True),
        ("1 1 udp 1 192.0.2.1 1 typ host", "1 2 udp 1 192.0.2.2 1 typ host", False),
        ("1 1 udp 1 192.0.2.1 1 typ host", "1 1 udp 1 2001:db8::2 1 typ host", False),
        ("1 1 udp 1 2001:db8::1 1 typ host", "1 1 udp 1 2001:db8::2 1 typ host", True),
        ("1 1 udp 1 fe80::1 1 typ host", "1 1 udp 1 2001:db8::2 1 typ host", False),
        ("1 1 udp 1 2001:db8::1 1 typ host", "1 1 udp 1 fe80::2 1 typ host", False),
        ("1 1 udp 1 fe80::1 1 typ host", "1 1 udp 1 fe80::2 1 typ host", True),
        ("1 1 udp 1 169.254.0.1 1 typ host", "1 1 udp 1 192.0.2.2 1 typ host", True),
        ("1 1 udp 1 192.0.2.1 1 typ host", "1 1 tcp 1 192.0.2.2 1 typ host tcptype passive", False),
        (
            "1 1 tcp 1 192.0.2.1 9 typ host tcptype active",
            "1 1 tcp 1 192.0.2.2 1 typ host tcptype passive",
            True,
        ),
        (
            "1 1 tcp 1 192.0.2.1 1 typ host tcptype passive",
            "1 1 tcp 1 192.0.2.2 9 typ host tcptype active",
            True,
        ),
        (
            "1 1 tcp 1 192.0.2.1 1 typ host tcptype so",
            "1 1 tcp 1 192.0.2.2 1 typ host tcptype so",
            True,
        ),
        (
            "1 1 tcp 1 192.0.2.1 9 typ host tcptype active",
            "1 1 tcp 1 192.0.2.2 9 typ host tcptype active",
            False,
        ),
        ("1 1 tcp 1 192.0.2.1 9 typ host", "1 1 tcp 1 192.0.2.2 1 typ host tcptype passive", False),
        (
            "1 1 udp 1 192.0.2.1 1 typ host",
            "1 1 udp 1 6f9d1b0e-1111-4222-8333-444455556666.local 1 typ host",
            False,
        ),
    ],
)
def test_can_pair(local: str, remote: str, expected: bool) -> None:
    assert can_pair(Candidate.from_sdp(local), Candidate.from_sdp(remote)) is expected


def test_candidate_base() -> None:
    h = host("192.0.2.1")
    assert candidate_base(h) == ("192.0.2.1", 5000)
    assert candidate_base(srflx("203.0.113.1", 6000, h)) == ("192.0.2.1", 5000)
    relay = Candidate(
        "r",
        1,
        "udp",
        5,
        "198.51.100.1",
        7000,
        "relay",
        related_address="203.0.113.1",
        related_port=6000,
    )
    assert candidate_base(relay) == ("198.51.100.1", 7000)
    with pytest.raises(ValueError, match="no base"):
        candidate_base(Candidate("s", 1, "udp", 5, "203.0.113.1", 1, "srflx"))


def test_checklist_is_sorted_by_decreasing_pair_priority() -> None:
    local = [host("192.0.2.1", local_pref=100), host("192.0.2.9", local_pref=200)]
    remote = [host("198.51.100.1", local_pref=50), host("198.51.100.2", local_pref=300)]
    for controlling in (True, False):
        checklist = form_checklist(local, remote, controlling)
        assert len(checklist) == 4
        priorities = [pair.priority(controlling) for pair in checklist]
        assert priorities == sorted(priorities, reverse=True)


def test_srflx_local_is_replaced_by_its_base_and_pruned() -> None:
    # Section 6.1.2.4: the srflx pair becomes (host, remote), redundant with the host pair.
    h = host("192.0.2.1")
    s = srflx("203.0.113.1", 6000, h)
    remote = [host("198.51.100.1"), host("198.51.100.2", local_pref=1)]
    checklist = form_checklist([h, s], remote, controlling=True)
    assert [(p.local, p.remote) for p in checklist] == [(h, remote[0]), (h, remote[1])]


def test_srflx_pair_is_replaced_when_it_outranks_its_base() -> None:
    # An odd priority assignment: the srflx candidate ranks above its base. Its pair is
    # replaced by the base, takes the base's priority, and the base's own pair is redundant.
    h = host("192.0.2.1", local_pref=0)
    s = Candidate(
        "s",
        1,
        "udp",
        2**31 - 1,
        "203.0.113.1",
        6000,
        "srflx",
        related_address="192.0.2.1",
        related_port=5000,
    )
    r = host("198.51.100.1")
    assert form_checklist([h, s], [r], controlling=False) == [CandidatePair(h, r)]


def test_srflx_without_local_base_is_kept() -> None:
    s = srflx("203.0.113.1", 6000, host("192.0.2.1"))
    r = host("198.51.100.1")
    assert form_checklist([s], [r], controlling=True) == [CandidatePair(s, r)]


def test_relay_candidates_are_their_own_base() -> None:
    h = host("192.0.2.1")
    relay = Candidate(
        "r",
        1,
        "udp",
        candidate_priority(1, "relay"),
        "198.51.100.7",
        7000,
        "relay",
        related_address="203.0.113.1",
        related_port=6000,
    )
    r = host("198.51.100.1")
    assert form_checklist([h, relay], [r], controlling=True) == [
        CandidatePair(h, r),
        CandidatePair(relay, r),
    ]


def test_same_base_same_remote_keeps_only_the_higher_pair() -> None:
    low = host("192.0.2.1", local_pref=1)
    high = Candidate("x", 1, "udp", low.priority + 10, "192.0.2.1", 5000, "host")
    r = host("198.51.100.1")
    assert form_checklist([low, high], [r], controlling=True) == [CandidatePair(high, r)]


def test_components_are_paired_separately() -> None:
    local = [host("192.0.2.1", component=1), host("192.0.2.1", 5001, component=2)]
    remote = [host("198.51.100.1", component=1), host("198.51.100.1", 6001, component=2)]
    checklist = form_checklist(local, remote, controlling=True)
    assert [(p.local.component, p.remote.component) for p in checklist] == [(1, 1), (2, 2)]


def test_checklist_is_limited_to_the_highest_pairs() -> None:
    local = [host(f"192.0.2.{i}", local_pref=i) for i in range(1, 12)]
    remote = [host(f"198.51.100.{i}", local_pref=1000 + i) for i in range(1, 12)]
    full = form_checklist(local, remote, controlling=True, max_pairs=1000)
    assert len(full) == 121
    limited = form_checklist(local, remote, controlling=True)
    assert len(limited) == 100
    assert limited == full[:100]
    assert form_checklist(local, remote, controlling=True, max_pairs=3) == full[:3]


def test_prflx_local_with_the_same_base_is_redundant() -> None:
    h = host("192.0.2.1")
    prflx = Candidate(
        "p",
        1,
        "udp",
        candidate_priority(1, "prflx"),
        "203.0.113.5",
        6001,
        "prflx",
        related_address="192.0.2.1",
        related_port=5000,
    )
    r = host("198.51.100.1")
    assert form_checklist([prflx, h], [r], controlling=False) == [CandidatePair(h, r)]
