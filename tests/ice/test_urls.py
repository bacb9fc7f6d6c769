"""STUN/TURN URI parsing (RFC 7064, RFC 7065) and the RTCIceServer entry."""

from __future__ import annotations

import pytest
from aiortc.rtcicetransport import parse_stun_turn_uri
from hypothesis import given
from hypothesis import strategies as st

from pyrtc import ParseError
from pyrtc.ice import IceServerUrl, IceUrlError, RTCIceServer, parse_ice_server_url

GOOD = [
    # RFC 7064 section 3.2 and RFC 7065 section 3.2 examples.
    ("stun:example.org", IceServerUrl("stun", "example.org", 3478, "udp", False)),
    ("stuns:example.org", IceServerUrl("stuns", "example.org", 5349, "tcp", True)),
    ("stun:example.org:8000", IceServerUrl("stun", "example.org", 8000, "udp", False)),
    ("turn:example.org", IceServerUrl("turn", "example.org", 3478, "udp", False)),
    ("turns:example.org", IceServerUrl("turns", "example.org", 5349, "tcp", True)),
    ("turn:example.org:8000", IceServerUrl("turn", "example.org", 8000, "udp", False)),
    ("turn:example.org?transport=udp", IceServerUrl("turn", "example.org", 3478, "udp", False)),
    ("turn:example.org?transport=tcp", IceServerUrl("turn", "example.org", 3478, "tcp", False)),
    ("turns:example.org?transport=tcp", IceServerUrl("turns", "example.org", 5349, "tcp", True)),
    # Literals, case, ports.
    ("stun:192.0.2.1", IceServerUrl("stun", "192.0.2.1", 3478, "udp", False)),
    ("stun:[2001:db8::1]", IceServerUrl("stun", "2001:db8::1", 3478, "udp", False)),
    ("turn:[2001:db8::1]:3479", IceServerUrl("turn", "2001:db8::1", 3479, "udp", False)),
    (
        "turns:[::1]:443?transport=tcp",
        IceServerUrl("turns", "::1", 443, "tcp", True),
    ),
    (
        "STUN:stun.l.google.com:19302",
        IceServerUrl("stun", "stun.l.google.com", 19302, "udp", False),
    ),
    ("turn:127.0.0.1:65535", IceServerUrl("turn", "127.0.0.1", 65535, "udp", False)),
    (
        "turns:turn.example.org?transport=udp",
        IceServerUrl("turns", "turn.example.org", 5349, "udp", True),
    ),
]

BAD = [
    ("", "scheme"),
    ("example.org", "scheme"),
    ("http://example.org", "scheme"),
    ("stunx:example.org", "scheme"),
    ("stun://example.org", "authority"),
    ("turn://example.org:3478", "authority"),
    ("stun:example.org?transport=udp", "no query"),
    ("stuns:example.org?transport=tcp", "no query"),
    ("turn:example.org?transport=sctp", "unsupported transport"),
    ("turn:example.org?transport=UDP", "unsupported transport"),
    ("turn:example.org?transport", "only query"),
    ("turn:example.org?foo=bar", "only query"),
    ("turn:user@example.org", "user information"),
    ("stun:example.org#frag", "fragment"),
    ("stun:", "host name"),
    ("stun::3478", "host name"),
    ("stun:exa mple.org", "host name"),
    ("stun:-example.org", "host name"),
    ("stun:example..org", "host name"),
    ("stun:256.0.0.1", "IPv4"),
    ("stun:1.2.3", "IPv4"),
    ("stun:2001:db8::1", "brackets"),
    ("stun:example.org:80:80", "brackets"),
    ("stun:[2001:db8::1", "IPv6"),
    ("stun:[2001:db8::g]", "IPv6"),
    ("stun:[fe80::1%25eth0]", "zone"),
    ("stun:[::1]x", "IPv6"),
    ("stun:example.org:", "port"),
    ("stun:example.org:0", "port"),
    ("stun:example.org:65536", "port"),
    ("stun:example.org:+80", "port"),
    ("stun:example.org:\u0661", "port"),
]


@pytest.mark.parametrize(("url", "expected"), GOOD)
def test_good_urls(url: str, expected: IceServerUrl) -> None:
    parsed = parse_ice_server_url(url)
    assert parsed == expected
    assert parsed.is_turn == url.lower().startswith("turn")


@pytest.mark.parametrize(("url", "problem"), BAD)
def test_bad_urls(url: str, problem: str) -> None:
    with pytest.raises(IceUrlError, match=problem):
        parse_ice_server_url(url)


@pytest.mark.parametrize("url", [url for url, _ in GOOD if url.islower() and "[" not in url])
def test_agrees_with_aiortc(url: str) -> None:
    theirs = parse_stun_turn_uri(url)
    ours = parse_ice_server_url(url)
    assert (ours.scheme, ours.host, ours.port) == (theirs["scheme"], theirs["host"], theirs["port"])
    if ours.is_turn:
        assert ours.transport == theirs["transport"]


@given(st.text(max_size=40))
def test_random_text_only_raises_ice_url_error(text: str) -> None:
    for candidate in (text, "stun:" + text, "turn:" + text):
        try:
            parsed = parse_ice_server_url(candidate)
        except IceUrlError:
            continue
        assert 1 <= parsed.port <= 65535
        assert parsed.transport in ("udp", "tcp")


def test_error_is_a_parse_error() -> None:
    assert issubclass(IceUrlError, ParseError)


def test_rtc_ice_server() -> None:
    single = RTCIceServer("stun:stun.example.org")
    assert single.parsed_urls() == [IceServerUrl("stun", "stun.example.org", 3478, "udp", False)]
    turn = RTCIceServer(
        urls=["turn:192.0.2.1?transport=tcp", "turns:turn.example.org"],
        username="alice",
        credential="secret",
    )
    assert [u.transport for u in turn.parsed_urls()] == ["tcp", "tcp"]
    assert (turn.username, turn.credential, turn.credentialType) == ("alice", "secret", "password")
    with pytest.raises(IceUrlError):
        RTCIceServer(["stun:ok.example.org", "stun://bad"]).parsed_urls()
