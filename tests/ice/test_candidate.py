"""a=candidate parsing and serialization (RFC 8839 section 5.1) against real browser SDP."""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path
from typing import TypeVar

import aioice
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc import ParseError
from pyrtc.ice import Candidate, CandidateError

T = TypeVar("T")
# The copies of ../shared/fixtures/sdp that the SDP tests carry (CRLF kept by .gitattributes).
FIXTURES = Path(__file__).resolve().parent.parent / "sdp" / "fixtures"
FIXTURE_LINES = [
    pytest.param(line, id=f"{path.stem}:{number}")
    for path in sorted(FIXTURES.glob("*.sdp"))
    for number, line in enumerate(path.read_bytes().decode().splitlines())
    if line.startswith("a=candidate:")
]
assert len(FIXTURE_LINES) >= 10, f"browser SDP fixtures missing from {FIXTURES}"

# Lines as libwebrtc, Firefox and others write them (addresses from documentation ranges).
REAL_WORLD_LINES = [
    "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 0.0.0.0 rport 0 "
    "generation 0 ufrag EsAw network-id 1 network-cost 10",
    "candidate:3005417262 1 udp 2113937151 7b1f6bf2-4e0a-4ed8-a39b-3c1a3e5e3a4d.local 54400 typ "
    "host generation 0 ufrag EsAw network-cost 999",
    "candidate:1 1 tcp 1518280447 192.0.2.10 9 typ host tcptype active generation 0",
    "candidate:2 1 TCP 2105524479 2001:db8::5 9 typ host tcptype passive",
    "candidate:3 2 UDP 92217086 198.51.100.4 50000 typ relay raddr 203.0.113.7 rport 6000",
    "candidate:4 1 udp 1853824767 203.0.113.9 40000 typ prflx raddr 192.0.2.1 rport 5000",
    "candidate:5 1 udp 2122260223 192.0.2.2 5000 typ host future-ext value-1 generation 0 x y",
    "candidate:a+b/C 256 udp 1 192.0.2.2 0 typ host",
]


@pytest.mark.parametrize("line", FIXTURE_LINES)
def test_fixture_lines_round_trip_exactly(line: str) -> None:
    candidate = Candidate.from_sdp(line)
    assert "a=candidate:" + candidate.to_sdp() == line
    assert candidate.transport in ("udp", "tcp")
    assert candidate.ip is not None


def test_fixtures_have_candidates() -> None:
    # The fixture directory is shared; make sure the parametrized test above ran on something.
    assert len(FIXTURE_LINES) >= 10


@pytest.mark.parametrize("line", REAL_WORLD_LINES)
def test_real_world_lines_round_trip_with_every_prefix(line: str) -> None:
    value = line.removeprefix("candidate:")
    for text in (value, line, "a=" + line, "a=" + line + "\r\n"):
        assert Candidate.from_sdp(text).to_sdp() == value


def test_fields_of_a_chromium_srflx_candidate() -> None:
    candidate = Candidate.from_sdp(REAL_WORLD_LINES[0])
    assert candidate == Candidate(
        foundation="842163049",
        component=1,
        transport="udp",
        priority=1677729535,
        address="203.0.113.7",
        port=61665,
        type="srflx",
        related_address="0.0.0.0",
        related_port=0,
        generation=0,
        ufrag="EsAw",
        network_id=1,
        network_cost=10,
    )
    assert candidate.ip == ipaddress.ip_address("203.0.113.7")
    assert not candidate.is_mdns


def test_mdns_candidate() -> None:
    candidate = Candidate.from_sdp(REAL_WORLD_LINES[1])
    assert candidate.is_mdns
    assert candidate.ip is None
    assert candidate.address == "7b1f6bf2-4e0a-4ed8-a39b-3c1a3e5e3a4d.local"


def test_transport_is_case_insensitive_but_spelling_is_kept() -> None:
    upper = Candidate.from_sdp("1 1 UDP 1 192.0.2.1 1 typ host")
    lower = Candidate.from_sdp("1 1 udp 1 192.0.2.1 1 typ host")
    assert upper == lower
    assert upper.transport == "udp"
    assert upper.to_sdp() == "1 1 UDP 1 192.0.2.1 1 typ host"
    assert lower.to_sdp() == "1 1 udp 1 192.0.2.1 1 typ host"


def test_unknown_extensions_keep_their_order_and_position() -> None:
    candidate = Candidate.from_sdp(REAL_WORLD_LINES[6])
    assert candidate.extensions == (("future-ext", "value-1"), ("x", "y"))
    assert candidate.generation == 0
    assert candidate.to_sdp() == REAL_WORLD_LINES[6].removeprefix("candidate:")


def test_replace_writes_the_canonical_order() -> None:
    parsed = Candidate.from_sdp("1 1 UDP 9 192.0.2.1 1 typ srflx z 1 rport 2 raddr 192.0.2.2")
    changed = dataclasses.replace(parsed, port=7)
    assert changed.to_sdp() == "1 1 udp 9 192.0.2.1 7 typ srflx raddr 192.0.2.2 rport 2 z 1"


def test_leading_zeros_are_normalized() -> None:
    candidate = Candidate.from_sdp("1 01 udp 007 192.0.2.1 0080 typ host generation 00")
    assert (candidate.component, candidate.priority, candidate.port) == (1, 7, 80)
    assert candidate.to_sdp() == "1 1 udp 7 192.0.2.1 80 typ host generation 0"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "at least 8"),
        ("candidate:1 1 udp 1 192.0.2.1 1 typ", "at least 8"),
        ("1 1 udp 1 192.0.2.1 1 type host", "'typ'"),
        ("1 1 udp 1 192.0.2.1 1 typ host generation", "no value"),
        ("1 1 udp 1 192.0.2.1 1 typ host generation 0 generation 1", "twice"),
        ("1 1 udp 1 192.0.2.1 1 typ bogus", "candidate type"),
        ("1 1 udp 1 192.0.2.1 1 typ HOST", "candidate type"),
        ("f_o 1 udp 1 192.0.2.1 1 typ host", "foundation"),
        ("a" * 33 + " 1 udp 1 192.0.2.1 1 typ host", "foundation"),
        ("1 0 udp 1 192.0.2.1 1 typ host", "component"),
        ("1 257 udp 1 192.0.2.1 1 typ host", "component"),
        ("1 x udp 1 192.0.2.1 1 typ host", "component"),
        ("1 1 u(p 1 192.0.2.1 1 typ host", "transport"),
        ("1 1 udp 4294967296 192.0.2.1 1 typ host", "priority"),
        ("1 1 udp -1 192.0.2.1 1 typ host", "priority"),
        ("1 1 udp +1 192.0.2.1 1 typ host", "priority"),
        ("1 1 udp 1_0 192.0.2.1 1 typ host", "priority"),
        ("1 1 udp \u0661 192.0.2.1 1 typ host", "priority"),
        ("1 1 udp 1 192.0.2.256 1 typ host", "IPv4"),
        ("1 1 udp 1 1.2.3 1 typ host", "IPv4"),
        ("1 1 udp 1 01.2.3.4 1 typ host", "IPv4"),
        ("1 1 udp 1 2001:db8::g 1 typ host", "IPv6"),
        ("1 1 udp 1 fe80::1%eth0 1 typ host", "zone"),
        ("1 1 udp 1 -bad-.local 1 typ host", "host name"),
        ("1 1 udp 1 a..local 1 typ host", "host name"),
        ("1 1 udp 1 192.0.2.1 65536 typ host", "port"),
        ("1 1 udp 1 192.0.2.1 1 typ srflx raddr nope! rport 1", "related address"),
        ("1 1 udp 1 192.0.2.1 1 typ srflx raddr 192.0.2.1 rport 70000", "rport"),
        ("1 1 tcp 1 192.0.2.1 9 typ host tcptype sideways", "tcptype"),
        ("1 1 udp 1 192.0.2.1 1 typ host network-id 65536", "network-id"),
        ("1 1 udp 1 192.0.2.1 1 typ host network-cost x", "network-cost"),
        ("1 1 udp 1 192.0.2.1 1 typ host generation 4294967296", "generation"),
        ("1 1 udp 1 192.0.2.1 1 typ host typ host", "own field"),
        ("1 1 udp 1 192.0.2.1 1 typ host n@me v", "not a token"),
        ("1 1 udp 1 192.0.2.1 1 typ host name v\u00e9", "visible ASCII"),
        ("1 1 udp 1 192.0.2.1 1 typ host ufrag \u00e9", "ufrag"),
    ],
)
def test_malformed_lines_name_the_problem(text: str, problem: str) -> None:
    with pytest.raises(CandidateError, match=problem):
        Candidate.from_sdp(text)


def test_candidate_error_is_a_parse_error() -> None:
    assert issubclass(CandidateError, ParseError)


def test_constructor_validates_too() -> None:
    with pytest.raises(CandidateError, match="lower-case"):
        Candidate("1", 1, "UDP", 1, "192.0.2.1", 1, "host")
    with pytest.raises(CandidateError, match="own field"):
        Candidate("1", 1, "udp", 1, "192.0.2.1", 1, "host", extensions=(("raddr", "x"),))


# --- generated candidates ------------------------------------------------------------------

_ice_chars = st.text("abcXYZ0189+/", min_size=1, max_size=32)
_token = st.text("abcdefghijklmnopqrstuvwxyz-0123456789.!%*_+`'~", min_size=1, max_size=12)
_vchars = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
_ipv4 = st.ip_addresses(v=4).map(str)
_ipv6 = st.ip_addresses(v=6).map(str).filter(lambda a: "%" not in a)
_mdns = st.uuids().map(lambda u: f"{u}.local")
_address = st.one_of(_ipv4, _ipv6, _mdns)
_port = st.integers(0, 65535)


def _maybe(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


@st.composite
def candidates(draw: st.DrawFn) -> Candidate:
    known = {"raddr", "rport", "tcptype", "generation", "ufrag", "network-id", "network-cost"}
    extension_names = _token.filter(lambda n: n not in known and n != "typ")
    extensions = draw(st.lists(st.tuples(extension_names, _vchars), max_size=3))
    return Candidate(
        foundation=draw(_ice_chars),
        component=draw(st.integers(1, 256)),
        transport=draw(st.sampled_from(["udp", "tcp", "ssltcp"])),
        priority=draw(st.integers(0, 2**32 - 1)),
        address=draw(_address),
        port=draw(_port),
        type=draw(st.sampled_from(["host", "srflx", "prflx", "relay"])),
        related_address=draw(_maybe(_address)),
        related_port=draw(_maybe(_port)),
        tcptype=draw(_maybe(st.sampled_from(["active", "passive", "so"]))),
        generation=draw(_maybe(st.integers(0, 2**32 - 1))),
        ufrag=draw(_maybe(_vchars)),
        network_id=draw(_maybe(st.integers(0, 65535))),
        network_cost=draw(_maybe(st.integers(0, 65535))),
        extensions=tuple(dict(extensions).items()),
    )


@given(candidates())
def test_generated_candidates_round_trip(candidate: Candidate) -> None:
    text = candidate.to_sdp()
    parsed = Candidate.from_sdp(text)
    assert parsed == candidate
    assert parsed.to_sdp() == text
    assert Candidate.from_sdp("a=candidate:" + text) == candidate


@given(st.text(max_size=80))
def test_random_text_only_raises_candidate_error(text: str) -> None:
    try:
        candidate = Candidate.from_sdp(text)
    except CandidateError:
        return
    assert Candidate.from_sdp(candidate.to_sdp()) == candidate


@settings(max_examples=200)
@given(candidates(), st.data())
def test_mutated_lines_only_raise_candidate_error(
    candidate: Candidate, data: st.DataObject
) -> None:
    fields = candidate.to_sdp().split(" ")
    index = data.draw(st.integers(0, len(fields) - 1))
    fields[index] = data.draw(st.text(max_size=8))
    try:
        mutated = Candidate.from_sdp(" ".join(fields))
    except CandidateError:
        return
    assert Candidate.from_sdp(mutated.to_sdp()) == mutated


# --- aioice ----------------------------------------------------------------------------------


@given(candidates())
def test_aioice_parses_what_we_write_the_same_way(candidate: Candidate) -> None:
    theirs = aioice.Candidate.from_sdp(candidate.to_sdp())
    assert theirs.foundation == candidate.foundation
    assert theirs.component == candidate.component
    assert theirs.transport.lower() == candidate.transport
    assert theirs.priority == candidate.priority
    assert theirs.host == candidate.address
    assert theirs.port == candidate.port
    assert theirs.type == candidate.type
    assert theirs.related_address == candidate.related_address
    assert theirs.related_port == candidate.related_port
    assert theirs.tcptype == candidate.tcptype
    assert theirs.generation == candidate.generation


@pytest.mark.parametrize("line", REAL_WORLD_LINES[:5])
def test_aioice_conversion_both_ways(line: str) -> None:
    ours = Candidate.from_sdp(line)
    theirs = ours.to_aioice()
    assert isinstance(theirs, aioice.Candidate)
    back = Candidate.from_aioice(theirs)
    assert back == dataclasses.replace(ours, ufrag=None, network_id=None, network_cost=None)
    assert Candidate.from_aioice(aioice.Candidate.from_sdp(line.split(":", 1)[1])) == back


@given(st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=1, max_size=5))
def test_dotted_decimal_addresses_agree_with_ipaddress(octets: list[str]) -> None:
    text = ".".join(octets)
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        with pytest.raises(CandidateError, match="IPv4"):
            Candidate("1", 1, "udp", 1, text, 1, "host")
    else:
        assert Candidate("1", 1, "udp", 1, text, 1, "host").ip == ipaddress.IPv4Address(text)
