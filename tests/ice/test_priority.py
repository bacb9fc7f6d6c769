"""Candidate priority, local preferences and foundations (RFC 8445 5.1.1.3, 5.1.2; RFC 8421)."""

from __future__ import annotations

import pytest
from aioice.candidate import candidate_foundation as aioice_candidate_foundation
from aioice.candidate import candidate_priority as aioice_candidate_priority
from hypothesis import given
from hypothesis import strategies as st

from pyrtc.ice import (
    TYPE_PREFERENCES,
    Candidate,
    candidate_foundation,
    candidate_priority,
    local_preferences,
)

TYPES = ["host", "srflx", "prflx", "relay"]


def test_rfc_formula_by_hand() -> None:
    # (2^24)*126 + (2^8)*65535 + (256 - 1)
    assert candidate_priority(1, "host") == 2130706431
    assert candidate_priority(2, "host") == 2130706430
    # (2^24)*100 + (2^8)*65535 + 255, (2^24)*110 + ..., (2^24)*0 + ...
    assert candidate_priority(1, "srflx") == 1694498815
    assert candidate_priority(1, "prflx") == 1862270975
    assert candidate_priority(1, "relay") == 16777215
    assert candidate_priority(256, "relay", 0) == 0


def test_matches_what_chromium_wrote() -> None:
    # The Chromium 156 fixture: host candidate with local preference 32542 on component 1.
    line = "1461261532 1 udp 2122260223 127.0.0.1 34422 typ host generation 0"
    assert Candidate.from_sdp(line).priority == candidate_priority(1, "host", 32542)


@given(st.integers(1, 256), st.sampled_from(TYPES), st.integers(0, 65535))
def test_matches_aioice(component: int, type: str, local_preference: int) -> None:
    ours = candidate_priority(component, type, local_preference)
    assert ours == aioice_candidate_priority(component, type, local_preference)
    assert ours >> 24 == TYPE_PREFERENCES[type]
    assert (ours >> 8) & 0xFFFF == local_preference
    assert 256 - (ours & 0xFF) == component or (component == 256 and ours & 0xFF == 0)
    assert ours < 2**31


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ((1, "bogus"), "candidate type"),
        ((0, "host"), "component"),
        ((257, "host"), "component"),
        ((1, "host", 65536), "local preference"),
        ((1, "host", -1), "local preference"),
    ],
)
def test_rejects_out_of_range_inputs(args: tuple[int, str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        candidate_priority(*args)


def test_single_address_gets_the_maximum_local_preference() -> None:
    assert local_preferences(["192.0.2.1"]) == {"192.0.2.1": 65535}


def test_dual_stack_interleaves_families_ipv6_first() -> None:
    prefs = local_preferences(["192.0.2.1", "192.0.2.2", "2001:db8::1", "198.51.100.1"])
    order = sorted(prefs, key=prefs.__getitem__, reverse=True)
    assert order == ["2001:db8::1", "192.0.2.1", "192.0.2.2", "198.51.100.1"]
    assert prefs["2001:db8::1"] == 65535
    assert prefs["198.51.100.1"] == 65532


@given(st.lists(st.ip_addresses().map(str), max_size=20))
def test_local_preferences_are_distinct_and_in_range(addresses: list[str]) -> None:
    prefs = local_preferences(addresses)
    assert set(prefs) == set(addresses)
    assert len(set(prefs.values())) == len(prefs)
    assert all(0 <= p <= 65535 for p in prefs.values())


def test_local_preferences_reject_names() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        local_preferences(["host.local"])


def test_foundation_same_inputs_same_value_ports_do_not_matter() -> None:
    # Section 5.1.1.3: type, base IP, server and transport decide; the port is not an input.
    a = candidate_foundation("host", "udp", "192.0.2.1")
    assert a == candidate_foundation("host", "UDP", "192.0.2.1")
    assert len(a) == 8
    Candidate(a, 1, "udp", 1, "192.0.2.1", 1, "host")  # a valid foundation (ice-chars)


def test_foundation_differs_when_any_input_differs() -> None:
    base = ("srflx", "udp", "192.0.2.1", "203.0.113.1")
    variants = [
        base,
        ("host", "udp", "192.0.2.1", None),
        ("relay", "udp", "192.0.2.1", "203.0.113.1"),
        ("srflx", "tcp", "192.0.2.1", "203.0.113.1"),
        ("srflx", "udp", "192.0.2.2", "203.0.113.1"),
        ("srflx", "udp", "192.0.2.1", "203.0.113.2"),
    ]
    foundations = {candidate_foundation(*v) for v in variants}
    assert len(foundations) == len(variants)


def test_foundation_rejects_unknown_type() -> None:
    with pytest.raises(ValueError, match="candidate type"):
        candidate_foundation("bogus", "udp", "192.0.2.1")


_foundation_inputs = st.tuples(
    st.sampled_from(TYPES),
    st.sampled_from(["udp", "tcp"]),
    st.sampled_from(["192.0.2.1", "192.0.2.2", "2001:db8::1"]),
)


@given(_foundation_inputs, _foundation_inputs)
def test_foundation_groups_candidates_like_aioice(
    a: tuple[str, str, str], b: tuple[str, str, str]
) -> None:
    # The strings differ (aioice uses MD5 and no server); the grouping must not.
    ours_equal = candidate_foundation(*a) == candidate_foundation(*b)
    theirs_equal = aioice_candidate_foundation(*a) == aioice_candidate_foundation(*b)
    assert ours_equal == theirs_equal == (a == b)
